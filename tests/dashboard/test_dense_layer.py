"""The dense view's layer, in Python: where clustering stops (the densest frame-sized window), the payload the browser
clusters (every point back at its place with its kind, status and days overdue), and which pages cluster."""
from __future__ import annotations

import base64
import json
import math

import numpy as np
import pandas as pd
import pytest

from dashboard import mapview, pointlayer
from loaders import model
from tests.hostile import NAMES as HOSTILE_NAMES


def _frame(lon, lat, overdue=None) -> pd.DataFrame:
    n = len(lon)
    kinds = [list(model.KINDS)[k % len(model.KINDS)] for k in range(n)]
    statuses = [model.KINDS[k].statuses[row % len(model.KINDS[k].statuses)].label for row, k in enumerate(kinds)]
    frame = pd.DataFrame({"id": [f"p{k}" for k in range(n)], "kind": kinds, "status": statuses,
                          "lon": lon, "lat": lat, "name": [f"点{k}" for k in range(n)]})
    if overdue is not None:
        frame["overdue_days"] = overdue
    return frame


def _pixels(lon, lat, zoom):
    """Web Mercator pixels as Leaflet computes them (L.CRS.EPSG3857), written out here independently."""
    x = (np.asarray(lon) + 180) / 360 * 256 * 2 ** zoom
    rad = np.radians(np.asarray(lat))
    y = (1 - np.log(np.tan(rad) + 1 / np.cos(rad)) / math.pi) / 2 * 256 * 2 ** zoom
    return x, y


def _densest_window(lon, lat, zoom, width, height) -> int:
    """Brute force: the most points any width × height window holds whose left and top edges pass through points."""
    x, y = _pixels(lon, lat, zoom)
    best = 0
    for left in x:
        column = (x >= left) & (x < left + width)
        for top in y[column]:
            best = max(best, int((column & (y >= top) & (y < top + height)).sum()))
    return best


def test_clustering_stops_where_a_frame_holds_few_enough_points():
    rng = np.random.default_rng(7)
    lon = np.concatenate([112.0 + rng.normal(0, 0.01, 600), rng.uniform(111.9, 112.4, 300)])
    lat = np.concatenate([32.1 + rng.normal(0, 0.01, 600), rng.uniform(32.0, 32.3, 300)])
    zoom = pointlayer.individual_zoom(lon, lat, budget=200, window=(300, 200))
    assert 0 < zoom < 19
    assert _densest_window(lon, lat, zoom - 1, 300, 200) > 200  # one zoom out, some frame is too full
    assert _densest_window(lon, lat, zoom, 300, 200) <= 200 * 9 / 4  # measured on half-frames: within 9/4


def test_few_points_are_never_clustered_and_at_the_closest_zoom_no_point_is():
    assert pointlayer.individual_zoom(np.full(50, 112.1), np.full(50, 32.1), budget=100) == 0
    # 500 points on one spot (an import that gave them one position): at the closest zoom they are drawn singly,
    # so a cluster can always be opened.
    assert pointlayer.individual_zoom(np.full(500, 112.1), np.full(500, 32.1), budget=100) == 18


def _decode(text, dtype):
    return np.frombuffer(base64.b64decode(text), dtype=np.dtype(dtype).newbyteorder("<"))


def test_the_clustered_payload_puts_every_point_back_with_its_kind_status_and_days_overdue():
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(111.8, 112.5, 3000), rng.uniform(31.9, 32.4, 3000)
    overdue = np.where(np.arange(3000) % 7 == 0, np.arange(3000) * 0.7 + 0.2, np.nan)
    frame = _frame(lon, lat, overdue)
    payload = pointlayer.encode_clustered(frame, highlight=42)
    x = payload["x0"] + _decode(payload["x"], np.int32) / payload["scale"]
    y = payload["y0"] + _decode(payload["y"], np.int32) / payload["scale"]
    assert np.abs(x - lon).max() <= 0.6e-5 and np.abs(y - lat).max() <= 0.6e-5  # about a metre
    codes = _decode(payload["c"], np.uint8)
    kinds = [payload["kinds"][payload["code_kind"][c]]["key"] for c in codes]
    assert kinds == frame["kind"].tolist()
    assert [payload["statuses"][c] for c in codes] == frame["status"].tolist()
    stages = [payload["stages"][payload["stage_of"][c]]["label"] for c in codes]
    assert stages == [model.stage_of(k, s) for k, s in zip(frame["kind"], frame["status"])]
    late = _decode(payload["late"], np.uint16)
    expected = np.where(np.isnan(overdue), 0, np.maximum(np.ceil(np.nan_to_num(overdue)), 1))
    assert late.tolist() == expected.astype(int).tolist()
    assert payload["highlight"] == 42 and payload["count"] == 3000
    assert payload["t"] == pointlayer.data_token(frame["id"])  # a click on a single point finds its row


def test_hostile_names_travel_as_data_in_the_clustered_layer():
    names = list(HOSTILE_NAMES)
    frame = _frame(np.linspace(112.0, 112.3, len(names)), np.linspace(32.0, 32.2, len(names)))
    frame["name"] = names
    group = pointlayer.points_layer(frame, clustered=True)
    script = next(iter(group._children.values())).payload
    assert "<" not in script and "`" not in script and "${" not in script  # nothing a script or template reads
    # and every name comes back whole when the browser reads the literal
    assert json.loads(script)["n"] == names


@pytest.mark.parametrize("total, layers", [(pointlayer.CLUSTER_ABOVE, 4), (pointlayer.CLUSTER_ABOVE + 1, 1)])
def test_a_view_is_clustered_only_above_the_threshold_and_then_as_one_layer_of_every_kind(total, layers):
    rng = np.random.default_rng(1)
    frame = _frame(rng.uniform(111.8, 112.5, total), rng.uniform(31.9, 32.4, total))
    parts = {kind: frame[frame["kind"] == kind].reset_index(drop=True) for kind in model.KINDS}
    groups = mapview.point_groups(frame, parts, gcj02=False, highlight_id=None)
    assert len(groups) == layers
    if layers == 1:
        assert groups[0].layer_name == f"点位（{total:,}）"
        assert "ClusteredPoints" in [c._name for c in groups[0]._children.values()]


def test_a_published_payload_names_the_same_arrays_the_inline_one_carries():
    rng = np.random.default_rng(5)
    frame = _frame(rng.uniform(111.8, 112.5, 2500), rng.uniform(31.9, 32.4, 2500), np.where(
        np.arange(2500) % 3 == 0, 12.5, np.nan))
    kept = {}

    def publish(blob: bytes) -> str:
        kept["blob"] = blob
        return "/_xz/points/k"

    inline = pointlayer.encode_clustered(frame)
    published = pointlayer.encode_clustered(frame, publish=publish)
    assert published["blob"]["src"] == "/_xz/points/k"
    assert not {"x", "y", "c", "late"} & set(published)  # the frame carries no point arrays
    for name in ("x", "y", "c", "late"):
        start, end = published["blob"][name]
        assert kept["blob"][start:end] == base64.b64decode(inline[name])
