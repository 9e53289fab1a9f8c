"""A map of the view as a PNG, drawn on the server from the store's geometry alone (no tiles, no network): district
outline, town areas with their names, the points coloured by stage and shaped by kind, overdue points ringed, a
legend, a kilometre scale bar, a north arrow and the 示意 note."""
from __future__ import annotations

import io
import math

import pandas as pd
import shapely

from .. import model
from ..filters import Filter
from ..geography import Geography
from . import style
from .fonts import Face, matplotlib_font

NOTE = "示意图，不作为权属界线依据：乡镇范围由近似点位划分，非官方界线"
WIDTH_CM, HEIGHT_CM, DPI = 17.0, 15.0, 200
_KM_PER_DEGREE = 111.32
_NICE_KM = (1, 2, 5, 10, 20, 50)


def extent(geography: Geography, where: Filter) -> tuple[float, float, float, float]:
    """What the map shows: the chosen towns' areas, else the filter's box, else the whole district; with a margin."""
    chosen = [a["geometry"] for a in geography.areas if a["code"] in where.unit_codes]
    if chosen:
        box = shapely.union_all(chosen).bounds
    elif where.bbox:
        box = where.bbox
    else:
        box = geography.outline.bounds
    pad_x, pad_y = (box[2] - box[0]) * 0.06 + 0.005, (box[3] - box[1]) * 0.06 + 0.005
    return box[0] - pad_x, box[1] - pad_y, box[2] + pad_x, box[3] + pad_y


def scale_km(width_degrees: float, latitude: float) -> int:
    """A round number of kilometres about a fifth of the map's width."""
    width_km = width_degrees * _KM_PER_DEGREE * math.cos(math.radians(latitude))
    return max([k for k in _NICE_KM if k <= width_km / 5] or [_NICE_KM[0]])


def render(geography: Geography, points: pd.DataFrame, overdue_ids: set, where: Filter,
           faces: dict[str, Face]) -> bytes:
    import geopandas as gpd
    from matplotlib import patheffects
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    small, label_font = matplotlib_font(faces["hei"], 7), matplotlib_font(faces["hei"], 8)
    figure = Figure(figsize=(WIDTH_CM / 2.54, HEIGHT_CM / 2.54), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    west, south, east, north = extent(geography, where)
    middle = (south + north) / 2
    # Longitude degrees shrink with latitude: the aspect keeps a kilometre as long east-west as north-south.
    axes.set_aspect(1 / math.cos(math.radians(middle)))

    areas = gpd.GeoDataFrame(geography.areas, geometry="geometry", crs="EPSG:4326")
    fills = [style.AREA_PALETTE[i % len(style.AREA_PALETTE)] if a["in_network"] else style.OUTSIDE_FILL
             for i, a in enumerate(geography.areas)]
    dimmed = [bool(where.unit_codes) and a["code"] not in where.unit_codes for a in geography.areas]
    areas.plot(ax=axes, color=fills, edgecolor="#8797a8", linewidth=0.5, alpha=0.85)
    if any(dimmed):
        areas[dimmed].plot(ax=axes, color="white", alpha=0.55, linewidth=0)
    gpd.GeoSeries([geography.outline]).boundary.plot(ax=axes, color=style.OUTLINE, linewidth=1.4)
    halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
    for area, dim in zip(geography.areas, dimmed):
        spot = area["geometry"].representative_point()
        if west < spot.x < east and south < spot.y < north:
            axes.text(spot.x, spot.y, str(area.get("short_name") or area["name"]), fontproperties=label_font,
                      ha="center", va="center", color="#8a8f98" if dim else "#2c3e50", path_effects=halo, zorder=3)

    overdue = points["id"].isin(overdue_ids)
    if overdue.any():
        axes.scatter(points.loc[overdue, "lon"], points.loc[overdue, "lat"], s=70, facecolors="none",
                     edgecolors=style.OVERDUE_RING, linewidths=1.6, zorder=5)
    for kind, marker in style.KIND_MARKERS.items():
        mine = points[points["kind"] == kind]
        if len(mine):
            axes.scatter(mine["lon"], mine["lat"], s=40 if marker == "*" else 18, marker=marker,
                         c=[style.STAGE_COLORS.get(s, "#555555") for s in mine["stage"]], edgecolors="white",
                         linewidths=0.4, zorder=4)

    axes.set_xlim(west, east)
    axes.set_ylim(south, north)
    axes.set_xticks([])
    axes.set_yticks([])
    axes.set_xlabel("")
    axes.set_ylabel("")
    km = scale_km(east - west, middle)
    axes.add_artist(AnchoredSizeBar(axes.transData, km / (_KM_PER_DEGREE * math.cos(math.radians(middle))),
                                    f"{km} 公里", loc="lower left", pad=0.5, borderpad=0.6, sep=3, frameon=True,
                                    size_vertical=(north - south) / 250, fontproperties=small))
    axes.annotate("北", xy=(0.955, 0.965), xytext=(0.955, 0.875), xycoords="axes fraction", ha="center", va="center",
                  fontproperties=label_font, arrowprops={"arrowstyle": "-|>", "color": "#2c3e50", "lw": 1.2})

    kinds = sorted(set(points["kind"]), key=list(model.KINDS).index) or list(model.KINDS)
    handles = [Line2D([], [], marker=style.KIND_MARKERS[k], linestyle="", color="#5f6b7a", markersize=6,
                      label=model.kind_label(k)) for k in kinds]
    handles += [Line2D([], [], marker="o", linestyle="", color=color, markersize=6, label=stage)
                for stage, color in style.STAGE_COLORS.items()]
    handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor="none", markeredgecolor=style.OVERDUE_RING,
                          markeredgewidth=1.6, markersize=8, label="逾期"))
    figure.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 9), prop=small, frameon=False,
                  handletextpad=0.2, columnspacing=0.9)
    axes.text(0.99, 0.012, NOTE, transform=axes.transAxes, ha="right", va="bottom", fontproperties=small,
              color="#4a5563", path_effects=halo, zorder=6)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
