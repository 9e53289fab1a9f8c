"""The month chart of a briefing: new, finished and forwarded per month as bars, open at the month's end as a line."""
from __future__ import annotations

import io
import math

import pandas as pd

from .fonts import Face, matplotlib_font

SERIES = (("new", "新增", "#3b6ea5"), ("resolved", "办结", "#2e9d5b"), ("forwarded", "转社情民意", "#8e6bb3"))


def months(monthly: pd.DataFrame, faces: dict[str, Face]) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    small = matplotlib_font(faces["hei"], 7)
    frame = monthly.reset_index(drop=True)
    figure = Figure(figsize=(17 / 2.54, 6.5 / 2.54), dpi=200, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    width = 0.27
    for offset, (column, label, color) in zip((-width, 0, width), SERIES):
        axes.bar(frame.index + offset, frame[column], width=width, color=color, label=label)
    line = axes.twinx()
    line.plot(frame.index, frame["open_end"], color="#e4572e", marker="o", markersize=2.5, linewidth=1.2,
              label="月末未办结（右轴）")
    step = max(1, math.ceil(len(frame) / 8))  # at most 8 month labels: they stay apart at this size
    axes.set_xticks(frame.index[::step], frame["month"][::step], fontproperties=small, rotation=0)
    for ax in (axes, line):
        for tick in ax.get_yticklabels():
            tick.set_fontproperties(small)
        ax.spines["top"].set_visible(False)
    axes.set_ylabel("件数", fontproperties=small)
    handles = axes.get_legend_handles_labels()[0] + line.get_legend_handles_labels()[0]
    axes.legend(handles=handles, prop=small, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=4, frameon=False)
    for ax in (axes, line):
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(bottom=0, top=max(1, ax.get_ylim()[1]))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
