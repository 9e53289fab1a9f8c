"""`python -m loaders …`: set up the store, see what is in it, and export it.

Exit codes: 0 success, 1 the data or file was refused (message on stderr, store unchanged), 2 bad usage.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import cli_import, cli_users, config, export, model
from .filters import Filter
from .units import Units
from .store import StoreError, initialise, open_store


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


def cmd_init(args) -> int:
    path = args.store or config.store_location()
    outcome, backup = initialise(path, config.geodata_dir(), force=args.force)
    if outcome == "exists":
        print(f"数据文件已存在，未做改动：{path}（如需重建请加 --force，会先备份）")
    else:
        if backup:
            print(f"已备份原数据文件到 {backup}")
        print(f"已从内置数据创建：{path}")
    return 0


def summary(store) -> dict:
    counts = store.counts()
    units = store.units().set_index("code")
    by = lambda column: {str(k): int(v) for k, v in counts.groupby(column)["n"].sum().items()}  # noqa: E731
    return {
        "store": store.location,
        "data_version": store.data_version(),
        "total": int(counts["n"].sum()),
        "by_kind": by("kind"),
        "by_stage": by("stage"),
        "by_status": {kind: {s: int(n) for s, n in group.groupby("status")["n"].sum().items()}
                      for kind, group in counts.groupby("kind")},
        "by_unit": {str(code): {"name": units.loc[code, "name"] if code in units.index else None,
                                **{k: int(n) for k, n in group.groupby("kind")["n"].sum().items()}}
                    for code, group in counts.groupby("unit_code")},
    }


def cmd_info(args) -> int:
    store = open_store(args.store)
    facts = summary(store)
    if args.json:
        print(json.dumps(facts, ensure_ascii=False, indent=2))
        return 0
    print(f"数据文件：{facts['store']}（数据版本 {facts['data_version']}）")
    print(f"点位合计：{facts['total']}")
    for kind, n in facts["by_kind"].items():
        statuses = "，".join(f"{s} {c}" for s, c in facts["by_status"][kind].items())
        print(f"  {model.kind_label(kind)} {n}：{statuses}")
    print("按阶段：" + "，".join(f"{s} {n}" for s, n in facts["by_stage"].items()))
    return 0


def cmd_export(args) -> int:
    store = open_store(args.store)
    units = Units.from_frame(store.units())
    points = store.points(_filter(args, units))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(export.export_bytes(points, args.format, store.units()))
    print(f"已导出 {len(points)} 个点位到 {out}")
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
    _add_filter_options(exporter)
    exporter.set_defaults(run=cmd_export)

    cli_import.register(commands)
    cli_users.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (StoreError, model.ValidationError) as error:
        print(f"错误：{error}", file=sys.stderr)
        return 1
