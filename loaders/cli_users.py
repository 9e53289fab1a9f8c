"""CLI commands for users, backup/restore and reverting a change; `register(commands)` adds them to the parser
of `loaders.cli`:

    users add NAME --role viewer|editor|admin [--unit 黄集镇 --unit 420607001000] [--password-stdin]
    users list [--json] | users disable NAME | users enable NAME | users passwd NAME [--password-stdin] | users hint
    backup [--out FILE]
    restore FILE [--no-checksum]
    revert CHANGE_ID --user ADMIN

Exit codes as in `loaders.cli`: 0 done, 1 refused (Chinese message on stderr, nothing changed), 2 bad usage.
Passwords are never arguments (they would end up in shell history and `ps`): they are prompted for, or read from
one line of standard input with --password-stdin.
"""
from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

from . import auth, config
from .backup import backup, restore
from .editing import Editor
from .store import open_store


def _read_password(args, confirm: bool = True) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        return line.removesuffix("\n")
    first = getpass.getpass("密码（至少 8 位）：")
    if confirm and getpass.getpass("再次输入密码：") != first:
        raise auth.AuthError("两次输入的密码不一致，未做改动")
    return first


def cmd_users_add(args) -> int:
    store = open_store(args.store)
    # Check name, role and units before asking for the password, so a typo does not cost a prompt.
    codes = auth.resolve_units(store, args.unit)
    auth.check_role(args.role, codes)
    if auth.get_user(store, args.name.strip()) is not None:
        raise auth.AuthError(f"用户「{args.name.strip()}」已存在")
    user = auth.add_user(store, args.name, _read_password(args), args.role, codes)
    scope = f"，可编辑：{'、'.join(auth.unit_names(store, user.units))}" if user.units else ""
    print(f"已添加用户「{user.name}」（{user.role_label}{scope}）")
    return 0


def cmd_users_list(args) -> int:
    users = auth.list_users(open_store(args.store))
    if args.json:
        records = [{**r, "units": list(r["units"]), "unit_names": list(r["unit_names"])}
                   for r in users.to_dict("records")]
        print(json.dumps(records, ensure_ascii=False, indent=2))
        return 0
    if users.empty:
        print("还没有用户。")
        return 0
    header = ("用户名", "角色", "可编辑乡镇", "已停用", "锁定至", "最近登录")
    rows = [(r["name"], r["role_label"], "、".join(r["unit_names"]) or "-", "是" if r["disabled"] else "否",
             r["locked_until"] or "-", r["last_sign_in"] or "-") for r in users.to_dict("records")]
    print("\t".join(header))
    for row in rows:
        print("\t".join(row))
    return 0


def cmd_users_disable(args) -> int:
    auth.set_disabled(open_store(args.store), args.name, True)
    print(f"已停用用户「{args.name}」，其登录已全部失效")
    return 0


def cmd_users_enable(args) -> int:
    auth.set_disabled(open_store(args.store), args.name, False)
    print(f"已启用用户「{args.name}」（登录锁定也已解除）")
    return 0


def cmd_users_passwd(args) -> int:
    store = open_store(args.store)
    if auth.get_user(store, args.name) is None:
        raise auth.AuthError(f"没有用户「{args.name}」")
    auth.set_password(store, args.name, _read_password(args))
    print(f"已修改用户「{args.name}」的密码，其原有登录已全部失效")
    return 0


def cmd_users_hint(args) -> int:
    hint = auth.first_admin_hint(open_store(args.store))
    if hint:
        print(hint)
    return 0


def cmd_backup(args) -> int:
    out = backup(args.store or config.store_location(), args.out)
    print(f"已备份到 {out}")
    return 0


def cmd_restore(args) -> int:
    store_path = args.store or config.store_location()
    if args.no_checksum:
        print(f"警告：已按 --no-checksum 跳过内容校验，无法确认「{Path(args.file).name}」的内容与备份时一致；"
              "其余检查（数据结构、每个点位和记录）照常进行", file=sys.stderr)
    kept = restore(args.file, store_path, verify_checksum=not args.no_checksum)
    if kept:
        print(f"已先把原数据文件备份到 {kept}")
    print(f"已从 {args.file} 恢复数据文件 {store_path}；所有用户需重新登录")
    return 0


def cmd_revert(args) -> int:
    store = open_store(args.store)
    record = Editor.for_user(store, args.user).revert(args.change_id)
    print(f"已撤销修改记录 {args.change_id}：「{record['name']}」现为版本 {record['version']}")
    return 0


def register(commands) -> None:
    """Add the users/backup/restore/revert subcommands to `commands` (the parser's add_subparsers() result)."""
    users = commands.add_parser("users", help="用户：添加、列出、停用、启用、改密码")
    actions = users.add_subparsers(dest="users_command", required=True)

    add = actions.add_parser("add", help="添加用户（提示输入密码）")
    add.add_argument("name", help="用户名")
    add.add_argument("--role", required=True, choices=list(auth.ROLES), help="角色：viewer 查看 / editor 编辑 / admin 管理员")
    add.add_argument("--unit", action="append", default=[], help="编辑可修改的乡镇：名称、简称或代码，可重复")
    add.add_argument("--password-stdin", action="store_true", help="从标准输入读一行作为密码（脚本用）")
    add.set_defaults(run=cmd_users_add)

    listing = actions.add_parser("list", help="列出用户")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=cmd_users_list)

    for name, run, text in (("disable", cmd_users_disable, "停用用户（立即退出登录）"),
                            ("enable", cmd_users_enable, "启用用户（并解除锁定）")):
        action = actions.add_parser(name, help=text)
        action.add_argument("name", help="用户名")
        action.set_defaults(run=run)

    passwd = actions.add_parser("passwd", help="修改密码（提示输入）")
    passwd.add_argument("name", help="用户名")
    passwd.add_argument("--password-stdin", action="store_true", help="从标准输入读一行作为密码（脚本用）")
    passwd.set_defaults(run=cmd_users_passwd)

    hint = actions.add_parser("hint", help="还没有管理员时，提示如何创建（make run 调用）")
    hint.set_defaults(run=cmd_users_hint)

    backing = commands.add_parser("backup", help="在看板运行时写一份一致的数据快照")
    backing.add_argument("--out", help="快照文件（默认在数据文件旁，带时间戳）")
    backing.set_defaults(run=cmd_backup)

    restoring = commands.add_parser("restore", help="从快照恢复（先检查快照完整无误，再备份当前数据文件）")
    restoring.add_argument("file", help="快照文件")
    restoring.add_argument("--no-checksum", action="store_true",
                           help="跳过内容校验：用于没有校验信息的文件（手工复制的数据文件、旧版本的备份）；其余检查照常")
    restoring.set_defaults(run=cmd_restore)

    revert = commands.add_parser("revert", help="撤销一次字段修改（仅管理员）")
    revert.add_argument("change_id", type=int, help="修改记录编号（audit 表的 fid）")
    revert.add_argument("--user", required=True, help="执行撤销的管理员用户名")
    revert.set_defaults(run=cmd_revert)
