"""The review file: the PDF, Word and Excel files read back (pdftotext, python-docx, openpyxl), the PDF pages
rendered (pdftoppm), the map sheet's scale, and ``redline report`` from a saved report."""

import json
import re
import subprocess

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from matplotlib.image import imread

from redline.cli import main
from redline.report.mapsheet import MARGIN_SHARE, STANDARD_SCALES, map_frame
from redline.report.review import beijing_time
from tests.conftest import SAMPLES


def sample(stem):
    return str(next(p for p in SAMPLES if p.stem == stem))


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def flat(text: str) -> str:
    """Text without white space (pdftotext breaks lines and pads columns where the layout does) and without the
    page footers, which a paragraph running over a page break would enclose."""
    return re.sub(r"报告编号RL-\d{8}-[0-9A-F]{8}·第\d+页/共\d+页", "", re.sub(r"\s+", "", text))


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def docx_text(path) -> str:
    document = docx.Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.fixture(scope="module")
def road(tmp_path_factory):
    """Sample 01 (red line, farmland and reserve violations) checked once with every document."""
    folder = tmp_path_factory.mktemp("road")
    result = invoke("check", sample("01_qilihai_road"), "-o", folder / "r.json", "--pdf", folder / "r.pdf",
                    "--docx", folder / "r.docx", "--xlsx", folder / "r.xlsx", "--sheet", folder / "r.png",
                    "--applicant", "天津市某建设单位", "--reference", "津审〔2026〕7号",
                    "--project-code", "2026-120116-48-01-000001")
    assert result.exit_code == 1, result.output
    return folder, json.loads((folder / "r.json").read_text(encoding="utf-8"))


def expected_figures(report) -> list[str]:
    """Every constraint's title and measured figures as the documents print them, from the JSON report: 公顷 to 4
    decimals (亩 beside them for 耕地 only), % to 2 decimals, metres to 0.1, a zero as 不涉及."""
    texts = []
    for finding in report["findings"]:
        texts.append(finding["title_zh"])
        for name, value in finding["measures"].items():
            if not value:
                texts.append("不涉及")
            elif name.endswith("share"):
                texts.append(f"{value:.2%}")
            elif name.endswith("_m2"):
                mu = f"（{value / (10_000 / 15):,.2f}亩）" if finding["rule"] == "farmland" else ""
                texts.append(f"{value / 10_000:,.4f}公顷{mu}")
            else:
                texts.append(f"{value:,.1f}米")
    return texts


def red_line_opinion(report) -> str:
    """The red line's 审查意见, written out by hand from the report's figures and the national template."""
    red = next(f for f in report["findings"] if f["rule"] == "redline")
    area, share = red["measures"]["area_m2"], red["measures"]["share"]
    return (f"审查意见：项目用地占用生态保护红线{area / 10_000:,.4f}公顷，占项目用地{share:.2%}，涉及七里海湿地。"
            "生态保护红线内，自然保护地核心保护区以外的区域原则上禁止开发性、生产性建设活动，仅允许对生态功能不造成"
            "破坏的有限人为活动及国家重大项目占用（依据自然资源部生态环境部国家林业和草原局《关于加强生态保护红线管理的"
            "通知（试行）》（自然资发〔2022〕142号））；本项目未申报上述情形，不符合生态保护红线管控要求。")


def test_pdf_holds_verdict_figures_and_opinions(road):
    folder, report = road
    text = flat(pdf_text(folder / "r.pdf"))
    assert "审查结论：不符合" in text and "天津市某建设单位" in text and "津审〔2026〕7号" in text
    assert "项目代码2026-120116-48-01-000001" in text
    assert report["project"]["sha256"] in text and "宁河区" in text
    for figure in expected_figures(report):
        assert flat(figure) in text, figure
    assert red_line_opinion(report) in text
    assert text.count("审查意见：") == len(report["findings"])
    assert all(signer in text for signer in ("经办人", "复核人", "审核（签发）人", "审查单位（盖章）"))
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(folder / "r.pdf")], capture_output=True,
                                                             text=True, check=True).stdout).group(1))
    footers = re.findall(r"报告编号 (RL-\d{8}-[0-9A-F]{8}) · 第 (\d+) 页 / 共 (\d+) 页", pdf_text(folder / "r.pdf"))
    assert [(int(page), int(total)) for _, page, total in footers] == [(n, pages) for n in range(1, pages + 1)]
    assert len({number for number, _, _ in footers}) == 1 and footers[0][0] in text


def test_the_review_can_be_signed_and_filed(road):
    """What a reviewer checks before signing: legal basis with document numbers, each constraint's own legal path,
    the trade's status words, one units policy, Beijing dates, the boundary points, no English and no paths."""
    folder, report = road
    text = flat(pdf_text(folder / "r.pdf"))
    for basis in ("《中华人民共和国土地管理法》第三十五条", "自然资发〔2022〕142号", "自然资发〔2023〕193号",
                  "国函〔2024〕126号", "《中华人民共和国自然保护区条例》第二十七条、第三十二条",
                  "《关于全面推进美丽天津建设的实施意见》"):
        assert basis in text, basis
    farmland = text[text.index("（二）耕地与永久基本农田"):text.index("（三）")]
    reserves = text[text.index("（七）自然保护地"):text.index("（八）")]
    assert "有限人为活动及国家重大项目" not in farmland and "须经国务院批准" in farmland
    assert "不适用有限人为活动情形" in reserves
    assert "（一）生态保护红线：不符合" in text and "（五）城镇开发边界：需补充论证" in text
    assert "（四）围填海管控：不涉及" in text and "违规" not in text and "无冲突" not in text
    assert all(re.fullmatch(r"[\d,]+\.\d{4}", number) for number in re.findall(r"([\d,.]+)公顷", text))
    rest = text.replace(text[text.index("（二）耕地"):text.index("（三）")], "")
    assert all("耕地" in rest[max(0, at - 25):at] for at in [m.start() for m in re.finditer("亩", rest)]), "亩 is for 耕地 only"
    assert re.search(r"检查时间（北京时间）\d{4}年\d{1,2}月\d{1,2}日\d{2}:\d{2}", text)
    assert "附件1界址点坐标表" in text and "高斯-克吕格投影3度带第39带（EPSG:4527）" in text and "J1" in text
    assert "核减用地" in text and "保留" in text
    assert str(folder) not in text and "/work/" not in text and "Verdict" not in text and "disclaimer" not in text.lower()
    raw = subprocess.run(["pdftotext", "-raw", str(folder / "r.pdf"), "-"], capture_output=True, text=True).stdout
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    split = [(a, b) for a, b in zip(lines, lines[1:]) if re.search(r"[\d.]$", a) and re.match(r"(\d|公顷|亩|米)", b)
             and not re.match(r"J\d+ \d+ ", a)]
    assert not split, split[:5]


def test_pdf_pages_render_and_the_map_sheet_shows_the_intrusions(road, tmp_path):
    folder, _ = road
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(folder / "r.pdf"), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 3
    for page in pages:
        pixels = imread(page)[..., :3]
        assert (pixels.min(axis=2) < 0.5).mean() > 0.003, f"{page.name} is blank"
    landscape = [page for page in pages if imread(page).shape[1] > imread(page).shape[0]]
    assert len(landscape) == 1, "the map sheet is the one landscape page"
    pixels = imread(landscape[0])[..., :3]
    red = (pixels[..., 0] > 0.75) & (pixels[..., 1] < 0.25) & (pixels[..., 2] < 0.25)
    assert red.sum() > 50, "the violation pieces are drawn in red"


def test_word_file_says_what_the_pdf_says(road):
    folder, report = road
    text = flat(docx_text(folder / "r.docx").replace("\u00a0", " ").replace("\u2011", "-"))
    assert "审查结论：不符合" in text
    for figure in expected_figures(report):
        assert flat(figure) in text, figure
    assert red_line_opinion(report) in text
    document = docx.Document(str(folder / "r.docx"))
    footer = "".join(node.text or "" for node in document.sections[0].footer._element.iter()
                     if node.tag.endswith(("}t", "}instrText")))
    assert "PAGE" in footer and "NUMPAGES" in footer and "报告编号 RL-" in footer
    assert any(section.page_width > section.page_height for section in document.sections), "map sheet in landscape"


def test_workbook_has_the_applications_and_the_features_hit(road):
    """A ledger (台账): title row, header, rows, a 合计 row; 公顷 to 4 decimals, shares as %, filters, printed landscape
    at the page's width with the header on every page."""
    folder, report = road
    book = openpyxl.load_workbook(folder / "r.xlsx")
    applications, features = book.worksheets
    assert applications.freeze_panes == "B3" and features.freeze_panes == "B3"
    assert applications["A1"].value.startswith("建设项目用地红线审查台账")
    header = [cell.value for cell in applications[2]]
    row = dict(zip(header, [cell.value for cell in applications[3]]))
    assert row["结论 / verdict"] == "不符合" and row["国家重大项目 / national major"] == "否"
    assert header[:6] == ["编号 / id", "项目名称 / project", "项目代码 / project code", "申请单位 / applicant",
                          "文号 / reference", "坐落 / location"]
    assert (row["项目名称 / project"], row["项目代码 / project code"], row["申请单位 / applicant"], row["文号 / reference"]) == (
        report["project"]["name"], "2026-120116-48-01-000001", "天津市某建设单位", "津审〔2026〕7号")
    assert row["坐落 / location"] == "、".join(report["context"]["region_features"]) and row["坐落 / location"].endswith("区")
    area = next(cell for cell in applications[3] if cell.column == header.index("用地面积 / area (公顷 ha)") + 1)
    assert area.value == pytest.approx(report["project"]["area_m2"] / 10_000, abs=1e-7) and area.number_format == "#,##0.0000"
    assert applications.cell(row=4, column=1).value == "合计"
    assert applications.cell(row=4, column=area.column).value.startswith("=SUM(")
    for finding in report["findings"]:
        status = next(value for key, value in row.items() if key.startswith(f"{finding['title_zh']} 状态"))
        assert status == {"clear": "不涉及", "review": "需补充论证", "violation": "不符合"}[finding["status"]]
    assert applications.auto_filter.ref.startswith("A2:") and applications.print_title_rows == "$2:$2"
    assert applications.page_setup.orientation == "landscape" and applications.page_setup.fitToWidth == 1
    hits = [[cell.value for cell in line] for line in features.iter_rows(min_row=3)]
    assert len(hits) == sum(len(f["features"]) for f in report["findings"])
    qilihai = next(hit for hit in hits if hit[3] == "七里海湿地")
    assert qilihai[5] == pytest.approx(report["findings"][0]["features"][0]["area_m2"] / 10_000)
    assert qilihai[7] == pytest.approx(report["findings"][0]["measures"]["share"])
    assert features.cell(row=3, column=8).number_format == "0.00%"


def test_map_sheet_png_is_a_landscape_page(road):
    folder, _ = road
    pixels = imread(folder / "r.png")
    assert pixels.shape[1] > pixels.shape[0] and (pixels[..., :3].min(axis=2) < 0.5).mean() > 0.01


def test_english_documents(tmp_path):
    result = invoke("check", sample("12_coastal_setback"), "--pdf", tmp_path / "r.pdf", "--lang", "en")
    assert result.exit_code == 1
    text = pdf_text(tmp_path / "r.pdf")
    assert "Verdict: violation" in text and "Review opinion" in text
    assert "does not meet the natural mainland coastline controls" in " ".join(text.split())
    assert not any(word in text for word in ("审查", "不符合", "公顷", "依据", "原文"))  # names are data; words are English


def test_report_from_a_saved_json_keeps_its_number_and_figures(road, tmp_path):
    folder, report = road
    result = invoke("report", folder / "r.json", "--pdf", tmp_path / "again.pdf", "--xlsx", tmp_path / "again.xlsx")
    assert result.exit_code == 0, result.output
    first, again = pdf_text(folder / "r.pdf"), flat(pdf_text(tmp_path / "again.pdf"))
    number = re.search(r"RL-\d{8}-[0-9A-F]{8}", first).group(0)
    assert number in again and red_line_opinion(report) in again
    assert beijing_time(report["created"]) in again.replace(" ", "") or flat(beijing_time(report["created"])) in again


def test_report_refuses_another_file_or_changed_layers(road, tmp_path):
    folder, _ = road
    result = invoke("report", folder / "r.json", "--project", sample("05_factory_urban"), "--pdf", tmp_path / "x.pdf")
    assert result.exit_code == 2 and "不是所检查的文件" in result.output
    saved = json.loads((folder / "r.json").read_text(encoding="utf-8"))
    saved["manifest"]["layers"][1]["sha256"] = "0" * 64
    (tmp_path / "old.json").write_text(json.dumps(saved, ensure_ascii=False), encoding="utf-8")
    result = invoke("report", tmp_path / "old.json", "--pdf", tmp_path / "y.pdf")
    assert result.exit_code == 2 and "图层自检查以来已变化" in result.output
    assert saved["manifest"]["layers"][1]["id"] in result.output
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "y.pdf").exists()


@pytest.mark.parametrize("size_m, paper, scale", [(1_000, "A4", 10_000), (100, "A4", 2_000), (20_000, "A3", 100_000),
                                                  (30_000, "A4", 250_000)])
def test_map_frame_takes_the_largest_standard_scale_that_fits(size_m, paper, scale):
    frame = map_frame((500_000.0, 4_000_000.0, 500_000.0 + size_m, 4_000_000.0 + size_m))
    assert (frame.paper, frame.scale) == (paper, scale)
    west, south, east, north = frame.bounds_m
    assert east - west == pytest.approx(frame.size_mm[0] / 1000 * scale)  # printed at 100 %, the ruler measures true
    assert north - south == pytest.approx(frame.size_mm[1] / 1000 * scale)
    assert west <= 500_000 and east >= 500_000 + size_m and south <= 4_000_000 and north >= 4_000_000 + size_m
    if paper == "A4" and scale in STANDARD_SCALES and scale > STANDARD_SCALES[0]:  # the next larger scale is too small
        previous = STANDARD_SCALES[STANDARD_SCALES.index(scale) - 1]
        assert size_m * (1 + 2 * MARGIN_SHARE) > min(frame.size_mm) / 1000 * previous


def test_the_map_sheet_is_placed_at_its_true_scale(road):
    """The sheet is drawn for its paper at a stated scale; shrunk onto the page it stated a false one. In the PDF its
    image sits at the resolution it was drawn at on a page of its paper's size; in Word its picture fills a section
    of that size with no margins."""
    from redline.report.mapsheet import DPI, PAPERS_MM
    folder, _ = road
    listing = subprocess.run(["pdfimages", "-list", str(folder / "r.pdf")], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    page, *_, x_ppi, y_ppi = [line.split() for line in listing][0][:14]
    assert (int(x_ppi), int(y_ppi)) == (DPI, DPI)
    size = re.search(r"size:\s+([\d.]+) x ([\d.]+) pts", subprocess.run(
        ["pdfinfo", "-f", page, "-l", page, str(folder / "r.pdf")], capture_output=True, text=True).stdout)
    width_mm, height_mm = float(size.group(1)) / 72 * 25.4, float(size.group(2)) / 72 * 25.4
    assert any(width_mm == pytest.approx(w, abs=0.5) and height_mm == pytest.approx(h, abs=0.5)
               for w, h in PAPERS_MM.values())
    document = docx.Document(str(folder / "r.docx"))
    section = next(s for s in document.sections if s.page_width > s.page_height)
    picture = document.inline_shapes[0]
    assert picture.width == pytest.approx(section.page_width, abs=1_000)  # EMU: 1,000 is 0.03 mm
    assert picture.height == pytest.approx(section.page_height, abs=1_000)
    assert section.left_margin == 0 and section.top_margin == 0


def test_the_map_sheet_has_a_location_inset_of_the_region(tianjin):
    """The 区位图: the region's outline with the project marked, drawn in the title block when the outline is given."""
    import io

    from redline.pipeline import check
    from redline.report.mapsheet import map_sheet_png

    report = check(sample("05_factory_urban"), tianjin)
    plain = imread(io.BytesIO(map_sheet_png(report, tianjin.nearby, number="X-01")))[..., :3]
    located = imread(io.BytesIO(map_sheet_png(report, tianjin.nearby, number="X-01", overview=tianjin.outline)))[..., :3]
    height, width = plain.shape[:2]
    block = (slice(int(height * 0.35), int(height * 0.6)), slice(int(width * 0.8), width))  # where the inset goes
    red = lambda pixels: ((pixels[..., 0] > 0.7) & (pixels[..., 1] < 0.3) & (pixels[..., 2] < 0.3)).sum()  # noqa: E731
    assert red(located[block]) > red(plain[block]) + 20 and (located[block] != plain[block]).any(axis=2).mean() > 0.02


def test_a_name_in_a_script_the_font_lacks_draws_without_a_warning_a_glyph(tianjin):
    """A project named in Thai or with emoji (the CJK font has neither): the sheet is drawn, stderr stays quiet."""
    import dataclasses
    import warnings

    from redline.pipeline import check
    from redline.report.mapsheet import map_sheet_png

    report = check(sample("05_factory_urban"), tianjin)
    named = dataclasses.replace(report, project={**report.project, "name": "โรงงาน 🚀 工厂"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = map_sheet_png(named, tianjin.nearby, number="X-02")
    assert png.startswith(b"\x89PNG") and not [w for w in caught if "missing from font" in str(w.message)]


def test_the_map_sheet_legend_names_each_class_in_its_own_colour(tianjin):
    """永久基本农田 / 一般耕地, 一级 / 二级 / 准保护区: each class with a colour of its own in the layer's style is drawn
    and listed under its title; a layer without class colours stays one entry."""
    import numpy as np

    from redline.report.mapsheet import _classes
    from redline.rules import rule_for

    rules = {rule.RULE.id: rule.RULE for rule in tianjin.rules}
    farmland = tianjin.manifest.layers["farmland"]
    classes = np.array(["一般耕地", "永久基本农田", "一般耕地"], dtype=object)
    entries = _classes(farmland, dict(farmland.style), classes, rule_for("farmland"), "耕地", "zh")
    assert [(label, colour, shown.tolist()) for label, colour, shown in entries] == [
        ("耕地 · 永久基本农田", farmland.style["permanent_color"], [False, True, False]),
        ("耕地 · 一般耕地", farmland.style["other_color"], [True, False, True])]
    water = tianjin.manifest.layers["water_sources"]
    labels = [label for label, *_ in _classes(water, dict(water.style), np.array(["准保护区", "一级保护区"], dtype=object),
                                             rules["water_sources"], "水源", "zh")]
    assert labels == ["水源 · 一级保护区", "水源 · 准保护区"]
    sea = tianjin.manifest.layers["sea"]
    assert [label for label, *_ in _classes(sea, dict(sea.style), np.array([None], dtype=object), None, "海域", "zh")] == \
        ["海域"]
