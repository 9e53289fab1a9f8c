"""The Chinese fonts a briefing is set in: 宋体 (Noto Serif CJK SC) for the text, 黑体 (Noto Sans CJK SC) for headings.

They come from Debian's `fonts-noto-cjk`, which `make setup` installs (see the Makefile). matplotlib's font manager
finds them -- it reads TrueType/OpenType collections face by face, so the Simplified Chinese face of a `.ttc` is
picked by name. The PDF engine embeds the same files; the map and chart are drawn with them too. When a face is
missing the briefing is refused with a Chinese message instead of printing empty boxes (豆腐块).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..store import StoreError

# role -> (family, weight): what each part of the page is set in.
FACES = {
    "song": ("Noto Serif CJK SC", "normal"),
    "hei": ("Noto Sans CJK SC", "normal"),
    "hei_bold": ("Noto Sans CJK SC", "bold"),
}
INSTALL_HINT = ("请运行 make setup（以 root 身份会安装 Debian 软件包 fonts-noto-cjk），"
                "或请管理员执行 apt-get install fonts-noto-cjk")


class FontsMissing(StoreError):
    """No usable Chinese font: the message says which and how to install it."""


@dataclass(frozen=True)
class Face:
    family: str
    path: str
    index: int  # the face's number inside a font collection (.ttc); 0 for a single font file


def _candidates(directories: list[Path] | None) -> list:
    """Every face of the CJK font files in the system folders (or only `directories`), read afresh so fonts
    installed after the server started are found: matplotlib FontEntry records (name, weight, fname, index)."""
    from matplotlib import font_manager, ft2font

    folders = [str(d) for d in directories] if directories is not None else None
    entries = []
    for ext in ("ttc", "otf", "ttf"):
        for path in font_manager.findSystemFonts(fontpaths=folders, fontext=ext):
            if "cjk" not in Path(path).name.lower():
                continue
            try:
                first = ft2font.FT2Font(path)
                faces = [first] + [ft2font.FT2Font(path, face_index=i) for i in range(1, first.num_faces)]
            except (OSError, RuntimeError):  # a damaged file is skipped like a missing one
                continue
            entries += [font_manager.ttfFontProperty(face) for face in faces]
    return entries


def locate(directories: list[Path] | None = None) -> dict[str, Face]:
    """The face for each role of `FACES`; raises FontsMissing naming what is not installed."""
    entries = _candidates(directories)
    found: dict[str, Face] = {}
    for role, (family, weight) in FACES.items():
        wanted = 700 if weight == "bold" else 400
        matching = [e for e in entries if e.name == family]
        if matching:
            best = min(matching, key=lambda e: abs(_weight(e.weight) - wanted))
            if abs(_weight(best.weight) - wanted) < 200:
                found[role] = Face(family, best.fname, getattr(best, "index", 0))
    missing = sorted({f"{family}（{'粗体' if weight == 'bold' else '常规'}）"
                      for role, (family, weight) in FACES.items() if role not in found})
    if missing:
        raise FontsMissing("无法生成简报：本机缺少中文字体 " + "、".join(missing) + "，生成的文件会显示成方框。"
                           + INSTALL_HINT)
    return found


def _weight(value) -> int:
    names = {"normal": 400, "regular": 400, "medium": 500, "bold": 700, "light": 300}
    return value if isinstance(value, int) else names.get(str(value).lower(), 400)


def matplotlib_font(face: Face, size: float):
    """A matplotlib FontProperties for `face`: its family registered once with matplotlib's font manager, which
    keeps each face of a collection apart (so the Simplified Chinese face is drawn, not the first one)."""
    from matplotlib import font_manager

    if not any(e.name == face.family and e.fname == face.path for e in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(face.path)
    weight = "bold" if "Bold" in face.path else "normal"
    return font_manager.FontProperties(family=face.family, weight=weight, size=size)
