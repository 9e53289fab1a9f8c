"""The briefing as an A4 PDF (fpdf2): 宋体 text, 黑体 headings, the fonts embedded (subset), 第 N 页 / 共 M 页.

fpdf2 never reads text as markup (markdown stays off), so a name such as `{{x}}<script>` prints as itself. The page
count is known only after layout, and fpdf2's own alias for it ("{nb}", on by default) would also replace those
letters in a point's name; so the alias is switched off and the page numbers are written on each page at the end."""
from __future__ import annotations

import io

from fpdf import FPDF
from fpdf.enums import TableCellFillMode, WrapMode
from fpdf.fonts import FontFace

from .content import Briefing, FollowUp, Table
from .fonts import Face

MARGIN = 18  # mm
BODY, SMALL = 10.5, 8.5  # pt: 五号 and 小六-ish
HEADING_FILL = (226, 232, 240)


class _Document(FPDF):
    def __init__(self, briefing: Briefing, faces: dict[str, Face]):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.briefing = briefing
        self.add_font("song", "", faces["song"].path, collection_font_number=faces["song"].index)
        self.add_font("hei", "", faces["hei"].path, collection_font_number=faces["hei"].index)
        self.add_font("hei", "B", faces["hei_bold"].path, collection_font_number=faces["hei_bold"].index)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN)
        self.set_title(briefing.title)
        self.set_creator("襄州一线协商地图")
        self.set_lang("zh-CN")
        self.alias_nb_pages(None)  # on by default: "{nb}" in a point's name would print as the page count

    def header(self):
        if self.page_no() > 1:
            self.set_font("hei", size=SMALL)
            self.set_text_color(110, 118, 129)
            self.cell(0, 5, f"{self.briefing.title} · {self.briefing.date.isoformat()}", align="R")
            self.ln(8)
            self.set_text_color(0)

    def number_pages(self):
        """第 N 页 / 共 M 页 on every page, once all are laid out (fpdf2 lets a page be written to again)."""
        self.set_auto_page_break(False)
        total = self.pages_count
        for number in range(1, total + 1):
            self.page = number
            self.set_xy(self.l_margin, self.h - 12)
            # fpdf2 writes a font change only when the font differs from the last one set -- on whichever page that
            # was; switching away and back puts the footer's font into this page's own content.
            self.set_font("hei", size=SMALL)
            self.set_font("song", size=SMALL)
            self.cell(0, 6, f"第 {number} 页 / 共 {total} 页", align="C")

    # Building blocks --------------------------------------------------------------------------------------------
    def heading(self, text: str, number: int, room: float = 30):
        """A numbered section heading, on a new page unless `room` mm (the heading and what must follow it on the
        same page) fit below."""
        if self.will_page_break(room):
            self.add_page()
        self.ln(3)
        self.set_font("hei", "B", 14)
        self.cell(0, 9, f"{_NUMERALS[number]}、{text}", new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def paragraph(self, text: str, size: float = BODY, font: str = "song"):
        self.set_font(font, size=size)
        self.multi_cell(0, size * 0.55, text, wrapmode=WrapMode.CHAR, new_x="LMARGIN", new_y="NEXT")

    def table_of(self, table: Table, widths: tuple[int, ...] | None = None):
        if table.rows:
            self.set_font("song", size=9)
            style = FontFace(family="hei", emphasis="BOLD", fill_color=HEADING_FILL)
            with self.table(col_widths=widths, headings_style=style, wrapmode=WrapMode.CHAR, line_height=5,
                            text_align="CENTER", cell_fill_mode=TableCellFillMode.ROWS,
                            cell_fill_color=(247, 249, 251), padding=1) as grid:
                for values in (table.header, *table.rows):
                    row = grid.row()
                    for value in values:
                        row.cell(value)
        if table.note:
            self.ln(1)
            self.paragraph(table.note, SMALL)

    def image_bytes(self, png: bytes, width: float):
        self.image(io.BytesIO(png), w=width, x=(self.w - width) / 2)

    def follow_up(self, entry: FollowUp):
        if self.will_page_break(22 + (25 if entry.photos else 0)):
            self.add_page()
        self.set_font("hei", "B", BODY)
        self.multi_cell(0, 6, f"{entry.date}　{entry.point}", wrapmode=WrapMode.CHAR, new_x="LMARGIN", new_y="NEXT")
        meta = "　".join(part for part in (f"状态：{entry.status}" if entry.status else "",
                                          f"记录人：{entry.author}" if entry.author else "") if part)
        if meta:
            self.paragraph(meta, SMALL, "hei")
        self.paragraph(entry.text)
        if entry.photos:
            top, x = self.get_y() + 1, self.l_margin
            for photo in entry.photos:
                self.image(io.BytesIO(photo), x=x, y=top, h=22)
                x += 34
            self.set_y(top + 23)
        self.ln(2)


_NUMERALS = "〇一二三四五六七八九十"


def render(briefing: Briefing, faces: dict[str, Face]) -> bytes:
    pdf = _Document(briefing, faces)
    pdf.add_page()
    pdf.set_font("hei", "B", 20)
    pdf.multi_cell(0, 11, briefing.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("song", size=BODY)
    pdf.cell(0, 7, f"{briefing.subject} · 生成日期：{briefing.date.isoformat()}", align="C", new_x="LMARGIN",
             new_y="NEXT")
    pdf.ln(2)
    pdf.paragraph(f"筛选条件：{briefing.filter_text}")
    pdf.ln(1)

    pdf.heading("主要指标", 1)
    half = (len(briefing.kpis) + 1) // 2
    rows = [briefing.kpis[:half], briefing.kpis[half:]]
    pdf.table_of(Table([label for label, _ in rows[0]], [[value for _, value in rows[0]]]))
    pdf.ln(1)
    pdf.table_of(Table([label for label, _ in rows[1]], [[value for _, value in rows[1]]], briefing.kpi_note))

    pdf.heading("点位分布图", 2)
    pdf.image_bytes(briefing.map_png, pdf.epw * 0.96)

    # A short table stays on one page with its heading; a long one starts with a few rows under it.
    pdf.heading("分乡镇（街道）统计", 3, room=15 + 7 * min(len(briefing.towns.rows) + 1, 8))
    pdf.table_of(briefing.towns)

    pdf.heading("逾期点位", 4, room=45)
    pdf.paragraph(f"办理时限：{briefing.limits_text}", SMALL)
    pdf.ln(1)
    pdf.table_of(briefing.overdue, (30, 10, 12, 10, 22, 14, 10))

    pdf.heading("按月进展", 5)
    if briefing.chart_png:
        pdf.image_bytes(briefing.chart_png, pdf.epw)
    if briefing.months_note:
        pdf.paragraph(briefing.months_note, SMALL)
    pdf.ln(1)
    pdf.table_of(briefing.months)

    pdf.heading("近期跟踪督办", 6)
    if not briefing.follow_ups:
        pdf.paragraph("当前筛选的点位没有跟踪督办记录。")
    for entry in briefing.follow_ups:
        pdf.follow_up(entry)
    pdf.number_pages()
    return bytes(pdf.output())
