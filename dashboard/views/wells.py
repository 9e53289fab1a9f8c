"""One layer page; the shared component does the work."""
from dashboard.components.layerpage import render

render("well")
