"""大屏 meeting screen: a dark 1920×1080 view that keeps itself current, with nobody touching it.

Storyboard (`page.render`): hide Streamlit's chrome, draw the title and a browser-side clock once, then a fragment
that re-runs every few seconds (never the whole page) and draws the KPI row, the stage chart, the map, the tour card,
the 最新动态 feed and the footer from one snapshot of the store.

* Presets come from the URL in the filter language of every page (`loaders.filters.Filter`): ``unit=黄集,古驿``
  ``kind=issue,well`` and also ``stage=``, ``status=``, ``q=``, ``from=``/``to=``; plus the screen's own
  ``refresh=30`` (seconds) and ``tour=20`` (seconds; ``tour=off`` or ``0`` starts with the tour switched off).
  Values that cannot be understood fall back to defaults (`presets`).
* The data is re-read every ``refresh`` seconds; the tour moves every ``tour`` seconds. The fragment ticks at the
  greatest common divisor of the two and each run checks, by the clock, what is due (`snapshot`, `tour`).
* The map is the shared base map (``mapview.build_base_map``) recoloured dark (`darkmap`), so its script is the same
  on every run and streamlit-folium never remounts it; points and the toured unit's outline travel in
  ``feature_group_to_add``, the view in ``center``/``zoom``.
* If the store cannot be read, the last good snapshot (``st.session_state``) stays on screen with the time it was
  read and a small warning marker. Nothing here raises into the page.

Modules: `presets` (the URL), `snapshot` (one read of the store: figures and the feed), `tour` (which stop is due),
`darkmap` (the dark base map, its layers and view), `chart` (per-town stages), `markup` (the HTML pieces), `page`
(the storyboard).
"""
from .page import render

__all__ = ["render"]
