"""The briefing (简报) of a filtered view -- 古驿, issues only -- as PDF and Word, read back as a reader would: the PDF's
pages rendered to PNG (kept in tests/artifacts/briefing_*.png to look at), the Word file re-read with python-docx.
Names typed as markup, as a spreadsheet formula and as long as allowed must print as themselves."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import docx
import numpy as np
import pandas as pd
import pymupdf
import pytest
from PIL import Image

from loaders import briefing, cli, photos, progress
from loaders.briefing import content, fonts, mapimage, style
from loaders.filters import Filter
from loaders.store import GeoPackageStore
from tests.photo_files import sideways_jpeg

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
GUYI = "420607104000"
MARKUP = "{{x}}<script>alert(1)</script>{nb}"
LONG = MARKUP + "很长的名称" + "井" * 55  # 100 characters: the longest name a point may have
FORMULA = "=cmd|' /C calc'!A0"
WHERE = Filter(kinds=("issue",), unit_codes=(GUYI,))
A4 = (595.3, 841.9)  # points
RING = tuple(int(style.OVERDUE_RING[i:i + 2], 16) for i in (1, 3, 5))


@pytest.fixture(scope="module")
def hostile_guyi(store_template, tmp_path_factory) -> GeoPackageStore:
    """The bundled data with 古驿's most overdue issue renamed `LONG` and followed up (a photo, a formula as text),
    and another 古驿 issue renamed `FORMULA` and followed up."""
    path = tmp_path_factory.mktemp("briefing") / "xiangzhou.gpkg"
    shutil.copy(store_template, path)
    store = GeoPackageStore(path)
    overdue_id = progress.report(store, WHERE).overdue["id"].iloc[0]
    other_id = next(i for i in store.points(WHERE)["id"] if i != overdue_id)
    for point_id, name, text, photo in ((overdue_id, LONG, FORMULA + " 再次督办", [sideways_jpeg()]),
                                        (other_id, FORMULA, MARKUP, [])):
        point = store.update_point(point_id, {"name": name}, store.point(point_id)["version"], "test")
        store.add_follow_up(point_id, {"date": "2026-12-01", "text": text, "author": MARKUP}, point["version"],
                            "test", photos=[photos.prepare(p, "现场.jpg") for p in photo])
    return store


@pytest.fixture(scope="module")
def pdf_file(hostile_guyi) -> pymupdf.Document:
    return pymupdf.open(stream=briefing.build(hostile_guyi, WHERE, "pdf", kind="issue"), filetype="pdf")


@pytest.fixture(scope="module")
def pages_png(pdf_file) -> list[Path]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, page in enumerate(pdf_file, start=1):
        path = ARTIFACTS / f"briefing_pdf_page{number}.png"
        page.get_pixmap(dpi=110).save(path)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def word_file(hostile_guyi) -> docx.Document:
    return docx.Document(io.BytesIO(briefing.build(hostile_guyi, WHERE, "docx", kind="issue")))


def squeezed(text: str) -> str:
    """Text without the line breaks and spaces that wrapping adds."""
    return re.sub(r"\s+", "", text)


# PDF -----------------------------------------------------------------------------------------------------------
def test_pdf_pages_are_a4_and_numbered_n_of_m(pdf_file):
    total = len(pdf_file)
    assert total >= 2
    for number, page in enumerate(pdf_file, start=1):
        assert (page.rect.width, page.rect.height) == pytest.approx(A4, abs=0.5)
        assert f"第 {number} 页 / 共 {total} 页" in page.get_text()


def test_pdf_chinese_text_is_extractable_in_its_embedded_fonts(pdf_file):
    first = pdf_file[0].get_text()
    assert "襄州区一线协商工作简报" in first and "筛选条件：古驿" in first
    text = "".join(page.get_text() for page in pdf_file)
    for heading in ("一、主要指标", "二、点位分布图", "三、分乡镇（街道）统计", "四、逾期点位", "五、按月进展", "六、近期跟踪督办"):
        assert heading in text
    fonts_used = {font[3].split("+")[-1] for page in pdf_file for font in page.get_fonts()}
    assert fonts_used == {"NotoSerifCJKSC", "NotoSansCJKSC", "NotoSansCJKSCBold"}


def test_pdf_prints_hostile_names_literally(pdf_file):
    text = squeezed("".join(page.get_text() for page in pdf_file))
    assert squeezed(LONG) in text  # the whole name, `{nb}` not replaced by the page count
    assert squeezed(FORMULA) in text and squeezed(MARKUP) in text


def test_pdf_map_is_drawn_with_areas_points_and_overdue_rings(pdf_file, pages_png):
    assert pdf_file[0].get_images(), "the map is an image on the first page"
    pixels = np.asarray(Image.open(pages_png[0]).convert("RGB")).astype(int)
    near = lambda rgb, tolerance=40: int((np.abs(pixels - rgb).sum(axis=2) < tolerance).sum())
    assert near(RING) > 30, "overdue rings in the map and legend"
    assert near((228, 87, 46)) > 5, "a 待办 point or its legend entry"
    tinted = (pixels.max(axis=2) - pixels.min(axis=2) > 12).sum()
    assert tinted > pixels.shape[0] * pixels.shape[1] * 0.08, "town areas are filled, not a blank map"


def test_pdf_lists_the_overdue_point_with_its_follow_up_photo(pdf_file):
    text = squeezed("".join(page.get_text() for page in pdf_file))
    assert "古驿" in text and "逾期天数" in text
    assert sum(len(page.get_images()) for page in pdf_file) >= 3  # map, month chart, the follow-up's photo


# Word ----------------------------------------------------------------------------------------------------------
def test_word_has_title_headings_filter_and_chinese_fonts(word_file):
    headings = [p.text for p in word_file.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:6] == ["一、主要指标", "二、点位分布图", "三、分乡镇（街道）统计", "四、逾期点位", "五、按月进展",
                            "六、近期跟踪督办"]
    assert word_file.paragraphs[0].text == "襄州区一线协商工作简报"
    assert any(p.text == "筛选条件：古驿 · 问题点" for p in word_file.paragraphs)
    east_asian = lambda name: word_file.styles[name].element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
    assert (east_asian("Normal"), east_asian("Heading 1")) == ("宋体", "黑体")
    section = word_file.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    footer = section.footer.paragraphs[0]._p.xml
    assert 'w:instr="PAGE"' in footer and 'w:instr="NUMPAGES"' in footer and "第" in footer


def test_word_per_town_table_and_overdue_rows(word_file):
    tables = {t.rows[0].cells[0].text: t for t in word_file.tables}
    towns = [[c.text for c in row.cells] for row in tables["乡镇（街道）"].rows]
    assert [row[0] for row in towns] == ["乡镇（街道）", "古驿", "合计"]
    assert towns[1][1:] == towns[2][1:]  # one town: its row is the total
    overdue = [[c.text for c in row.cells] for row in tables["名称"].rows[1:]]
    assert overdue[0][0] == LONG  # whole and literal
    assert all(row[3] == "古驿" and int(row[6]) >= 1 for row in overdue)


def test_word_has_the_map_chart_and_photo_and_hostile_text_literally(word_file):
    assert len(word_file.inline_shapes) >= 3
    blobs = [r.target_part.blob for r in word_file.part.rels.values() if "image" in r.reltype]
    map_image = np.asarray(Image.open(io.BytesIO(max(blobs, key=len))).convert("RGB")).astype(int)
    assert (map_image.max(axis=2) - map_image.min(axis=2) > 12).mean() > 0.1
    texts = [p.text for p in word_file.paragraphs]
    assert f"2026-12-01　{FORMULA}（古驿）" in texts and MARKUP in texts
    assert any(t.startswith(FORMULA + " 再次督办") for t in texts)


# What goes in ---------------------------------------------------------------------------------------------------
def test_solving_rate_is_over_the_issues_the_other_filters_select(store):
    """Only 已解决 chosen: the rate is still solved ÷ (issues − withdrawn) of all issues, not 100 %."""
    where = Filter(kinds=("issue",), statuses=("已解决",))
    figures = dict(content.kpis(store, where, store.points(where), progress.report(store, where)))
    counts = store.counts(Filter(kinds=("issue",))).groupby("status")["n"].sum()
    expected = counts["已解决"] / (counts.sum() - counts.get("已撤销", 0)) * 100
    assert figures["问题解决率"] == f"{expected:.1f}%" != "100.0%"
    assert figures["点位总数"] == str(counts["已解决"])


def test_the_month_chart_ends_with_the_last_active_month_and_says_so():
    monthly = pd.DataFrame({"month": ["2023-01", "2023-02", "2023-03"], "new": [2, 0, 0], "resolved": [0, 1, 0],
                            "forwarded": [0, 0, 0], "open_end": [2, 1, 1]})
    window, note = content.month_window(monthly)
    assert list(window["month"]) == ["2023-01", "2023-02"]
    assert note == "2023-03 至 2023-03 各月没有新增、办结或转社情民意，月末未办结保持 1 个"


# The map alone ---------------------------------------------------------------------------------------------------
def test_map_scale_is_a_round_number_of_kilometres_about_a_fifth_of_the_width():
    assert mapimage.scale_km(0.9, 32.1) == 10  # the whole district is about 85 km wide
    assert mapimage.scale_km(0.2, 32.1) == 2


# Fonts -----------------------------------------------------------------------------------------------------------
def test_missing_fonts_are_named_in_chinese_with_how_to_install(tmp_path):
    with pytest.raises(fonts.FontsMissing) as refused:
        fonts.locate([tmp_path])
    message = str(refused.value)
    assert "缺少中文字体" in message and "Noto Serif CJK SC" in message and "fonts-noto-cjk" in message


def test_cli_refuses_without_fonts_and_writes_nothing(store_path, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fonts, "_candidates", lambda directories: [])
    out = tmp_path / "简报.pdf"
    assert cli.main(["briefing", "--format", "pdf", "--out", str(out)]) == 1
    assert "缺少中文字体" in capsys.readouterr().err and not out.exists()


# CLI -----------------------------------------------------------------------------------------------------------
def test_cli_writes_a_word_briefing_of_the_filtered_view(store_path, tmp_path):
    out = tmp_path / "weekly" / "简报.docx"
    done = subprocess.run([sys.executable, "-m", "loaders", "briefing", "--format", "docx", "--out", str(out),
                           "--unit", "古驿", "--kind", "问题点"], check=False, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "古驿 · 问题点" in done.stdout
    assert any(p.text == "筛选条件：古驿 · 问题点" for p in docx.Document(out).paragraphs)


@pytest.mark.parametrize("arguments, said", [
    (["--format", "txt"], "不支持的简报格式「txt」"),
    (["--format", "pdf", "--unit", "火星"], "乡镇「火星」"),
    (["--format", "pdf", "--from", "2023-13-01"], "日期「2023-13-01」"),
    (["--format", "docx", "--kind", "飞碟"], "类型「飞碟」"),
])
def test_cli_bad_arguments_are_refused_in_chinese_and_write_nothing(store_path, tmp_path, capsys, arguments, said):
    out = tmp_path / "简报.out"
    assert cli.main(["briefing", "--out", str(out), *arguments]) == 1
    assert said in capsys.readouterr().err and not out.exists()


@pytest.mark.parametrize("where, said", [
    ("a folder", "是一个文件夹"),
    ("a file as its folder", "无法写入"),
    ("a full disk", "无法写入"),
])
def test_cli_an_out_it_cannot_write_is_refused_in_chinese_and_leaves_nothing_half_written(store_path, tmp_path,
                                                                                          capsys, where, said):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    out = {"a folder": tmp_path, "a file as its folder": blocker / "简报.pdf", "a full disk": Path("/dev/full")}[where]
    before = sorted(p.name for p in tmp_path.iterdir())
    assert cli.main(["briefing", "--format", "pdf", "--out", str(out)]) == 1  # used to end in a Python traceback
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err and str(out) in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    if where == "a full disk":
        assert Path("/dev/full").is_char_device()  # still the device, not replaced by a file
