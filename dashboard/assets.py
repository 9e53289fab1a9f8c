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
* gives the URLs under which Streamlit serves them, ``/app/static/...``
  (``server.enableStaticServing = true``; the ``static/`` folder must sit
  beside the main script, i.e. ``dashboard/static/`` for ``dashboard/app.py``).

This is the set-up step (run by ``make setup``). Pointing folium at these files
at run time is ``dashboard.folium_runtime``.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

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
_GESTURES = "leaflet-gesture-handling"
_SUPERCLUSTER = "supercluster"

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
    # Leaflet.GestureHandling 1.2.2: on touch screens one finger scrolls the page, two move the map; on desktops
    # the wheel zooms only with Ctrl. Loaded by dashboard.mapview.GestureHandling (not by folium).
    VendorFile("gesture_handling", _GESTURES,
               "leaflet-gesture-handling/dist/leaflet-gesture-handling.min.js",
               "gesture-handling/leaflet-gesture-handling.min.js"),
    VendorFile("gesture_handling_map", _GESTURES,
               "leaflet-gesture-handling/dist/leaflet-gesture-handling.min.js.map",
               "gesture-handling/leaflet-gesture-handling.min.js.map"),
    VendorFile("gesture_handling_css", _GESTURES,
               "leaflet-gesture-handling/dist/leaflet-gesture-handling.min.css",
               "gesture-handling/leaflet-gesture-handling.min.css"),
    VendorFile("gesture_handling_license", _GESTURES,
               "leaflet-gesture-handling/LICENSE", "gesture-handling/LICENSE"),
    # supercluster 9.1.0 (its UMD build bundles kdbush 4): clusters of dense views, in static/points.js
    VendorFile("supercluster", _SUPERCLUSTER, "supercluster/dist/supercluster.min.js",
               "supercluster/supercluster.min.js"),
    VendorFile("supercluster_license", _SUPERCLUSTER, "supercluster/LICENSE", "supercluster/LICENSE"),
)

#: Our own files in dashboard/static/ (committed, not third-party).
OWN_FILES: dict[str, str] = {
    "map_setup": "map-setup.js",  # sets L.Icon.Default.imagePath; loaded right after leaflet
    "map_css": "map.css",  # replaces folium's leaflet.awesome.rotate.min.css
    "gestures": "gestures.js",  # turns Leaflet.GestureHandling on with Chinese hints; loaded after the plugin
}

_BY_NAME = {f.name: f for f in VENDOR_FILES}


def static_url(relative: str) -> str:
    """URL of a file under dashboard/static/."""
    return f"{STATIC_URL}/{relative.lstrip('/')}"


def vendor_url(name: str) -> str:
    """URL of a vendored file, by its VendorFile name."""
    return static_url(f"{VENDOR_SUBDIR}/{_BY_NAME[name].dest}")


def is_local_url(url: str) -> bool:
    """Whether `url` is one of the files Streamlit serves from dashboard/static/."""
    return url.startswith(STATIC_URL + "/")


def static_path_for_url(url: str) -> Path:
    """File on disk that Streamlit serves for a ``/app/static/...`` URL."""
    if not is_local_url(url):
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
        from .folium_runtime import asset_urls

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
