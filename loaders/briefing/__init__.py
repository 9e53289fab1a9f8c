"""The briefing (简报) of a filtered view, as PDF or Word: one place for the CLI (`python -m loaders briefing`) and the
dashboard's download buttons. `content` gathers what goes in, `mapimage` and `charts` draw the pictures, `pdf` and
`word` lay it out."""
from __future__ import annotations

import datetime as dt

from .. import clock, model
from ..filters import Filter

# format -> (file suffix, MIME type)
FORMATS = {
    "pdf": (".pdf", "application/pdf"),
    "docx": (".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}


def build(store, where: Filter, fmt: str, kind: str | None = None, today: dt.date | None = None) -> bytes:
    """The briefing of the points `where` selects (on the page of `kind`; None: 总览) in `fmt`. Raises
    fonts.FontsMissing (a StoreError, Chinese message) when the Chinese fonts are not installed."""
    from . import content, fonts, pdf, word

    if fmt not in FORMATS:
        raise ValueError(f"不支持的简报格式「{fmt}」，可选：{'、'.join(FORMATS)}")
    faces = fonts.locate()
    briefing = content.gather(store, where, kind, faces, today)
    return pdf.render(briefing, faces) if fmt == "pdf" else word.render(briefing)


def file_name(fmt: str, kind: str | None = None, today: dt.date | None = None) -> str:
    subject = model.kind_label(kind) if kind else "总览"
    return f"襄州一线协商简报_{subject}_{(today or clock.today()).isoformat()}{FORMATS[fmt][0]}"
