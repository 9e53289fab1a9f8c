"""Colours and shapes of the briefing's map: those of every map (loaders.mapstyle), in matplotlib's terms."""
from __future__ import annotations

from ..mapstyle import AREA_PALETTE, KIND_SHAPES, OUTSIDE_FILL, STAGE_COLORS

__all__ = ["AREA_PALETTE", "KIND_MARKERS", "OUTLINE", "OUTSIDE_FILL", "OVERDUE_RING", "STAGE_COLORS"]

_MARKERS = {"star": "*", "triangle": "^", "square": "s", "circle": "o"}
KIND_MARKERS = {kind: _MARKERS[shape] for kind, shape in KIND_SHAPES.items()}
OVERDUE_RING = "#b0003a"  # a dark red ring round an overdue point
OUTLINE = "#34495e"
