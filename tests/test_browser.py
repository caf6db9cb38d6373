"""The HTML maps in a real headless Chromium, from file:// with no network: they draw, list every layer,
show the verdict and figures, and run nothing a submitter wrote."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import shapely
from pyproj import Transformer

from redline.cli import main
from redline.io import read_project
from redline.model import Status
from redline.report.html import STATUS_COLOURS
from tests.common import chrome, write_project
from tests.conftest import SAMPLES

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and os.environ.get("CI"):
    raise RuntimeError("CI must install Debian's chromium for the browser tests (.ci/run does)")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")]

HOSTILE = ("<script>document.body.setAttribute('data-pwned','script')</script>"
           "<img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">"
           "${document.body.setAttribute('data-pwned','template')}`{{7*7}}")


def render(path, tmp_path):
    """The DOM after scripts ran, and the console lines, of a page opened from a file with no network."""
    completed = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",  # any network request fails
         f"--user-data-dir={tmp_path / 'chromium'}", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=5000", "--dump-dom", path.resolve().as_uri()],
        capture_output=True, text=True, timeout=120)
    console = [line for line in completed.stderr.splitlines() if ":CONSOLE" in line]
    return completed.stdout, console


def make_map(tmp_path, project, *args):
    from click.testing import CliRunner

    page = tmp_path / "map.html"
    result = CliRunner().invoke(main, ["check", str(project), "--map", str(page), "--overwrite", *args])
    assert result.exit_code in (0, 1), result.output
    return page


@pytest.mark.parametrize("stem, verdict", [("06_beidagang_solar", "violation"), ("05_factory_urban", "pass"),
                                           ("11_haihe_bank", "review"), ("04_dashentang_resort", "violation")])
def test_sample_map_draws_offline_with_every_layer_and_the_verdict(tmp_path, tianjin, stem, verdict):
    sample = next(p for p in SAMPLES if p.stem == stem)
    page = make_map(tmp_path, sample)
    source = page.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=\"http", source), "everything is inlined"
    dom, console = render(page, tmp_path)
    assert console == []
    assert f'data-verdict="{verdict}"' in dom
    labels = re.findall(r'class="leaflet-control-layers-selector"[^>]*><span> (.*?)</span>', dom)
    expected = {near.spec.title_en for near in tianjin.nearby(read_project(sample).geometry) if len(near)}
    assert expected <= set(labels), (expected, labels)
    assert "Project boundary" in labels and "No base map" in labels
    assert "leaflet-control-measure" in dom and "leaflet-control-minimap" in dom and "leaflet-control-scale" in dom


def test_summary_shows_the_figures(tmp_path):
    sample = next(p for p in SAMPLES if p.stem == "06_beidagang_solar")
    dom, _ = render(make_map(tmp_path, sample), tmp_path)
    summary = dom.split('id="redline-summary"')[1].split("</details>")[0]
    assert "Intrudes 3,005,572.1 m²" in summary and "北大港湿地" in summary
    assert re.search(r"ecological_redline: 2024-07-29 · sha256 [0-9a-f]{12}", summary)


def test_hostile_project_name_is_shown_as_text_and_never_runs(tmp_path):
    project = write_project(tmp_path / "hostile.geojson", shapely.box(117.30, 39.10, 117.31, 39.11), name=HOSTILE)
    dom, console = render(make_map(tmp_path, project), tmp_path)
    assert "data-pwned" not in dom.split("<body")[1].split(">")[0]
    assert console == []
    shown = dom.split('id="redline-project"')[1].split("</div>")[0]
    assert "&lt;script&gt;document.body.setAttribute" in shown and "{{7*7}}" in shown and "${document.body" in shown


def test_mouse_position_gauss_kruger_matches_pyproj(tmp_path):
    sample = next(p for p in SAMPLES if p.stem == "01_qilihai_road")
    dom, _ = render(make_map(tmp_path, sample), tmp_path)
    match = re.search(r"CGCS2000 ([\d.]+)°E ([\d.]+)°N · GK zone 39 X=([\d.]+) Y=([\d.]+)", dom)
    lon, lat, north, east = map(float, match.groups())
    expected_east, expected_north = Transformer.from_crs(4490, 4527, always_xy=True).transform(lon, lat)
    assert east == pytest.approx(expected_east, abs=0.01) and north == pytest.approx(expected_north, abs=0.01)


def test_every_sample_map_is_at_most_3_mb(tmp_path):
    for sample in SAMPLES:
        page = make_map(tmp_path, sample)
        assert page.stat().st_size <= 3 * 1024 * 1024, sample.name


def test_index_page_lists_every_check_with_links(tmp_path):
    from click.testing import CliRunner

    reports = []
    for sample in SAMPLES[:4]:
        report = tmp_path / f"{sample.stem}.json"
        CliRunner().invoke(main, ["check", str(sample), "-o", str(report), "--map", str(report.with_suffix(".html"))])
        reports.append(str(report))
    page = tmp_path / "index.html"
    result = CliRunner().invoke(main, ["index", *reports, "-o", str(page)])
    assert result.exit_code == 0, result.output
    dom, console = render(page, tmp_path)
    assert console == []
    assert dom.count("<tr data-verdict=") == 4
    assert all(f"href=\"{sample.stem}.html\"" in dom for sample in SAMPLES[:4])
    assert re.search(r"VIOLATION \d+.*REVIEW \d+.*PASS \d+", dom.split('id="redline-counts"')[1][:600])


CHROMEDRIVER = shutil.which("chromedriver")
needs_driver = pytest.mark.skipif(CHROMEDRIVER is None and not os.environ.get("CI"), reason="chromium-driver is not installed")


def overlay_paths(browser):
    """(stroke colour, dash array) of every SVG path in the map's overlay pane, in drawing order (last on top)."""
    return [tuple(path) for path in browser.execute_script(
        "return Array.from(document.querySelectorAll('.leaflet-overlay-pane path'))"
        ".map(p => [p.getAttribute('stroke'), p.getAttribute('stroke-dasharray')]);")]


@needs_driver
def test_violations_are_drawn_above_reviews_and_their_popups_open_on_click(tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    page = make_map(tmp_path, next(p for p in SAMPLES if p.stem == "01_qilihai_road"))  # violations and reviews
    with chrome() as browser:
        browser.get(page.resolve().as_uri())
        WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane path"))
        strokes = [stroke for stroke, _ in overlay_paths(browser)]
        violation, review, project = STATUS_COLOURS[Status.VIOLATION], STATUS_COLOURS[Status.REVIEW], "#2c7bb6"
        assert violation in strokes and review in strokes
        last_review = max(i for i, s in enumerate(strokes) if s == review)
        first_violation = min(i for i, s in enumerate(strokes) if s == violation)
        assert strokes.index(project) < last_review < first_violation, "project, then reviews, then violations on top"
        pieces = [p for p in browser.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane path")
                  if p.get_attribute("stroke") == violation and p.get_attribute("fill") == violation]
        largest = max(pieces, key=lambda p: p.size["width"] * p.size["height"])
        ActionChains(browser).move_to_element(largest).click().perform()
        # read as textContent: the popup fades in, and Selenium's .text is empty until it is drawn visible
        popup = WebDriverWait(browser, 10).until(lambda b: b.execute_script(
            "return Array.from(document.querySelectorAll('.leaflet-popup-content')).map(p => p.textContent).join('').trim();"))
        assert "m²" in popup and "Features hit" in popup, popup


@needs_driver
def test_coastal_setback_zone_and_the_coast_it_takes_are_drawn(tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    page = make_map(tmp_path, next(p for p in SAMPLES if p.stem == "12_coastal_setback"))
    with chrome() as browser:
        browser.get(page.resolve().as_uri())
        WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane path"))
        paths = overlay_paths(browser)
        violation = STATUS_COLOURS[Status.VIOLATION]
        assert (violation, "6 4") in paths, "the setback zone: a dashed red outline"
        assert (violation, None) in paths, "the natural coast within the setback, in red"
        layers = browser.find_element(By.CSS_SELECTOR, ".leaflet-control-layers").text
        assert "Coastal setback 200 m" in layers
        labels = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".redline-label")]
        assert any("滨海新区" in label for label in labels), labels  # district names shown where the map opens


@needs_driver
def test_osm_chosen_offline_says_it_needs_a_network(tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    page = make_map(tmp_path, next(p for p in SAMPLES if p.stem == "05_factory_urban"))
    with chrome() as browser:
        browser.get(page.resolve().as_uri())
        notice = browser.find_element(By.ID, "redline-network")
        assert not notice.is_displayed()
        option = next(label for label in browser.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers-base label")
                      if "OpenStreetMap" in label.text)
        option.click()
        WebDriverWait(browser, 20).until(lambda b: notice.is_displayed())
        assert "network" in notice.text


def print_to_pdf(page, tmp_path) -> Path:
    """The page as Chromium prints it (print stylesheet, no network)."""
    pdf = tmp_path / f"{page.stem}.pdf"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--proxy-server=127.0.0.1:9",
                    f"--user-data-dir={tmp_path / 'chromium-print'}", "--virtual-time-budget=5000", "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}", page.resolve().as_uri()], capture_output=True, timeout=120, check=True)
    return pdf


def pdf_pages(pdf) -> list[tuple[float, float]]:
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True, check=True).stdout
    return [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]


def test_a_printed_map_is_one_landscape_page_with_panel_and_legend(tmp_path):
    page = make_map(tmp_path, next(p for p in SAMPLES if p.stem == "01_qilihai_road"), "--lang", "zh")
    pdf = print_to_pdf(page, tmp_path)
    pages = pdf_pages(pdf)
    assert len(pages) == 1 and pages[0][0] > pages[0][1], pages
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "不符合" in text and "生态保护红线" in text and "图例" in text


def test_a_printed_index_lists_every_row(tmp_path):
    from click.testing import CliRunner

    checked = [tmp_path / f"{sample.stem}.json" for sample in SAMPLES]  # each sample checked once …
    for sample, report in zip(SAMPLES, checked):
        CliRunner().invoke(main, ["check", str(sample), "-o", str(report)])
    reports = []
    for number in range(30):  # … and listed under several names: 30 rows
        report = tmp_path / f"r{number:02d}_{SAMPLES[number % len(SAMPLES)].stem}.json"
        shutil.copyfile(checked[number % len(SAMPLES)], report)
        reports.append(str(report))
    page = tmp_path / "index.html"
    assert CliRunner().invoke(main, ["index", *reports, "-o", str(page)]).exit_code == 0
    text = subprocess.run(["pdftotext", str(print_to_pdf(page, tmp_path)), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert all(f"r{number:02d}_" in text for number in range(30))


def test_batch_maps_draw_offline_from_their_shared_assets(tmp_path):
    """A batch's maps link Leaflet and redline's script from maps/assets/ (written once), drawn by two workers."""
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["batch", str(SAMPLES[0].parent), "-o", str(tmp_path / "out"), "-j", "2", "--maps"])
    assert result.exit_code == 1, result.output
    folder = tmp_path / "out" / "maps"
    assert sorted(p.name for p in (folder / "assets").iterdir()) == ["redline-maps.css", "redline-maps.en.js"]
    page = next(folder.glob("06_beidagang_solar.html"))
    assert '<script src="assets/redline-maps.en.js"></script>' in page.read_text(encoding="utf-8")
    for drawn in (page, folder / "index.html"):
        dom, console = render(drawn, tmp_path)
        assert console == [], drawn
        assert "leaflet-control-measure" in dom and "leaflet-overlay-pane" in dom
    dom, _ = render(page, tmp_path)
    assert 'data-verdict="violation"' in dom and "Project boundary" in dom
