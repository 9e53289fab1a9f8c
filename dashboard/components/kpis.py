"""KPI cards: the article's headline figures computed from the data, totals per kind, counts per stage."""
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


def headline(view: View, fixed_kind: str | None, work=None) -> list[Figure]:
    """The first row: what a leader looks for first. On 总览 (`work`: loaders.figures.Headline for the chosen towns)
    the article's headline -- members taking part, activities, sites, problems solved, 社情民意 forwarded; points
    come from the filtered view, members and activities from the consultation records."""
    if fixed_kind is None:
        issue = issue_figures(view)
        figures = []
        if work is not None:
            figures += [
                Figure("委员参与", number(work.members_taking_part, "名"),
                       help=f"参加协商活动的委员（不重复计）；区政协委员共 {work.members_district:,} 名"),
                Figure("协商活动", number(work.activities, "场次"), help=f"其中三级联动 {work.three_level} 次"),
            ]
        return figures + [
            Figure("示范点", number(view.by_kind.get("demo_site", 0)), help="每个乡镇（街道）一个，共 17 个"),
            Figure("已解决问题", number(issue["resolved"]), help="状态为「已解决」的问题点（个）"),
            Figure("转社情民意", number(issue["forwarded"]), help="状态为「已转社情民意」的问题点（件）"),
            Figure("问题解决率", _rate(issue["rate"]), help="已解决 ÷（问题点总数 − 已撤销）"),
        ]
    figures = [Figure("总数", number(view.total))]
    for status in model.KINDS[fixed_kind].statuses:
        figures.append(Figure(status.label, number(view.by_status.get((fixed_kind, status.label), 0))))
    return figures


def second_row(view: View, fixed_kind: str | None) -> list[Figure]:
    if fixed_kind is None:
        return ([Figure("点位总数", number(view.total))]
                + [Figure(model.kind_label(k), number(view.by_kind.get(k, 0))) for k in model.KINDS if k != "demo_site"]
                + [Figure(stage, number(view.by_stage.get(stage, 0))) for stage in model.STAGES])
    figures = [Figure(stage, number(view.by_stage.get(stage, 0))) for stage in model.STAGES]
    if fixed_kind == "issue":
        figures.append(Figure("问题解决率", _rate(issue_figures(view)["rate"]), help="已解决 ÷（问题点总数 − 已撤销）"))
    return figures


def number(n: int, unit: str = "") -> str:
    """A count as a Chinese reader reads it: thousands separated, its measure word after it."""
    return f"{int(n):,}{unit}"


def row(figures: list[Figure]) -> None:
    for column, figure in zip(st.columns(len(figures)), figures):
        column.metric(figure.label, figure.value, help=figure.help, border=True)


KEY = "xz_kpis"  # the container's CSS class is st-key-xz_kpis
#: On a phone (≤ 640 px) both rows of cards flow into one grid of small cards, three to a row, so the map starts
#: within the first screen; Streamlit alone would stack every card full width. Desktop is unchanged.
PHONE_CSS = """<style>
@media (max-width: 640px) {
  .st-key-xz_kpis { flex-flow: row wrap !important; gap: 0.35rem !important; }
  .st-key-xz_kpis > [data-testid="stLayoutWrapper"],
  .st-key-xz_kpis [data-testid="stHorizontalBlock"] { display: contents; }
  .st-key-xz_kpis [data-testid="stColumn"] { flex: 0 0 calc((100% - 0.7rem) / 3) !important;
    width: calc((100% - 0.7rem) / 3) !important; min-width: 0 !important; }
  .st-key-xz_kpis [data-testid="stMetric"] { padding: 0.3rem 0.5rem; min-height: 0; }
  .st-key-xz_kpis [data-testid="stMetric"] > div { padding: 0; }
  .st-key-xz_kpis [data-testid="stMetricLabel"] { min-height: 0; }
  .st-key-xz_kpis [data-testid="stMetricLabel"] * { white-space: normal !important; overflow: visible !important;
    text-overflow: clip !important; }
  .st-key-xz_kpis [data-testid="stMetricLabel"] p { font-size: 0.74rem; line-height: 1.25; }
  .st-key-xz_kpis [data-testid="stMetricLabel"] [data-testid="stTooltipIcon"] { display: none; }
  .st-key-xz_kpis [data-testid="stMetricValue"] { font-size: 1.1rem !important; line-height: 1.3; }
}
</style>"""


def grid(rows: list[list[Figure]]) -> None:
    """Rows of cards: side by side on a desktop, one grid of small cards on a phone (`PHONE_CSS`). Once per page."""
    st.html(PHONE_CSS)
    with st.container(key=KEY):
        for figures in rows:
            row(figures)


def cards(view: View, fixed_kind: str | None, work=None) -> None:
    grid([headline(view, fixed_kind, work), second_row(view, fixed_kind)])
