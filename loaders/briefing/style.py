"""Colours and shapes of the briefing's map: the same as the dashboard's map (dashboard.pointlayer, dashboard.mapview),
so a reader who knows the screen knows the paper. loaders cannot import the dashboard; a test keeps them equal."""
from __future__ import annotations

STAGE_COLORS = {"待办": "#e4572e", "进行中": "#f0a202", "已完成": "#2e9d5b", "已关闭": "#8a8f98"}
KIND_MARKERS = {"demo_site": "*", "well": "^", "bridge": "s", "issue": "o"}  # star, triangle, square, circle
AREA_PALETTE = ("#d8e8f6", "#e3f0d6", "#fbe6cf", "#eadcf3", "#f9dede", "#d9f0ec", "#f4efcc", "#e2e6ee")
OUTSIDE_FILL = "#cfd2d6"
OVERDUE_RING = "#b0003a"  # a dark red ring round an overdue point
OUTLINE = "#34495e"
