"""The detail panel beside the map: every field with its Chinese label, dates, and the follow-up timeline."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from loaders import model
from loaders.figures import outcome_of
from loaders.readable import person, when

from .. import data
from . import photos, selection
from .safe import md_text

HIDDEN = {"name", "kind", "status", "village"}
ACTIVITIES_PAGE = "views/activities.py"


def _value(value) -> str:
    if model.is_missing(value):
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def rows(record: dict, unit_names: dict[str, str]) -> list[tuple[str, str]]:
    """(label, value) pairs in reading order, all as plain text (the caller escapes)."""
    labels = model.COLUMN_LABELS
    out = [(labels["kind"], model.kind_label(record["kind"])),
           (labels["status"], f"{record['status']}（{record.get('stage') or model.stage_of(record['kind'], record['status'])}）"),
           (labels["unit_name"], unit_names.get(record.get("unit_code"), record.get("unit_code") or "—"))]
    for key in model.fields_for(record["kind"]):
        if key in HIDDEN:
            if key == "village":
                out.append((labels["village"], _value(record.get("village"))))
            continue
        out.append((labels[key], _value(record.get(key))))
    out.append(("经纬度（WGS-84）", f"{record['lon']:.6f}, {record['lat']:.6f}"))
    # The internal id is left out: the name says which point it is. The source's own number (外部编号) is what
    # people quote back to the source, so it stays.
    if not model.is_missing(record.get("external_id")):
        out.append((labels["external_id"], _value(record["external_id"])))
    if not model.is_missing(record.get("updated_at")):
        out.append((labels["updated_at"], when(record["updated_at"])))
    if not model.is_missing(record.get("updated_by")):
        out.append((labels["updated_by"], person(record["updated_by"])))
    return out


def panel(point_id: str | None, unit_names: dict[str, str], in_view: bool) -> None:
    with st.container(border=True):
        if not point_id:
            st.markdown("##### 点位详情")
            _left_out()
            st.caption("点击地图上的点位，或在下方点位列表中选中一行，即可在这里查看它的情况和跟踪督办记录。"
                       "点击地图上的乡镇范围可只看该乡镇。")
            return
        version = data.version()
        record = data.point(point_id, version)
        if record is None:
            st.markdown("##### 点位详情")
            st.warning("没有找到这个点位，可能已被删除。")
            st.button("关闭", on_click=selection.clear, key="xz_detail_close")
            return
        st.markdown(f"##### {md_text(record['name'])}")
        if record.get("sample"):
            st.caption("演示数据：位置和内容为示意")
        if not in_view:
            st.caption("该点位不在当前筛选结果中。")
        lines = [f"**{md_text(label)}**：{md_text(value)}" for label, value in rows(record, unit_names)]
        st.markdown("  \n".join(lines))
        entries = data.follow_ups(point_id, version)
        if record["kind"] == "issue":
            _timeline(timeline(record, entries, data.work()))
        elif entries:
            st.markdown("**跟踪督办记录**")
            for entry in entries:
                head = " · ".join(md_text(v) for v in (entry.get("date"), entry.get("status"),
                                                       entry.get("author") and person(entry["author"])) if v)
                st.markdown(f"- **{head}**  \n  {md_text(entry.get('text'))}")
        pictures = photos.listed(point_id, version)
        if pictures:
            st.markdown(f"**照片**（{len(pictures)} 张）")
            photos.gallery(pictures, key="xz_detail_photo")
        st.button("关闭详情", on_click=selection.clear, key="xz_detail_close", icon=":material/close:")


def _left_out() -> None:
    """Say which point a filter change closed (selection.leave_if_filtered_out): said where its details were."""
    point_id = selection.POINT.left_out()
    record = data.point(point_id, data.version()) if point_id else None
    if record is not None:
        st.info(f"之前查看的「{md_text(record['name'])}」不符合新的筛选条件，已关闭它的详情；地图已回到筛选结果。",
                icon=":material/filter_alt:")


@dataclass(frozen=True)
class Step:
    date: str  # ISO; "" when unknown
    label: str  # 提出 / 登记 / 再次协商 / 跟踪督办 / 结果
    text: str
    activity_id: str | None = None


def timeline(record: dict, follow_ups: list[dict], work: data.Work) -> list[Step]:
    """An issue's path as one line: the activity that raised it, later consultations, the follow-ups, the outcome."""
    steps = []
    activities = work.activities.set_index("id")
    for link in work.activity_ids_of(record["id"]).itertuples(index=False):
        if link.activity_id in activities.index:
            act = activities.loc[link.activity_id]
            steps.append(Step(str(act["date"]), link.role, f"{act['form']} · {act['topic']}", link.activity_id))
    if record.get("opened_on"):
        steps.append(Step(str(record["opened_on"]), "登记", "登记为问题点"))
    for entry in follow_ups:
        head = " · ".join(v for v in (entry.get("status"), entry.get("author") and person(entry["author"])) if v)
        steps.append(Step(str(entry.get("date") or ""), "跟踪督办", f"{head}：{entry.get('text')}" if head
                          else str(entry.get("text"))))
    stage = model.stage_of(record["kind"], record["status"])
    if stage not in model.OPEN_STAGES or record.get("proposal_no"):
        steps.append(Step(str(record.get("resolved_on") or ""), "结果", outcome_of(record)))
    order = {"提出": 0, "登记": 1, "再次协商": 2, "跟踪督办": 3, "结果": 4}
    return sorted(steps, key=lambda s: (s.date or "9999", order.get(s.label, 5)))


def _timeline(steps: list[Step]) -> None:
    if not steps:
        return
    st.markdown("**来源与进展**")
    for number, step in enumerate(steps):
        line = f"- **{md_text(step.date or '日期不详')} · {md_text(step.label)}**  \n  {md_text(step.text)}"
        if step.activity_id:
            left, right = st.columns([4, 1], vertical_alignment="center")
            left.markdown(line)
            if right.button("活动", key=f"xz_open_activity_{number}", help="在协商活动页打开这场活动"):
                selection.ACTIVITY.open(step.activity_id, ACTIVITIES_PAGE)
        else:
            st.markdown(line)
