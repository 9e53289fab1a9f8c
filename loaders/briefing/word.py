"""The briefing as a Word file (python-docx), for offices that edit it: A4, 宋体 text and 黑体 headings (the fonts
Chinese Word has; LibreOffice substitutes Noto Serif/Sans CJK), real headings and tables, 第 N 页 / 共 M 页 in the
footer as Word fields. python-docx escapes every text it is given, so a name is never markup."""
from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

from .content import Briefing, Table

SONG, HEI = "宋体", "黑体"
_NUMERALS = "〇一二三四五六七八九十"


def _fonts(style_or_run, east_asian: str, latin: str = "Times New Roman") -> None:
    """Word keeps the Chinese (eastAsia) font apart from the Latin one; python-docx sets only the Latin name."""
    style_or_run.font.name = latin
    fonts = style_or_run.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)


def _field(paragraph, code: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word fills in when it lays the pages out; python-docx has no API for it."""
    simple = OxmlElement("w:fldSimple")
    simple.set(qn("w:instr"), code)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    simple.append(run)
    paragraph._p.append(simple)


def _setup(document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(20))
    normal = document.styles["Normal"]
    _fonts(normal, SONG)
    normal.font.size = Pt(10.5)
    for name, size in (("Title", 20), ("Heading 1", 14), ("Heading 2", 12)):
        style = document.styles[name]
        _fonts(style, HEI, "Arial")
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0x1F, 0x2D, 0x3D)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("第 ")
    _field(footer, "PAGE")
    footer.add_run(" 页 / 共 ")
    _field(footer, "NUMPAGES")
    footer.add_run(" 页")


def _table(document, table: Table) -> None:
    if table.rows:
        grid = document.add_table(rows=1, cols=len(table.header), style="Table Grid")
        grid.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, text in zip(grid.rows[0].cells, table.header):
            cell.text = ""
            run = cell.paragraphs[0].add_run(text)
            run.bold = True
            _fonts(run, HEI, "Arial")
        for values in table.rows:
            for cell, text in zip(grid.add_row().cells, values):
                cell.text = text
        for row in grid.rows:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
                    for run in paragraph.runs:
                        run.font.size = Pt(9)
    if table.note:
        _small(document, table.note)


def _small(document, text: str) -> None:
    run = document.add_paragraph().add_run(text)
    run.font.size = Pt(9)


def render(briefing: Briefing) -> bytes:
    document = Document()
    _setup(document)
    title = document.add_heading(briefing.title, level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    date = document.add_paragraph(f"{briefing.subject} · 生成日期：{briefing.date.isoformat()}")
    date.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph(f"筛选条件：{briefing.filter_text}")
    core = document.core_properties
    core.title, core.language = briefing.title, "zh-CN"

    sections = iter(range(1, 11))

    def heading(text: str) -> None:
        document.add_heading(f"{_NUMERALS[next(sections)]}、{text}", level=1)

    heading("主要指标")
    half = (len(briefing.kpis) + 1) // 2
    for part in (briefing.kpis[:half], briefing.kpis[half:]):
        _table(document, Table([label for label, _ in part], [[value for _, value in part]]))
        document.add_paragraph()
    _small(document, briefing.kpi_note)

    heading("点位分布图")
    document.add_picture(io.BytesIO(briefing.map_png), width=Cm(16.5))
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER

    heading("分乡镇（街道）统计")
    _table(document, briefing.towns)

    heading("逾期点位")
    _small(document, f"办理时限：{briefing.limits_text}")
    _table(document, briefing.overdue)

    heading("按月进展")
    if briefing.chart_png:
        document.add_picture(io.BytesIO(briefing.chart_png), width=Cm(16.5))
    if briefing.months_note:
        _small(document, briefing.months_note)
    _table(document, briefing.months)

    heading("近期跟踪督办")
    if not briefing.follow_ups:
        document.add_paragraph("当前筛选的点位没有跟踪督办记录。")
    for entry in briefing.follow_ups:
        document.add_heading(f"{entry.date}　{entry.point}", level=2)
        meta = "　".join(p for p in (f"状态：{entry.status}" if entry.status else "",
                                     f"记录人：{entry.author}" if entry.author else "") if p)
        if meta:
            _small(document, meta)
        document.add_paragraph(entry.text)
        if entry.photos:
            run = document.add_paragraph().add_run()
            for photo in entry.photos:
                run.add_picture(io.BytesIO(photo), height=Cm(2.6))
                run.add_text(" ")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
