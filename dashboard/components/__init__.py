"""Shared page components: filters, KPI cards, tables and chart, detail panel, exports, banner, the layer page."""
