"""redline compare (方案比选): each alternative's figures equal its own check's, and the area it loses to avoiding
its violations equals the hand-computed area of what it may not occupy."""

import json
import subprocess

import pytest
import shapely
from click.testing import CliRunner

import redline
from redline.cli import main
from redline.compare import compare
from redline.pipeline import check
from tests.common import lonlat_rectangle_area_m2, write_project

ALTERNATIVES = {"across": (117.31, 39.10, 117.33, 39.12),  # its west half lies in the red-line square (117.30–117.32)
                "beside": (117.33, 39.10, 117.35, 39.12)}   # east of the square: nothing to avoid


def test_compare_equals_separate_checks_and_loses_what_avoiding_takes(synthetic):
    projects = [redline.project_of(shapely.box(*box), 4490) for box in ALTERNATIVES.values()]
    across, beside = compare(projects, synthetic)
    for alternative, project in zip((across, beside), projects):
        alone = check(project, synthetic)
        assert [(f.rule, f.status, f.measures) for f in alternative.report.findings] == \
               [(f.rule, f.status, f.measures) for f in alone.findings]
    assert across.lost_m2 == pytest.approx(lonlat_rectangle_area_m2(117.31, 39.10, 117.32, 39.12), abs=0.01)
    assert across.kept_m2 == pytest.approx(lonlat_rectangle_area_m2(117.32, 39.10, 117.33, 39.12), abs=0.01)
    assert beside.lost_m2 == 0 and beside.kept_m2 == beside.report.project["area_m2"]


def test_compare_command_writes_json_workbook_and_one_map(synthetic_manifest, tmp_path):
    import openpyxl

    paths = [write_project(tmp_path / f"{name}.geojson", shapely.box(*box), name=name) for name, box in ALTERNATIVES.items()]
    result = CliRunner().invoke(main, ["compare", *map(str, paths), "-l", str(synthetic_manifest), "-o", str(tmp_path / "c.json"),
                                       "--xlsx", str(tmp_path / "c.xlsx"), "--map", str(tmp_path / "c.html"),
                                       "--pdf", str(tmp_path / "c.pdf")])
    assert result.exit_code == 1, result.output  # one alternative violates
    lines = result.output.splitlines()
    assert lines[0].split() == ["across", "beside"] and lines[2].split()[1:] == ["VIOLATION", "REVIEW"]
    data = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))["alternatives"]
    assert [a["label"] for a in data] == ["across", "beside"] and data[0]["verdict"] == "violation"
    assert data[0]["lost_m2"] == pytest.approx(lonlat_rectangle_area_m2(117.31, 39.10, 117.32, 39.12), abs=0.01)
    sheet = openpyxl.load_workbook(tmp_path / "c.xlsx").worksheets[0]
    header = [cell.value for cell in sheet[2]]
    lost = [row[header.index("避让损失面积 / lost to avoiding (公顷 ha)")].value for row in sheet.iter_rows(min_row=3, max_row=4)]
    assert lost == pytest.approx([data[0]["lost_m2"] / 10_000, 0.0], abs=1e-10)
    page = (tmp_path / "c.html").read_text(encoding="utf-8")
    assert page.count("<tr data-verdict=") == 2 and "across" in page and "beside" in page
    text = "".join(subprocess.run(["pdftotext", str(tmp_path / "c.pdf"), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())
    assert "Comparisonofalternativeboundaries" in text and "建设项目用地方案比选报告" not in text and "beside" in text
    assert "Recommended:beside." in text and "Approvedby" in text and "Reviewingoffice(seal)" in text
    assert json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))["recommended"] == "beside"
    assert result.output.splitlines()[-1] == "Recommended: beside"
    assert f"{data[0]['kept_m2']:,.1f}" in text and "across:violation" in text


def test_the_chinese_comparison_names_its_recommendation_and_can_be_signed(synthetic_manifest, tmp_path):
    paths = [write_project(tmp_path / f"{name}.geojson", shapely.box(*box), name=name) for name, box in ALTERNATIVES.items()]
    result = CliRunner().invoke(main, ["compare", *map(str, paths), "-l", str(synthetic_manifest), "--lang", "zh",
                                       "--pdf", str(tmp_path / "c.pdf"), "--applicant", "天津市某建设单位",
                                       "--reference", "津审〔2026〕9号", "--project-code", "2026-120116-48-01-000002"])
    assert result.exit_code == 1, result.output
    text = "".join(subprocess.run(["pdftotext", str(tmp_path / "c.pdf"), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())
    assert "推荐方案：beside。理由：审查结论为需补充论证" in text and "核减最少" in text
    assert "天津市某建设单位" in text and "2026-120116-48-01-000002" in text and "审核（签发）人" in text
    assert "Comparison" not in text
