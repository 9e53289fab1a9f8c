"""总览: every kind of point."""
from dashboard.components.layerpage import render

render(None)
