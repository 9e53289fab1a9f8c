"""The detail of one consultation activity: what, where, who (groups, members, departments, experts), what came of
it, and the issues it raised -- each a button that opens the issue on the 问题点 page."""
from __future__ import annotations

import streamlit as st

from loaders.figures import outcome_of

from .. import data
from .safe import md_text
from .selection import ACTIVITY, POINT

ISSUES_PAGE = "views/issues.py"
MEMBERS_SHOWN = 40


def _line(label: str, value) -> str:
    shown = "—" if value in (None, "", ()) else value
    return f"**{md_text(label)}**：{md_text(shown)}"


def panel(activity_id: str | None, work: data.Work, unit_names: dict[str, str]) -> None:
    with st.container(border=True):
        if not activity_id:
            st.markdown("##### 活动详情")
            st.caption("点击地图上的菱形标记或在下方列表中选中一场活动，即可在这里查看参加的委员、部门、协商成果和它提出的问题。")
            return
        version = data.version()
        record = data.activity(activity_id, version)
        if record is None or record.get("deleted_at"):
            st.markdown("##### 活动详情")
            st.warning("没有找到这场活动，可能已被删除。")
            st.button("关闭", on_click=ACTIVITY.clear, key="xz_activity_close")
            return
        st.markdown(f"##### {md_text(record['topic'])}")
        if record.get("sample"):
            st.caption("演示数据：活动依据公开报道编制，参加的委员为虚构")
        names = work.group_names
        lines = [
            _line("日期", record["date"]), _line("形式", record["form"]), _line("协商渠道", record["channel"]),
            _line("地点", record.get("place")), _line("乡镇（街道）", unit_names.get(record.get("unit_code"), "—")),
            _line("组织的委员活动组", "、".join(names.get(g, g) for g in record["groups"])),
            _line("参加部门", f"{'、'.join(record['departments'])}（{record.get('department_count') or 0} 个）"
                  if record["departments"] else None),
            _line("专家", f"{record['expert_count']} 人" if record.get("expert_count") else None),
            _line("群众和利益相关方", f"{record['public_count']} 人" if record.get("public_count") else None),
            _line("协商情况", record.get("summary")), _line("协商成果", record.get("outcome")),
        ]
        st.markdown("  \n".join(lines))
        _members(record, work)
        _issues(record)
        st.button("关闭详情", on_click=ACTIVITY.clear, key="xz_activity_close", icon=":material/close:")


def _members(record: dict, work: data.Work) -> None:
    ids = list(record["members"])
    if not ids:
        return
    roll = work.members.set_index("id")
    names = [str(roll.at[i, "name"]) if i in roll.index else i for i in ids]
    shown = "、".join(names[:MEMBERS_SHOWN]) + ("……" if len(names) > MEMBERS_SHOWN else "")
    st.markdown(f"**参加的委员（{len(ids)} 名）**：{md_text(shown)}")


def _issues(record: dict) -> None:
    if not record["issues"]:
        st.caption("这场活动没有登记提出的问题。")
        return
    st.markdown(f"**提出和再次协商的问题（{len(record['issues'])} 个）**")
    version = data.version()
    for number, (point_id, role) in enumerate(record["issues"]):
        point = data.point(point_id, version)
        if point is None:
            continue
        left, right = st.columns([3, 1], vertical_alignment="center")
        left.markdown(f"{md_text(role)}：{md_text(point['name'])}")
        left.caption(f"{md_text(point['status'])} · {md_text(outcome_of(point))}")
        if right.button("查看", key=f"xz_open_issue_{number}", help="在问题点页面打开这个问题"):
            POINT.open(point_id, ISSUES_PAGE)
