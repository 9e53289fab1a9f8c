"""The 大屏's storyboard: the title and clock once, then a fragment that redraws everything that changes."""
from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitAPIException

from loaders.units import Units

from ... import data, memory
from . import chart, darkmap, markup, presets, snapshot, tour

_RUNS = "_xz_screen_runs"
_PRESETS = "_xz_screen_presets"


def _live(wanted: presets.Presets) -> None:
    """Everything that changes: runs every `wanted.tick` seconds as a fragment (the page itself never reruns)."""
    ss = st.session_state
    ss[_RUNS] = ss.get(_RUNS, 0) + 1
    memory.collect_now_and_then()  # fragment runs skip app.py, where the other pages collect
    shown, stale_since = snapshot.current_snapshot(wanted)
    if shown is None:
        st.markdown(markup.WAITING_HTML, unsafe_allow_html=True)
        return
    stops = tour.stops(shown)
    running = tour.running()
    stop = tour.stop(stops, wanted, running)

    st.markdown(markup.kpi_html(snapshot.kpis(shown)), unsafe_allow_html=True)
    left, centre, right = st.columns([1.02, 2.35, 1.02], gap="small")
    with left:
        st.markdown(markup.CHART_HEAD_HTML, unsafe_allow_html=True)
        highlight = shown.units.short(stop) if stop else None
        st.altair_chart(chart.stage_chart(chart.unit_stage_table(shown), highlight), theme=None, width="stretch")
    with centre:
        darkmap.show(shown, running)
    with right:
        st.markdown(markup.tour_html(shown, stop, stops, running), unsafe_allow_html=True)
        if tour.switch(running):  # draw the whole screen in its new state now, not at the next tick
            try:
                st.rerun(scope="fragment")
            except StreamlitAPIException:  # the switch changed in a full run (not a fragment run)
                st.rerun()
        st.markdown(markup.feed_html(shown), unsafe_allow_html=True)
        st.markdown(markup.overdue_html(shown), unsafe_allow_html=True)
    st.markdown(markup.footer_html(shown, stale_since, ss[_RUNS], tour.running()), unsafe_allow_html=True)


def _units() -> Units:
    """The units the URL's town names are read with: the store's, else the last snapshot's, else none yet."""
    try:
        return data.units()
    except Exception:  # noqa: BLE001 -- presets then use names only after the store comes back
        last = snapshot.last_snapshot()
        return last.units if last is not None else Units(())


def render() -> None:
    ss = st.session_state
    st.html(f"<style>{markup.page_css()}</style>")
    wanted = presets.from_query(st.query_params, _units())
    if ss.get(_PRESETS) != wanted:  # a new URL: its tour switch wins over the last one
        ss[_PRESETS] = wanted
        ss[tour.TOGGLE] = wanted.tour_on
    ss.setdefault(tour.TOGGLE, wanted.tour_on)

    title, clock = st.columns([4, 1], vertical_alignment="center")
    with title:
        st.markdown(markup.title_html(), unsafe_allow_html=True)
    with clock:
        st.iframe(markup.clock_html(), height=80)
    st.fragment(run_every=wanted.tick)(_live)(wanted)
