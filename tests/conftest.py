"""Shared fixtures: a fresh store built from the bundled data, per test, without touching var/."""
from __future__ import annotations

import shutil
from pathlib import Path

import hostile
import pytest

from loaders import config
from loaders.store import GeoPackageStore, initialise

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def store_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "xiangzhou.gpkg"
    initialise(path, config.geodata_dir())
    return path


@pytest.fixture
def store_path(store_template, tmp_path, monkeypatch) -> Path:
    path = tmp_path / "xiangzhou.gpkg"
    shutil.copy(store_template, path)
    monkeypatch.setenv("XZMAP_STORE", str(path))
    return path


@pytest.fixture
def store(store_path) -> GeoPackageStore:
    return GeoPackageStore(store_path)


@pytest.fixture(scope="session")
def hostile_template(store_template, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "xiangzhou.gpkg"
    shutil.copy(store_template, path)
    hostile.make_store(path)
    return path


@pytest.fixture
def hostile_store_path(hostile_template, tmp_path, monkeypatch) -> Path:
    """A per-test store whose every point, follow-up and user name comes from the hostile corpus."""
    path = tmp_path / "xiangzhou.gpkg"
    shutil.copy(hostile_template, path)
    monkeypatch.setenv("XZMAP_STORE", str(path))
    return path


@pytest.fixture(params=["gpkg"])
def any_store(request, store_template, tmp_path, monkeypatch):
    """A fresh store built from the bundled data, once per engine (the contract suite and the tests that must hold
    for both engines use it); XZMAP_STORE points at it."""
    from loaders.store import open_store

    path = tmp_path / "xiangzhou.gpkg"
    shutil.copy(store_template, path)
    location = str(path)
    monkeypatch.setenv("XZMAP_STORE", location)
    return open_store(location)
