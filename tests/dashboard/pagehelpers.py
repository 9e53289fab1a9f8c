"""AppTest helpers: run a dashboard page and read the map's arguments."""
from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from loaders import auth
from loaders.units import Units

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PAGES = {None: "views/overview.py", "demo_site": "views/demo_sites.py", "well": "views/wells.py",
         "bridge": "views/bridges.py", "issue": "views/issues.py"}


PASSWORD = "password-123"


def open_signed_in(store, page: str, role: str | None = "admin", units=(), name: str = "staff") -> AppTest:
    """`page` after one run, signed in as a new user with `role` (None: not signed in)."""
    at = AppTest.from_file(APP, default_timeout=60)
    if role:
        user = auth.add_user(store, name, PASSWORD, role, units)
        at.session_state["auth_token"] = auth.start_session(store, user)
    at.run()  # st.navigation registers the pages; then a page with its own url_path can be chosen
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_page(page: str | None = None, query: dict | None = None, timeout: float = 60) -> AppTest:
    """The app after one run with `query` in its URL, then `page` (a views/ file) if given; no exception shown."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def units_of(store) -> Units:
    """The store's units (the one Units object)."""
    return store.units()


def map_args(at: AppTest) -> dict:
    components = at.get("component_instance")
    assert len(components) == 1, "expected exactly one map"
    return json.loads(components[0].proto.json_args)


def payloads(args: dict) -> list[dict]:
    """The compact point payloads (one per kind layer) inside the feature-group script."""
    script = args["feature_group"] or ""
    decoder = json.JSONDecoder()
    found, start = [], 0
    while (at := script.find("L.xzPoints(", start)) >= 0:
        value, end = decoder.raw_decode(script, at + len("L.xzPoints("))
        found.append(value)
        start = end
    return found


def points_sent(args: dict) -> int:
    return sum(len(p["c"]) for p in payloads(args))


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}
