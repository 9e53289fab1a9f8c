"""Users, passwords, sign-in, lockout and sessions: every bad input, with an injected clock (nothing sleeps)."""
import datetime as dt

import dbfile
import pyogrio
import pytest

from loaders import auth
from loaders.auth import AuthError, DisabledError, LockedError, User, WrongCredentialsError
from loaders.clock import TZ

ZHANGWAN = "420607001000"
HUANGJI = "420607102000"
T0 = dt.datetime(2024, 5, 1, 9, 0, tzinfo=TZ)
PASSWORD = "xiangzhou-2024"


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch):
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)
    monkeypatch.setattr(auth, "_dummy_hash", None)


@pytest.fixture
def admin(store):
    return auth.add_user(store, "管理员甲", PASSWORD, "admin")


@pytest.fixture
def editor(store):
    return auth.add_user(store, "小王", PASSWORD, "editor", ["张湾街道"])


def minutes(n):
    return T0 + dt.timedelta(minutes=n)


# Users table ------------------------------------------------------------------------------------------------
def test_users_tables_are_added_to_an_old_store_and_registered_as_attributes(store_path, store):
    with dbfile.connect(store_path) as c:  # a store made before users existed
        c.execute("DROP TABLE users")
        c.execute("DROP TABLE sessions")
        c.execute("DELETE FROM gpkg_contents WHERE table_name IN ('users', 'sessions')")
    auth.has_admin(store)
    with dbfile.connect(store_path) as c:
        contents = dict(c.execute("SELECT table_name, data_type FROM gpkg_contents"))
    assert contents["users"] == "attributes" and contents["sessions"] == "attributes"
    layers = dict(pyogrio.list_layers(store_path))
    assert layers["points"] == "Point"  # still a GeoPackage GDAL reads
    auth.has_admin(store)  # idempotent


def test_password_is_stored_as_a_bcrypt_hash_only(store_path, store, admin):
    with dbfile.connect(store_path) as c:
        stored = c.execute("SELECT password_hash FROM users WHERE name = ?", (admin.name,)).fetchone()[0]
    assert stored.startswith("$2b$") and PASSWORD not in stored
    assert PASSWORD.encode() not in store_path.read_bytes()
    assert "password_hash" not in auth.list_users(store).columns


def test_no_user_and_no_default_password_ships(store):
    assert auth.list_users(store).empty
    with pytest.raises(WrongCredentialsError):
        auth.authenticate(store, "admin", "admin")


@pytest.mark.parametrize("password, expected", [
    ("", "至少需要 8 个字符"),
    ("short12", "至少需要 8 个字符（现在是 7 个）"),
    ("        ", "不能全是空格"),
    ("密" * 25, "密码太长"),
])
def test_password_policy_refuses_with_a_chinese_message(store, password, expected):
    with pytest.raises(AuthError) as caught:
        auth.add_user(store, "小李", password, "viewer")
    assert expected in str(caught.value)
    assert auth.get_user(store, "小李") is None


def test_eight_characters_are_enough(store):
    auth.add_user(store, "小李", "12345678", "viewer")
    assert auth.authenticate(store, "小李", "12345678", now=T0) == User("小李", "viewer", ())


@pytest.mark.parametrize("name, expected", [("", "不能为空"), ("  ", "不能为空"), ("小 王", "不能包含空格"),
                                            ("x" * 51, "太长")])
def test_bad_user_names_are_refused(store, name, expected):
    with pytest.raises(AuthError) as caught:
        auth.add_user(store, name, PASSWORD, "viewer")
    assert expected in str(caught.value)


def test_duplicate_user_is_refused(store, editor):
    with pytest.raises(AuthError, match="已存在"):
        auth.add_user(store, "小王", PASSWORD, "viewer")


def test_units_by_name_short_name_or_code(store):
    user = auth.add_user(store, "小赵", PASSWORD, "editor", ["黄集镇", "张湾", ZHANGWAN, HUANGJI])
    assert user.units == (HUANGJI, ZHANGWAN)
    assert auth.get_user(store, "小赵") == user


@pytest.mark.parametrize("role, units, expected", [
    ("editor", ["火星镇"], "没有名为「火星镇」的乡镇（街道）"),
    ("editor", [], "至少要指定一个乡镇"),
    ("viewer", ["黄集镇"], "不需要指定乡镇"),
    ("superuser", [], "角色「superuser」无效"),
])
def test_bad_role_or_units_are_refused(store, role, units, expected):
    with pytest.raises(AuthError) as caught:
        auth.add_user(store, "小赵", PASSWORD, role, units)
    assert expected in str(caught.value)
    assert auth.get_user(store, "小赵") is None


def test_user_may_edit_only_their_units():
    editor = User("小王", "editor", (ZHANGWAN,))
    assert editor.may_edit(ZHANGWAN) and not editor.may_edit(HUANGJI) and not editor.may_edit(None)
    assert User("甲", "admin").may_edit(HUANGJI) and User("甲", "admin").may_write
    assert not User("看", "viewer").may_edit(ZHANGWAN) and not User("看", "viewer").may_write
    assert editor.role_label == "编辑"


# Signing in -------------------------------------------------------------------------------------------------
def test_sign_in_returns_the_user_and_records_the_time(store, editor):
    user = auth.authenticate(store, " 小王 ", PASSWORD, now=T0)
    assert user == User("小王", "editor", (ZHANGWAN,))
    row = auth.list_users(store).set_index("name").loc["小王"]
    assert row["last_sign_in"] == T0.isoformat(timespec="seconds")
    assert row["unit_names"] == ("张湾街道",)


def test_unknown_user_and_wrong_password_get_the_same_message(store, editor):
    with pytest.raises(WrongCredentialsError) as unknown:
        auth.authenticate(store, "没这个人", PASSWORD, now=T0)
    with pytest.raises(WrongCredentialsError) as wrong:
        auth.authenticate(store, "小王", "wrong-password", now=T0)
    assert str(unknown.value) == str(wrong.value) == "用户名或密码错误"


@pytest.mark.parametrize("password", [None, "", "密" * 30])
def test_odd_passwords_are_just_wrong(store, editor, password):
    with pytest.raises(WrongCredentialsError):
        auth.authenticate(store, "小王", password, now=T0)


def test_five_failures_lock_for_fifteen_minutes_then_unlock(store, editor):
    for i in range(4):
        with pytest.raises(WrongCredentialsError):
            auth.authenticate(store, "小王", "wrong-password", now=minutes(i))
    with pytest.raises(LockedError) as fifth:
        auth.authenticate(store, "小王", "wrong-password", now=minutes(4))
    assert "已被锁定 15 分钟" in str(fifth.value) and "2024-05-01 09:19" in str(fifth.value)
    assert fifth.value.locked_until == minutes(19)
    # While locked even the right password is refused, and the lock shows in the user list.
    with pytest.raises(LockedError, match="09:19"):
        auth.authenticate(store, "小王", PASSWORD, now=minutes(18))
    assert auth.list_users(store, now=minutes(18)).set_index("name").loc["小王", "locked_until"] is not None
    assert auth.list_users(store, now=minutes(20)).set_index("name").loc["小王", "locked_until"] is None
    # Fifteen minutes later the right password works again.
    assert auth.authenticate(store, "小王", PASSWORD, now=minutes(19)).name == "小王"


def test_after_a_lock_lapses_the_count_starts_again(store, editor):
    for i in range(5):
        with pytest.raises(AuthError):
            auth.authenticate(store, "小王", "wrong-password", now=minutes(i))
    # One more failure after the lock ran out is failure number one, not six.
    with pytest.raises(WrongCredentialsError):
        auth.authenticate(store, "小王", "wrong-password", now=minutes(30))
    assert auth.authenticate(store, "小王", PASSWORD, now=minutes(31)).name == "小王"


def test_a_success_resets_the_failure_count(store, editor):
    for round_ in range(2):
        for i in range(4):
            with pytest.raises(WrongCredentialsError):
                auth.authenticate(store, "小王", "wrong-password", now=minutes(round_ * 10 + i))
        auth.authenticate(store, "小王", PASSWORD, now=minutes(round_ * 10 + 5))


def test_disabled_account_is_refused_but_only_with_the_right_password(store, admin, editor):
    auth.set_disabled(store, "小王", True)
    with pytest.raises(DisabledError, match="已停用"):
        auth.authenticate(store, "小王", PASSWORD, now=T0)
    with pytest.raises(WrongCredentialsError):
        auth.authenticate(store, "小王", "wrong-password", now=T0)
    auth.set_disabled(store, "小王", False)
    assert auth.authenticate(store, "小王", PASSWORD, now=T0).name == "小王"


def test_enable_and_new_password_clear_a_lock(store, admin, editor):
    for i in range(5):
        with pytest.raises(AuthError):
            auth.authenticate(store, "小王", "wrong-password", now=minutes(i))
    auth.set_password(store, "小王", "new-password-1")
    assert auth.authenticate(store, "小王", "new-password-1", now=minutes(5)).name == "小王"
    with pytest.raises(WrongCredentialsError):
        auth.authenticate(store, "小王", PASSWORD, now=minutes(6))


def test_the_last_admin_cannot_be_disabled_or_demoted(store, admin):
    with pytest.raises(AuthError, match="唯一"):
        auth.set_disabled(store, admin.name, True)
    with pytest.raises(AuthError, match="唯一"):
        auth.set_role(store, admin.name, "viewer")
    auth.add_user(store, "管理员乙", PASSWORD, "admin")
    auth.set_disabled(store, admin.name, True)
    assert auth.has_admin(store)


def test_only_admins_manage_users_but_anyone_may_change_their_own_password(store, admin, editor):
    with pytest.raises(AuthError, match="只有管理员"):
        auth.add_user(store, "小李", PASSWORD, "viewer", actor=editor)
    with pytest.raises(AuthError, match="只有管理员"):
        auth.set_role(store, "小王", "admin", actor=editor)
    with pytest.raises(AuthError, match="只有管理员"):
        auth.set_password(store, admin.name, "taken-over-1", actor=editor)
    auth.set_password(store, "小王", "my-own-new-1", actor=editor)
    auth.add_user(store, "小李", PASSWORD, "viewer", actor=admin)
    assert auth.set_role(store, "小李", "editor", ["黄集"], actor=admin) == User("小李", "editor", (HUANGJI,))


def test_unknown_user_management_targets(store, admin):
    for call in (lambda: auth.set_password(store, "无名", PASSWORD), lambda: auth.set_disabled(store, "无名"),
                 lambda: auth.set_role(store, "无名", "viewer"), lambda: auth.active_user(store, "无名")):
        with pytest.raises(AuthError, match="没有用户「无名」"):
            call()


def test_hint_for_the_first_admin(store):
    assert "users add" in auth.first_admin_hint(store) and "--role admin" in auth.first_admin_hint(store)
    auth.add_user(store, "只看", PASSWORD, "viewer")
    assert auth.first_admin_hint(store) is not None
    auth.add_user(store, "管理员甲", PASSWORD, "admin")
    assert auth.first_admin_hint(store) is None


# Sessions ---------------------------------------------------------------------------------------------------
def test_session_lasts_the_configured_minutes(store, editor, monkeypatch):
    monkeypatch.setenv("XZMAP_SESSION_MINUTES", "30")
    token = auth.start_session(store, editor, now=T0)
    assert auth.user_for_session(store, token, now=minutes(29)) == editor
    assert auth.user_for_session(store, token, now=minutes(30)) is None
    assert auth.user_for_session(store, token, now=minutes(1)) is None  # an expired session is gone for good


def test_sign_out_and_bad_tokens(store, editor):
    token = auth.start_session(store, editor, now=T0)
    other = auth.start_session(store, editor, now=T0)
    assert token != other and len(token) >= 40
    auth.end_session(store, token)
    assert auth.user_for_session(store, token, now=T0) is None
    assert auth.user_for_session(store, other, now=T0) == editor
    for bad in (None, "", "forged-token", token + "x"):
        assert auth.user_for_session(store, bad, now=T0) is None
    auth.end_session(store, "forged-token")  # ignored


def test_tokens_are_not_stored_in_the_file(store_path, store, editor):
    token = auth.start_session(store, editor, now=T0)
    assert token.encode() not in store_path.read_bytes()


def test_sessions_follow_the_user_record(store, admin, editor):
    token = auth.start_session(store, editor, now=T0)
    auth.set_role(store, "小王", "editor", ["黄集镇"])
    assert auth.user_for_session(store, token, now=T0).units == (HUANGJI,)
    auth.set_password(store, "小王", "changed-pass-1")
    assert auth.user_for_session(store, token, now=T0) is None
    token = auth.start_session(store, editor, now=T0)
    auth.set_disabled(store, "小王", True)
    assert auth.user_for_session(store, token, now=T0) is None
    with pytest.raises(DisabledError):
        auth.start_session(store, editor, now=T0)


def test_naive_times_are_beijing_time(store, editor, monkeypatch):
    monkeypatch.setenv("XZMAP_SESSION_MINUTES", "10")
    token = auth.start_session(store, editor, now=dt.datetime(2024, 5, 1, 9, 0))
    assert auth.user_for_session(store, token, now=dt.datetime(2024, 5, 1, 1, 5, tzinfo=dt.UTC)) == editor
    assert auth.user_for_session(store, token, now=dt.datetime(2024, 5, 1, 9, 11)) is None
