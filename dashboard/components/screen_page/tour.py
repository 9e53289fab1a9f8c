"""The tour: the 大屏 visits the towns one by one, then the whole district, and starts again. A small state machine in
the session: which stop is shown and when it was reached; every fragment run asks `stop()` which one is due."""
from __future__ import annotations

import time

import streamlit as st

from .presets import Presets
from .snapshot import Snapshot

WHOLE = ""  # the tour stop that shows the whole district
TOGGLE = "xz_screen_tour"  # whether the tour runs (session state; the 自动巡览 switch shows and changes it)
_STOP = "_xz_screen_stop"
_MOVED_AT = "_xz_screen_moved_at"


def running() -> bool:
    return bool(st.session_state.get(TOGGLE))


def switch(on: bool) -> bool:
    """The 自动巡览 switch, showing `on`; True when somebody just flipped it (the state is then already changed).

    The switch has no widget key and its default *is* the state: a key set from session state leaves the widget's
    default at False, and a browser that had not yet taken the state (a rerun requested by the map as it loads, on a
    cold server) sent that False back and stopped the tour. Without a key, flipping the value makes a new widget."""
    flipped = st.toggle("自动巡览", value=on) != on
    if flipped:
        st.session_state[TOGGLE] = not on
    return flipped


def stops(snapshot: Snapshot) -> list[str]:
    """Unit codes to visit in order, then the whole district."""
    return snapshot.towns() + [WHOLE]


def stop(order: list[str], presets: Presets, running: bool) -> str:
    """The stop to show now (of `stops()`); moves on when a tour interval has passed since the last move."""
    ss = st.session_state
    if _STOP not in ss or ss[_STOP] not in order:
        ss[_STOP] = WHOLE if WHOLE in order else order[0]
        ss[_MOVED_AT] = time.monotonic()
    if not running:
        ss[_MOVED_AT] = time.monotonic()
        return WHOLE
    if time.monotonic() - ss.get(_MOVED_AT, 0.0) >= presets.tour - presets.tick / 2:
        ss[_STOP] = order[(order.index(ss[_STOP]) + 1) % len(order)]
        ss[_MOVED_AT] = time.monotonic()
    return ss[_STOP]
