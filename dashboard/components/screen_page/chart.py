"""The 大屏's per-town chart: the stacked stage bars of the map pages' table, dark, with each town's total beside it
and the toured town's total highlighted."""
from __future__ import annotations

import altair as alt
import pandas as pd

from loaders import model
from loaders.readable import count

from ...pointlayer import STAGE_COLORS
from ..unit_stages import unit_table
from .darkmap import HIGHLIGHT
from .snapshot import Snapshot

CHART_HEIGHT = 708  # down to the map's bottom edge
FONT = 24  # px: every text on the 大屏 that is meant to be read


def unit_stage_table(snapshot: Snapshot) -> pd.DataFrame:
    """Rows: the screen's towns by short name; columns: the stages (no 其他 row, no 合计 column)."""
    table = unit_table(snapshot.view, snapshot.units, snapshot.presets.where.unit_codes, other=False, total=False)
    return table.rename_axis("乡镇")


def stage_chart(table: pd.DataFrame, highlight: str | None = None) -> alt.LayerChart:
    long = table.reset_index().melt(id_vars="乡镇", var_name="阶段", value_name="数量")
    totals = table.sum(axis=1).rename("合计").reset_index()
    totals["标签"] = totals["合计"].map(lambda n: count(n, wan=True))  # 4.5万: read from the back of the room
    order = list(table.index)
    y = alt.Y("乡镇:N", sort=order, title=None, axis=alt.Axis(labelFontSize=FONT, labelPadding=6, ticks=False))
    # No x axis: each bar's total is written beside it, in letters that can be read from the back of the room.
    bars = (alt.Chart(long).mark_bar(height={"band": 0.72}, cornerRadiusEnd=2)
            .encode(y=y, x=alt.X("sum(数量):Q", title=None, axis=None),
                    color=alt.Color("阶段:N", scale=alt.Scale(domain=list(model.STAGES),
                                                             range=[STAGE_COLORS[s] for s in model.STAGES]),
                                    legend=alt.Legend(orient="top", title=None, labelFontSize=FONT, symbolSize=200,
                                                      columns=2, columnPadding=28, rowPadding=2, labelOffset=6)),
                    order=alt.Order("stage_order:Q"))
            .transform_calculate(stage_order=f"indexof({list(model.STAGES)!r}, datum['阶段'])"))
    labels = (alt.Chart(totals).mark_text(align="left", dx=6, fontSize=FONT, fontWeight="bold")
              .encode(y=alt.Y("乡镇:N", sort=order), x=alt.X("合计:Q"), text=alt.Text("标签:N"),
                      color=alt.condition(alt.datum["乡镇"] == (highlight or ""), alt.value(HIGHLIGHT),
                                          alt.value("#cfe0f5"))))
    return (alt.layer(bars, labels)
            .properties(height=CHART_HEIGHT, background="transparent", padding={"left": 4, "right": 18, "top": 4,
                                                                               "bottom": 4})
            .configure(font="Noto Sans CJK SC, Microsoft YaHei, sans-serif")
            .configure_axis(labelColor="#c7d7ec", gridColor="#17304f", domainColor="#2a4a72", tickColor="#2a4a72")
            .configure_legend(labelColor="#dce8f7")
            .configure_view(strokeWidth=0))
