"""Points on the map as one compact layer: a few integer arrays instead of one folium object per point.

The browser side is `static/points.js`. Python sends, per point, a delta-encoded position in 1e-5 degree steps
(about 1 m), one small integer for (kind, status), and which points are overdue with their days over; names travel only while they are few enough to keep the page
light (`NAME_INLINE_LIMIT`), otherwise the tooltip shows kind and status and a click opens the detail panel.
A click returns the row index and a token of the data it was drawn from, so a click on stale data is ignored.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable
from typing import ClassVar

import folium
import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from loaders import coords, model
from loaders.mapstyle import KIND_SHAPES, STAGE_COLORS

from . import pointdata, server
from .assets import STATIC_URL, vendor_url

NAME_INLINE_LIMIT = 5_000
SCALE = 100_000  # 1e-5 degree steps
#: Views with more points than this are drawn as clusters below `individual_zoom()`: drawing a marker per point
#: stays quick up to here (benchmarks/dense.py measures it), and in the densest window of a frame no more than this
#: many symbols are drawn at once.
CLUSTER_ABOVE = 2_000
MAX_ZOOM = 18  # the maps' closest zoom (mapview.build_base_map)
#: The map frame the densest-window measure assumes: a desktop frame (the 大屏's is larger, a phone's smaller).
WINDOW_PX = (900, 600)
#: Points closer than this many screen pixels are drawn as one cluster (supercluster's radius): two clusters'
#: rings (up to 27 px across with their dashed arc at 12 px type) never touch.
CLUSTER_RADIUS_PX = 60

#: An overdue point gets a dashed ring in this colour around it: the dashes tell it apart without colour vision.
OVERDUE_COLOR = "#b3001b"

# Every (kind, status) pair gets one code; the browser looks up label, shape and colour from it.
CODES: list[tuple[str, str]] = [(k.key, s.label) for k in model.KINDS.values() for s in k.statuses]
CODE_OF = {pair: number for number, pair in enumerate(CODES)}


_STRING_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"')
# Inside JSON strings: what could end a <script>, open a JS template substitution, break a line in older engines,
# or look to streamlit-folium like one of the map's own names (it rewrites `{{'name'}}` and `_<element id>` in the
# script it is given) -- each becomes a \u escape, which JavaScript reads back as the same character.
_ESCAPED = {c: f"\\u{ord(c):04x}" for c in "<>&`${}_\u2028\u2029"}
_ESCAPED_RE = re.compile("[" + re.escape("".join(_ESCAPED)) + "]")


def js_literal(value) -> str:
    """JSON that is safe inside a <script>, inside any JS string context and inside streamlit-folium's rewriting.

    Only the characters *inside* strings are escaped (a JSON escape never contains them, so this cannot split one);
    the JSON's own braces stay as they are.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return _STRING_TOKEN.sub(lambda m: _ESCAPED_RE.sub(lambda c: _ESCAPED[c.group(0)], m.group(0)), text)


def data_token(ids) -> str:
    return hashlib.blake2b("\n".join(map(str, ids)).encode(), digest_size=6).hexdigest()


def encode(points: pd.DataFrame, gcj02: bool = False, highlight: int | None = None) -> dict:
    """The compact payload for points.js: points by kind (shape) and status (colour by stage)."""
    codes, legend = _legend(points)
    return _payload(points, codes, legend, gcj02, highlight)


def encode_categories(points: pd.DataFrame, column: str, colors: dict[str, str], label: str, shape: str,
                      gcj02: bool = False, highlight: int | None = None) -> dict:
    """The same payload for records of one kind told apart by one column (activities by 形式): one shape, a colour
    per value of `column` (`colors`, in legend order)."""
    order = list(colors)
    codes = np.array([order.index(v) if v in colors else 0 for v in points[column]], dtype=np.int64)
    legend = {"kinds": [{"key": "category", "label": label, "shape": shape}], "code_kind": [0] * len(order),
              "statuses": order, "colors": [colors[v] for v in order]}
    return _payload(points, codes, legend, gcj02, highlight)


def _legend(points: pd.DataFrame) -> tuple[np.ndarray, dict]:
    codes = np.array([CODE_OF[(k, s)] for k, s in zip(points["kind"], points["status"])], dtype=np.int64)
    legend = {
        "kinds": [{"key": k.key, "label": k.label, "shape": KIND_SHAPES[k.key]} for k in model.KINDS.values()],
        "code_kind": [list(model.KINDS).index(k) for k, _ in CODES],
        "statuses": [s for _, s in CODES],
        "colors": [STAGE_COLORS[model.stage_of(k, s)] for k, s in CODES],
    }
    return codes, legend


def _mercator_px(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator pixels at zoom 0 (a 256 px world), as Leaflet places points."""
    x = (lon + 180.0) / 360.0 * 256.0
    sin = np.sin(np.radians(np.clip(lat, -85.0511, 85.0511)))
    y = (0.5 - np.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * 256.0
    return x, y


def individual_zoom(lon: np.ndarray, lat: np.ndarray, budget: int = CLUSTER_ABOVE,
                    window: tuple[int, int] = WINDOW_PX, zooms: Iterable[int] = range(MAX_ZOOM)) -> int:
    """The first zoom at which no frame-sized window holds more than `budget` points: from there on every point is
    drawn by itself. Windows are counted on a grid of half-frames (any frame-sized window lies within 3 × 3 such
    cells and covers 2 × 2 of them), so the measure is the densest 2 × 2 block. At the map's closest zoom every
    point is drawn by itself whatever the density (many points at one place: an import that gave them all one
    position), so that a cluster can always be opened."""
    x, y = _mercator_px(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    if len(x) <= budget:
        return 0
    for zoom in zooms:
        cx = np.floor(x * 2 ** zoom / (window[0] / 2)).astype(np.int64)
        cy = np.floor(y * 2 ** zoom / (window[1] / 2)).astype(np.int64)
        cx -= cx.min()
        cy -= cy.min()
        shape = (int(cx.max()) + 2, int(cy.max()) + 2)
        grid = np.bincount(cx * shape[1] + cy, minlength=shape[0] * shape[1]).reshape(shape)
        blocks = grid[:-1, :-1] + grid[1:, :-1] + grid[:-1, 1:] + grid[1:, 1:]
        if blocks.max() <= budget:
            return zoom
    return MAX_ZOOM


def encode_clustered(points: pd.DataFrame, gcj02: bool = False, highlight: int | None = None,
                     cluster_radius: int = CLUSTER_RADIUS_PX, publish: Callable[[bytes], str] | None = None) -> dict:
    """The payload of a view too dense for a marker per point: the same legend, where clustering stops
    (`individual_zoom`), and the points as typed arrays in row order -- positions as int32 steps of 1e-5 degree from
    an origin, the (kind, status) code as uint8, days overdue as uint16 (0: not overdue) -- about 11 bytes a point,
    where the JSON of `encode()` takes about 19. With `publish` the arrays are one blob the browser fetches from the
    path it returns (dashboard/pointdata.py; `blob` gives each array's byte range); without, they travel inside the
    payload as base64. The browser clusters them with supercluster (static/points.js)."""
    codes, legend = _legend(points)
    lon = points["lon"].to_numpy(dtype=float)
    lat = points["lat"].to_numpy(dtype=float)
    if gcj02:
        lon, lat = coords.wgs84_to_gcj02(lon, lat)
    x0 = float(np.floor(lon.min() * 100) / 100) if len(lon) else 0.0
    y0 = float(np.floor(lat.min() * 100) / 100) if len(lat) else 0.0
    arrays = {"x": np.round((lon - x0) * SCALE).astype("<i4"), "y": np.round((lat - y0) * SCALE).astype("<i4"),
              "c": codes.astype(np.uint8)}
    if "overdue_days" in points.columns:
        days = pd.to_numeric(points["overdue_days"], errors="coerce").to_numpy(dtype=float)
        late = np.where(days > 0, np.clip(np.ceil(days), 1, 65_535), 0)  # NaN (not overdue) compares false
        if late.any():
            arrays["late"] = late.astype("<u2")
    payload = {
        "x0": x0, "y0": y0, "scale": SCALE, "count": len(points),
        "t": data_token(points["id"]), "highlight": highlight, **legend,
        "stage_of": [list(model.STAGES).index(model.stage_of(k, s)) for k, s in CODES],
        "stages": [{"label": stage, "color": STAGE_COLORS[stage]} for stage in model.STAGES],
        "cluster": {"individual_zoom": individual_zoom(lon, lat), "radius": cluster_radius},
    }
    if publish is None:
        payload.update({name: base64.b64encode(array.tobytes()).decode() for name, array in arrays.items()})
    else:
        ranges, start = {}, 0
        for name, array in arrays.items():
            ranges[name] = [start, start + array.nbytes]
            start += array.nbytes
        payload["blob"] = {"src": publish(b"".join(a.tobytes() for a in arrays.values())), **ranges}
    if len(points) <= NAME_INLINE_LIMIT:
        payload["n"] = points["name"].astype(str).tolist()
    return payload


def _payload(points: pd.DataFrame, codes: np.ndarray, legend: dict, gcj02: bool, highlight: int | None) -> dict:
    """Rows are sent sorted by longitude so the deltas stay short."""
    lon = points["lon"].to_numpy(dtype=float)
    lat = points["lat"].to_numpy(dtype=float)
    if gcj02:  # Gaode tiles are in GCJ-02: move the points, not the tiles
        lon, lat = coords.wgs84_to_gcj02(lon, lat)
    order = np.argsort(lon, kind="stable")
    x0 = float(np.floor(lon.min() * 100) / 100) if len(lon) else 0.0
    y0 = float(np.floor(lat.min() * 100) / 100) if len(lat) else 0.0
    x = np.round((lon[order] - x0) * SCALE).astype(np.int64)
    y = np.round((lat[order] - y0) * SCALE).astype(np.int64)
    payload = {
        "x0": x0, "y0": y0, "scale": SCALE,
        "x": np.diff(x, prepend=0).tolist(), "y": np.diff(y, prepend=0).tolist(),
        "c": codes[order].tolist(), "order": order.tolist(),
        "t": data_token(points["id"]), "highlight": highlight, **legend,
    }
    payload.update(_overdue(points, order))
    if len(points) <= NAME_INLINE_LIMIT:
        payload["n"] = points["name"].astype(str).to_numpy()[order].tolist()
    return payload


def _overdue(points: pd.DataFrame, order: np.ndarray) -> dict:
    """`late`: positions (in send order) of the points past their time limit; `late_days`: whole days over, at
    least 1. Frames without the `overdue_days` column (records that have no time limit) have none."""
    if "overdue_days" not in points.columns:
        return {"late": [], "late_days": []}
    days = pd.to_numeric(points["overdue_days"], errors="coerce").to_numpy(dtype=float)[order]
    late = np.flatnonzero(days > 0)  # NaN (not overdue) compares false
    return {"late": late.tolist(), "late_days": np.maximum(np.ceil(days[late]), 1).astype(np.int64).tolist()}


class CompactPoints(JSCSSMixin, MacroElement):
    default_js: ClassVar[list[tuple[str, str]]] = [("xz_points", f"{STATIC_URL}/points.js")]
    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.xzPoints({{ this.payload }}, {{ this.options }})
            .addTo({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, payload: dict, radius: int = 6, shared_renderer: bool = False, late_color: str = OVERDUE_COLOR):
        super().__init__()
        self._name = "CompactPoints"
        self.payload = js_literal(payload)
        self.options = js_literal({"radius": radius, "sharedRenderer": shared_renderer, "lateColor": late_color})


class ClusteredPoints(CompactPoints):
    """`CompactPoints` of a dense view: points.js clusters them with supercluster, loaded first."""

    default_js: ClassVar[list[tuple[str, str]]] = [("supercluster", vendor_url("supercluster")),
                                                   ("xz_points", f"{STATIC_URL}/points.js")]

    def __init__(self, payload: dict, cluster_font: int = 12, **options):
        super().__init__(payload, **options)
        self._name = "ClusteredPoints"
        self.options = js_literal({**json.loads(self.options), "clusterFont": cluster_font})


def points_layer(points: pd.DataFrame, *, name: str = "点位", gcj02: bool = False,
                 highlight_id: str | None = None, radius: int = 6,
                 shared_renderer: bool = False, categories: tuple | None = None,
                 late_color: str = OVERDUE_COLOR, clustered: bool = False,
                 cluster_font: int = 12) -> folium.FeatureGroup:
    """A FeatureGroup for st_folium's `feature_group_to_add`: the base map stays mounted while points change.
    `categories` = (column, colours, label, shape) draws records of one kind by a column (see encode_categories).
    `late_color`: the dashed ring around overdue points (a lighter one reads better on a dark map).

    `shared_renderer=True` draws on the map's canvas (folium.Map(prefer_canvas=True)) instead of a canvas of its own,
    so clickable canvas layers under the points (the town areas) keep receiving clicks.
    `clustered=True` draws points that would overlap as clusters (`encode_clustered`), with counts in
    `cluster_font` px; clusters are spaced to fit their counts.
    """
    highlight = None
    if highlight_id is not None:
        matches = np.flatnonzero(points["id"].to_numpy() == highlight_id)
        highlight = int(matches[0]) if len(matches) else None
    group = folium.FeatureGroup(name=name)
    if not len(points):
        return group
    options = {"radius": radius, "shared_renderer": shared_renderer, "late_color": late_color}
    if clustered:
        payload = encode_clustered(points, gcj02=gcj02, highlight=highlight,
                                   cluster_radius=round(CLUSTER_RADIUS_PX * cluster_font / 12),
                                   publish=pointdata.publish if server.serving() else None)
        ClusteredPoints(payload, cluster_font=cluster_font, **options).add_to(group)
    elif categories:
        CompactPoints(encode_categories(points, *categories, gcj02=gcj02, highlight=highlight), **options).add_to(group)
    else:
        CompactPoints(encode(points, gcj02=gcj02, highlight=highlight), **options).add_to(group)
    return group


def dense(points: pd.DataFrame) -> bool:
    """Whether a view has too many points for a marker each (see `CLUSTER_ABOVE`)."""
    return len(points) > CLUSTER_ABOVE


def clicked_id(frames: Iterable[pd.DataFrame], clicked: dict | None) -> str | None:
    """The id of the point a click came from, in whichever of `frames` its layer was drawn from; None otherwise."""
    for frame in frames:
        row = clicked_row(frame, clicked)
        if row is not None:
            return str(frame["id"].iloc[row])
    return None


def clicked_row(points: pd.DataFrame, clicked: dict | None) -> int | None:
    """Row index of the point a click came from, or None if the click was on something else or on stale data."""
    properties = (clicked or {}).get("properties") or {}
    if "i" not in properties or properties.get("t") != data_token(points["id"]):
        return None
    row = int(properties["i"])
    return row if 0 <= row < len(points) else None
