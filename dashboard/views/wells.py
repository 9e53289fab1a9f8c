"""One layer page; the shared component does the work."""
from dashboard.components.layer_page import render

render("well")
