"""Fixture: run a dashboard page with AppTest against a per-test copy of the store."""
from __future__ import annotations

import pytest
from pagehelpers import APP, PAGES
from streamlit.testing.v1 import AppTest

from loaders import auth


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch):
    """Sign-ins in page tests need not cost real bcrypt rounds."""
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)


@pytest.fixture
def run_page(store_path):
    """run_page(kind=None, query={}) -> AppTest after one run of that page."""

    def run(kind: str | None = None, query: dict | None = None, at: AppTest | None = None) -> AppTest:
        at = at or AppTest.from_file(APP, default_timeout=60)
        for key, value in (query or {}).items():
            at.query_params[key] = value
        if kind is not None:
            at.switch_page(PAGES[kind])
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return run
