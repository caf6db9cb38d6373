"""The HTTP service, started for real on a free loopback port and spoken to over HTTP."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import docx
import httpx
import pytest

import redline
import redline.avoid
from redline.errors import Correction
from redline.model import Options
from redline.pipeline import check
from tests.common import chrome, http
from tests.conftest import SAMPLES

INPUTS = Path(__file__).resolve().parent / "data" / "inputs"
DECLARED = {"08_national_major_lng": {"national_major": "true"}, "09_monitoring_station": {"activity": "1"}}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """``redline serve`` in a subprocess; stops on exit."""

    def __init__(self, db: Path, *, workers: int = 1, options=(), **env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "redline.cli", "serve", "--port", str(self.port), "--db", str(db),
                   "--workers", str(workers), *options]
        self.process = subprocess.Popen(command, env={**os.environ, **env}, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if http.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not start: {self.process.stderr.read().decode()[-2000:]}")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)
        self.process.stderr.close()


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    return tmp_path_factory.mktemp("service") / "results.sqlite"


@pytest.fixture(scope="module")
def server(database):
    """Checks run in 2 check processes here (the other tests' servers check in threads)."""
    running = Server(database, workers=2)
    yield running
    running.stop()


def submit(server, path, **fields):
    with open(path, "rb") as stream:
        return http.post(f"{server.url}/v1/checks", files={"file": (path.name, stream)}, data=fields, timeout=60)


def comparable(report):
    return {"verdict": report["verdict"], "area_m2": round(report["project"]["area_m2"], 3),
            "findings": [(f["rule"], f["status"], {k: round(v, 6) for k, v in f["measures"].items()}, f["exemption"])
                         for f in report["findings"]]}


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_every_sample_gives_the_cli_report(server, tianjin, sample):
    fields = DECLARED.get(sample.stem, {})
    answer = submit(server, sample, **fields)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    options = Options(national_major=fields.get("national_major") == "true",
                      activity=int(fields["activity"]) if "activity" in fields else None)
    assert comparable(body) == comparable(json.loads(json.dumps(check(sample, tianjin, options=options).to_dict())))
    assert len(body["id"]) >= 24
    again = http.get(f"{server.url}/v1/checks/{body['id']}").json()
    assert comparable(again) == comparable(body)


def test_map_and_intrusions_are_served(server):
    body = submit(server, next(p for p in SAMPLES if p.stem == "06_beidagang_solar")).json()
    page = http.get(f"{server.url}/v1/checks/{body['id']}/map", timeout=60)
    assert page.status_code == 200 and "redline-summary" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    geojson = http.get(f"{server.url}/v1/checks/{body['id']}/intrusions.geojson").json()
    assert {f["properties"]["rule"] for f in geojson["features"]} >= {"redline", "nature_reserves"}


def test_review_report_downloads(server, tmp_path):
    body = submit(server, next(p for p in SAMPLES if p.stem == "06_beidagang_solar")).json()
    pdf = http.get(f"{server.url}/v1/checks/{body['id']}/report.pdf", timeout=120)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment;") and pdf.content.startswith(b"%PDF-")
    (tmp_path / "r.pdf").write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    assert "审查结论：不符合" in text and "北大港湿地" in text and "06_beidagang_solar.geojson" in text
    word = http.get(f"{server.url}/v1/checks/{body['id']}/report.docx", params={"lang": "en"}, timeout=120)
    assert word.status_code == 200 and word.content.startswith(b"PK")
    (tmp_path / "r.docx").write_bytes(word.content)
    assert "Verdict: violation" in "\n".join(p.text for p in docx.Document(str(tmp_path / "r.docx")).paragraphs)
    assert http.get(f"{server.url}/v1/checks/{body['id']}/report.odt").status_code in (404, 422)
    assert http.get(f"{server.url}/v1/checks/{'x' * 24}/report.pdf").status_code == 404


def test_layers_health_and_docs(server):
    layers = http.get(f"{server.url}/v1/layers").json()
    redline = next(layer for layer in layers if layer["id"] == "ecological_redline")
    assert redline["totals"][""] / 1e6 == pytest.approx(1557.77, abs=0.01)
    assert http.get(f"{server.url}/healthz").json()["status"] == "ok"
    assert http.get(f"{server.url}/docs").status_code == 200
    assert "/v1/checks" in http.get(f"{server.url}/openapi.json").json()["paths"]


@pytest.mark.parametrize("path, fields, status, message", [
    (INPUTS / "bad" / "garbage.geojson", {}, 400, "the content is not GeoJSON"),
    (INPUTS / "bad" / "self_intersection.geojson", {}, 422, "Self-intersection"),
    (INPUTS / "bad" / "no_prj.shp", {}, 422, "lacks .shx"),
    (INPUTS / "bad" / "zip_slip.zip", {}, 400, "climbs out"),
    (INPUTS / "bad" / "txt_no_datum.txt", {}, 422, "the datum cannot be determined"),
    (INPUTS / "good" / "wkt.csv", {}, 422, "has no CRS"),
    (INPUTS / "good" / "wkt.csv", {"activity": "11"}, 422, "less than or equal to 10"),
    (INPUTS / "good" / "wkt.csv", {"search_m": "1e9"}, 422, "less than or equal to 20000"),
    (INPUTS / "good" / "wkt.csv", {"crs": "EPSG:99999"}, 422, "not a coordinate reference system"),
    (INPUTS / "good" / "two_layers.gpkg", {}, 400, "polygons on 2 layers: other (1 features, 19.21 ha); "
                                                   "project (1 features, 135.40 ha). Choose the project's layer with the "
                                                   "form field layer;"),
    (INPUTS / "good" / "gbk.shp", {}, 422, "send .shp with .shx, .dbf, .prj, .cpg of the same name, or zip them"),
    (INPUTS / "good" / "gbk.dbf", {}, 415, "send the .shp with its .shx, .dbf and .prj, or zip them"),
])
def test_bad_uploads_get_the_right_status_and_message(server, path, fields, status, message):
    answer = submit(server, path, **fields)
    assert answer.status_code == status, answer.text
    assert message in json.dumps(answer.json(), ensure_ascii=False)
    assert "/tmp/redline-uploads" not in answer.text  # never the server's file name


def test_a_shapefile_s_parts_upload_together_and_nothing_else_does(server, tianjin):
    """Planners hold a .shp with its .shx, .dbf and .prj and seldom zip them: the parts are one upload (kept under
    server-chosen names); a stray file, a second project or a missing part is refused, naming what is wrong."""
    parts = [INPUTS / "good" / f"gbk{suffix}" for suffix in (".shp", ".shx", ".dbf", ".prj")]

    def send(paths):
        files = [("file", (path.name, path.read_bytes())) for path in paths]
        return http.post(f"{server.url}/v1/checks", files=files, timeout=60)

    answer = send(parts)
    assert answer.status_code == 201, answer.text
    assert answer.json()["project"]["file"] == "gbk.shp"
    with pytest.warns(Correction, match="no .cpg"):
        expected = check(parts[0], tianjin).project["area_m2"]
    assert answer.json()["project"]["area_m2"] == pytest.approx(expected, abs=1e-6)
    assert "encoding_guessed" in [note["code"] for note in answer.json()["project"]["warnings"]]  # as the CLI says
    stray = send([*parts, INPUTS / "good" / "gbk_no_cpg.dbf"])
    assert stray.status_code == 422 and "gbk_no_cpg.dbf 不是它的部分 / is not one of its parts" in stray.json()["detail"]
    assert "lacks .dbf" in send(parts[:2]).json()["detail"]
    two = send([INPUTS / "good" / "feature.geojson", INPUTS / "good" / "wkt.csv"])
    assert two.status_code == 422 and "send each project on its own" in two.json()["detail"]


def test_the_layer_field_chooses_and_corrections_come_back(server):
    answer = submit(server, INPUTS / "good" / "two_layers.gpkg", layer="project")
    assert answer.status_code == 201, answer.text
    assert answer.json()["project"]["area_m2"] / 10_000 == pytest.approx(135.40, abs=0.005)
    answer = submit(server, INPUTS / "good" / "swapped_columns.txt")
    notes = answer.json()["project"]["warnings"]
    assert [note["code"] for note in notes] == ["axes_swapped"]
    assert notes[0]["where"].startswith("swapped_columns.txt line ")  # the client's name, not the server's file
    page = http.get(f"{server.url}/v1/checks/{answer.json()['id']}/map", timeout=60).text
    assert "id='redline-warnings'" in page and "X and Y look swapped" in page


def test_too_large_upload_is_413(server, tmp_path):
    big = tmp_path / "big.geojson"
    big.write_bytes(b" " * (20 * 1024 * 1024 + 1))
    answer = submit(server, big)
    assert answer.status_code == 413 and "byte limit" in answer.json()["detail"]


def test_unknown_id_is_404(server):
    assert http.get(f"{server.url}/v1/checks/not-an-id").status_code == 404


def test_restart_keeps_every_result(tmp_path):
    database = tmp_path / "db.sqlite"
    first = Server(database)
    ids = [submit(first, sample).json()["id"] for sample in SAMPLES[:3]]
    first.stop()
    second = Server(database)
    try:
        for check_id in ids:
            assert http.get(f"{second.url}/v1/checks/{check_id}").status_code == 200
    finally:
        second.stop()


def test_bearer_token(tmp_path):
    guarded = Server(tmp_path / "db.sqlite", REDLINE_TOKEN="s3cret")
    try:
        sample = SAMPLES[0]
        assert submit(guarded, sample).status_code == 401
        with open(sample, "rb") as stream:
            answer = http.post(f"{guarded.url}/v1/checks", files={"file": (sample.name, stream)},
                                headers={"Authorization": "Bearer s3cret"}, timeout=60)
        assert answer.status_code == 201
        assert http.get(f"{guarded.url}/healthz").status_code == 200
        assert http.get(f"{guarded.url}/v1/checks").status_code == 401
        listed = http.get(f"{guarded.url}/v1/checks", headers={"Authorization": "Bearer s3cret"}).json()
        assert [row["id"] for row in listed] == [answer.json()["id"]]
        map_link = listed[0]["links"]["map"]
        assert "?key=" in map_link and http.get(f"{guarded.url}/{map_link}", timeout=60).status_code == 200
        assert http.post(f"{guarded.url}/v1/checks/{listed[0]['id']}/rerun").status_code in (401, 403)
    finally:
        guarded.stop()


def test_past_checks_are_listed_filtered_and_rerun(server):
    road = submit(server, next(p for p in SAMPLES if p.stem == "01_qilihai_road")).json()
    factory = submit(server, next(p for p in SAMPLES if p.stem == "05_factory_urban")).json()
    listed = http.get(f"{server.url}/v1/checks").json()
    ids = [row["id"] for row in listed]
    assert ids.index(factory["id"]) < ids.index(road["id"]), "newest first"
    violations = http.get(f"{server.url}/v1/checks", params={"verdict": "violation"}).json()
    assert road["id"] in {r["id"] for r in violations} and all(r["verdict"] == "violation" for r in violations)
    found = http.get(f"{server.url}/v1/checks", params={"q": "七里海"}).json()
    assert road["id"] in {r["id"] for r in found} and factory["id"] not in {r["id"] for r in found}
    assert http.get(f"{server.url}/v1/checks", params={"q": "%"}).json() == []  # LIKE wildcards are text
    assert http.get(f"{server.url}/v1/checks", params={"since": "2999-01-01T00:00:00Z"}).json() == []
    row = next(r for r in listed if r["id"] == road["id"])
    assert row["area_m2"] == pytest.approx(road["project"]["area_m2"]) and row["links"]["map"].endswith("/map")
    assert http.get(f"{server.url}/{row['links']['map']}", timeout=60).status_code == 200
    again = http.post(f"{server.url}/v1/checks/{road['id']}/rerun", timeout=120)
    assert again.status_code == 201, again.text
    rerun = again.json()
    assert rerun["previous"] == road["id"] and rerun["id"] != road["id"]
    assert [(f["rule"], f["status"]) for f in rerun["findings"]] == [(f["rule"], f["status"]) for f in road["findings"]]
    for new, old in zip(rerun["findings"], road["findings"]):  # the stored footprint is the checked one
        assert new["measures"] == pytest.approx(old["measures"], rel=1e-9, abs=1e-6)
    assert http.get(f"{server.url}/v1/checks/{road['id']}").json()["created"] == road["created"]  # kept as it was
    newest = http.get(f"{server.url}/v1/checks").json()[0]
    assert newest["id"] == rerun["id"] and newest["previous"] == road["id"]
    assert http.post(f"{server.url}/v1/checks/{'x' * 24}/rerun").status_code == 404
    avoided = http.get(f"{server.url}/v1/checks/{road['id']}/avoided.geojson", timeout=120)
    assert avoided.status_code == 200 and avoided.headers["content-type"] == "application/geo+json"
    feature = avoided.json()
    alone = redline.avoid.avoid(redline.read_project(next(p for p in SAMPLES if p.stem == "01_qilihai_road")),
                                redline.load_layers())
    assert feature["properties"]["kept_m2"] == pytest.approx(alone.after.project["area_m2"], rel=1e-9)
    assert feature["properties"]["verdict"] != "violation" and set(feature["properties"]["lost_m2"]) == set(alone.lost_m2)
    page = http.get(f"{server.url}/checks")
    assert page.status_code == 200 and '<script src="checks.js">' in page.text
    assert http.get(f"{server.url}/checks.js").status_code == 200


def test_no_cors_by_default(server):
    answer = httpx.options(f"{server.url}/v1/checks", headers={"Origin": "https://elsewhere.example",
                                                               "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in answer.headers


def test_schemathesis_all_checks_pass(server, tmp_path):
    """Every schemathesis check but positive_data_acceptance: a schema can say "a file", not "a boundary", so
    schema-valid random bytes are rightly refused (400/415/422)."""
    schemathesis = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    completed = subprocess.run(
        [schemathesis, "run", f"{server.url}/openapi.json", "--checks", "all", "--exclude-checks",
         "positive_data_acceptance", "--max-examples", "20",
         "--generation-deterministic", "--request-timeout", "60"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)  # its cache stays out of the repository
    assert completed.returncode == 0, completed.stdout[-3000:]


CHROMEDRIVER = shutil.which("chromedriver")


@pytest.mark.skipif(CHROMEDRIVER is None and not os.environ.get("CI"), reason="chromium-driver is not installed")
def test_planner_page_uploads_a_sample_and_shows_the_verdict(server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with chrome() as browser:
        browser.get(f"{server.url}/")
        sample = next(p for p in SAMPLES if p.stem == "06_beidagang_solar")
        browser.find_element(By.ID, "file").send_keys(str(sample))
        WebDriverWait(browser, 60).until(lambda b: b.find_element(By.ID, "verdict").get_attribute("data-verdict"))
        assert browser.find_element(By.ID, "verdict").get_attribute("data-verdict") == "violation"
        assert "北大港湿地" in browser.find_element(By.ID, "findings").text
        browser.switch_to.frame("map")  # the map's own scripts run under its hash-based CSP
        WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".leaflet-overlay-pane path"))
        browser.switch_to.default_content()
        logs = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
        assert logs == []


@pytest.mark.skipif(CHROMEDRIVER is None and not os.environ.get("CI"), reason="chromium-driver is not installed")
def test_the_planner_page_takes_a_shapefile_s_parts_and_several_projects(server):
    """A shapefile chosen as its four files is one project; several projects are checked one by one, each a row that
    shows its result when clicked, and their ledger downloads."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    parts = "\n".join(str(INPUTS / "good" / f"gbk{suffix}") for suffix in (".shp", ".shx", ".dbf", ".prj"))
    road, solar = (next(p for p in SAMPLES if p.stem == stem) for stem in ("01_qilihai_road", "06_beidagang_solar"))
    with chrome() as browser:
        browser.get(f"{server.url}/")
        browser.find_element(By.ID, "file").send_keys(parts)
        WebDriverWait(browser, 60).until(lambda b: b.find_element(By.ID, "verdict").get_attribute("data-verdict"))
        assert http.get(f"{server.url}/v1/checks", params={"limit": 1}).json()[0]["file"] == "gbk.shp"  # one check
        assert browser.find_elements(By.CSS_SELECTOR, "#many tr") == []
        browser.get(f"{server.url}/")
        browser.find_element(By.ID, "file").send_keys(f"{road}\n{solar}")
        WebDriverWait(browser, 120).until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#many tr[data-verdict]")) == 2)
        assert browser.find_element(By.ID, "verdict").get_attribute("data-verdict") == ""  # nothing shown until chosen
        browser.find_elements(By.CSS_SELECTOR, "#many tr")[1].click()
        assert browser.find_element(By.ID, "verdict").get_attribute("data-verdict") == "violation"
        assert "北大港湿地" in browser.find_element(By.ID, "findings").text
        assert [button.text for button in browser.find_elements(By.CSS_SELECTOR, "#ledger button")] == [
            "下载台账 download the ledger (xlsx)", "下载审查报告 download the review reports (zip)"]
        assert [link.text for link in browser.find_elements(By.CSS_SELECTOR, "#many a")] == ["PDF", "PDF"]
        assert [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"] == []


@pytest.mark.skipif(CHROMEDRIVER is None and not os.environ.get("CI"), reason="chromium-driver is not installed")
def test_the_planner_form_is_the_declared_parameters_and_sends_them(server, tianjin):
    """The page's fields are rendered from redline.parameters (every one, by name) and reach the check."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from redline.parameters import DECLARATIONS, PARTICULARS, READING

    page = http.get(f"{server.url}/").text
    assert all(f'name="{p.name}"' in page for p in (*READING, *DECLARATIONS, *PARTICULARS))
    sample = next(p for p in SAMPLES if p.stem == "08_national_major_lng")
    expected = check(sample, tianjin, national_major=True).verdict.value
    assert expected != check(sample, tianjin).verdict.value  # the declaration decides it
    with chrome() as browser:
        browser.get(f"{server.url}/")
        browser.find_element(By.ID, "national_major").click()
        browser.find_element(By.ID, "file").send_keys(str(sample))
        WebDriverWait(browser, 60).until(lambda b: b.find_element(By.ID, "verdict").get_attribute("data-verdict"))
        assert browser.find_element(By.ID, "verdict").get_attribute("data-verdict") == expected


@pytest.mark.skipif(CHROMEDRIVER is None and not os.environ.get("CI"), reason="chromium-driver is not installed")
def test_docs_page_works_offline(server):
    """/docs loads Swagger UI from the service itself (the browser has no network) and lists the API."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    page = http.get(f"{server.url}/docs").text
    assert "https://" not in page and 'src="docs/swagger-ui-bundle.js"' in page
    assert http.get(f"{server.url}/docs/swagger-ui-bundle.js").status_code == 200
    assert http.get(f"{server.url}/docs/package.json").status_code == 404
    with chrome() as browser:
        browser.get(f"{server.url}/docs")
        WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"))
        paths = {element.text for element in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
        assert "/v1/checks" in {path.replace("\u200b", "") for path in paths}


@pytest.mark.skipif(CHROMEDRIVER is None and not os.environ.get("CI"), reason="chromium-driver is not installed")
def test_reviewer_page_lists_filters_and_reruns(server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    road = submit(server, next(p for p in SAMPLES if p.stem == "01_qilihai_road")).json()
    with chrome() as browser:
        browser.get(f"{server.url}/checks")
        WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.CSS_SELECTOR, f"tr[data-id='{road['id']}']"))
        Select(browser.find_element(By.ID, "verdict")).select_by_value("pass")
        browser.find_element(By.CSS_SELECTOR, "#filters button").click()
        WebDriverWait(browser, 30).until(lambda b: not b.find_elements(By.CSS_SELECTOR, f"tr[data-id='{road['id']}']"))
        assert {row.get_attribute("data-verdict") for row in browser.find_elements(By.CSS_SELECTOR, "tbody tr")} <= {"pass"}
        Select(browser.find_element(By.ID, "verdict")).select_by_value("")
        browser.find_element(By.CSS_SELECTOR, "#filters button").click()
        WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.CSS_SELECTOR, f"tr[data-id='{road['id']}']"))
        before = len(browser.find_elements(By.CSS_SELECTOR, "tbody tr"))
        browser.find_element(By.CSS_SELECTOR, f"tr[data-id='{road['id']}'] button.rerun").click()
        WebDriverWait(browser, 60).until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "tbody tr")) == before + 1)
        assert f"re-run of {road['id'][:8]}" in browser.find_element(By.CSS_SELECTOR, "tbody").text
        total = int(http.get(f"{server.url}/v1/checks").headers["x-total-count"])
        shown = min(total, 100)
        assert browser.find_element(By.ID, "page").text == f"第 1–{shown} 条，共 {total} 条 1–{shown} of {total}"
        assert browser.find_element(By.ID, "prev").get_attribute("disabled") is not None
        road_verdict = f"tr[data-id='{road['id']}'] td.violation"
        for language, shown_words, hidden in (("zh", "不符合", "violation"), ("en", "violation", "不符合")):
            Select(browser.find_element(By.ID, "page-lang")).select_by_value(language)  # the whole page's language
            assert browser.find_element(By.CSS_SELECTOR, road_verdict).text == shown_words
            assert hidden not in browser.find_element(By.TAG_NAME, "h2").text + browser.find_element(By.ID, "page").text
            assert Select(browser.find_element(By.ID, "verdict")).options[1].text == shown_words
        browser.refresh()  # the choice is kept in the browser
        WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.CSS_SELECTOR, road_verdict))
        assert browser.find_element(By.CSS_SELECTOR, road_verdict).text == "violation"
        assert browser.find_element(By.TAG_NAME, "h2").text == "past checks"
        assert [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"] == []


def test_link_keys_are_signed_apart_from_the_token_expire_and_can_be_revoked(tmp_path):
    """A shared link was HMAC(token, id): an offline oracle for the token. Now a per-install secret signs it."""
    import hashlib
    import hmac
    import stat

    from redline.service import LINK_DAYS, Store

    database = tmp_path / "db.sqlite"
    guarded = Server(database, REDLINE_TOKEN="s3cret")
    auth = {"Authorization": "Bearer s3cret"}
    try:
        with open(SAMPLES[0], "rb") as stream:
            body = http.post(f"{guarded.url}/v1/checks", files={"file": (SAMPLES[0].name, stream)}, headers=auth,
                              timeout=60).json()
        check_id, key = body["id"], body["key"]
        assert key != hmac.new(b"s3cret", check_id.encode(), hashlib.sha256).hexdigest()[:32]
        secret = (tmp_path / "db.sqlite.linkkey")
        assert len(secret.read_bytes()) >= 32 and stat.S_IMODE(secret.stat().st_mode) == 0o600
        assert stat.S_IMODE(database.stat().st_mode) == 0o600
        assert int(key.split(".")[0], 16) - time.time() == pytest.approx(LINK_DAYS * 86_400, abs=600)
        assert http.get(f"{guarded.url}/v1/checks/{check_id}?key={key}").status_code == 200
        wrong = key[:-1] + ("1" if key.endswith("0") else "0")  # (a key ending in 0 once made this the key itself)
        assert http.get(f"{guarded.url}/v1/checks/{check_id}?key={wrong}").status_code == 401
        assert http.delete(f"{guarded.url}/v1/checks/{check_id}/key").status_code == 401
        assert http.delete(f"{guarded.url}/v1/checks/{check_id}/key", headers=auth).status_code == 204
        assert http.get(f"{guarded.url}/v1/checks/{check_id}?key={key}").status_code == 401
        fresh = http.get(f"{guarded.url}/v1/checks", headers=auth).json()[0]["links"]["report"].split("?key=")[1]
        assert fresh != key and http.get(f"{guarded.url}/v1/checks/{check_id}?key={fresh}").status_code == 200
    finally:
        guarded.stop()
    rotated = Server(database, REDLINE_TOKEN="another")  # a new API token leaves shared links working
    try:
        assert http.get(f"{rotated.url}/v1/checks/{check_id}?key={fresh}").status_code == 200
    finally:
        rotated.stop()
    store = Store(database)
    with store._connection() as db:  # a link older than LINK_DAYS no longer opens the check
        db.execute("UPDATE checks SET created = '2020-01-01T00:00:00+00:00' WHERE id = ?", (check_id,))
    assert not store.key_opens(check_id, store.link_key(check_id))


def test_a_since_before_year_one_is_a_422_not_a_500(server):
    answer = http.get(f"{server.url}/v1/checks", params={"since": "0001-01-01T00:00:00+01:00"})
    assert answer.status_code == 422 and "since=" in answer.json()["detail"]
