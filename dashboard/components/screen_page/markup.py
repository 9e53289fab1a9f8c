"""The 大屏's HTML pieces, each a pure function of what it shows; every text is escaped (`safe.html_text`)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from loaders import clock, model
from loaders.readable import count

from ... import basemaps, mapview
from ...pointlayer import STAGE_COLORS
from ..safe import html_text
from .snapshot import Kpi, Snapshot, overdue_points

TITLE = "襄州区政协“一线协商·共同缔造”工作大屏"
OVERDUE_ROWS = 4
CSS_FILE = Path(__file__).resolve().parents[2] / "static" / "screen.css"

CLOCK_HTML = """<!doctype html><html><head><meta charset="utf-8"><style>
html,body{margin:0;background:transparent;overflow:hidden;}
body{font-family:'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif;color:#e6f1ff;text-align:right;}
#t{font-size:46px;font-weight:700;letter-spacing:2px;line-height:52px;font-variant-numeric:tabular-nums;
   color:#8fe3ff;text-shadow:0 0 14px rgba(79,195,247,.55);}
#d{font-size:24px;line-height:30px;color:#b9cce6;letter-spacing:1px;}
</style></head><body><div id="t">--:--:--</div><div id="d"></div><script>
(function(){var OFFSET=%(offset)d,W=["日","一","二","三","四","五","六"];function p(n){return (n<10?"0":"")+n;}
function tick(){var d=new Date(Date.now()+OFFSET);
document.getElementById("t").textContent=p(d.getUTCHours())+":"+p(d.getUTCMinutes())+":"+p(d.getUTCSeconds());
document.getElementById("d").textContent=d.getUTCFullYear()+"年"+(d.getUTCMonth()+1)+"月"+d.getUTCDate()+"日　星期"+W[d.getUTCDay()];}
tick();setInterval(tick,1000);})();
</script></body></html>"""


def clock_html() -> str:
    """The clock, in the district's time (`loaders.clock`, as 数据更新于 and the feed) whatever the browser's zone:
    UTC plus the server's offset for Beijing (no daylight saving there, so the offset of today holds)."""
    offset = clock.now().utcoffset() or dt.timedelta(0)
    return CLOCK_HTML % {"offset": int(offset.total_seconds() * 1000)}

WAITING_HTML = '<div class="xz-waiting">正在连接数据…<br><small>数据源暂时无法读取，稍后自动重试</small></div>'
CHART_HEAD_HTML = '<div class="xz-card-head xz-chart-head"><span>各乡镇（街道）进展</span></div>'


def page_css() -> str:
    try:
        return CSS_FILE.read_text(encoding="utf-8")
    except OSError:
        return ""


def title_html() -> str:
    return (f'<div class="xz-title"><div class="xz-title-main">{html_text(TITLE)}</div>'
            '<div class="xz-title-sub">一线协商 · 共同缔造　|　示范点 · 水井 · 桥梁 · 问题点 全区一张图</div></div>')


def kpi_html(figures: list[Kpi]) -> str:
    cards = []
    for k in figures:
        cards.append(
            f'<div class="xz-kpi xz-{k.tone}" data-kpi="{html_text(k.key)}">'
            f'<div class="xz-kpi-label">{html_text(k.label)}</div>'
            f'<div class="xz-kpi-value"><span class="xz-num">{html_text(_figure(k.value))}</span>'
            f'<span class="xz-kpi-unit">{html_text(k.unit)}</span></div>'
            f'<div class="xz-kpi-note">{html_text(k.note)}</div></div>')
    return f'<div class="xz-kpis">{"".join(cards)}</div>'


def _figure(value) -> str:
    """A card's figure: a count in 万 from 10,000 on (read from across the room), text as it is."""
    return value if isinstance(value, str) else count(value, wan=True)


def tour_html(snapshot: Snapshot, stop: str, stops: list[str], running: bool) -> str:
    if stop:
        name = snapshot.units.name(stop)
        mine = snapshot.view.points[snapshot.in_area(snapshot.view.points, stop)]
    else:
        name = "襄州区全域" if not snapshot.presets.where.unit_codes else "所选乡镇"
        mine = snapshot.view.points
    stages = mine.groupby("stage").size().to_dict() if len(mine) else {}
    stats = "".join(f'<span><i style="background:{STAGE_COLORS[s]}"></i>{html_text(s)} '
                    f"<b>{count(stages.get(s, 0), wan=True)}</b></span>" for s in model.STAGES)
    late = len(overdue_points(mine))
    overdue = f'<span class="xz-tour-late">逾期 <b>{count(late, wan=True)}</b></span>' if late else ""
    position = f"{stops.index(stop) + 1} / {len(stops)}" if running and stop in stops else "巡览已暂停"
    label = "自动巡览" if running else "全区概览"
    return (f'<div class="xz-card xz-tour"><div class="xz-card-head"><span>{label}</span>'
            f'<span class="xz-tour-pos">{html_text(position)}</span></div>'
            f'<div class="xz-tour-name" id="xz-tour-name" data-stop="{html_text(stop)}">{html_text(name)}</div>'
            f'<div class="xz-tour-total">点位 <b>{count(len(mine), wan=True)}</b> 个{overdue}</div>'
            f'<div class="xz-tour-stats">{stats}</div></div>')


def feed_html(snapshot: Snapshot) -> str:
    title = "最新动态" if snapshot.feed_is_history else "最新动态 <small>（最近更新的点位）</small>"
    rows = []
    thumbs = dict(snapshot.thumbs)
    for item in snapshot.feed:
        unit = f'<span class="xz-feed-unit">{html_text(item.unit)}</span>' if item.unit else ""
        # A data: URL the snapshot built from stored JPEG bytes (base64: nothing a user typed is in it).
        thumb = f'<img class="xz-feed-photo" alt="照片" src="{thumbs[item.photo]}">' if item.photo in thumbs else ""
        rows.append(f'<li><i style="background:{item.color}"></i><div class="xz-feed-main">'
                    f'<div class="xz-feed-name">{html_text(item.name)}</div>'
                    f'<div class="xz-feed-what">{unit}{html_text(item.what)}</div></div>{thumb}'
                    f'<div class="xz-feed-when">{html_text(item.when)}</div></li>')
    body = "".join(rows) or '<li class="xz-feed-empty">暂无动态</li>'
    return f'<div class="xz-card xz-feed"><div class="xz-card-head"><span>{title}</span></div><ul>{body}</ul></div>'


def overdue_html(snapshot: Snapshot, rows: int = OVERDUE_ROWS) -> str:
    """逾期事项: the most overdue points (town · name · N 天 over; the head says 逾期, so the names get the room) and
    how many there are in all."""
    late = snapshot.progress.overdue if snapshot.progress is not None else None
    if late is None or not len(late):
        body = '<li class="xz-feed-empty">暂无逾期事项</li>'
        in_all = ""
    else:
        body = "".join(f'<li><span class="xz-late-unit">{html_text(r.unit_name)}</span>'
                       f'<span class="xz-late-name">{html_text(r.name)}</span>'
                       f'<span class="xz-late-days"><b>{count(int(r.days_over))}</b> 天</span></li>'
                       for r in late.head(rows).itertuples())
        in_all = f'<span class="xz-late-count">共 {count(len(late))} 项</span>'
    return (f'<div class="xz-card xz-late"><div class="xz-card-head"><span>逾期事项</span>{in_all}</div>'
            f'<ul>{body}</ul></div>')


def footer_html(snapshot: Snapshot, stale_since: dt.datetime | None, runs: int, touring: bool) -> str:
    presets = snapshot.presets
    warn = ""
    if stale_since is not None:
        warn = (f'<span class="xz-stale" title="数据源暂时无法读取（{stale_since:%H:%M:%S}），'
                f'继续显示上次读取的数据">⚠ 数据源暂不可读，显示上次数据</span>')
    sample = "　·　含演示数据" if snapshot.view.sample_count else ""
    tour = f"　·　巡览每 {presets.tour} 秒" if touring else ""
    return (f'<div class="xz-footer" data-runs="{runs}" data-version="{snapshot.version}">'
            f'<span class="xz-foot-note">{html_text(mapview.NOTE)}{sample}　·　'
            f'{html_text(basemaps.OFFLINE_ATTRIBUTION)}</span>'
            f'<span class="xz-foot-right">{warn}<span class="xz-updated" id="xz-updated">数据更新于 '
            f'<b>{snapshot.read_at:%H:%M:%S}</b></span><span class="xz-foot-refresh">每 {presets.refresh} 秒刷新{tour}'
            f'</span></span></div>')
