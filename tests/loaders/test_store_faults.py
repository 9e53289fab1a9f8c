"""A store that is missing, empty, damaged, incomplete or read-only (issue 9, item 6): reading never creates a file,
every command and the sign-in say in Chinese what is wrong and what the admin should run, and nothing is changed."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import dbfile
import pytest
from streamlit.testing.v1 import AppTest

from loaders import auth, cli, config
from loaders.store import GeoPackageStore, StoreUnavailable, open_store

REPO = Path(__file__).resolve().parents[2]


def test_reading_a_missing_store_never_creates_it(tmp_path):
    path = tmp_path / "xiangzhou.gpkg"
    with pytest.raises(StoreUnavailable, match="数据文件不存在.*python -m loaders init"):
        open_store(path)
    assert not path.exists()


def test_a_store_deleted_under_a_running_page_is_not_recreated(store, store_path):
    store_path.unlink()
    for read in (store.data_version, store.points, store.units, lambda: auth.user_for_session(store, "token")):
        with pytest.raises(StoreUnavailable, match="数据文件不存在"):
            read()
    assert not store_path.exists()


@pytest.mark.parametrize("content,detail", [(b"", "0 字节"), (b"garbage " * 64, "不是 SQLite")])
def test_init_does_not_mistake_a_broken_file_for_the_store(tmp_path, monkeypatch, capsys, content, detail):
    path = tmp_path / "xiangzhou.gpkg"
    path.write_bytes(content)
    monkeypatch.setenv("XZMAP_STORE", str(path))
    assert cli.main(["init"]) == 1
    err = capsys.readouterr().err
    assert detail in err and "--force" in err and "Traceback" not in err
    assert path.read_bytes() == content  # untouched
    assert cli.main(["info"]) == 1
    assert "python -m loaders" in capsys.readouterr().err
    assert cli.main(["init", "--force"]) == 0
    backups = list(tmp_path.glob("xiangzhou.*.bak.gpkg"))
    assert len(backups) == 1 and backups[0].read_bytes() == content  # kept byte for byte
    assert len(open_store(path).points()) == 113


def test_info_export_and_import_on_a_store_without_its_points_table(store_path, tmp_path, capsys):
    with dbfile.connect(store_path) as connection:
        connection.execute("DROP TABLE points")
    before = store_path.read_bytes()
    assert cli.main(["info"]) == 1
    assert cli.main(["export", "--format", "csv", "--out", str(tmp_path / "x.csv")]) == 1
    err = capsys.readouterr().err
    assert "不完整" in err and "restore" in err and "Traceback" not in err
    assert store_path.read_bytes() == before


def test_init_refuses_a_store_missing_its_tables(store_path, capsys):
    with dbfile.connect(store_path) as connection:
        connection.execute("DROP TABLE audit")
    assert cli.main(["init"]) == 1
    assert "缺少数据表 audit" in capsys.readouterr().err


@pytest.fixture
def read_only_store(store_path):
    """The store made immutable with `chattr +i` (root writes to a 0o444 file anyway, so permissions cannot show
    this); rollback-journal mode first, so that reading needs no -wal/-shm file."""
    auth.add_user(GeoPackageStore(store_path), "admin", "password-123", "admin")
    with dbfile.connect(store_path) as connection:
        connection.execute("PRAGMA journal_mode = DELETE")
    if os.geteuid() != 0:  # an ordinary user cannot write a 0o444 file
        store_path.chmod(0o444)
        yield store_path
        store_path.chmod(0o644)
        return
    done = subprocess.run(["chattr", "+i", str(store_path)], check=False, capture_output=True, text=True)
    assert done.returncode == 0, f"chattr +i failed: {done.stderr}"
    yield store_path
    subprocess.run(["chattr", "-i", str(store_path)], check=True)


def test_a_read_only_store_is_read_and_a_sign_in_is_refused_calmly(read_only_store):
    before = read_only_store.read_bytes()
    store = open_store(read_only_store)
    assert len(store.points()) == 113
    with pytest.raises(StoreUnavailable) as caught:
        auth.authenticate(store, "admin", "password-123")
    assert "只读" in str(caught.value) and "权限" in str(caught.value)
    at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=60)
    at.run()
    at.sidebar.text_input(key="sidebar_sign_in_name").set_value("admin")
    at.sidebar.text_input(key="sidebar_sign_in_password").set_value("password-123")
    at.sidebar.button[0].click()
    at.run()
    assert not at.exception
    assert any("只读" in w.value for w in at.sidebar.warning)
    assert read_only_store.read_bytes() == before


def test_config_store_path_is_where_pages_read(store_path):
    assert config.store_location() == str(store_path)
