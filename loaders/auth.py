"""Who is signed in and what they may change: users, passwords, sign-in, sessions, roles.

Roles: viewer (查看), editor (编辑, limited to one or more unit codes), admin (管理员). Passwords are bcrypt hashes in
the store's `users` table (`loaders.store.users`); no default account or password ships: the first admin is created with
`python -m loaders users add NAME --role admin`. Five failed sign-ins in a row lock an account for 15 minutes.

Every function that depends on the time takes `now=` (a datetime; naive means Beijing time) so tests need not sleep.
Errors are `AuthError` (a `StoreError`, so the CLI turns them into exit code 1) with a Chinese message for the user.
Functions that manage users take `actor=`: None means a trusted caller (the CLI, run by whoever holds the file);
a `User` must be an admin (or, for `set_password`, the user themself).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass

import bcrypt
import pandas as pd

from . import config, model
from .clock import TZ
from .store.base import StoreError

ROLES = {"viewer": "查看", "editor": "编辑", "admin": "管理员"}
LOCK_AFTER = 5  # failed sign-ins in a row
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_BYTES = 72  # bcrypt's limit
BCRYPT_ROUNDS = 12  # ~0.2 s per check; tests lower it
MAX_NAME_LENGTH = 50
WRONG_CREDENTIALS = "用户名或密码错误"  # one message for an unknown name and a wrong password


@dataclass(frozen=True)
class User:
    name: str
    role: str = "viewer"  # viewer | editor | admin
    units: tuple[str, ...] = ()  # unit codes an editor may change

    def may_edit(self, unit_code: str | None) -> bool:
        if self.role == "admin":
            return True
        return self.role == "editor" and unit_code is not None and unit_code in self.units

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def may_write(self) -> bool:
        """Whether this user may change anything at all (pages hide edit controls otherwise)."""
        return self.role == "admin" or (self.role == "editor" and bool(self.units))

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)


class AuthError(StoreError):
    """Sign-in or user management refused; the message is Chinese."""


class WrongCredentialsError(AuthError):
    pass


class DisabledError(AuthError):
    pass


class LockedError(AuthError):
    def __init__(self, message: str, locked_until: dt.datetime):
        super().__init__(message)
        self.locked_until = locked_until


# Time ------------------------------------------------------------------------------------------------------
def _now(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(TZ)
    return now.replace(tzinfo=TZ) if now.tzinfo is None else now.astimezone(TZ)


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(TZ).isoformat(timespec="seconds")


def _parse(stamp: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(stamp).astimezone(TZ) if stamp else None


def _clock(moment: dt.datetime) -> str:
    return moment.astimezone(TZ).strftime("%Y-%m-%d %H:%M")


# Passwords -------------------------------------------------------------------------------------------------
def check_password_policy(password: str | None) -> None:
    """At least 8 characters, at most 72 bytes (bcrypt), not only spaces."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"密码太短：至少需要 {MIN_PASSWORD_LENGTH} 个字符（现在是 {len(password)} 个）")
    if not password.strip():
        raise AuthError("密码不能全是空格")
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise AuthError(f"密码太长：最多 {MAX_PASSWORD_BYTES} 字节（约 72 个英文字符或 24 个汉字）")


def hash_password(password: str) -> str:
    check_password_policy(password)
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(BCRYPT_ROUNDS)).decode("ascii")


def _password_matches(password: str | None, hashed: str) -> bool:
    try:
        return bcrypt.checkpw((password or "").encode("utf-8"), hashed.encode("ascii"))
    except ValueError:  # longer than bcrypt accepts, or a damaged hash
        return False


_dummy_hash: str | None = None


def _spend_time_like_a_check(password: str | None) -> None:
    """Unknown names take as long as wrong passwords, so timing does not reveal which names exist."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = bcrypt.hashpw(b"not-a-password", bcrypt.gensalt(BCRYPT_ROUNDS)).decode("ascii")
    _password_matches(password, _dummy_hash)


# Names, roles, units ---------------------------------------------------------------------------------------
def _clean_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise AuthError("用户名不能为空")
    if len(name) > MAX_NAME_LENGTH:
        raise AuthError(f"用户名太长（最多 {MAX_NAME_LENGTH} 个字符）")
    if re.search(r"[\s\x00-\x1f\x7f]", name) or any(unicodedata.category(c) in ("Cf", "Cc") for c in name):
        raise AuthError(f"用户名「{model.clean_text(name)}」不能包含空格、控制字符或文字方向控制符")
    return name


def resolve_units(store, values) -> tuple[str, ...]:
    """Unit codes for names, short names or codes (`黄集镇`, `黄集`, `420607102000`), in the given order, no repeats."""
    units = store.units()
    codes: list[str] = []
    for value in values or ():
        code = units.code_of(value)
        if code is None:
            raise AuthError(f"没有名为「{value}」的乡镇（街道）；可用名称、简称或 12 位代码，例如 黄集镇、420607102000")
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def unit_names(store, codes) -> list[str]:
    units = store.units()
    return [units.name(code) for code in codes]


def check_role(role: str, units: tuple[str, ...]) -> None:
    if role not in ROLES:
        raise AuthError(f"角色「{role}」无效，应为：{'、'.join(f'{k}（{v}）' for k, v in ROLES.items())}")
    if role == "editor" and not units:
        raise AuthError("编辑角色至少要指定一个乡镇（街道），例如 --unit 黄集镇")
    if role != "editor" and units:
        raise AuthError(f"只有编辑角色按乡镇（街道）限定范围；{ROLES[role]}角色不需要指定乡镇")


def _require_admin(actor: User | None, name: str | None = None) -> None:
    if actor is None or actor.is_admin or (name is not None and actor.name == name):
        return
    raise AuthError(f"只有管理员可以管理用户（当前用户「{actor.name}」是{actor.role_label}）")


def _user(record: dict) -> User:
    return User(record["name"], record["role"], tuple(record["units"]))


def _require(users, name: str) -> dict:
    record = users.get(name)
    if record is None:
        raise AuthError(f"没有用户「{name}」")
    return record


# Managing users --------------------------------------------------------------------------------------------
def add_user(store, name: str, password: str, role: str = "viewer", units=(), *, actor: User | None = None,
             now: dt.datetime | None = None) -> User:
    """Create a user. `units` may be names, short names or codes; editors need at least one."""
    _require_admin(actor)
    name = _clean_name(name)
    codes = resolve_units(store, units)
    check_role(role, codes)
    hashed = hash_password(password)
    stamp = _stamp(_now(now))
    users = store.users
    with users.transaction():
        if users.get(name) is not None:
            raise AuthError(f"用户「{name}」已存在")
        users.insert({"name": name, "role": role, "units": codes, "password_hash": hashed, "disabled": False,
                         "failed_count": 0, "created_at": stamp, "updated_at": stamp})
    return User(name, role, codes)


def set_password(store, name: str, password: str, *, actor: User | None = None, now: dt.datetime | None = None) -> None:
    """A new password; it also unlocks the account and signs the user out everywhere."""
    _require_admin(actor, name)
    hashed = hash_password(password)
    users = store.users
    with users.transaction():
        _require(users, name)
        users.set(name, password_hash=hashed, failed_count=0, locked_until=None, updated_at=_stamp(_now(now)))
        users.delete_sessions(user=name)


def set_role(store, name: str, role: str, units=(), *, actor: User | None = None,
             now: dt.datetime | None = None) -> User:
    """Change a user's role and units; takes effect on their next page load (sessions re-read the user)."""
    _require_admin(actor)
    codes = resolve_units(store, units)
    check_role(role, codes)
    users = store.users
    with users.transaction():
        record = _require(users, name)
        if record["role"] == "admin" and role != "admin" and not record["disabled"] \
                and users.count_active_admins() <= 1:
            raise AuthError(f"「{name}」是唯一的管理员，不能取消其管理员角色；请先添加另一位管理员")
        users.set(name, role=role, units=codes, updated_at=_stamp(_now(now)))
    return User(name, role, codes)


def set_disabled(store, name: str, disabled: bool = True, *, actor: User | None = None,
                 now: dt.datetime | None = None) -> None:
    """Disable (signs the user out everywhere) or enable (also clears a lock) an account."""
    _require_admin(actor)
    users = store.users
    with users.transaction():
        record = _require(users, name)
        if disabled and record["role"] == "admin" and not record["disabled"] and users.count_active_admins() <= 1:
            raise AuthError(f"「{name}」是唯一可用的管理员，不能停用；请先添加另一位管理员")
        values = {"disabled": bool(disabled), "updated_at": _stamp(_now(now))}
        if not disabled:
            values.update(failed_count=0, locked_until=None)
        users.set(name, **values)
        if disabled:
            users.delete_sessions(user=name)


def get_user(store, name: str) -> User | None:
    record = store.users.get(name)
    return _user(record) if record else None


def active_user(store, name: str) -> User:
    """The named user if they exist and are not disabled (for trusted callers such as the CLI's --user)."""
    record = _require(store.users, name)
    if record["disabled"]:
        raise DisabledError(f"账号「{name}」已停用，请联系管理员")
    return _user(record)


def has_admin(store) -> bool:
    return store.users.count_active_admins() > 0


def list_users(store, now: dt.datetime | None = None) -> pd.DataFrame:
    """One row per user: name, role, role_label, units (codes), unit_names, disabled, locked_until (only while the
    lock lasts), last_sign_in. Never the password hash."""
    moment = _now(now)
    names = store.units().names()
    rows = []
    for record in store.users.all():
        locked = _parse(record["locked_until"])
        rows.append({
            "name": record["name"], "role": record["role"], "role_label": ROLES.get(record["role"], record["role"]),
            "units": tuple(record["units"]), "unit_names": tuple(names.get(u, u) for u in record["units"]),
            "disabled": record["disabled"],
            "locked_until": _stamp(locked) if locked and locked > moment else None,
            "last_sign_in": record["last_sign_in"],
        })
    columns = ["name", "role", "role_label", "units", "unit_names", "disabled", "locked_until", "last_sign_in"]
    return pd.DataFrame(rows, columns=columns, dtype=object)  # object: missing times stay None, not NaN


def first_admin_hint(store) -> str | None:
    """What to tell a newcomer when nobody can sign in as admin yet; None once an admin exists."""
    if has_admin(store):
        return None
    return ("提示：还没有管理员账号，查看无需登录，编辑数据需要登录。创建第一个管理员："
            ".venv/bin/python -m loaders users add 用户名 --role admin（按提示输入密码，至少 8 位）")


# Signing in ------------------------------------------------------------------------------------------------
def authenticate(store, name: str, password: str, now: dt.datetime | None = None) -> User:
    """The user whose name and password these are, or AuthError: wrong name or password (one message for both),
    locked (says until when) or disabled. A failure counts towards the lock; a success resets the count."""
    moment = _now(now)
    users = store.users
    name = (name or "").strip()
    record = users.get(name) if name else None
    if record is None:
        _spend_time_like_a_check(password)
        raise WrongCredentialsError(WRONG_CREDENTIALS)
    locked = _parse(record["locked_until"])
    if locked and locked > moment:
        raise _locked(name, locked)
    if not _password_matches(password, record["password_hash"]):
        with users.transaction():
            current = _require(users, name)
            lapsed = current["locked_until"] and _parse(current["locked_until"]) <= moment
            failures = (0 if lapsed else current["failed_count"]) + 1
            until = moment + dt.timedelta(minutes=LOCK_MINUTES) if failures >= LOCK_AFTER else None
            users.set(name, failed_count=failures, locked_until=_stamp(until) if until else None)
        if until:
            raise _locked(name, until)
        raise WrongCredentialsError(WRONG_CREDENTIALS)
    if record["disabled"]:
        raise DisabledError(f"账号「{name}」已停用，请联系管理员")
    users.set(name, failed_count=0, locked_until=None, last_sign_in=_stamp(moment))
    return _user(record)


def _locked(name: str, until: dt.datetime) -> LockedError:
    return LockedError(f"账号「{name}」因连续 {LOCK_AFTER} 次登录失败已被锁定 {LOCK_MINUTES} 分钟，"
                       f"请于 {_clock(until)} 之后再试，或请管理员重设密码", until)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(store, user: User, now: dt.datetime | None = None) -> str:
    """A new random session token for a signed-in user; it lasts config.session_minutes() minutes."""
    moment = _now(now)
    users = store.users
    token = secrets.token_urlsafe(32)
    with users.transaction():
        record = _require(users, user.name)
        if record["disabled"]:
            raise DisabledError(f"账号「{user.name}」已停用，请联系管理员")
        users.delete_sessions(expired_before=_stamp(moment))
        users.add_session(_token_hash(token), user.name, _stamp(moment),
                          _stamp(moment + dt.timedelta(minutes=config.session_minutes())))
    return token


def user_for_session(store, token: str | None, now: dt.datetime | None = None) -> User | None:
    """The user a token belongs to, read afresh (role changes apply at once); None when the token is unknown,
    expired, or its user was removed or disabled."""
    if not token:
        return None
    users = store.users
    session = users.session(_token_hash(token))
    if session is None:
        return None
    if _parse(session["expires_at"]) <= _now(now):
        users.delete_sessions(token_hash=_token_hash(token))
        return None
    record = users.get(session["user"])
    if record is None or record["disabled"]:
        return None
    return _user(record)


def end_session(store, token: str | None) -> None:
    """Sign out: the token stops working (unknown tokens are ignored)."""
    if token:
        store.users.delete_sessions(token_hash=_token_hash(token))


def session_expires(store, token: str | None) -> dt.datetime | None:
    """When a token's session ends (for the sign-in cookie's Max-Age); None when the token is unknown."""
    session = store.users.session(_token_hash(token)) if token else None
    return _parse(session["expires_at"]) if session else None
