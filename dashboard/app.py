"""Entry point: `streamlit run dashboard/app.py`. The page list is data: later pages are one more entry.

How the pages are built -- one structure for every page:

* `dashboard/views/<page>.py` is only the entry point Streamlit runs for a URL: a docstring and one or two lines
  that call `render()` of its page module (with the page's kind, for the map pages). No logic lives there.
* `dashboard/components/<page>_page.py` -- or a package `<page>_page/` for a large page, such as the 大屏's -- holds
  the page's storyboard: `render()` reads top to bottom as what the page shows (sign-in gate, filters, data, then
  each section).
* Every other module in `dashboard/components/` is a part: either shared by pages (filters, KPI cards, map, detail
  panel, tables, exports, session) or one section of a page, named after it (`edit_map`, `admin_users`, …).
  Logic that needs a test lives in plain functions there or in `dashboard/` (`data`, `mapview`, `pointlayer`).

This file has two roles. Streamlit runs it for every page view (`__name__ == "__main__"`, also under AppTest): that is
`main()`. And `streamlit run dashboard/app.py` finds `app = st.App(...)` at the bottom, imports the file once as the
module `app` and serves that ASGI app: Streamlit plus the app's own routes (`dashboard/server.py`: the route that
sets the HttpOnly sign-in cookie, which a script run cannot).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run dashboard/app.py` puts only dashboard/ on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st

from dashboard import memory, pointdata, server
from dashboard.components import localise, notices, session
from dashboard.folium_runtime import prepare as prepare_maps
from loaders.store import StoreUnavailable

# Not "pages/": a pages/ folder beside the entry script switches Streamlit to its legacy multipage mode, which runs
# the file behind a URL like /issues without app.py (no wide layout, no st.navigation, a second menu).
PAGES_DIR = Path(__file__).resolve().parent / "views"


@dataclass(frozen=True)
class PageSpec:
    file: str  # under dashboard/views/
    title: str
    icon: str
    url_path: str
    section: str = "地图"
    default: bool = False
    hidden: bool = False  # reachable by its URL, not listed in the menu (e.g. the 大屏 meeting screen)


PAGES: list[PageSpec] = [
    PageSpec("overview.py", "总览", ":material/map:", "overview", default=True),
    PageSpec("demo_sites.py", "示范点", ":material/star:", "demo_sites"),
    PageSpec("wells.py", "水井", ":material/water_drop:", "wells"),
    PageSpec("bridges.py", "桥梁", ":material/foundation:", "bridges"),
    PageSpec("issues.py", "问题点", ":material/forum:", "issues"),
    PageSpec("progress.py", "进展", ":material/timeline:", "progress"),
    PageSpec("activities.py", "协商活动", ":material/groups:", "activities", section="协商工作"),
    PageSpec("members.py", "委员履职", ":material/badge:", "members", section="协商工作"),
    PageSpec("screen.py", "大屏", ":material/tv:", "screen", hidden=True),
    PageSpec("edit.py", "数据维护", ":material/edit_location_alt:", "edit", section="数据管理"),
    PageSpec("import_data.py", "导入", ":material/upload_file:", "import", section="数据管理"),
    PageSpec("admin.py", "用户管理", ":material/admin_panel_settings:", "admin", section="数据管理"),
]


CHROMELESS = {spec.url_path for spec in PAGES if spec.hidden}


def navigation(pages: list[PageSpec] = PAGES):
    sections: dict[str, list] = {}
    for spec in pages:
        sections.setdefault(spec.section, []).append(
            st.Page(PAGES_DIR / spec.file, title=spec.title, icon=spec.icon, url_path=spec.url_path,
                    default=spec.default, visibility="hidden" if spec.hidden else "visible"))
    return st.navigation(sections if len(sections) > 1 else next(iter(sections.values())))


@st.cache_resource(show_spinner=False)
def favicon():
    """Drawn here: a material-icon favicon would be fetched from fonts.gstatic.com, which offline rooms lack."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((2, 2, 62, 62), radius=14, fill=(192, 39, 45))
    draw.polygon([(32, 12), (38, 27), (54, 27), (41, 37), (46, 53), (32, 43), (18, 53), (23, 37), (10, 27), (26, 27)],
                 fill=(255, 214, 0))
    return image


def main() -> None:
    st.set_page_config(page_title="襄州一线协商地图", page_icon=favicon(), layout="wide",
                       initial_sidebar_state="auto")  # collapsed on a phone
    prepare_maps()
    page = navigation()
    try:
        session.cookie_bridge()
        session.gate_viewing()
        session.account_box()
        if page.url_path not in CHROMELESS:  # the 大屏 shows no Streamlit widget that speaks English
            with st.sidebar:
                localise.streamlit_words()
        page.run()
    except StoreUnavailable as problem:  # missing, damaged, read-only or locked: say so calmly, never a traceback
        notices.store_unavailable(problem)
    finally:  # also after st.rerun()/st.stop()
        memory.collect_now_and_then()


if __name__ == "__main__":  # a page view
    main()
else:  # `streamlit run dashboard/app.py` imports this file as the module `app` and serves this
    app = st.App(__file__, routes=[*server.routes(), pointdata.route()])
