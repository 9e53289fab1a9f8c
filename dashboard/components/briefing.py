"""「下载简报」: the briefing (loaders.briefing) of the page's filtered view as PDF or Word, made only when a button is
clicked and kept per store, data version, filter and day, so a second click (or another user's) is instant.

Usage on a page: `briefing.buttons(where, kind)` with the page's Filter and its kind (None on 总览)."""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import astuple

import streamlit as st

from loaders import briefing, clock, config
from loaders.briefing import fonts
from loaders.filters import Filter

from .. import data

LABELS = {"pdf": "简报 PDF", "docx": "简报 Word"}
# On a phone the buttons are a finger's size (44 px) on every page that has them, 进展 included; under the title they
# share one row, so the map still starts within the first screen.
PHONE_CSS = ("<style>@media (max-width: 640px) { "
             + ", ".join(f".st-key-xz_briefing_{fmt} button" for fmt in LABELS) + " { min-height: 44px; } "
             ".st-key-xz_title_row [data-testid=stHorizontalBlock] { flex-flow: row wrap !important; gap: 0.5rem; } "
             ".st-key-xz_title_row [data-testid=stColumn] { flex: 1 1 calc(50% - 0.25rem) !important; min-width: 0 !important; } "
             ".st-key-xz_title_row [data-testid=stColumn]:first-child { flex-basis: 100% !important; } }</style>")


@st.cache_data(show_spinner=False, max_entries=16)
def _briefing(path: str, data_version: int, key: tuple, kind: str | None, fmt: str, today: dt.date,
              _where: Filter) -> bytes:
    # `key` is the filter as a tuple (what the cache hashes); `_where` is the same filter, not hashed.
    return briefing.build(data.store(), _where, fmt, kind=kind, today=today)


def briefing_data(where: Filter, kind: str | None, fmt: str) -> bytes:
    """Runs only when a button is clicked."""
    return _briefing(str(config.store_location()), data.version(), astuple(where), kind, fmt, clock.today(), where)


@st.cache_resource(show_spinner=False, ttl=600)
def _fonts_problem() -> str | None:
    """The missing-font message, or None; looked up again every ten minutes (fonts installed meanwhile count)."""
    try:
        fonts.locate()
    except fonts.FontsMissing as missing:
        return str(missing)
    return None


def title_row(title: str, where: Filter, kind: str | None) -> None:
    """A page's heading with the two briefing buttons on its right: one click from any map page."""
    with st.container(key="xz_title_row"):
        heading, *cells = st.columns([4, 1, 1], vertical_alignment="center")
        heading.markdown(f"### {title}")
        buttons(where, kind, cells)


def buttons(where: Filter, kind: str | None, columns=None) -> None:
    problem = _fonts_problem()
    st.html(PHONE_CSS)
    columns = columns or st.columns(len(LABELS))
    for column, (fmt, label) in zip(columns, LABELS.items()):
        column.download_button(label, data=functools.partial(briefing_data, where, kind, fmt),
                               file_name=briefing.file_name(fmt, kind), mime=briefing.FORMATS[fmt][1],
                               on_click="ignore", disabled=problem is not None, width="stretch",
                               icon=":material/description:", key=f"xz_briefing_{fmt}",
                               help="当前筛选的简报：指标、分布图、分乡镇统计、逾期点位、按月进展、近期跟踪督办")
    if problem:
        st.caption(problem)
