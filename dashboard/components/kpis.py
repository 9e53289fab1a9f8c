"""KPI cards: the article's headline figures computed from the data, totals per kind, counts per stage."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from loaders import model
from loaders.readable import count

from ..data import View


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    help: str | None = None
    note: str | None = None  # a short line under the value, always visible (unlike `help`)


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


RATE_HELP = ("已解决 ÷（问题点总数 − 已撤销）。按当前乡镇、日期和关键词选出的全部问题点计算，不受状态、阶段筛选影响："
             "只看「已解决」时解决率不会变成 100%。")


def rate_figure(rates: View, filtered_by_status: bool) -> Figure:
    """问题解决率 over the issues the other filters select (`rates`: the view without status and stage filters)."""
    issue = issue_figures(rates)
    base = issue["issues"] - rates.by_status.get(("issue", "已撤销"), 0)
    note = f"按全部状态 {count(base)} 件" if filtered_by_status else f"共 {count(base)} 件"
    return Figure("问题解决率", _rate(issue["rate"]), help=RATE_HELP, note=note)


def overdue_figure(view: View) -> Figure:
    over = view.points["overdue_days"].dropna()
    worst = f"最长逾期 {count(int(over.max()))} 天" if len(over) else None
    return Figure("逾期", number(len(over)), help="超过办理时限的未办结点位（时限见「进展」页）", note=worst)


def headline(view: View, fixed_kind: str | None, work=None, rates: View | None = None,
             filtered_by_status: bool = False) -> list[Figure]:
    """The first row: what a leader looks for first. On 总览 (`work`: loaders.figures.Headline for the chosen towns)
    the article's headline -- members taking part, activities, sites, problems solved, 社情民意 forwarded; points
    come from the filtered view, members and activities from the consultation records."""
    if fixed_kind is None:
        issue = issue_figures(view)
        figures = []
        if work is not None:
            figures += [
                Figure("委员参与", number(work.members_taking_part, "名"),
                       help=f"参加协商活动的委员（不重复计）；区政协委员共 {count(work.members_district)} 名"),
                Figure("协商活动", number(work.activities, "场次"), help=f"其中三级联动 {count(work.three_level)} 次"),
            ]
        return figures + [
            Figure("示范点", number(view.by_kind.get("demo_site", 0)), help="每个乡镇（街道）一个，共 17 个"),
            Figure("已解决问题", number(issue["resolved"]), help="状态为「已解决」的问题点（个）"),
            overdue_figure(view),
            Figure("转社情民意", number(issue["forwarded"]), help="状态为「已转社情民意」的问题点（件）"),
            rate_figure(rates or view, filtered_by_status),
        ]
    figures = [Figure("总数", number(view.total))]
    for status in model.KINDS[fixed_kind].statuses:
        figures.append(Figure(status.label, number(view.by_status.get((fixed_kind, status.label), 0))))
    return figures


def second_row(view: View, fixed_kind: str | None, rates: View | None = None,
               filtered_by_status: bool = False) -> list[Figure]:
    if fixed_kind is None:
        return ([Figure("点位总数", number(view.total))]
                + [Figure(model.kind_label(k), number(view.by_kind.get(k, 0))) for k in model.KINDS if k != "demo_site"]
                + [Figure(stage, number(view.by_stage.get(stage, 0))) for stage in model.STAGES])
    figures = [Figure(stage, number(view.by_stage.get(stage, 0))) for stage in model.STAGES] + [overdue_figure(view)]
    if fixed_kind == "issue":
        figures.append(rate_figure(rates or view, filtered_by_status))
    return figures


def number(n: int, unit: str = "") -> str:
    """A count as a Chinese reader reads it: thousands separated, its measure word after it."""
    return f"{count(n)}{unit}"


def row(figures: list[Figure]) -> None:
    for column, figure in zip(st.columns(len(figures)), figures):
        column.metric(figure.label, figure.value, delta=figure.note, delta_color="off", delta_arrow="off",
                      help=figure.help, border=True)


KEY = "xz_kpis"  # the container's CSS class is st-key-xz_kpis
#: On a phone (≤ 640 px) both rows of cards flow into one grid of small cards, three to a row, so the map starts
#: within the first screen; Streamlit alone would stack every card full width. Desktop is unchanged.
PHONE_CSS = """<style>
/* A label wraps instead of being cut: at 1366 px seven cards leave each ~130 px (已解决… 转社情… were unreadable). */
.st-key-xz_kpis [data-testid="stMetricLabel"] * { white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important; }
.st-key-xz_kpis [data-testid="stMetricValue"] * { overflow: visible !important; text-overflow: clip !important; }
/* A note under the value is plain small text, not a pill squeezed to the width of a number. */
.st-key-xz_kpis [data-testid="stMetricDelta"] { background: none !important; padding: 0 !important;
  max-width: 100% !important; height: auto !important; color: rgba(49, 51, 63, 0.7) !important; }
.st-key-xz_kpis [data-testid="stMetricDelta"] * { font-size: 0.78rem; white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important; }
/* Below a wide screen the cards are compact, so the map starts within the first screen at 1366×768. */
@media (min-width: 641px) and (max-width: 1599px) {
  .st-key-xz_kpis { gap: 0.5rem !important; }
  .st-key-xz_kpis [data-testid="stMetric"] { padding: 0.3rem 0.6rem; }
  .st-key-xz_kpis [data-testid="stMetricLabel"] p { font-size: 0.8rem; line-height: 1.25; }
  .st-key-xz_kpis [data-testid="stMetricValue"] { font-size: 1.3rem !important; line-height: 1.35; }
}
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
  .st-key-xz_kpis [data-testid="stMetricDelta"] { display: none !important; }
}
</style>"""


def grid(rows: list[list[Figure]]) -> None:
    """Rows of cards: side by side on a desktop, one grid of small cards on a phone (`PHONE_CSS`). Once per page."""
    st.html(PHONE_CSS)
    with st.container(key=KEY):
        for figures in rows:
            row(figures)


def cards(view: View, fixed_kind: str | None, work=None, rates: View | None = None,
          filtered_by_status: bool = False) -> None:
    """The two rows of a map page. `rates`: the view without the status and stage filters, for 问题解决率."""
    grid([headline(view, fixed_kind, work, rates, filtered_by_status),
          second_row(view, fixed_kind, rates, filtered_by_status)])
