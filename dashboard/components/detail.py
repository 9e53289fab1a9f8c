"""The detail panel beside the map: every field with its Chinese label, dates, and the follow-up timeline."""
from __future__ import annotations

import streamlit as st

from loaders import model

from .. import data
from . import selection
from .safe import md_text

HIDDEN = {"name", "kind", "status", "village"}


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
    for key in ("id", "external_id", "updated_at", "updated_by"):
        if record.get(key):
            out.append((labels[key], _value(record.get(key))))
    return out


def panel(point_id: str | None, unit_names: dict[str, str], in_view: bool) -> None:
    with st.container(border=True):
        if not point_id:
            st.markdown("##### 点位详情")
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
        if entries:
            st.markdown("**跟踪督办记录**")
            for entry in entries:
                head = " · ".join(md_text(v) for v in (entry.get("date"), entry.get("status"), entry.get("author")) if v)
                st.markdown(f"- **{head}**  \n  {md_text(entry.get('text'))}")
        st.button("关闭详情", on_click=selection.clear, key="xz_detail_close", icon=":material/close:")
