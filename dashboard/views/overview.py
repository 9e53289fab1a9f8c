"""总览: every kind of point."""
from dashboard.components.layer_page import render

render(None)
