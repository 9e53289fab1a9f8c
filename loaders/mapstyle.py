"""How points and areas look on every map: the dashboard's (dashboard.pointlayer, dashboard.mapview), the 大屏's and
the briefing's drawn on the server (loaders.briefing) -- one place, so a reader who knows the screen knows the paper."""
from __future__ import annotations

STAGE_COLORS = {"待办": "#e4572e", "进行中": "#f0a202", "已完成": "#2e9d5b", "已关闭": "#8a8f98"}
KIND_SHAPES = {"demo_site": "star", "well": "triangle", "bridge": "square", "issue": "circle"}
AREA_PALETTE = ("#d8e8f6", "#e3f0d6", "#fbe6cf", "#eadcf3", "#f9dede", "#d9f0ec", "#f4efcc", "#e2e6ee")
OUTSIDE_FILL = "#cfd2d6"
