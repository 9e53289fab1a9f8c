"""Pages and their parts: each page's storyboard (`<page>_page.py`, or a package for the 大屏) and the pieces pages
share -- filters, KPI cards, the per-town table and chart, detail panel, point table, exports, banner, session.
See `dashboard/app.py` for the structure."""
