"""users / backup / restore / revert as a user runs them: a real process, XZMAP_STORE, exit codes 0/1/2."""
import json
import os
import subprocess
import sys

import dbfile
import pytest

from loaders import auth
from loaders.auth import User
from loaders.editing import Editor
from loaders.store import Filter

PASSWORD = "xiangzhou-2024"


def run(*args, store, stdin=None):
    env = {**os.environ, "XZMAP_STORE": str(store)}
    return subprocess.run([sys.executable, "-m", "loaders", *args], input=stdin, check=False, capture_output=True, text=True,
                          env=env, timeout=120)


def add(store, name, *options, password=PASSWORD):
    return run("users", "add", name, *options, "--password-stdin", store=store, stdin=password + "\n")


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch):
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)


def test_hint_until_the_first_admin_exists(store_path):
    first = run("users", "hint", store=store_path)
    assert first.returncode == 0 and "users add" in first.stdout and "--role admin" in first.stdout
    assert add(store_path, "管理员甲", "--role", "admin").returncode == 0
    second = run("users", "hint", store=store_path)
    assert second.returncode == 0 and second.stdout == ""


def test_add_and_list_users(store, store_path):
    result = add(store_path, "管理员甲", "--role", "admin")
    assert result.returncode == 0, result.stderr
    assert "已添加用户「管理员甲」（管理员）" in result.stdout
    result = add(store_path, "小王", "--role", "editor", "--unit", "黄集镇", "--unit", "420607001000")
    assert result.returncode == 0 and "黄集镇、张湾街道" in result.stdout
    assert auth.authenticate(store, "小王", PASSWORD) == User("小王", "editor", ("420607102000", "420607001000"))
    listing = run("users", "list", store=store_path)
    assert listing.returncode == 0
    lines = listing.stdout.splitlines()
    assert lines[0].split("\t") == ["用户名", "角色", "可编辑乡镇", "已停用", "锁定至", "最近登录"]
    assert lines[2].split("\t")[:4] == ["小王", "编辑", "黄集镇、张湾街道", "否"]
    assert lines[2].split("\t")[5] != "-"  # signed in just now
    records = json.loads(run("users", "list", "--json", store=store_path).stdout)
    assert [r["name"] for r in records] == ["管理员甲", "小王"] and "password_hash" not in records[0]


@pytest.mark.parametrize("options, password, expected", [
    (("--role", "admin"), "short", "至少需要 8 个字符"),
    (("--role", "editor", "--unit", "火星镇"), PASSWORD, "没有名为「火星镇」的乡镇（街道）"),
    (("--role", "editor"), PASSWORD, "至少要指定一个乡镇"),
    (("--role", "viewer", "--unit", "黄集镇"), PASSWORD, "不需要指定乡镇"),
])
def test_refused_adds_exit_1_with_a_chinese_message_and_add_nothing(store, store_path, options, password, expected):
    result = add(store_path, "小李", *options, password=password)
    assert result.returncode == 1 and expected in result.stderr and result.stderr.startswith("错误：")
    assert auth.get_user(store, "小李") is None


def test_duplicate_add_exits_1(store_path):
    assert add(store_path, "小李", "--role", "viewer").returncode == 0
    result = add(store_path, "小李", "--role", "viewer")
    assert result.returncode == 1 and "已存在" in result.stderr


@pytest.mark.parametrize("args", [
    ("users",), ("users", "add"), ("users", "add", "小李"), ("users", "add", "小李", "--role", "root"),
    ("users", "frobnicate"), ("revert", "abc", "--user", "x"), ("revert", "3"), ("restore",),
])
def test_bad_usage_exits_2(store_path, args):
    assert run(*args, store=store_path).returncode == 2


def test_disable_enable_and_passwd(store, store_path):
    add(store_path, "管理员甲", "--role", "admin")
    add(store_path, "小王", "--role", "viewer")
    result = run("users", "disable", "小王", store=store_path)
    assert result.returncode == 0 and "已停用" in result.stdout
    with pytest.raises(auth.DisabledError):
        auth.authenticate(store, "小王", PASSWORD)
    assert run("users", "list", store=store_path).stdout.splitlines()[2].split("\t")[3] == "是"
    assert run("users", "enable", "小王", store=store_path).returncode == 0
    result = run("users", "passwd", "小王", "--password-stdin", store=store_path, stdin="another-pass-1\n")
    assert result.returncode == 0, result.stderr
    assert auth.authenticate(store, "小王", "another-pass-1").name == "小王"
    short = run("users", "passwd", "小王", "--password-stdin", store=store_path, stdin="abc\n")
    assert short.returncode == 1 and "至少需要 8 个字符" in short.stderr
    for command in ("disable", "enable", "passwd"):
        result = run("users", command, "无名", "--password-stdin", store=store_path, stdin=PASSWORD + "\n") \
            if command == "passwd" else run("users", command, "无名", store=store_path)
        assert result.returncode == 1 and "没有用户「无名」" in result.stderr
    last_admin = run("users", "disable", "管理员甲", store=store_path)
    assert last_admin.returncode == 1 and "唯一" in last_admin.stderr


def test_backup_and_restore(store, store_path, tmp_path):
    out = tmp_path / "snap.gpkg"
    result = run("backup", "--out", str(out), store=store_path)
    assert result.returncode == 0 and out.exists() and str(out) in result.stdout
    assert run("backup", "--out", str(out), store=store_path).returncode == 1  # never overwrites
    default = run("backup", store=store_path)
    assert default.returncode == 0 and ".bak.gpkg" in default.stdout

    point_id = store.points()["id"].iloc[0]
    store.update_point(point_id, {"name": "恢复前"}, 1, "小王")
    bad = tmp_path / "points.csv"
    bad.write_text("名称,经度,纬度\n", encoding="utf-8")
    before = store_path.read_bytes()
    refused = run("restore", str(bad), store=store_path)
    assert refused.returncode == 1 and "不是 GeoPackage/SQLite 文件" in refused.stderr and "未做任何改动" in refused.stderr
    assert store_path.read_bytes() == before
    restored = run("restore", str(out), store=store_path)
    assert restored.returncode == 0, restored.stderr
    assert "已先把原数据文件备份到" in restored.stdout and store.point(point_id)["name"] != "恢复前"


def test_revert_from_the_command_line(store, store_path):
    add(store_path, "管理员甲", "--role", "admin")
    add(store_path, "小王", "--role", "editor", "--unit", "张湾")
    point = store.point(store.points(Filter(unit_codes=("420607001000",)))["id"].iloc[0])
    Editor(store, User("小王", "editor", ("420607001000",))).update(point["id"], {"description": "改错了"}, 1)
    change = str(int(store.history(point["id"], limit=1)["fid"].iloc[0]))
    by_editor = run("revert", change, "--user", "小王", store=store_path)
    assert by_editor.returncode == 1 and "只有管理员可以撤销" in by_editor.stderr
    assert run("revert", change, "--user", "无名", store=store_path).returncode == 1
    assert run("revert", "999999", "--user", "管理员甲", store=store_path).returncode == 1
    result = run("revert", change, "--user", "管理员甲", store=store_path)
    assert result.returncode == 0, result.stderr
    assert store.point(point["id"])["description"] == point["description"]
    again = run("revert", change, "--user", "管理员甲", store=store_path)
    assert again.returncode == 1 and "此后又被修改过" in again.stderr
    with dbfile.connect(store_path) as c:
        assert c.execute("SELECT action, user FROM audit ORDER BY fid DESC LIMIT 1").fetchone() == ("revert", "管理员甲")


def test_cli_is_wired_into_loaders_main(store_path):
    """`python -m loaders users hint` tells a newcomer how to create the first admin."""
    env = {**os.environ, "XZMAP_STORE": str(store_path)}
    result = subprocess.run([sys.executable, "-m", "loaders", "users", "hint"], check=False, capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0 and "users add" in result.stdout
