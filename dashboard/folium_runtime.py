"""How every folium map in this process is rendered: from local files, and without ever parsing data as a template.

Two process-wide adjustments to folium/branca, made once by `prepare()` before any map is built:

* **Local assets.** folium links Leaflet, jQuery, Bootstrap, Font Awesome and its plugins from public CDNs; with no
  network the map is simply blank. `use_local_assets()` repoints them to the files `dashboard.assets` installs,
  served by Streamlit at ``/app/static/...``.
* **Rendered text is final.** branca turns the output of every element's ``header``/``html``/``script`` macro --
  which holds the element's *data*: point names, area names, tooltips -- into ``Element(text)``, and ``Element``
  compiles its argument as a Jinja template. A point name containing ``{{`` or ``{%`` then raised
  TemplateSyntaxError and took every map page down, and ``{{ 7*7 }}`` would have printed 49. `render_literally()`
  makes that output a `Literal`, which renders as the text it is. Only the classes' own templates (code) are ever
  compiled; no data reaches a template engine, whatever characters it holds.
"""
from __future__ import annotations

import logging

from branca.element import Div, Element, Figure, MacroElement

from .assets import OWN_FILES, check, is_local_url, static_url, vendor_url

_LOGGER = logging.getLogger(__name__)


def prepare() -> None:
    """Both adjustments (idempotent); call before building any folium map."""
    render_literally()
    use_local_assets()


# --------------------------------------------------------------------------
# Rendered text is final
# --------------------------------------------------------------------------
class Literal(Element):
    """Text that is already rendered: its render() returns it unchanged; it is never compiled as a template."""

    def __init__(self, text: str):
        super().__init__()
        self._name = "Literal"
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


def _add_macro_output(element: MacroElement, figure: Figure, kwargs: dict) -> None:
    for part in ("header", "html", "script"):
        macro = element._template.module.__dict__.get(part)
        if macro is not None:
            getattr(figure, part).add_child(Literal(macro(element, kwargs)), name=element.get_name())


def _render_macro_element(self, **kwargs):
    """branca's MacroElement.render, with the macros' output kept as literal text."""
    figure = self.get_root()
    assert isinstance(figure, Figure), "You cannot render this Element if it is not in a Figure."
    _add_macro_output(self, figure, kwargs)
    for element in self._children.values():
        element.render(**kwargs)


def _render_div(self, **kwargs):
    """branca's Div.render (children first, then the div's own macros), with literal output."""
    figure = self._parent
    assert isinstance(figure, Figure), "You cannot render this Element if it is not in a Figure."
    for element in self._children.values():
        element.render(**kwargs)
    for name, element in self.header._children.items():
        figure.header.add_child(element, name=name)
    for name, element in self.script._children.items():
        figure.script.add_child(element, name=name)
    _add_macro_output(self, figure, kwargs)


def render_literally() -> None:
    """Install the literal rendering (idempotent). folium's own classes inherit these two render methods."""
    MacroElement.render = _render_macro_element
    Div.render = _render_div


# --------------------------------------------------------------------------
# How folium's link names map to local files.  A folium link whose name is
# neither here nor in _DROPPED makes use_local_assets() raise: a folium
# upgrade that adds a CDN link must fail loudly, not blank the map offline.
# --------------------------------------------------------------------------
#: folium link name -> our replacement (a VendorFile name or an OWN_FILES key)
_FOLIUM_REPLACEMENTS: dict[str, str] = {
    "leaflet": "leaflet",
    "jquery": "jquery",
    "bootstrap": "bootstrap",
    "awesome_markers": "awesome_markers",
    "leaflet_css": "leaflet_css",
    "bootstrap_css": "bootstrap_css",
    "awesome_markers_font_css": "awesome_markers_font_css",
    "awesome_markers_css": "awesome_markers_css",
    "awesome_rotate_css": "map_css",
    "markerclusterjs": "markerclusterjs",
    "markerclustercss": "markerclustercss",
    "markerclusterdefaultcss": "markerclusterdefaultcss",
}
#: folium links we drop.  Bootstrap 3 glyphicons are only used by
#: folium.Icon(prefix="glyphicon") -- folium's default! -- so always pass
#: prefix="fa" (Font Awesome 6 names) to folium.Icon.
_DROPPED = {"glyphicons_css"}
#: Local links inserted right after another link (JS load order matters).
_INSERT_AFTER = {"leaflet": ("map_setup", "map-setup.js")}


def _local_url(replacement: str) -> str:
    if replacement in OWN_FILES:
        return static_url(OWN_FILES[replacement])
    return vendor_url(replacement)


def localize_links(links: list[tuple[str, str]], owner: str = "folium") -> list[tuple[str, str]]:
    """Return ``links`` (folium ``default_js``/``default_css``) pointing at local files.

    Idempotent: links that are already local are kept as they are.
    """
    out: list[tuple[str, str]] = []
    for name, url in links:
        if name in _DROPPED:
            continue
        if name in _FOLIUM_REPLACEMENTS:
            out.append((name, _local_url(_FOLIUM_REPLACEMENTS[name])))
        elif is_local_url(url):
            out.append((name, url))
        else:
            raise RuntimeError(
                f"{owner} links {name!r} from {url!r}, which has no local copy. "
                "Add it to dashboard/assets.py (VENDOR_FILES and _FOLIUM_REPLACEMENTS) "
                "and package.json, or the map will not work offline."
            )
        if name in _INSERT_AFTER:
            extra_name, extra_file = _INSERT_AFTER[name]
            if not any(n == extra_name for n, _ in links):
                out.append((extra_name, static_url(extra_file)))
    # de-duplicate by name, keeping the first occurrence (idempotency)
    seen: set[str] = set()
    return [(n, u) for n, u in out if not (n in seen or seen.add(n))]


def _plugin_classes() -> list[type]:
    """folium plugin classes whose links we serve locally."""
    from folium.plugins import FastMarkerCluster, MarkerCluster

    return [MarkerCluster, FastMarkerCluster]


_files_checked = False


def use_local_assets(warn_if_missing: bool = True) -> None:
    """Point folium and the plugins we use at ``/app/static/...`` (idempotent).

    Rewrites in place ``folium.folium._default_js``/``_default_css`` (which
    ``folium.Map.default_js``/``default_css`` share) and the class attributes
    of MarkerCluster/FastMarkerCluster.  Raises RuntimeError if folium links a
    CDN file we have no local copy of.  Logs a warning (first call only) if
    the vendored files have not been installed.
    """
    global _files_checked
    import folium
    import folium.folium as folium_module

    js = localize_links(list(folium_module._default_js), "folium.Map")
    css = localize_links(list(folium_module._default_css), "folium.Map")
    # Mutate the module lists in place so every existing reference sees the change.
    folium_module._default_js[:] = js
    folium_module._default_css[:] = css
    folium.Map.default_js = folium_module._default_js
    folium.Map.default_css = folium_module._default_css

    for cls in _plugin_classes():
        for attr in ("default_js", "default_css"):
            if attr in vars(cls):
                setattr(cls, attr, localize_links(list(vars(cls)[attr]), cls.__name__))

    if warn_if_missing and not _files_checked:
        _files_checked = True  # once per process, not on every rerun
        problems = check()
        if problems:
            _LOGGER.warning(
                "Map assets missing (%s); the map will be blank. Run `npm ci` and "
                "`python -m dashboard.assets install`.",
                problems[0],
            )


#: What this project's maps load: Leaflet, our set-up script and our styles (map.css stands in for folium's
#: awesome-rotate CSS). folium.Map's other defaults -- jQuery, Bootstrap, Font Awesome, awesome-markers, about 470 kB
#: that the map's frame fetched one script after the other before drawing -- serve only folium.Icon markers; our
#: maps draw points with points.js and labels and crosshairs with DivIcons.
LEAN_LINKS = {"leaflet", "map_setup", "leaflet_css", "awesome_rotate_css"}


def _uses_awesome_markers(element) -> bool:
    import folium

    if isinstance(element, folium.Icon):
        return True
    return any(_uses_awesome_markers(child) for child in getattr(element, "_children", {}).values())


def lean_assets(folium_map, *extra) -> None:
    """Let `folium_map` load only `LEAN_LINKS`, unless it (or an `extra` layer drawn on it) has a folium.Icon: then
    it loads folium's full set again. Instance attributes: other maps in the process are not affected."""
    import folium

    use_local_assets()
    if any(_uses_awesome_markers(e) for e in (folium_map, *extra)):
        folium_map.__dict__.pop("default_js", None)
        folium_map.__dict__.pop("default_css", None)
        return
    folium_map.default_js = [(n, u) for n, u in folium.Map.default_js if n in LEAN_LINKS]
    folium_map.default_css = [(n, u) for n, u in folium.Map.default_css if n in LEAN_LINKS]


def asset_urls() -> list[str]:
    """All JS and CSS URLs the map (and MarkerCluster) loads, after use_local_assets()."""
    import folium
    from folium.plugins import MarkerCluster

    use_local_assets(warn_if_missing=False)
    urls: list[str] = []
    for links in (
        folium.Map.default_js,
        MarkerCluster.default_js,
        folium.Map.default_css,
        MarkerCluster.default_css,
    ):
        urls.extend(u for _, u in links)
    return list(dict.fromkeys(urls))


def external_links(folium_map) -> list[str]:
    """Non-local JS/CSS URLs that streamlit-folium would load for ``folium_map``.

    Mirrors how streamlit_folium 0.27 collects ``js_links``/``css_links``
    (every element's ``default_js``/``default_css``, plus two d3 URLs it
    hard-codes whenever a branca ColorMap -- e.g. a ``folium.Choropleth``
    legend -- is on the map).  Offline, any such link blanks the whole map,
    so assert this is empty in tests.
    """
    import branca.colormap
    import folium.elements

    found: list[str] = []

    def walk(element):
        if isinstance(element, branca.colormap.ColorMap):
            found.append("d3 (streamlit-folium adds it for every branca ColorMap)")
        if isinstance(element, folium.elements.JSCSSMixin):
            found.extend(u for _, u in element.default_js + element.default_css)
        for child in getattr(element, "_children", {}).values():
            walk(child)

    walk(folium_map)
    return [u for u in dict.fromkeys(found) if not is_local_url(u)]


