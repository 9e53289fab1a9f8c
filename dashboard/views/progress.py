"""进展: months, durations, overdue items and the map through time (dashboard/components/progress_page.py)."""
from dashboard.components.progress_page import render

render()
