"""The dense-data benchmark in miniature (benchmarks/dense.py): two small GeoPackage stores, one round each, against
the bare page -- the map drawn, the bytes the browser received counted (websocket frames included), the ratio and the
table; and the zoom-in timing driven against a stand-in cluster layer that keeps the contract the map's own one will
(`_xzClusters`, `visibleClusters()`, `map_div._xzRedrawn`), so it is proven before that layer exists."""
from __future__ import annotations

import json

import pytest

from benchmarks import __main__ as bench
from benchmarks import browser, dense, firstload, synthetic


@pytest.fixture
def chromium_available():
    browser.fixtures._require_browser()  # the browser tests' rule: a failure under CI, elsewhere a skip


def test_map_vs_bare_page_bytes_and_table_at_two_sizes(chromium_available, tmp_path, capsys):
    out = tmp_path / "results.json"
    out.write_text(json.dumps({"sizes": ["kept"]}), encoding="utf-8")
    assert bench.main(["--dense-only", "--quick", "--quiet", "--out", str(out)]) == 0
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["sizes"] == ["kept"]  # --dense-only replaces only its own part of an existing results file
    part = results["dense"]
    assert part["visits"] == 1 and part["blocked_requests"] == 0 and not part["skipped"] and not part["failed"]
    assert [(r["points"], r["engine"]) for r in part["sizes"]] == [(2_000, "gpkg"), (5_000, "gpkg")]
    for row in part["sizes"]:
        for prefix in ("", "new_visitor_"):
            assert 0 < row[prefix + "bare_s"] and 0 < row[prefix + "frame_s"] < row[prefix + "map_s"]
            assert isinstance(row[prefix + "ratio"], float) and row[prefix + "ratio"] > 0
        assert row["ratio"] == pytest.approx(row["map_s"] / row["bare_s"], abs=0.01)
        # The points reach the browser over Streamlit's websocket; a returning visitor's browser has the files.
        assert row["bytes"]["websocket_kb"] > 0 and row["bytes"]["websocket_frames"] > 0
        assert row["bytes"]["total_kb"] > row["bytes"]["websocket_kb"]
        assert row["new_visitor_bytes"]["http_kb"] > 2 * row["bytes"]["http_kb"]
        zoom = row["zoom_in"]
        if zoom["median_s"] is None:
            assert zoom["reason"]
        else:
            assert zoom["median_s"] > 0 and len(zoom["clicks_s"]) == dense.ZOOM_CLICKS
        assert row["server_rss_mb"] > 0
    small, big = part["sizes"]
    assert big["bytes"]["websocket_kb"] > small["bytes"]["websocket_kb"]  # more points, more data sent
    printed = capsys.readouterr().out
    assert "2,000 pts (GeoPackage)" in printed and "5,000 pts (GeoPackage)" in printed
    assert "ratio map / bare, second visit" in printed


# A stand-in for the cluster layer: one "cluster" marker at the map's centre that zooms in by two when clicked, and
# a redraw counter bumped after every move, as the contract says the real layer does.
STAND_IN_JS = f"""() => {{
  const f = document.querySelector('{firstload.MAP_FRAME}'); const w = f.contentWindow, L = w.L, m = w.map_div;
  const centre = m.getCenter();
  const Clusters = L.Layer.extend({{
    _xzClusters: true,
    onAdd(map) {{
      this._marker = L.marker(centre, {{icon: L.divIcon({{iconSize: [40, 40], className: 'xz-stand-in'}})}}).addTo(map);
      this._marker.on('click', () => map.setView(centre, map.getZoom() + 2));
      map.on('moveend', this._redrawn, this);
    }},
    _redrawn() {{ this._map._xzRedrawn = (this._map._xzRedrawn || 0) + 1; }},
    visibleClusters() {{
      const p = this._map.latLngToContainerPoint(centre);
      return [{{lat: centre.lat, lng: centre.lng, count: 1234, x: p.x, y: p.y}},
              {{lat: centre.lat, lng: centre.lng, count: 9999, x: -50, y: -50}}];  // out of sight: never clicked
    }},
  }});
  new Clusters().addTo(m);
  return true; }}"""


def test_zoom_in_is_timed_on_a_cluster_layer(chromium_available, tmp_path):
    store, _ = synthetic.build_store(tmp_path / "zoom.gpkg", 500)
    blocked: list[str] = []
    with browser.serve(firstload.ROOT / "dashboard" / "app.py", env={"XZMAP_STORE": str(store.path)}) as (url, _), \
            browser.chromium() as b:
        context, page = dense.returning_page(b, blocked)
        try:
            firstload._time_overview(page, url, 500)
            assert dense.zoom_clicks(page, url, 500)["reason"].startswith("no cluster layer")
            assert page.evaluate(STAND_IN_JS)
            result = dense.zoom_clicks(page, url, 500, clicks=2)
        finally:
            context.close()
    assert result["reason"] is None, result
    assert result["cluster_counts"] == [1234, 1234] and result["back_by"] == "全区 button"
    assert all(0 < s < dense.ZOOM_TIMEOUT_MS / 1000 for s in result["clicks_s"]) and result["median_s"] > 0
    assert not blocked
