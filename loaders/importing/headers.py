"""Automatic column mapping: which of the file's columns holds which field, from Chinese or English headers.

`detect_mapping(columns)` returns {field key: column header}; the import page shows it as one selector per field
and passes the corrected mapping back (`build_plan(..., mapping=...)`). Keys are model fields plus `kind`, `status`,
`unit` (乡镇: name, short name or code), `lon`/`lat`, `lonlat` (both in one cell) and `external_id` (for upserts).
"""
from __future__ import annotations

import re
import unicodedata

from .. import model

# What each mapping key means, in the order a page shows the selectors.
TARGETS: dict[str, str] = {
    "external_id": "外部编号（用于更新已有点位）",
    "point_id": "本系统编号（本系统导出的“编号”：更新该点位）",
    "name": "名称",
    "kind": "类型",
    "status": "状态",
    "unit": "乡镇（街道）",
    "village": "村/社区",
    "lon": "经度",
    "lat": "纬度",
    "lonlat": "经纬度（同一列）",
    "description": model.FIELDS["description"].label,
    "opened_on": model.FIELDS["opened_on"].label,
    "resolved_on": model.FIELDS["resolved_on"].label,
    "site_format": model.FIELDS["site_format"].label,
    "batch": model.FIELDS["batch"].label,
    "depth_m": model.FIELDS["depth_m"].label,
    "canal": model.FIELDS["canal"].label,
    "category": model.FIELDS["category"].label,
    "responsible_unit": model.FIELDS["responsible_unit"].label,
    "source_note": model.FIELDS["source_note"].label,
}

ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": ("编号", "外部编号", "id", "external_id", "externalid", "点位编号", "编码", "code", "uid"),
    "name": ("名称", "name", "点位名称", "项目名称", "名字", "示范点名称", "问题名称", "桥梁名称", "水井名称", "标题", "title"),
    "kind": ("类型", "kind", "type", "点位类型", "种类"),
    "status": ("状态", "status", "当前状态", "办理状态", "进度", "进展"),
    "unit": ("乡镇", "街道", "乡镇(街道)", "乡镇街道", "乡镇/街道", "所属乡镇", "所在乡镇", "镇街", "乡镇代码", "unit",
             "unit_code", "unitcode", "unit_name", "unitname", "town", "township"),
    "village": ("村", "社区", "村/社区", "村(社区)", "村社区", "所在村", "村名", "village", "community"),
    "lon": ("经度", "lon", "lng", "long", "longitude", "x", "x坐标", "东经", "point_x", "pointx"),
    "lat": ("纬度", "lat", "latitude", "y", "y坐标", "北纬", "point_y", "pointy"),
    "lonlat": ("经纬度", "坐标", "位置坐标", "经纬度坐标", "lonlat", "lnglat", "coordinates", "location"),
    "description": ("说明", "描述", "情况说明", "description", "desc", "备注", "问题描述", "情况", "内容", "remark", "note"),
    "opened_on": ("登记日期", "opened_on", "openedon", "登记时间", "发现日期", "开始日期", "日期", "date"),
    "resolved_on": ("完成日期", "resolved_on", "resolvedon", "解决日期", "办结日期", "完成时间", "建成日期"),
    "site_format": ("协商形式", "site_format", "siteformat", "形式"),
    "batch": ("建设批次", "批次", "batch"),
    "depth_m": ("井深", "井深(米)", "井深(m)", "depth", "depth_m", "depthm", "深度"),
    "canal": ("所在渠道", "渠道", "canal", "干渠"),
    "category": ("问题类别", "类别", "category"),
    "responsible_unit": ("责任单位", "responsible_unit", "responsibleunit", "承办单位", "牵头单位"),
    "source_note": ("数据来源", "来源", "source", "source_note", "sourcenote"),
}

_PAREN = re.compile(r"\(.*?\)$|\[.*?\]$")


def normalize(text) -> str:
    s = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    return re.sub(r"[\s\-_:：*＊]+", "", s)


_EXACT = {normalize(a): key for key, aliases in ALIASES.items() for a in aliases}
_CONTAINS = sorted(((normalize(a), key) for key, aliases in ALIASES.items() for a in aliases
                    if re.search(r"[\u4e00-\u9fff]", a) and len(a) >= 2), key=lambda p: -len(p[0]))


# Headers that name their field unambiguously and win over a generic one for the same key: the project's own CSV and
# Excel exports carry both 编号 (the point id) and 外部编号 (the external id an import matches on).
_SPECIFIC = {normalize(a) for a in ("外部编号", "external_id", "externalid")}
_OWN_ID = {normalize(a) for a in ("编号", "id", "点位编号")}


def match_header(text) -> tuple[str | None, int]:
    """(mapping key, strength) for one header text: 4 exact and specific (外部编号), 3 exact, 2 exact without a
    bracketed unit, 1 contains, 0 none."""
    s = normalize(text)
    if not s:
        return None, 0
    if s in _EXACT:
        return _EXACT[s], 4 if s in _SPECIFIC else 3
    stripped = _PAREN.sub("", s)
    if stripped and stripped in _EXACT:
        return _EXACT[stripped], 2
    for alias, key in _CONTAINS:
        if alias in s:
            return key, 1
    return None, 0


def detect_mapping(columns) -> dict[str, str]:
    """{mapping key: column header} for the columns whose header is recognised; the strongest match wins a key."""
    best: dict[str, tuple[int, str]] = {}
    for column in columns:
        key, strength = match_header(column)
        if key and (key not in best or strength > best[key][0]):
            best[key] = (strength, column)
    mapping = {key: column for key, (_, column) in best.items()}
    if "lon" in mapping and "lat" in mapping:
        mapping.pop("lonlat", None)
    if best.get("external_id", (0,))[0] == 4:  # 外部编号 is there: a plain 编号 beside it is our own point id
        ids = [c for c in columns if normalize(c) in _OWN_ID and c != mapping["external_id"]]
        if ids:
            mapping["point_id"] = ids[0]
    return {key: mapping[key] for key in TARGETS if key in mapping}


def header_score(cells) -> tuple[int, int]:
    """(recognised headers, non-empty text cells) of a candidate header row."""
    texts = [c for c in cells if isinstance(c, str) and c.strip()]
    return sum(1 for c in texts if match_header(c)[0]), len(texts)


# Words in a header or file name that say the coordinates came from Gaode/Tencent (GCJ-02) or Baidu (BD-09).
SHIFT_HINTS: dict[str, tuple[str, ...]] = {
    "gcj02": ("高德", "gcj", "火星", "腾讯", "amap", "gaode", "微信"),
    "bd09": ("百度", "bd09", "bd-09", "baidu", "bdll"),
}


def shift_hint(texts) -> tuple[str, str] | None:
    """(crs key, the word found) when any text mentions a GCJ-02/BD-09 source, else None."""
    for text in texts:
        low = str(text or "").lower()
        for crs, words in SHIFT_HINTS.items():
            for word in words:
                if word in low:
                    return crs, word
    return None
