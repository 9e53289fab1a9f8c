"""Time at a glance: this month's figures, overdue and due counts and how long settling takes -- as a row of cards
on the 进展 page, and as one compact line with a link to it on 总览 and every layer page."""
from __future__ import annotations

import streamlit as st

from loaders.filters import Filter
from loaders.readable import count

from .. import data
from .kpis import Figure, grid, number


def _days(value) -> str:
    return "—" if value is None else f"{value:.0f} 天"


def figures(report) -> None:
    month = report.this_month
    worst = int(report.overdue["days_over"].max()) if len(report.overdue) else 0
    grid([[
        Figure("本月新增", number(month["new"]), help=f"{report.today:%Y年%m月}登记的点位"),
        Figure("本月办结", number(month["resolved"]), help="本月完成（已解决、已出水、已改造、已建成等）"),
        Figure("本月转社情民意", number(month["forwarded"])),
        Figure("未办结", number(month["open"]), help="待办和进行中的点位（不受状态筛选影响）"),
        Figure("逾期", number(month["overdue"]), help=f"超过办理时限的未办结点位；最长逾期 {count(worst)} 天" if worst
               else "超过办理时限的未办结点位"),
        Figure("本周到期", number(len(report.due_soon)), help="未来 7 天内到达办理时限"),
        Figure("办结用时中位数", _days(report.duration_all["median_days"]),
               help=f"90% 在 {_days(report.duration_all['p90_days'])}内办结（登记到完成）"),
    ]])


# On a phone the line gives way to the map (its 逾期 is among the cards, 进展 is in the menu).
STRIP_CSS = "<style>@media (max-width: 640px) { .st-key-xz_strip { display: none !important; } }</style>"


def strip(where: Filter) -> None:
    """One line under the KPI cards of a map page: this month, overdue, median time; links to 进展 with the filter."""
    report = data.progress(where)
    month = report.this_month
    median = report.duration_all["median_days"]
    parts = [f"本月新增 {count(month['new'])}", f"本月办结 {count(month['resolved'])}",
             f"**逾期 {count(month['overdue'])}**" if month["overdue"] else "逾期 0", f"本周到期 {count(len(report.due_soon))}"]
    if median is not None:
        parts.append(f"办结用时中位数 {median:.0f} 天")
    st.html(STRIP_CSS)
    with st.container(key="xz_strip"):
        left, right = st.columns([6, 1], vertical_alignment="center")
    left.markdown("　·　".join(parts))
    right.page_link("views/progress.py", label="查看进展", icon=":material/timeline:", query_params=_carried())


def _carried() -> dict[str, str]:
    """The filter of this page in the link, so 进展 opens on the same towns, dates and keyword."""
    return {k: v for k, v in st.query_params.to_dict().items() if k in ("unit", "q", "from", "to", "kind")}
