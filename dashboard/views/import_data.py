"""导入: staff bring in the spreadsheets and GIS files they keep (see components/import_page.py)."""
from dashboard.components.import_page import render

render()
