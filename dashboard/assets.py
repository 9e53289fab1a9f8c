"""Local (offline) front-end assets for the folium map.

folium loads Leaflet, jQuery, Bootstrap, Font Awesome and its plugins from
public CDNs; with no network the map is simply blank.  This module:

* describes, as data, which files of which npm packages (pinned in
  ``package.json`` / ``package-lock.json``, installed with ``npm ci``) are
  copied into ``dashboard/static/vendor/`` (git-ignored);
* ``python -m dashboard.assets install`` copies them from ``node_modules``;
  ``python -m dashboard.assets check`` verifies that they are all present
  and match the pinned versions; ``python -m dashboard.assets urls`` prints
  the URLs the map loads;
* ``use_local_assets()`` repoints folium (and the folium plugins we use) to
  those files, served by Streamlit at ``/app/static/...``
  (``server.enableStaticServing = true``; the ``static/`` folder must sit
  beside the main script, i.e. ``dashboard/static/`` for ``dashboard/app.py``).

Call ``use_local_assets()`` once, before building any ``folium.Map``.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

_LOGGER = logging.getLogger(__name__)

#: URL prefix under which Streamlit serves ``dashboard/static/``.
STATIC_URL = "/app/static"
#: Sub-folder of ``static/`` holding the copied third-party files.
VENDOR_SUBDIR = "vendor"

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = PROJECT_ROOT / "node_modules"
STATIC_DIR = Path(__file__).resolve().parent / "static"
VENDOR_DIR = STATIC_DIR / VENDOR_SUBDIR
#: Written by ``install``: package -> version actually copied.
STAMP_FILE = VENDOR_DIR / "installed.json"


@dataclass(frozen=True)
class VendorFile:
    """One file (or, with ``is_dir``, one whole folder) copied from npm."""

    name: str  # our identifier; for JS/CSS, the link name folium uses
    package: str  # npm package name (must be a dependency in package.json)
    source: str  # path relative to node_modules/
    dest: str  # path relative to dashboard/static/vendor/
    is_dir: bool = False


# --------------------------------------------------------------------------
# What is copied.  Sources are relative to node_modules/, destinations to
# dashboard/static/vendor/.  CSS files keep their relative neighbours
# (leaflet.css -> images/, all.min.css -> ../webfonts/,
# leaflet.awesome-markers.css -> images/).
# --------------------------------------------------------------------------
_LEAFLET = "leaflet"
_JQUERY = "jquery"
_BOOTSTRAP = "bootstrap"
_FONTAWESOME = "@fortawesome/fontawesome-free"
_AWESOME_MARKERS = "drmonty-leaflet-awesome-markers"
_MARKERCLUSTER = "leaflet.markercluster"

VENDOR_FILES: tuple[VendorFile, ...] = (
    # Leaflet 1.9.3 (the version folium 0.20 references)
    VendorFile("leaflet", _LEAFLET, "leaflet/dist/leaflet.js", "leaflet/leaflet.js"),
    VendorFile("leaflet_map", _LEAFLET, "leaflet/dist/leaflet.js.map", "leaflet/leaflet.js.map"),
    VendorFile("leaflet_css", _LEAFLET, "leaflet/dist/leaflet.css", "leaflet/leaflet.css"),
    VendorFile("leaflet_images", _LEAFLET, "leaflet/dist/images", "leaflet/images", is_dir=True),
    VendorFile("leaflet_license", _LEAFLET, "leaflet/LICENSE", "leaflet/LICENSE"),
    # jQuery 3.7.1
    VendorFile("jquery", _JQUERY, "jquery/dist/jquery.min.js", "jquery/jquery.min.js"),
    VendorFile("jquery_license", _JQUERY, "jquery/LICENSE.txt", "jquery/LICENSE.txt"),
    # Bootstrap 5.2.2 (the bundle includes Popper)
    VendorFile("bootstrap", _BOOTSTRAP, "bootstrap/dist/js/bootstrap.bundle.min.js",
               "bootstrap/js/bootstrap.bundle.min.js"),
    VendorFile("bootstrap_map", _BOOTSTRAP, "bootstrap/dist/js/bootstrap.bundle.min.js.map",
               "bootstrap/js/bootstrap.bundle.min.js.map"),
    VendorFile("bootstrap_css", _BOOTSTRAP, "bootstrap/dist/css/bootstrap.min.css",
               "bootstrap/css/bootstrap.min.css"),
    VendorFile("bootstrap_css_map", _BOOTSTRAP, "bootstrap/dist/css/bootstrap.min.css.map",
               "bootstrap/css/bootstrap.min.css.map"),
    VendorFile("bootstrap_license", _BOOTSTRAP, "bootstrap/LICENSE", "bootstrap/LICENSE"),
    # Font Awesome Free 6.2.0 (icons of folium.Icon(prefix="fa"))
    VendorFile("awesome_markers_font_css", _FONTAWESOME,
               "@fortawesome/fontawesome-free/css/all.min.css", "fontawesome/css/all.min.css"),
    VendorFile("fontawesome_webfonts", _FONTAWESOME,
               "@fortawesome/fontawesome-free/webfonts", "fontawesome/webfonts", is_dir=True),
    VendorFile("fontawesome_license", _FONTAWESOME,
               "@fortawesome/fontawesome-free/LICENSE.txt", "fontawesome/LICENSE.txt"),
    # Leaflet.awesome-markers 2.0.2 (same version as folium's CDN link)
    VendorFile("awesome_markers", _AWESOME_MARKERS,
               "drmonty-leaflet-awesome-markers/js/leaflet.awesome-markers.js",
               "awesome-markers/leaflet.awesome-markers.js"),
    VendorFile("awesome_markers_css", _AWESOME_MARKERS,
               "drmonty-leaflet-awesome-markers/css/leaflet.awesome-markers.css",
               "awesome-markers/leaflet.awesome-markers.css"),
    VendorFile("awesome_markers_images", _AWESOME_MARKERS,
               "drmonty-leaflet-awesome-markers/css/images", "awesome-markers/images",
               is_dir=True),
    # Leaflet.markercluster 1.5.3 (folium 0.20 still links 1.1.0)
    VendorFile("markerclusterjs", _MARKERCLUSTER,
               "leaflet.markercluster/dist/leaflet.markercluster.js",
               "markercluster/leaflet.markercluster.js"),
    VendorFile("markerclusterjs_map", _MARKERCLUSTER,
               "leaflet.markercluster/dist/leaflet.markercluster.js.map",
               "markercluster/leaflet.markercluster.js.map"),
    VendorFile("markerclustercss", _MARKERCLUSTER,
               "leaflet.markercluster/dist/MarkerCluster.css", "markercluster/MarkerCluster.css"),
    VendorFile("markerclusterdefaultcss", _MARKERCLUSTER,
               "leaflet.markercluster/dist/MarkerCluster.Default.css",
               "markercluster/MarkerCluster.Default.css"),
    VendorFile("markercluster_license", _MARKERCLUSTER,
               "leaflet.markercluster/MIT-LICENCE.txt", "markercluster/MIT-LICENCE.txt"),
)

#: Our own files in dashboard/static/ (committed, not third-party).
OWN_FILES: dict[str, str] = {
    "map_setup": "map-setup.js",  # sets L.Icon.Default.imagePath; loaded right after leaflet
    "map_css": "map.css",  # replaces folium's leaflet.awesome.rotate.min.css
}

# --------------------------------------------------------------------------
# How folium's link names map to local files.  A folium link whose name is
# neither here nor in _DROPPED makes use_local_assets() raise: a folium
# upgrade that adds a CDN link must fail loudly, not blank the map offline.
# --------------------------------------------------------------------------
_BY_NAME = {f.name: f for f in VENDOR_FILES}

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


def static_url(relative: str) -> str:
    """URL of a file under dashboard/static/."""
    return f"{STATIC_URL}/{relative.lstrip('/')}"


def vendor_url(name: str) -> str:
    """URL of a vendored file, by its VendorFile name."""
    return static_url(f"{VENDOR_SUBDIR}/{_BY_NAME[name].dest}")


def _local_url(replacement: str) -> str:
    if replacement in OWN_FILES:
        return static_url(OWN_FILES[replacement])
    return vendor_url(replacement)


def _is_local(url: str) -> bool:
    return url.startswith(STATIC_URL + "/")


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
        elif _is_local(url):
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
    return [u for u in dict.fromkeys(found) if not _is_local(u)]


def static_path_for_url(url: str) -> Path:
    """File on disk that Streamlit serves for a ``/app/static/...`` URL."""
    if not _is_local(url):
        raise ValueError(f"not a local static URL: {url}")
    return STATIC_DIR / url[len(STATIC_URL) + 1 :]


# --------------------------------------------------------------------------
# install / check
# --------------------------------------------------------------------------
def _pinned_versions() -> dict[str, str]:
    data = json.loads((PROJECT_ROOT / "package.json").read_text(encoding="utf-8"))
    return dict(data.get("dependencies", {}))


def _installed_version(package: str) -> str | None:
    pkg_json = NODE_MODULES / package / "package.json"
    if not pkg_json.is_file():
        return None
    return json.loads(pkg_json.read_text(encoding="utf-8")).get("version")


def install() -> list[str]:
    """Copy VENDOR_FILES from node_modules/ into static/vendor/. Returns problems."""
    if not NODE_MODULES.is_dir():
        return [f"{NODE_MODULES} does not exist: run `npm ci --no-audit --no-fund` first"]
    pinned = _pinned_versions()
    problems: list[str] = []
    for package in sorted({f.package for f in VENDOR_FILES}):
        have = _installed_version(package)
        want = pinned.get(package)
        if want is None:
            problems.append(f"{package} is not a dependency in package.json")
        elif have != want:
            problems.append(
                f"node_modules has {package} {have or '(missing)'}, package.json pins {want}: "
                "run `npm ci --no-audit --no-fund`"
            )
    for f in VENDOR_FILES:
        src = NODE_MODULES / f.source
        if not (src.is_dir() if f.is_dir else src.is_file()):
            problems.append(f"missing in node_modules: {f.source}")
    if problems:
        return problems

    if VENDOR_DIR.exists():
        shutil.rmtree(VENDOR_DIR)
    for f in VENDOR_FILES:
        src, dst = NODE_MODULES / f.source, VENDOR_DIR / f.dest
        dst.parent.mkdir(parents=True, exist_ok=True)
        if f.is_dir:
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)
    stamp = {p: _installed_version(p) for p in sorted({f.package for f in VENDOR_FILES})}
    STAMP_FILE.write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
    return []


def check() -> list[str]:
    """Problems with the installed assets (empty list: all present and current)."""
    problems: list[str] = []
    for f in VENDOR_FILES:
        dst = VENDOR_DIR / f.dest
        if f.is_dir:
            if not dst.is_dir() or not any(dst.iterdir()):
                problems.append(f"missing folder: {dst.relative_to(PROJECT_ROOT)}")
            elif (NODE_MODULES / f.source).is_dir():
                want = {p.name for p in (NODE_MODULES / f.source).iterdir()}
                have = {p.name for p in dst.iterdir()}
                if want - have:
                    problems.append(f"{dst.relative_to(PROJECT_ROOT)} lacks {sorted(want - have)}")
        elif not dst.is_file() or dst.stat().st_size == 0:
            problems.append(f"missing file: {dst.relative_to(PROJECT_ROOT)}")
    for rel in OWN_FILES.values():
        if not (STATIC_DIR / rel).is_file():
            problems.append(f"missing file: {(STATIC_DIR / rel).relative_to(PROJECT_ROOT)}")
    if not problems:
        try:
            stamp = json.loads(STAMP_FILE.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            problems.append(f"missing or unreadable {STAMP_FILE.relative_to(PROJECT_ROOT)}")
        else:
            for package, want in _pinned_versions().items():
                if package in stamp and stamp[package] != want:
                    problems.append(
                        f"static/vendor has {package} {stamp[package]}, package.json pins {want}"
                    )
    return problems


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    usage = "usage: python -m dashboard.assets {install|check|urls}"
    if len(argv) != 1 or argv[0] not in {"install", "check", "urls"}:
        print(usage, file=sys.stderr)
        return 2
    cmd = argv[0]
    if cmd == "urls":
        print("\n".join(asset_urls()))
        return 0
    problems = install() if cmd == "install" else []
    if not problems:
        problems = check()
    if problems:
        print(f"dashboard.assets {cmd}: FAILED", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    n_files = sum(1 for p in VENDOR_DIR.rglob("*") if p.is_file())
    print(f"dashboard.assets {cmd}: OK ({n_files} files in {VENDOR_DIR.relative_to(PROJECT_ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
