"""大屏 meeting screen: a dark 1920×1080 view that keeps itself current, with nobody touching it.

Storyboard (`page.render`): hide Streamlit's chrome, draw the title and a browser-side clock once, then a fragment
that re-runs every few seconds (never the whole page) and draws the KPI row, the stage chart, the map, the tour card,
the 最新动态 feed, the 逾期事项 list and the footer from one snapshot of the store.

* Presets come from the URL in the filter language of every page (`loaders.filters.Filter`): ``unit=黄集,古驿``
  ``kind=issue,well`` and also ``stage=``, ``status=``, ``q=``, ``from=``/``to=``; plus the screen's own
  ``refresh=30`` (seconds) and ``tour=20`` (seconds; ``tour=off`` or ``0`` starts with the tour switched off).
  Values that cannot be understood fall back to defaults (`presets`).
* The data is re-read every ``refresh`` seconds; the tour moves every ``tour`` seconds. The fragment ticks at the
  greatest common divisor of the two and each run checks, by the clock, what is due (`snapshot`, `tour`).
* The map is the shared base map (``mapview.build_base_map``) recoloured dark (`darkmap`), so its script is the same
  on every run and streamlit-folium never remounts it; the points and, once per data version, every tour stop's
  view, outline and enlarged points travel in ``feature_group_to_add``. The map follows the tour card in the page
  (``static/screen-map.js``), so card and map change in the same frame, and it jumps rather than zooms (an animated
  zoom scales the points' canvas: they balloon).
* Everything meant to be read is at least 24 px at 1920×1080 (read from 5 m); the clock shows Beijing time like the
  rest of the page, whatever the browser's time zone; 逾期 and this month's figures come from
  ``loaders.progress.report`` (``data.progress``), overdue points are ringed on the map.
* If the store cannot be read, the last good snapshot (``st.session_state``) stays on screen with the time it was
  read and a small warning marker. Nothing here raises into the page.

Modules: `presets` (the URL), `snapshot` (one read of the store: figures, the feed, the progress report), `tour`
(which stop is due, the 自动巡览 switch), `darkmap` (the dark base map, its layers and the tour stops' views), `chart`
(per-town stages), `markup` (the HTML pieces), `page` (the storyboard).
"""
from .page import render

__all__ = ["render"]
