"""What a map page looks like on paper (the browser's 打印, or 另存为 PDF): the title, the filter in words, the KPI
cards, the map and the tables, on A4 landscape, without Streamlit's chrome or anything one clicks.

One stylesheet for every map page (总览, the four layer pages, 协商活动, 委员履职): `inject()` is one line in each
page's storyboard. Only `@media print` rules: the screen is untouched.

Why each rule:
* Streamlit's app is a full-height box that scrolls inside itself; printed as it is, only its first screenful
  reaches the paper. The boxes are made to grow with their content so every section prints.
* The sidebar (filters, base map, sign-in box), the header and toolbar, toasts, and every control in the page
  (buttons such as 重置筛选 and 关闭详情, download buttons, inputs, selects) mean nothing on paper.
* The map is drawn for the screen's width, and no script runs while the browser lays a page out for paper: in a
  box of another width its canvas would be cut or half blank. So on paper the page keeps the width it has on the
  screen, measured by a small script (`_MEASURE`, `PRINT_WIDTH_PX` until it has run), and is scaled as a whole
  (CSS `zoom`) to the sheet's printable width: the map prints whole, as seen, only smaller. Sections never split
  across two sheets where they fit on one.
"""
from __future__ import annotations

import streamlit as st
import streamlit.components.v1 as components

# The printable width of A4 landscape with 10 mm margins: 277 mm = 1047 px at CSS's 96 px per inch.
SHEET_PX = 1040
# The layout width on paper until the script has measured the screen's (a desktop window's), and its scale.
PRINT_WIDTH_PX = 1400
PRINT_ZOOM = round(SHEET_PX / PRINT_WIDTH_PX, 3)

# Keeps --xz-print-width/--xz-print-zoom on the page's root at the main column's inner width on screen (never while the
# page is laid out for print, when the width is the paper's). Installed once per browser tab.
_MEASURE = """<script>
(function (sheet) {
  const w = window.parent;
  if (w.__xzPrintWidth) return;
  w.__xzPrintWidth = true;
  const doc = w.document, print = w.matchMedia("print");
  function measure() {
    const main = doc.querySelector('[data-testid="stMainBlockContainer"]');
    if (!main || print.matches) return;
    const style = w.getComputedStyle(main);  // the width the sections get: the padding is dropped on paper
    const width = Math.round(main.getBoundingClientRect().width - parseFloat(style.paddingLeft)
                             - parseFloat(style.paddingRight));
    if (!width) return;
    doc.documentElement.style.setProperty("--xz-print-width", width + "px");
    doc.documentElement.style.setProperty("--xz-print-zoom", String(Math.min(1, sheet / width)));
  }
  new w.ResizeObserver(measure).observe(doc.body);
  w.addEventListener("resize", measure);
  w.addEventListener("beforeprint", measure);
  w.setInterval(measure, 2000);  // the sidebar opening or closing changes the column, not the window
  measure();
})(SHEET);
</script>""".replace("SHEET", str(SHEET_PX))

CSS = f"""<style>
@media print {{
  @page {{ size: A4 landscape; margin: 10mm; }}
  html, body, [data-testid="stApp"], [data-testid="stAppViewContainer"], [data-testid="stMain"],
  [data-testid="stAppScrollToBottomContainer"], [data-testid="stMainBlockContainer"] {{
    height: auto !important; min-height: 0 !important; max-height: none !important;
    overflow: visible !important; position: static !important;
  }}
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stSidebarNav"],
  [data-testid="stHeader"], header, [data-testid="stToolbar"], [data-testid="stDecoration"],
  [data-testid="stStatusWidget"], [data-testid="stToastContainer"], [data-testid="stBottom"],
  [data-testid="stButton"], [data-testid="stDownloadButton"], [data-testid="stFormSubmitButton"],
  [data-testid="stForm"], [data-testid="stTextInput"], [data-testid="stTextArea"],
  [data-testid="stNumberInput"], [data-testid="stDateInput"], [data-testid="stMultiSelect"],
  [data-testid="stSelectbox"], [data-testid="stRadio"], [data-testid="stCheckbox"], [data-testid="stToggle"],
  [data-testid="stSlider"], [data-testid="stFileUploader"], [data-testid="stPageLink"], [data-testid="stPopover"] {{
    display: none !important;
  }}
  [data-testid="stMain"] {{ margin-left: 0 !important; }}
  [data-testid="stMainBlockContainer"] {{
    width: var(--xz-print-width, {PRINT_WIDTH_PX}px) !important;
    min-width: var(--xz-print-width, {PRINT_WIDTH_PX}px) !important; max-width: none !important;
    margin: 0 !important; padding-left: 0 !important; padding-right: 0 !important; box-sizing: border-box !important;
    zoom: var(--xz-print-zoom, {PRINT_ZOOM});
  }}
  [data-testid="stMetric"], [data-testid="stDataFrame"], [data-testid="stTable"], [data-testid="stVegaLiteChart"],
  [data-testid="stHorizontalBlock"], [data-testid="stElementContainer"]:has(iframe) {{
    break-inside: avoid; page-break-inside: avoid;
  }}
  * {{ -webkit-print-color-adjust: exact !important; print-color-adjust: exact !important; }}
}}
</style>"""


def inject() -> None:
    """Add the print stylesheet to this page (nothing shows on screen) and the script that measures the page."""
    st.html(CSS)
    with st.sidebar:  # hidden on paper; as session.py does, st.iframe would leave a 150 px gap
        components.html(_MEASURE, height=0)
