"""Shared fixtures: a fresh store built from the bundled data, per test, without touching var/."""
from __future__ import annotations

import itertools
import os
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


# PostgreSQL/PostGIS: one throw-away server per test session (tools/pgserver.py), a database built from the bundled
# data once, and a copy of it (CREATE DATABASE … TEMPLATE) for every test that asks for the PostGIS engine.
@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    from tools import pgserver

    problem = pgserver.missing()
    if problem:
        if os.environ.get("CI"):  # under CI a missing server is a failure, never a silent skip
            pytest.fail(f"PostGIS tests cannot run under CI: {problem}", pytrace=False)
        pytest.skip(f"PostGIS tests skipped: {problem}")
    server = pgserver.start(tmp_path_factory.mktemp("postgres"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgis_template(postgres_server) -> str:
    """A database holding the bundled data (made by `init`), the template of each test's database."""
    from loaders.store import postgis

    name = postgres_server.create_database("xz_seeded")
    url = postgres_server.url(name)
    initialise(url, config.geodata_dir())
    postgis.dispose(url)  # a template may have no open connections
    return name


_databases = itertools.count()


@pytest.fixture
def postgis_url(postgres_server, postgis_template, monkeypatch):
    """A fresh PostGIS database with the bundled data, for this test only; XZMAP_STORE points at it."""
    from loaders.store import postgis

    name = postgres_server.create_database(f"test_{next(_databases)}", template=postgis_template)
    url = postgres_server.url(name)
    monkeypatch.setenv("XZMAP_STORE", url)
    yield url
    postgis.dispose(url)
    postgres_server.drop_database(name)


@pytest.fixture(params=["gpkg", "postgis"])
def any_store(request, store_template, tmp_path, monkeypatch):
    """A fresh store built from the bundled data, once per engine (the contract suite and the tests that must hold
    for both engines use it); XZMAP_STORE points at it."""
    from loaders.store import open_store

    if request.param == "postgis":
        return open_store(request.getfixturevalue("postgis_url"))
    path = tmp_path / "xiangzhou.gpkg"
    shutil.copy(store_template, path)
    monkeypatch.setenv("XZMAP_STORE", str(path))
    return open_store(str(path))
