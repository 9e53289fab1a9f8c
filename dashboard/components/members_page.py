"""委员履职: members and their groups at work -- activities attended, issues raised and solved, 社情民意 forwarded --
over a chosen period; groups without any activity in it stand out; the 对口联系 pairing of the 8 district-level
groups with the 17 town groups drawn on the map.

Storyboard: period (URL from/to) → figures → map of the pairing beside the chosen group → groups table → members
table. Choosing a district group (table row, or ?group=) draws lines to the towns it pairs with.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from loaders.filters import DATE_MAX, DATE_MIN, ActivityFilter, parse_date
from loaders.readable import count

from .. import data, mapview
from . import activity_filters, kpis, layer_page, printing, record_exports
from .filters import set_query
from .safe import md_text
from .selection import Selection

GROUP = Selection("group", "group")
PALETTE = ("#c0272d", "#1565c0", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#ad1457", "#4e342e")
SEAT = "420607001000"  # 区直 groups are drawn from the district seat (张湾街道), a schematic anchor
W_FROM, W_TO, W_SEARCH = "m_from", "m_to", "m_search"
_LOADED = "_xz_members_loaded"
GROUP_TABLE, _GROUP_IDS = "xz_group_table", "_xz_group_table_ids"
ACTIVITIES_PAGE = "views/activities.py"


def _period() -> tuple[dt.date | None, dt.date | None]:
    ss = st.session_state
    if not ss.get(_LOADED):
        ss[_LOADED] = True
        for key, param in ((W_FROM, "from"), (W_TO, "to")):
            raw = st.query_params.get(param, "")
            ss[key] = parse_date(raw) if raw else None
            if raw and ss[key] is None:
                st.sidebar.warning(md_text(f"链接中的日期「{raw[:40]}」无法识别，已忽略。"), icon="ℹ️")
    bar = st.sidebar
    bar.markdown("#### 统计期间")
    left, right = bar.columns(2)
    since = left.date_input("从", key=W_FROM, min_value=DATE_MIN, max_value=DATE_MAX,
                            format="YYYY-MM-DD")
    until = right.date_input("至", key=W_TO, min_value=DATE_MIN, max_value=DATE_MAX,
                             format="YYYY-MM-DD")
    if since and until and since > until:
        since, until = until, since
    set_query({k: v.isoformat() for k, v in (("from", since), ("to", until)) if v}, ("from", "to"))
    return since, until


def _describe(since, until) -> str:
    if not since and not until:
        return "全部期间"
    return f"{since or '…'} 至 {until or '…'}"


def _pairing_lines(groups: pd.DataFrame, pairs: pd.DataFrame, geography, units, chosen: str | None) -> list:
    seat = units.get(SEAT)
    labels = {code: (lon, lat) for code, _, _, lat, lon, _ in geography.labels}
    town_of = groups.set_index("code")["unit_code"]
    district = [c for c in groups.loc[groups["level"] == "区直", "code"]]
    layers = []
    for number, code in enumerate(district):
        towns = [town_of.get(t) for t in pairs.loc[pairs["district_group"] == code, "town_group"]]
        ends = [labels[units.area_of(t)] for t in towns if t and units.area_of(t) in labels]
        lines = [((seat.lon, seat.lat), end) for end in ends]
        strong = chosen is None or chosen == code
        layers.append(mapview.lines_layer(lines, name=str(groups.set_index("code").at[code, "name"]),
                                          color=PALETTE[number % len(PALETTE)], weight=3.5 if chosen == code else 1.5,
                                          dash=None if strong else "4 6"))
    return layers


def _group_picker(groups: pd.DataFrame) -> None:
    """The group shown in the panel and on the map: this selectbox, a row of the groups table or ?group=."""
    names = dict(zip(groups["code"], groups["name"].astype(str)))
    order = list(groups.sort_values(["level", "code"], ascending=[False, True], kind="stable")["code"])
    if st.session_state.get(GROUP.key) not in names:
        st.session_state[GROUP.key] = None
    st.selectbox("委员活动组", order, format_func=lambda c: names.get(c, c), key=GROUP.key,
                 placeholder="选择一个活动组", help="区直活动组：地图上画出它对口联系的乡镇（街道）")


def _group_panel(chosen: str | None, groups: pd.DataFrame, pairs: pd.DataFrame, units) -> None:
    with st.container(border=True):
        _group_picker(groups)
        if not chosen or chosen not in set(groups["code"]):
            st.caption("选择一个活动组（或在下方活动组列表中选中一行），地图上会画出区直活动组对口联系的乡镇（街道）。")
            return
        group = groups.set_index("code").loc[chosen]
        st.markdown(f"##### {md_text(group['name'])}")
        st.markdown("  \n".join([
            f"**级别**：{md_text(group['level'])}", f"**委员**：{group['members']} 名",
            f"**本期活动**：{group['activities']} 场" + ("（无活动）" if group["activities"] == 0 else ""),
            f"**提出问题**：{group['issues']} 个，已解决 {group['solved']} 个，转社情民意 {group['forwarded']} 件",
        ]))
        if group["level"] == "区直":
            towns = pairs.loc[pairs["district_group"] == chosen, "town_group"]
            st.markdown(f"**对口联系的乡镇活动组（{len(towns)} 个）**")
        else:
            towns = pairs.loc[pairs["town_group"] == chosen, "district_group"]
            st.markdown("**对口联系它的区直活动组**")
        names = groups.set_index("code")
        for number, code in enumerate(towns):
            left, right = st.columns([3, 1], vertical_alignment="center")
            left.markdown(md_text(names.at[code, "name"]) if code in names.index else md_text(code))
            if right.button("看活动", key=f"xz_group_activities_{number}", help="在协商活动页只看这个活动组组织的活动"):
                activity_filters.request(ActivityFilter(groups=(code,)))
                st.switch_page(ACTIVITIES_PAGE)


def _groups_table(groups: pd.DataFrame) -> None:
    st.session_state[_GROUP_IDS] = groups["code"].tolist()
    frame = pd.DataFrame({
        "活动组": groups["name"].astype(str), "级别": groups["level"], "对口联系": groups["paired_with"],
        "委员": groups["members"], "本期活动": groups["activities"], "提出问题": groups["issues"],
        "已解决": groups["solved"], "转社情民意": groups["forwarded"],
        "提示": groups["activities"].map(lambda n: "本期无活动" if n == 0 else ""),
    })

    def chosen() -> None:
        state = st.session_state.get(GROUP_TABLE)
        rows = state.selection.rows if state is not None else []
        ids = st.session_state.get(_GROUP_IDS, [])
        if rows and rows[0] < len(ids):
            GROUP.select(ids[rows[0]])

    styled = frame.style.apply(lambda r: ["background-color: #fde8e8" if r["本期活动"] == 0 else ""] * len(r), axis=1)
    st.dataframe(styled, hide_index=True, width="stretch", height=min(560, 35 * (len(frame) + 1) + 3),
                 on_select=chosen, selection_mode="single-row", key=GROUP_TABLE)


def _members_table(members: pd.DataFrame, groups: pd.DataFrame, unit_names: dict[str, str]) -> None:
    search = st.text_input("查找委员", key=W_SEARCH, max_chars=20, placeholder="姓名、界别或活动组")
    names = groups.set_index("code")["name"]
    frame = pd.DataFrame({
        "姓名": members["name"].astype(str), "级别": members["level"], "界别": members["sector"],
        "活动组": members["group_code"].map(lambda c: names.get(c, c)),
        "乡镇": members["unit_code"].map(lambda c: unit_names.get(c, "—")),
        "参加活动": members["activities"], "提出问题": members["issues"], "已解决": members["solved"],
        "转社情民意": members["forwarded"], "固定联系群众": members["contacts"].fillna(0).astype(int),
        "演示": members["sample"].map({True: "演示", False: ""}),
    }).sort_values(["参加活动", "提出问题"], ascending=False, kind="stable")
    if search:
        text = frame["姓名"] + " " + frame["界别"] + " " + frame["活动组"].astype(str)
        frame = frame[text.str.contains(search.strip(), regex=False)]
    record_exports.buttons("members", members.loc[frame.index, "id"].tolist())
    st.dataframe(frame, hide_index=True, width="stretch", height=420)
    st.caption("固定联系群众为人数（委员履职网格化：每位委员联系 2 至 3 名界别群众），不记录群众的任何个人信息。")


def render() -> None:
    units = data.units()
    unit_names = units.names()
    since, until = _period()
    provider = layer_page.base_selector()
    members, groups = data.participation(since, until)
    work = data.work()
    chosen = GROUP.current()

    st.html(layer_page.PAGE_CSS)
    printing.inject()  # on paper: map, KPIs and tables, no sidebar or buttons
    st.markdown(f"### {layer_page.TITLE} · 委员履职")
    st.caption(f"统计期间：{_describe(since, until)}　|　{count(len(members))} 名委员，{len(groups)} 个委员活动组")
    if members["sample"].any():
        st.info("**演示数据**：委员姓名为虚构（如「王某001」），活动组和对口联系依据公开报道编制。", icon=":material/science:")
    idle = int((groups["activities"] == 0).sum())
    kpis.grid([[
        kpis.Figure("区政协委员", kpis.number((members["level"] == "区").sum(), "名")),
        kpis.Figure("本期参与委员", kpis.number((members["activities"] > 0).sum(), "名")),
        kpis.Figure("区直委员活动组", kpis.number((groups["level"] == "区直").sum(), "个")),
        kpis.Figure("乡镇委员活动组", kpis.number((groups["level"] == "乡镇").sum(), "个")),
        kpis.Figure("对口联系", kpis.number(len(work.pairings), "对")),
        kpis.Figure("本期无活动的活动组", kpis.number(idle, "个"), help="统计期间内没有组织协商活动的委员活动组"),
    ]])

    geography = data.map_geography(provider.gcj02)
    district = list(groups.loc[groups["level"] == "区直", "code"])
    legend = mapview.legend_rows("区直活动组 → 对口乡镇", [("circle", PALETTE[i % len(PALETTE)], name) for i, name in
                                                           enumerate(groups.set_index("code").loc[district, "name"])])
    base_map = mapview.build_base_map(provider, geography, legend=legend)
    town_of = groups.set_index("code")["unit_code"]
    if chosen in district:
        paired = work.pairings.loc[work.pairings["district_group"] == chosen, "town_group"].map(town_of)
    else:
        paired = pd.Series([town_of.get(chosen)]).dropna() if chosen else pd.Series(dtype=str)
    layers = [mapview.selection_layer(geography, units.areas_of(tuple(paired.dropna())), name="对口联系的乡镇")]
    layers += _pairing_lines(groups, work.pairings, geography, units, chosen if chosen in district else None)
    map_column, detail_column = st.columns([2.6, 1], gap="medium")
    with map_column:
        mapview.show(base_map, layers, mapview.view_for_bounds(geography.bounds[""]), key="xz_members_map",
                     returned=[])
        st.caption(f"{mapview.NOTE}。连线从区政府驻地（示意）指向各区直委员活动组对口联系的乡镇（街道）。")
    with detail_column:
        _group_panel(chosen, groups, work.pairings, units)
    GROUP.sync_url()

    st.markdown("##### 委员活动组")
    _groups_table(groups)
    st.markdown("##### 委员")
    _members_table(members, groups, unit_names)
