"""Counts per town and stage: the table and the stacked bar chart of the map pages (Altair, drawn with the vega
bundled in Streamlit); the 大屏 draws the same table in its own dark chart."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from loaders import model
from loaders.units import Units

from ..data import OTHER_UNIT, View
from ..pointlayer import STAGE_COLORS
from . import numbers
from .numbers import AXIS_FORMAT


def unit_table(view: View, units: Units, chosen: tuple[str, ...], *, other: bool = True,
               total: bool = True) -> pd.DataFrame:
    """Rows: the chosen units (the network's 17 when none, by short name), then 其他 if `other` and any point lies
    outside them; columns: the stages, then 合计 if `total`."""
    codes = list(chosen) if chosen else [u.code for u in units.network]
    table = view.unit_stage.reindex(codes, fill_value=0)
    extra = [c for c in view.unit_stage.index if c not in codes]
    if other and extra:
        table.loc[OTHER_UNIT] = view.unit_stage.loc[extra].sum()
    table = table.reindex(columns=list(model.STAGES), fill_value=0).astype(int)
    if total:
        table["合计"] = table.sum(axis=1)
    table.index = [units.short(c) for c in table.index]
    table.index.name = "乡镇（街道）"
    return table


def stage_chart(table: pd.DataFrame) -> alt.Chart:
    order = [str(u) for u in table.index]
    long = table[list(model.STAGES)].copy()
    long.index = order
    long = long.rename_axis("unit").reset_index().melt(id_vars="unit", var_name="stage", value_name="n")
    long["stage_order"] = long["stage"].map({s: i for i, s in enumerate(model.STAGES)})
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("unit:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False, labelLimit=120)),
            x=alt.X("n:Q", stack="zero", title="点位数", axis=alt.Axis(tickMinStep=1, format=AXIS_FORMAT)),
            color=alt.Color("stage:N", title="阶段", sort=list(model.STAGES),
                            scale=alt.Scale(domain=list(model.STAGES), range=[STAGE_COLORS[s] for s in model.STAGES]),
                            legend=alt.Legend(orient="top", title=None)),
            order=alt.Order("stage_order:Q"),
            tooltip=[alt.Tooltip("unit:N", title="乡镇（街道）"), alt.Tooltip("stage:N", title="阶段"),
                     alt.Tooltip("n:Q", title="点位数", format=AXIS_FORMAT)],
        )
        .properties(height=max(160, 24 * len(order)))
    )


@st.cache_resource(show_spinner=False, max_entries=64)
def _drawn(view_key: tuple, chosen: tuple[str, ...], _view: View, _units: Units) -> tuple[pd.DataFrame, dict]:
    """The table and the chart's Vega-Lite spec of one view, made (and validated by Altair) once for all sessions."""
    table = unit_table(_view, _units, chosen)
    return table, stage_chart(table).to_dict()


def section(view: View, units: Units, chosen: tuple[str, ...]) -> None:
    table, spec = _drawn(view.key, chosen, view, units)
    left, right = st.columns([1, 1.25])
    with left:
        st.markdown("##### 各乡镇（街道）进展")
        numbers.table(table, width="stretch", height=min(36 * (len(table) + 1) + 3, 680))
    with right:
        st.markdown("##### 按阶段分布")
        st.vega_lite_chart(spec=spec, width="stretch")
