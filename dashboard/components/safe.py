"""One place to make user text harmless wherever it is shown.

* `html_text` for HTML that may also end up inside JavaScript (folium DivIcons, map controls): HTML-escapes and
  turns `$`, backtick and backslash into entities, so a template literal or a `\\1` cannot break the map script.
* `md_text` for Streamlit markdown (`st.markdown`, `st.subheader`, metric labels): every ASCII punctuation character
  is backslash-escaped (CommonMark allows that for all of them), so nothing becomes a link, HTML, LaTeX (`$`) or
  emphasis; line breaks become spaces.
* `plain` for widgets that show text literally (st.text, dataframes): only control and bidi characters are removed.
"""
from __future__ import annotations

import html
import math
import re
import string

_JS_ENTITIES = {"$": "&#36;", "`": "&#96;", "\\": "&#92;"}
_MD_SPECIAL = re.compile("([" + re.escape(string.punctuation) + "])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
# Bidi controls are dropped: U+202E would turn the rest of a line around (text stored before they were refused).
_BIDI = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def plain(value) -> str:
    return _CONTROL.sub(" ", _BIDI.sub("", _text(value)))


def html_text(value) -> str:
    """Text for HTML that may pass through a JS string or template: no tags, no `${`, no backslash escapes."""
    # HTML shows a line break as a space anyway; a blank line would end an HTML block inside st.markdown.
    escaped = html.escape(re.sub(r"\s*[\r\n]+\s*", " ", plain(value)), quote=True)
    return "".join(_JS_ENTITIES.get(ch, ch) for ch in escaped)


def md_text(value) -> str:
    """Text for Streamlit markdown that shows literally."""
    text = re.sub(r"\s*[\r\n]+\s*", " ", plain(value))
    return _MD_SPECIAL.sub(r"\\\1", text)
