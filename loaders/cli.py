"""`python -m loaders …`: set up the store, see what is in it, and export it.

Exit codes: 0 success, 1 the data or file was refused (message on stderr, store unchanged), 2 bad usage.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import backup, cli_import, cli_users, config, export, model
from .filters import Filter
from .readable import count
from .store import StoreError, copying, initialise, open_store


def _add_filter_options(parser: argparse.ArgumentParser) -> None:
    """The filter language of the pages' URLs (loaders.filters), as options."""
    parser.add_argument("--kind", action="append", default=[], help="类型（键或中文），可重复")
    parser.add_argument("--unit", action="append", default=[], help="乡镇：代码、全称或简称，可重复")
    parser.add_argument("--status", action="append", default=[], help="状态，可重复")
    parser.add_argument("--stage", action="append", default=[], help="阶段，可重复")
    parser.add_argument("--keyword", default="", help="关键词")
    parser.add_argument("--from", dest="date_from", help="登记日期起 YYYY-MM-DD")
    parser.add_argument("--to", dest="date_to", help="登记日期止 YYYY-MM-DD")
    parser.add_argument("--bbox", help="经纬度范围 minlon,minlat,maxlon,maxlat")


def _filter(args, units) -> Filter:
    """The options as a Filter; anything that cannot be understood is refused (a terminal has no notices)."""
    query = {"unit": args.unit, "kind": args.kind, "status": args.status, "stage": args.stage, "q": args.keyword,
             "from": args.date_from or "", "to": args.date_to or "", "bbox": args.bbox or ""}
    where, problems = Filter.from_query(query, units)
    if problems:
        raise StoreError("无法识别的筛选条件：" + "、".join(problems))
    return where


def _write_out(out: Path, content: bytes) -> None:
    """Write a made file to --out whole or not at all: a folder, a path that cannot be created or a full disk is
    refused in Chinese (a regular file is written beside and moved into place; a device such as /dev/stdout is
    written as it is)."""
    if out.is_dir():
        raise StoreError(f"输出位置「{out}」是一个文件夹，请给出文件名（例如 {out / '文件名'}）")
    partial = None
    try:
        if out.exists() and not out.is_file():
            out.write_bytes(content)
            return
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
        partial.write_bytes(content)
        os.replace(partial, out)
    except OSError as error:
        if partial is not None:
            partial.unlink(missing_ok=True)
        raise StoreError(f"无法写入「{out}」：{error.strerror or error}；没有生成文件") from error


def cmd_init(args) -> int:
    path = args.store or config.store_location()
    outcome, kept = initialise(path, config.geodata_dir(), force=args.force)
    if outcome == "exists":
        print(f"数据已存在，未做改动：{path}（如需重建请加 --force，会先备份）")
    else:
        if kept:
            print(f"已先把原有数据备份到 {kept}")
        print(f"已从内置数据创建：{path}")
    return 0


def summary(store) -> dict:
    from .figures import headline

    counts = store.counts()
    units = store.units()
    by = lambda column: {str(k): int(v) for k, v in counts.groupby(column)["n"].sum().items()}
    return {
        "store": store.location,
        "data_version": store.data_version(),
        "total": int(counts["n"].sum()),
        "by_kind": by("kind"),
        "by_stage": by("stage"),
        "by_status": {kind: {s: int(n) for s, n in group.groupby("status")["n"].sum().items()}
                      for kind, group in counts.groupby("kind")},
        "by_unit": {str(code): {"name": units.name(code) if code in units else None,
                                **{k: int(n) for k, n in group.groupby("kind")["n"].sum().items()}}
                    for code, group in counts.groupby("unit_code")},
        "consultation": headline(store).as_dict(),
    }


def cmd_info(args) -> int:
    store = open_store(args.store)
    facts = summary(store)
    if args.json:
        print(json.dumps(facts, ensure_ascii=False, indent=2))
        return 0
    print(f"数据存储：{facts['store']}（数据版本 {facts['data_version']}）")
    print(f"点位合计：{count(facts['total'])}")
    for kind, n in facts["by_kind"].items():
        statuses = "，".join(f"{s} {count(c)}" for s, c in facts["by_status"][kind].items())
        print(f"  {model.kind_label(kind)} {count(n)}：{statuses}")
    print("按阶段：" + "，".join(f"{s} {count(n)}" for s, n in facts["by_stage"].items()))
    work = facts["consultation"]
    print(f"协商活动 {count(work['activities'])} 场次（三级联动 {count(work['three_level'])} 次），"
          f"参与委员 {count(work['members_taking_part'])} 名（区政协委员 {count(work['members_district'])} 名），区直委员活动组 {work['district_groups']} 个对口联系"
          f" {work['town_groups']} 个乡镇委员活动组（{work['pairings']} 对）")
    return 0


def cmd_export(args) -> int:
    store = open_store(args.store)
    if args.table != "points":
        if args.format not in ("csv", "xlsx"):
            raise StoreError(f"协商活动和委员只能导出为 csv 或 xlsx，不能导出为 {args.format}")
        out = Path(args.out)
        _write_out(out, export.records_bytes(store, args.table, args.format))
        rows = len(store.activities() if args.table == "activities" else store.members())
        print(f"已导出 {count(rows)} 条{export.RECORD_SHEETS[args.table]}到 {out}")
        return 0
    units = store.units()
    points = store.points(_filter(args, units))
    _write_out(Path(args.out), export.export_bytes(points, args.format, units, store=store))
    out = Path(args.out)
    print(f"已导出 {count(len(points))} 个点位到 {out}")
    return 0


def cmd_briefing(args) -> int:
    """The briefing of a filtered view (a weekly scheduled report); nothing is written unless it was made whole."""
    from . import briefing

    if args.format not in briefing.FORMATS:
        raise StoreError(f"不支持的简报格式「{args.format}」，可选：{'、'.join(briefing.FORMATS)}")
    store = open_store(args.store)
    units = store.units()
    where = _filter(args, units)
    kinds = where.kinds
    content = briefing.build(store, where, args.format, kind=kinds[0] if len(kinds) == 1 else None)
    out = Path(args.out)
    _write_out(out, content)
    print(f"已生成简报（{where.describe(units)}）：{out}")
    return 0


def cmd_copy(args) -> int:
    """Everything from one store to another, verified table by table; a target with data only with --force, after
    a backup of it."""
    source = open_store(args.source)
    target = open_store(args.target, create=True)
    if not target.is_empty():
        if not args.force:
            raise copying.CopyError(f"目标 {target.location} 已有数据（{copying.describe_contents(target)}），"
                                    "未做任何改动；如要覆盖，请加 --force（会先把目标备份为 GeoPackage 文件）")
        print(f"已先把目标备份到 {backup.backup(args.target)}")
    result = copying.copy(source, target, replace=args.force)
    print(f"已从 {source.location} 复制到 {target.location}，逐表核对行数与内容校验一致：")
    for table, (rows, digest) in result.tables.items():
        print(f"  {copying.LABELS.get(table, table)}（{table}）：{rows} 行，SHA-256 {digest[:16]}…")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m loaders", description="襄州一线协商地图：数据管理")
    parser.add_argument("--store", help="数据文件路径或 postgresql:// 数据库地址（默认 XZMAP_STORE 或 var/xiangzhou.gpkg）")
    commands = parser.add_subparsers(dest="command", required=True)

    init = commands.add_parser("init", help="从内置数据创建数据文件（已存在则不动）")
    init.add_argument("--force", action="store_true", help="重建：先写带时间戳的备份")
    init.set_defaults(run=cmd_init)

    info = commands.add_parser("info", help="按类型、阶段、状态、乡镇统计")
    info.add_argument("--json", action="store_true")
    info.set_defaults(run=cmd_info)

    exporter = commands.add_parser("export", help="导出点位")
    exporter.add_argument("--format", required=True, choices=list(export.FORMATS))
    exporter.add_argument("--out", required=True)
    exporter.add_argument("--table", default="points", choices=("points", "activities", "members"),
                          help="导出点位（默认）、协商活动或委员")
    _add_filter_options(exporter)
    exporter.set_defaults(run=cmd_export)

    briefer = commands.add_parser("briefing", help="生成当前筛选的简报（PDF 或 Word），可用于每周定时报送")
    briefer.add_argument("--format", required=True, help="pdf 或 docx")
    briefer.add_argument("--out", required=True, help="输出文件路径")
    _add_filter_options(briefer)
    briefer.set_defaults(run=cmd_briefing)

    copier = commands.add_parser("copy", help="把全部数据从一个存储复制到另一个（GeoPackage 文件或 PostGIS 数据库）")
    copier.add_argument("--from", dest="source", required=True, help="源：数据文件路径或 postgresql:// 地址")
    copier.add_argument("--to", dest="target", required=True, help="目标：数据文件路径或 postgresql:// 地址")
    copier.add_argument("--force", action="store_true", help="目标已有数据时先备份再覆盖")
    copier.set_defaults(run=cmd_copy)

    cli_import.register(commands)
    cli_users.register(commands)
    _store_option_everywhere(parser)
    return parser


def _store_option_everywhere(parser: argparse.ArgumentParser) -> None:
    """`--store` also after the command (`python -m loaders init --store postgresql://…`), as people type it."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                command.add_argument("--store", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
                _store_option_everywhere(command)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (StoreError, model.ValidationError) as error:
        print(f"错误：{error}", file=sys.stderr)
        return 1
