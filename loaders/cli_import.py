"""`python -m loaders import FILE …`: the same checks as the import page, from a terminal.

Wired into loaders/cli.py with `cli_import.register(commands)`. Exit 0 when everything was imported (or would be,
with --dry-run); 1 with one Chinese line per problem otherwise (the store untouched unless --valid-only was given).
Rows whose 经度/纬度 look swapped are refused with a hint; --swap-latlon swaps them (never silently).
"""
from __future__ import annotations

import argparse
import sys

from . import model
from .auth import User
from .cells import value_phrase
from .coords import CRS_LABELS
from .editing import Editor
from .importing import ImportFileError, ImportRefused, build_plan, commit, read, replace_areas
from .importing.headers import TARGETS, detect_mapping
from .readable import count
from .store import StoreError, open_store

OPERATOR = User("cli", "admin")  # whoever runs commands on the server can change the file anyway


def _mapping_overrides(pairs: list[str]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        key, sep, column = pair.partition("=")
        if not sep or key not in TARGETS:
            raise ImportFileError(f"--map 的值「{pair}」应为 字段=列名，字段可选：{'、'.join(TARGETS)}")
        overrides[key] = column
    return overrides


def cmd_import(args) -> int:
    try:
        store = open_store(args.store)
        # A named user imports with their own role and towns; without a name, the server's operator acts as admin
        # (whoever runs commands on the server can change the file anyway).
        editor = Editor.for_user(store, args.user) if args.user else Editor(store, OPERATOR)
        user = editor.user
        if args.table != "points":
            return _import_records(editor, args)
        if args.areas:
            result = replace_areas(editor, args.file, args.areas, source_crs=args.source_crs)
            print(result.summary())
            return 0
        table = read(args.file, sheet=args.sheet, source_crs=args.source_crs)
        mapping = {**detect_mapping(table.columns), **_mapping_overrides(args.map)}
        plan = build_plan(table, store, user=user, mapping=mapping, crs=args.crs, kind=args.kind,
                          swap_latlon=args.swap_latlon)
    except (StoreError, model.ValidationError) as error:
        print(f"错误：{error}", file=sys.stderr)
        return 1
    print("列对应：" + "，".join(f"{TARGETS[k].split('（')[0]}←「{v}」" for k, v in plan.mapping.items()))
    for warning in plan.warnings:
        print(f"提示：{warning}")
    print(plan.summary())
    for line in plan.report_lines():
        print(line)
    if plan.swap_rows:
        listed = "、".join(map(str, plan.swap_rows[:20])) + ("……" if len(plan.swap_rows) > 20 else "")
        print(f"提示：第 {listed} {plan.table.row_word}（共 {count(len(plan.swap_rows))} {plan.table.row_word}）疑似经纬度颠倒，"
              f"交换后位于襄州区内；核对无误后加 --swap-latlon 重新运行，即交换这些{plan.table.row_word}的经纬度再导入")
    if args.dry_run:
        return 0 if plan.ok else 1
    try:
        result = commit(editor, plan, valid_only=args.valid_only)
    except (ImportRefused, StoreError, model.ValidationError) as error:
        print(f"错误：{error}", file=sys.stderr)
        return 1
    print(f"已导入：{result.summary()}")
    return 0 if plan.ok else 1


def _import_records(editor: Editor, args) -> int:
    """Activities or members: every row good, or nothing written."""
    from .importing.records import import_records

    result = import_records(editor, read(args.file, sheet=args.sheet), args.table, dry_run=args.dry_run)
    print(result.summary())
    for row in result.problems.itertuples(index=False):
        print(f"第 {row[0]} 行「{row[1]}」列，{value_phrase(row[2])}：{row[3]}")
    return 0 if result.ok else 1


def register(commands) -> argparse.ArgumentParser:
    """Add the `import` subcommand to an argparse subparsers object."""
    parser = commands.add_parser("import", help="导入 Excel/CSV/GeoJSON/GeoPackage/Shapefile(zip) 中的点位")
    parser.add_argument("file", help="要导入的文件")
    parser.add_argument("--dry-run", action="store_true", help="只检查、不写入")
    parser.add_argument("--crs", default="wgs84", choices=list(CRS_LABELS), help="坐标系（默认 wgs84）")
    parser.add_argument("--valid-only", action="store_true", help="有误的行跳过，只导入无误的行")
    parser.add_argument("--swap-latlon", action="store_true",
                        help="交换疑似经纬度颠倒的行（原样不在襄州区内、交换后在区内）的经度和纬度；不加则这些行报错")
    parser.add_argument("--kind", help="整个文件的类型（文件中没有“类型”列时）：" + "、".join(model.KINDS))
    parser.add_argument("--user", help="以此用户的角色和负责乡镇导入（默认：服务器操作员 cli，按管理员处理）")
    parser.add_argument("--sheet", help="Excel 工作表名（默认第一个有数据的）")
    parser.add_argument("--map", action="append", default=[], metavar="字段=列名",
                        help="纠正自动列对应，如 --map lon=X坐标，可重复")
    parser.add_argument("--source-crs", help="没有 .prj 的 Shapefile 的坐标系：wgs84、cgcs2000 或 EPSG 代码")
    parser.add_argument("--table", default="points", choices=("points", "activities", "members"),
                        help="导入点位（默认）、协商活动或委员（后两者须整表无误才写入）")
    parser.add_argument("--areas", metavar="字段", help="改为用官方边界文件替换乡镇范围；字段为名称或代码字段")
    parser.set_defaults(run=cmd_import)
    return parser
