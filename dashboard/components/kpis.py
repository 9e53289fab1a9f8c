"""KPI cards: totals per kind, counts per stage, and the article's headline figures computed from the data."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from loaders import model

from ..data import View


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    help: str | None = None


def issue_figures(view: View) -> dict[str, float | int | None]:
    issues = sum(n for (kind, _), n in view.by_status.items() if kind == "issue")
    withdrawn = view.by_status.get(("issue", "已撤销"), 0)
    resolved = view.by_status.get(("issue", model.ISSUE_RESOLVED), 0)
    forwarded = view.by_status.get(("issue", model.ISSUE_FORWARDED), 0)
    base = issues - withdrawn
    return {"issues": issues, "resolved": resolved, "forwarded": forwarded,
            "rate": (resolved / base) if base else None}


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def headline(view: View, fixed_kind: str | None) -> list[Figure]:
    """The first row: what a leader looks for first."""
    if fixed_kind is None:
        issue = issue_figures(view)
        return ([Figure("点位总数", f"{view.total}")]
                + [Figure(model.kind_label(k), f"{view.by_kind.get(k, 0)}",
                          help=("每个乡镇（街道）一个，共 17 个" if k == "demo_site" else None)) for k in model.KINDS]
                + [Figure("已解决问题", f"{issue['resolved']}", help="状态为「已解决」的问题点（个）")])
    figures = [Figure("总数", f"{view.total}")]
    for status in model.KINDS[fixed_kind].statuses:
        figures.append(Figure(status.label, f"{view.by_status.get((fixed_kind, status.label), 0)}"))
    return figures


def second_row(view: View, fixed_kind: str | None) -> list[Figure]:
    figures = [Figure(stage, f"{view.by_stage.get(stage, 0)}") for stage in model.STAGES]
    if fixed_kind is None:
        figures.append(Figure("转社情民意", f"{issue_figures(view)['forwarded']}",
                              help="状态为「已转社情民意」的问题点（件）"))
    if fixed_kind in (None, "issue"):
        figures.append(Figure("问题解决率", _rate(issue_figures(view)["rate"]), help="已解决 ÷（问题点总数 − 已撤销）"))
    return figures


def cards(view: View, fixed_kind: str | None) -> None:
    for row in (headline(view, fixed_kind), second_row(view, fixed_kind)):
        columns = st.columns(len(row))
        for column, figure in zip(columns, row):
            column.metric(figure.label, figure.value, help=figure.help, border=True)
