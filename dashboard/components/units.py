"""Per-unit table and stacked bar chart by stage (Altair, drawn with the vega bundled in Streamlit)."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from loaders import model

from ..data import OTHER_UNIT, View
from ..pointlayer import STAGE_COLORS


def unit_table(view: View, units: pd.DataFrame, chosen: tuple[str, ...]) -> pd.DataFrame:
    """Rows: the chosen units (all 17 when none), then 其他 if any point lies outside them; columns: stages, 合计."""
    codes = list(chosen) if chosen else list(units["code"])
    names = dict(zip(units["code"], units["short_name"]))
    table = view.unit_stage.reindex(codes, fill_value=0)
    extra = [c for c in view.unit_stage.index if c not in codes]
    if extra:
        table.loc[OTHER_UNIT] = view.unit_stage.loc[extra].sum()
    table = table.reindex(columns=list(model.STAGES), fill_value=0).astype(int)
    table["合计"] = table.sum(axis=1)
    table.index = [names.get(c, c) for c in table.index]
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
            x=alt.X("n:Q", stack="zero", title="点位数", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color("stage:N", title="阶段", sort=list(model.STAGES),
                            scale=alt.Scale(domain=list(model.STAGES), range=[STAGE_COLORS[s] for s in model.STAGES]),
                            legend=alt.Legend(orient="top", title=None)),
            order=alt.Order("stage_order:Q"),
            tooltip=[alt.Tooltip("unit:N", title="乡镇（街道）"), alt.Tooltip("stage:N", title="阶段"),
                     alt.Tooltip("n:Q", title="点位数")],
        )
        .properties(height=max(160, 24 * len(order)))
    )


def section(view: View, units: pd.DataFrame, chosen: tuple[str, ...]) -> None:
    table = unit_table(view, units, chosen)
    left, right = st.columns([1, 1.25])
    with left:
        st.markdown("##### 各乡镇（街道）进展")
        st.dataframe(table, width="stretch", height=min(36 * (len(table) + 1) + 3, 680))
    with right:
        st.markdown("##### 按阶段分布")
        st.altair_chart(stage_chart(table), width="stretch")
