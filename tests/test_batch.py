"""Batch checks: errors become rows, results equal single checks, and a SIGKILLed batch resumes exactly."""

import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from benchmarks.applications import make_applications
from redline.batch import run_batch
from redline.io import read_project
from redline.layers import DEFAULT_MANIFEST
from redline.model import Options
from redline.pipeline import check, check_projects
from tests.common import alive, children_of, wait_until
from tests.conftest import SAMPLES


def rows(path):
    assert path.read_bytes().startswith("\ufeff".encode()), "results.csv starts with a BOM so Excel reads UTF-8"
    with open(path, encoding="utf-8-sig") as stream:
        return list(csv.DictReader(stream))


def test_folder_batch_equals_single_checks(tmp_path, tianjin):
    summary = run_batch([SAMPLES[0].parent], tmp_path / "out", manifest=DEFAULT_MANIFEST, workers=1)
    assert summary.total == len(SAMPLES) and summary.errors == 0
    results = {row["id"]: row for row in rows(tmp_path / "out" / "results.csv")}
    for sample in SAMPLES:
        report = check(sample, tianjin)
        assert results[sample.stem]["verdict"] == report.verdict.value
        red = next(f for f in report.findings if f.rule == "redline")
        assert float(results[sample.stem]["redline_area_m2"]) == round(red.measures["area_m2"], 3)


def test_journal_is_slim_and_the_full_reports_are_kept_on_request(tmp_path, tianjin):
    frame = make_applications(300, seed=3)
    frame.to_parquet(tmp_path / "apps.parquet")
    run_batch([tmp_path / "apps.parquet"], tmp_path / "slim", manifest=DEFAULT_MANIFEST, workers=1)
    run_batch([tmp_path / "apps.parquet"], tmp_path / "full", manifest=DEFAULT_MANIFEST, workers=1, reports=True)
    journal = (tmp_path / "slim" / "journal.jsonl").read_bytes()
    assert len(journal) / 300 < 1500, "a journal line holds the row and the features hit, not the manifest"
    assert not (tmp_path / "slim" / "reports.jsonl").exists()
    reports = [json.loads(line) for line in (tmp_path / "full" / "reports.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["order"] for r in reports] == list(range(300))
    assert (tmp_path / "slim" / "results.csv").read_bytes() == (tmp_path / "full" / "results.csv").read_bytes()
    one = next(r for r in reports if "report" in r and r["report"]["verdict"] == "violation")
    alone = check(frame.geometry[one["order"]], tianjin, crs=frame.crs)
    assert [f["status"] for f in one["report"]["findings"]] == [f.status.value for f in alone.findings]
    records = {json.loads(line)["id"]: json.loads(line) for line in journal.decode().splitlines()}
    hits = records[one["id"]]["hits"]
    assert len(hits) == sum(len(f["features"]) for f in one["report"]["findings"])
    parquet = gpd.read_parquet(tmp_path / "slim" / "results.parquet")
    table = rows(tmp_path / "slim" / "results.csv")
    assert list(parquet["id"]) == [row["id"] for row in table] and parquet.crs.to_epsg() == 4490
    assert parquet.geometry.notna().all()


def test_a_file_written_again_at_the_same_path_is_read_again(tmp_path):
    """Two batches in one process (a notebook, a service): the second checks what the file holds now."""
    path = tmp_path / "apps.parquet"
    make_applications(20, seed=1).to_parquet(path)
    run_batch([path], tmp_path / "first", manifest=DEFAULT_MANIFEST, workers=1)
    now = make_applications(30, seed=2)
    now.to_parquet(path)
    run_batch([path], tmp_path / "second", manifest=DEFAULT_MANIFEST, workers=2)
    parquet = gpd.read_parquet(tmp_path / "second" / "results.parquet")
    assert list(parquet["id"]) == list(now["id"]) and len(rows(tmp_path / "second" / "results.csv")) == 30
    assert shapely.equals_exact(parquet.geometry.values, now.geometry.values, tolerance=1e-9).all()


def test_the_layers_load_while_the_input_is_read_and_the_phases_add_up(tmp_path, monkeypatch):
    """The first multi-feature input is read in its child while this process loads the layers; ``Summary.phases``
    accounts for the whole batch."""
    import redline.batch.run as batch_run

    make_applications(300, seed=4).to_parquet(tmp_path / "apps.parquet")
    loading, original = [], batch_run.load_layers

    def load(manifest):
        loading.append(children_of(os.getpid()))  # the reader child, running meanwhile
        return original(manifest)
    monkeypatch.setattr(batch_run, "load_layers", load)
    start = time.monotonic()
    summary = run_batch([tmp_path / "apps.parquet"], tmp_path / "out", manifest=DEFAULT_MANIFEST, workers=1)
    outside = time.monotonic() - start
    assert summary.total == 300 and len(loading) == 1 and len(loading[0]) == 1
    assert list(summary.phases) == ["layers", "reading", "checking", "tables"]
    assert all(spent > 0 for spent in summary.phases.values())
    assert outside - 0.5 < sum(summary.phases.values()) <= outside  # the phases cover the batch, timed from outside


def test_a_manifest_that_fails_to_load_leaves_no_reader_running(tmp_path):
    from redline.errors import RedlineError
    from redline.isolation import SCRATCH

    make_applications(50, seed=5).to_parquet(tmp_path / "apps.parquet")
    (tmp_path / "layers.toml").write_text("[layers.nothing]\nfile = 'missing.gpkg'\n", encoding="utf-8")
    before = {entry.name for entry in Path(tempfile.gettempdir()).iterdir() if SCRATCH.match(entry.name)}
    with pytest.raises(RedlineError):
        run_batch([tmp_path / "apps.parquet"], tmp_path / "out", manifest=tmp_path / "layers.toml", workers=1)
    assert children_of(os.getpid()) == []
    after = {entry.name for entry in Path(tempfile.gettempdir()).iterdir() if SCRATCH.match(entry.name)}
    assert not {name for name in after - before if name.startswith(f"redline-child-{os.getpid()}-")}


def test_tables_can_be_left_out(tmp_path):
    make_applications(20).to_parquet(tmp_path / "apps.parquet")
    run_batch([tmp_path / "apps.parquet"], tmp_path / "out", manifest=DEFAULT_MANIFEST, workers=1, tables=("csv",))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["batch.json", "errors.csv", "journal.jsonl",
                                                                   "results.csv"]


def test_batch_workbook_pdfs_and_maps(tmp_path):
    import openpyxl
    from click.testing import CliRunner

    from redline.cli import main

    folder = tmp_path / "apps"
    folder.mkdir()
    for sample in SAMPLES[:3]:
        (folder / sample.name).write_bytes(sample.read_bytes())
    (folder / "broken.geojson").write_text("{", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["batch", str(folder), "-o", str(out), "-j", "1", "--xlsx", str(out / "stats.xlsx"),
                                       "--pdf-dir", str(out / "pdf"), "--maps"])
    assert result.exit_code == 1, result.output
    book = openpyxl.load_workbook(out / "stats.xlsx")
    applications, features = book.worksheets
    table = rows(out / "results.csv")
    assert [row[0].value for row in applications.iter_rows(min_row=3)] == [row["id"] for row in table] + ["合计"]
    assert [cell.value for cell in applications[2]][:7] == ["编号 / id", "项目名称 / project", "项目代码 / project code",
                                                         "申请单位 / applicant", "文号 / reference", "坐落 / location",
                                                         "结论 / verdict"]
    assert {row[0].value for row in features.iter_rows(min_row=3)} <= {row["id"] for row in table}
    assert sorted(p.name for p in (out / "pdf").iterdir()) == sorted(f"{s.stem}.pdf" for s in SAMPLES[:3])
    index = (out / "maps" / "index.html").read_text(encoding="utf-8")
    assert "broken" in index.split("redline-failed")[1] and all(s.stem in index for s in SAMPLES[:3])


def test_bad_applications_become_error_rows(tmp_path):
    frame = make_applications(20)
    frame.loc[3, "geometry"] = shapely.Polygon([(117.2, 39.1), (117.3, 39.2), (117.3, 39.1), (117.2, 39.2)])
    frame.loc[7, "geometry"] = shapely.box(100.0, 30.0, 100.1, 30.1)
    frame.to_parquet(tmp_path / "apps.parquet")
    summary = run_batch([tmp_path / "apps.parquet"], tmp_path / "out", manifest=DEFAULT_MANIFEST, workers=1)
    assert summary.total == 20 and summary.errors == 2
    errors = {row["id"]: row["error"] for row in rows(tmp_path / "out" / "errors.csv")}
    assert "Self-intersection" in errors["A000003"] and "outside the region" in errors["A000007"]
    assert len(rows(tmp_path / "out" / "results.csv")) == 20


def test_parallel_workers_give_the_same_results(tmp_path):
    make_applications(600).to_parquet(tmp_path / "apps.parquet")
    run_batch([tmp_path / "apps.parquet"], tmp_path / "one", manifest=DEFAULT_MANIFEST, workers=1)
    run_batch([tmp_path / "apps.parquet"], tmp_path / "two", manifest=DEFAULT_MANIFEST, workers=2)
    assert (tmp_path / "one" / "results.csv").read_text() == (tmp_path / "two" / "results.csv").read_text()


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """3,000 applications and their uninterrupted batch (the results a stopped and resumed batch must equal; the
    number of workers changes nothing, ``test_parallel_workers_give_the_same_results``): (input, exit status, results.csv)."""
    folder = tmp_path_factory.mktemp("uninterrupted")
    make_applications(3000, seed=7).to_parquet(folder / "apps.parquet")
    whole = subprocess.run([sys.executable, "-m", "redline.cli", "-q", "batch", str(folder / "apps.parquet"), "-j", "2",
                            "-o", str(folder / "whole")], capture_output=True, text=True, timeout=600)
    assert whole.returncode in (0, 1), whole.stderr
    return folder / "apps.parquet", whole.returncode, (folder / "whole" / "results.csv").read_text()


def test_killed_batch_resumes_without_gaps_or_duplicates(tmp_path, uninterrupted):
    applications, _, results = uninterrupted
    command = [sys.executable, "-m", "redline.cli", "-q", "batch", str(applications), "-j", "1"]
    journal = tmp_path / "killed" / "journal.jsonl"
    process = subprocess.Popen(command + ["-o", str(tmp_path / "killed")], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and (not journal.exists() or journal.stat().st_size < 200_000):
        assert process.poll() is None, "the batch ended before it could be killed"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    lines_at_kill = journal.read_text(encoding="utf-8").count("\n")
    assert 0 < lines_at_kill < 3000
    with open(journal, "ab") as stream:
        stream.write(b'{"id": "A00')  # a line cut short, as a kill during a write leaves it
    resumed = subprocess.run(command + ["-o", str(tmp_path / "killed")], capture_output=True, text=True, timeout=600)
    assert resumed.returncode in (0, 1), resumed.stderr
    assert f"({lines_at_kill:,} from an earlier run)" in resumed.stdout
    assert (tmp_path / "killed" / "results.csv").read_text() == results
    records = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["order"] for r in records) == list(range(3000))


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_or_ctrl_c_stops_the_batch_cleanly_and_it_resumes(tmp_path, stop, uninterrupted):
    applications, status, results = uninterrupted
    command = [sys.executable, "-m", "redline.cli", "-q", "batch", str(applications), "-j", "2"]
    journal = tmp_path / "stopped" / "journal.jsonl"
    process = subprocess.Popen(command + ["-o", str(tmp_path / "stopped")], stderr=subprocess.PIPE, text=True)
    assert wait_until(lambda: journal.exists() and journal.stat().st_size > 200_000 or process.poll() is not None, 300)
    workers = children_of(process.pid)
    assert process.poll() is None and workers, "the batch ended before it could be stopped"
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2, stderr  # documented: stopped, not a finding
    last = stderr.strip().splitlines()[-1]  # the message: one line of its own after the progress bar
    assert last.startswith("redline: 批处理已中断") and f"stopped by {stop.name}" in last
    assert "run the same command again to resume" in last and "Traceback" not in stderr
    assert wait_until(lambda: not any(alive(pid) for pid in workers), 5), "a worker outlived its batch"
    text = journal.read_text(encoding="utf-8")
    assert text.endswith("\n") and 0 < text.count("\n") < 3000  # whole chunks only
    assert not (tmp_path / "stopped" / "results.csv").exists()  # nothing half-written: the tables come at the end
    resumed = subprocess.run(command + ["-o", str(tmp_path / "stopped")], capture_output=True, text=True, timeout=600)
    assert resumed.returncode == status and "from an earlier run" in resumed.stdout
    assert (tmp_path / "stopped" / "results.csv").read_text() == results


def test_a_different_batch_in_the_same_folder_is_refused(tmp_path):
    from redline.errors import RedlineError

    make_applications(5).to_parquet(tmp_path / "apps.parquet")
    run_batch([tmp_path / "apps.parquet"], tmp_path / "out", manifest=DEFAULT_MANIFEST)
    with pytest.raises(RedlineError, match="different batch"):
        run_batch([tmp_path / "apps.parquet"], tmp_path / "out", manifest=DEFAULT_MANIFEST,
                  options=Options(national_major=True))
    assert os.path.exists(tmp_path / "out" / "results.csv")


def test_dask_local_cluster_gives_the_same_results(tmp_path):
    from distributed import Client, LocalCluster

    make_applications(700, seed=11).to_parquet(tmp_path / "apps.parquet")
    run_batch([tmp_path / "apps.parquet"], tmp_path / "local", manifest=DEFAULT_MANIFEST, workers=1)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        summary = run_batch([tmp_path / "apps.parquet"], tmp_path / "dask", manifest=DEFAULT_MANIFEST,
                            dask_address=client)
    assert summary.total == 700
    assert (tmp_path / "dask" / "results.csv").read_text() == (tmp_path / "local" / "results.csv").read_text()


def test_batch_maps_and_index_page(tmp_path):
    from click.testing import CliRunner

    from redline.cli import main

    result = CliRunner().invoke(main, ["batch", str(SAMPLES[0].parent), "-o", str(tmp_path / "out"), "-j", "1", "--maps"])
    assert result.exit_code == 1, result.output
    maps = sorted(p for p in (tmp_path / "out" / "maps").glob("*.html") if p.name != "index.html")
    assert len(maps) == len(SAMPLES)
    index = (tmp_path / "out" / "maps" / "index.html").read_text(encoding="utf-8")
    assert all(f"href='{page.name}'" in index for page in maps)
    assert f"检查 / checking [{'#' * 30}] {len(SAMPLES)}/{len(SAMPLES)}" in result.stderr
    assert f"共 {len(SAMPLES)} 张地图及索引页 / {len(SAMPLES)} maps and the index page" in result.stdout


def test_a_batch_reads_and_checks_each_application_once_however_much_it_draws(tmp_path, monkeypatch):
    """Maps and review PDFs are drawn from the check that made the results; a batch finished without them and run
    again with them checks only then (once), and a later run has nothing left to do."""
    from redline.batch import Drawing
    from redline.batch import run as run_module

    checked = []

    def counted(projects, layers, **keywords):
        checked.extend(projects)
        return check_projects(projects, layers, **keywords)

    monkeypatch.setattr(run_module, "check_projects", counted)
    make_applications(3).to_parquet(tmp_path / "apps.parquet")
    summary = run_batch([tmp_path / "apps.parquet"], tmp_path / "out", manifest=DEFAULT_MANIFEST,
                        drawing=Drawing(maps=True))  # review PDFs are drawn in the same place (the next test's batch)
    assert len(checked) == 3 and summary.maps == 3
    assert len((tmp_path / "out" / "maps" / "index.jsonl").read_text().splitlines()) == 3

    checked.clear()
    run_batch([tmp_path / "apps.parquet"], tmp_path / "plain", manifest=DEFAULT_MANIFEST)
    assert len(checked) == 3 and not (tmp_path / "plain" / "maps").exists()
    checked.clear()
    later = run_batch([tmp_path / "apps.parquet"], tmp_path / "plain", manifest=DEFAULT_MANIFEST, drawing=Drawing(maps=True))
    assert len(checked) == 3 and later.resumed == 3 and later.maps == 3
    index = (tmp_path / "plain" / "maps" / "index.html").read_text(encoding="utf-8")
    assert all(f"href='A{order:06d}.html'" in index for order in range(3))
    checked.clear()
    again = run_batch([tmp_path / "apps.parquet"], tmp_path / "plain", manifest=DEFAULT_MANIFEST, drawing=Drawing(maps=True))
    assert again.maps == 3 and checked == []


def test_declarations_apply_per_application(tmp_path, tianjin):
    """national_major / activity columns are each application's own declarations; a blank takes the batch's."""
    samples = {p.stem: p for p in SAMPLES}
    footprints = [read_project(samples[stem]).geometry for stem in ("08_national_major_lng", "09_monitoring_station")] * 2
    frame = gpd.GeoDataFrame({"id": ["lng_declared", "station_declared", "lng_blank", "station_bad"],
                              "national_major": ["是", None, None, None], "activity": [None, 1, None, 11]},
                             geometry=footprints, crs="EPSG:4490")
    frame.to_parquet(tmp_path / "apps.parquet")
    run_batch([tmp_path / "apps.parquet"], tmp_path / "out", manifest=DEFAULT_MANIFEST, workers=1)
    results = {row["id"]: row for row in rows(tmp_path / "out" / "results.csv")}
    expected = {"lng_declared": Options(national_major=True), "station_declared": Options(activity=1),
                "lng_blank": Options()}
    for application, options in expected.items():
        report = check(samples["08_national_major_lng" if "lng" in application else "09_monitoring_station"], tianjin,
                       options=options)
        assert results[application]["verdict"] == report.verdict.value
        assert results[application]["national_major"] == str(options.national_major)
        assert results[application]["activity"] == str(options.activity or "")
    assert results["lng_declared"]["verdict"] != results["lng_blank"]["verdict"]  # the declaration changed the answer
    assert results["station_bad"]["verdict"] == "error"
    assert "activity 列 '11' 不是有效的允许的有限人为活动（1–10）" in results["station_bad"]["error"]


def test_workers_read_the_rows_of_their_chunk_from_the_stored_input(tmp_path):
    from redline.batch.inputs import CHUNK, ReadOptions, table_of

    frame = make_applications(CHUNK * 2 + 10, seed=5)
    frame["national_major"] = ["是" if n % 7 == 0 else None for n in range(len(frame))]
    frame.to_file(tmp_path / "apps.gpkg", driver="GPKG")
    stored = table_of(str(tmp_path / "apps.gpkg"), ReadOptions())
    wanted = [CHUNK * 2 + 3, 5, CHUNK, CHUNK - 1, 0]  # across row groups and out of order, as a resumed batch asks
    table = stored.rows(wanted)
    assert table.ids == [frame["id"][n] for n in wanted]
    assert shapely.equals_exact(table.frame.geometry.values, frame.geometry.values[wanted], tolerance=0).all()
    assert list(table.frame["national_major"]) == [frame["national_major"][n] for n in wanted]
    assert table.frame.crs.equals(frame.crs)


def test_the_geopackage_geometry_type_is_the_one_every_boundary_shares():
    import pyarrow as pa

    from redline.batch.tables import _geometry_type

    square = shapely.box(117.2, 39.1, 117.21, 39.11)
    polygon, multi = shapely.to_wkb(square), shapely.to_wkb(shapely.MultiPolygon([square]), byte_order=0)  # big-endian
    def column(*chunks):
        return pa.chunked_array([pa.array(chunk, pa.binary()) for chunk in chunks], pa.binary())

    assert _geometry_type(column([polygon, None], [shapely.to_wkb(square, byte_order=0)])) == "Polygon"
    assert _geometry_type(column([polygon], [multi])) == "Unknown"  # the chunks (row groups) disagree
    assert _geometry_type(pa.chunked_array([pa.array([polygon, multi], pa.binary()).slice(1)])) == "MultiPolygon"
    assert _geometry_type(column([None], [])) == "Unknown"
    assert _geometry_type(column([shapely.to_wkb(shapely.Point(117.2, 39.1))])) == "Unknown"


def test_geometry_tables_hold_each_boundary_in_cgcs2000_whatever_the_input_crs(tmp_path):
    frame = make_applications(30, seed=8).to_crs(4527)  # Gauss-Krüger metres
    frame.to_parquet(tmp_path / "apps.parquet")
    run_batch([tmp_path / "apps.parquet"], tmp_path / "out", manifest=DEFAULT_MANIFEST, workers=1)
    for name in ("results.gpkg", "results.parquet"):
        written = gpd.read_file(tmp_path / "out" / name) if name.endswith("gpkg") else gpd.read_parquet(tmp_path / "out" / name)
        assert written.crs.to_epsg() == 4490 and list(written["id"]) == list(frame["id"])
        back = frame.to_crs(4490).geometry.values
        assert shapely.equals_exact(written.geometry.values, back, tolerance=1e-9).all(), name


def test_stored_attribute_columns_keep_every_value_as_text_and_missing_ones_missing():
    """What the reading child stores of a name or declaration column (``_storable``): any value as its ``str``, bytes
    that are not UTF-8 included (a GeoParquet's binary column must not stop the batch), None / NaN / NA missing;
    numbers stay numbers."""
    import numpy as np
    import pandas as pd

    from redline.batch.inputs import _storable

    mixed = pd.Series(np.array(["是", b"\xff", None, np.nan, pd.NA, 3, [1, 2]], dtype=object))
    assert _storable(mixed).to_pylist() == ["是", "b'\\xff'", None, None, None, "3", "[1, 2]"]
    assert _storable(pd.Series(["否", None])).to_pylist() == ["否", None]
    assert _storable(pd.Series([1.5, np.nan])).to_pylist()[0] == 1.5


def test_a_folder_of_project_folders_is_read_and_what_is_skipped_is_named(tmp_path, caplog):
    """Offices keep one sub-folder per project; a batch once found "0 applications" there and exited 0."""
    from redline.batch.inputs import read_inputs
    from redline.errors import InputError
    for sample in SAMPLES[:2]:
        folder = tmp_path / "projects" / sample.stem
        folder.mkdir(parents=True)
        (folder / sample.name).write_bytes(sample.read_bytes())
        (folder / "说明.docx").write_bytes(b"not a boundary")
    with caplog.at_level("WARNING"):
        applications, _ = read_inputs([tmp_path / "projects"])
    assert [a.id for a in applications] == [f"{s.stem}/{s.stem}" for s in SAMPLES[:2]]
    assert "skipped 2 file(s)" in caplog.text and "说明.docx" in caplog.text
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.md").write_text("nothing to check")
    with pytest.raises(InputError, match="no applications in"):
        read_inputs([tmp_path / "empty"])


def test_each_application_s_particulars_reach_its_pdf_and_the_ledger(tmp_path, monkeypatch):
    """A table's applicant / reference / project_code columns, and a file's own attributes under their Chinese names
    (申请单位 / 文号 / 项目代码), reach that application's review PDF and its row of the 台账 workbook; a blank prints
    nothing."""
    import openpyxl

    from redline.batch import Drawing, write_workbook
    from redline.layers import load_layers

    samples = {p.stem: p for p in SAMPLES}
    footprints = [read_project(samples["01_qilihai_road"]).geometry] * 2
    frame = gpd.GeoDataFrame({"id": ["甲", "乙"], "applicant": ["天津市某某交通建设有限公司", None],
                              "reference": ["津规审〔2026〕17号", None], "project_code": ["2026-120116-48-01-000017", None]},
                             geometry=footprints, crs="EPSG:4490")
    frame.to_parquet(tmp_path / "apps.parquet")
    (tmp_path / "files").mkdir()
    gpd.GeoDataFrame({"项目名称": ["丙道路"], "申请单位": ["天津市丙建设单位"], "项目代码": ["2026-120111-48-01-000033"]},
                     geometry=footprints[:1], crs="EPSG:4490").to_file(tmp_path / "files" / "丙.geojson")
    from redline.batch import run as run_module

    checked = []
    monkeypatch.setattr(run_module, "check_projects", lambda projects, layers, **keywords: checked.extend(projects)
                        or check_projects(projects, layers, **keywords))
    summary = run_batch([tmp_path / "apps.parquet", tmp_path / "files"], tmp_path / "out", manifest=DEFAULT_MANIFEST,
                        workers=1, drawing=Drawing(pdf_dir=tmp_path / "pdf"))
    assert summary.pdfs == 3 and len(checked) == 3  # each PDF drawn from the check that made the results
    text = {stem: "".join(subprocess.run(["pdftotext", str(tmp_path / "pdf" / f"{stem}.pdf"), "-"], capture_output=True,
                                         text=True, check=True).stdout.split()) for stem in ("甲", "乙", "丙")}
    for given in ("天津市某某交通建设有限公司", "津规审〔2026〕17号", "2026-120116-48-01-000017"):
        assert given in text["甲"] and given not in text["乙"]
    assert "天津市丙建设单位" in text["丙"] and "2026-120111-48-01-000033" in text["丙"]
    write_workbook(tmp_path / "out", tmp_path / "ledger.xlsx", load_layers(DEFAULT_MANIFEST).rules)
    sheet = openpyxl.load_workbook(tmp_path / "ledger.xlsx").worksheets[0]
    ledger = {row[0]: row[1:6] for row in sheet.iter_rows(min_row=3, max_row=5, values_only=True)}
    district = ledger["甲"][4]
    assert district and district.endswith("区")
    assert ledger == {"甲": (None, "2026-120116-48-01-000017", "天津市某某交通建设有限公司", "津规审〔2026〕17号", district),
                      "乙": (None, None, None, None, district),
                      "丙": ("丙道路", "2026-120111-48-01-000033", "天津市丙建设单位", None, district)}


def test_error_texts_name_the_parameter_as_the_front_that_ran_the_batch(tmp_path):
    """A self-intersecting boundary: the CLI's errors.csv says --repair, run_batch from Python says repair=True."""
    from click.testing import CliRunner

    from redline.cli import main

    folder = tmp_path / "apps"
    folder.mkdir()
    bad = Path(__file__).resolve().parent / "data" / "inputs" / "bad" / "self_intersection.geojson"
    (folder / bad.name).write_bytes(bad.read_bytes())
    result = CliRunner().invoke(main, ["batch", str(folder), "-o", str(tmp_path / "cli"), "-j", "1"])
    assert result.exit_code == 1, result.output
    said = (tmp_path / "cli" / "errors.csv").read_text(encoding="utf-8-sig")
    assert "fix it or pass --repair" in said and "repair=True" not in said
    run_batch([folder], tmp_path / "python", manifest=DEFAULT_MANIFEST, workers=1)
    assert "fix it or pass repair=True" in (tmp_path / "python" / "errors.csv").read_text(encoding="utf-8-sig")


def test_a_folder_batch_reads_each_file_once_and_tables_its_checked_footprint(tmp_path, monkeypatch, tianjin):
    """Each file of a folder is read once (to check it); results.parquet holds the footprint that was checked, from
    the journal, and nothing for the file that could not be read."""
    from redline.batch import inputs

    log = tmp_path / "reads.txt"

    def counted(path, **keywords):  # runs in the reading child: its record goes to a file
        with open(log, "a", encoding="utf-8") as out:
            out.write(Path(path).name + "\n")
        return read_project(path, **keywords)

    monkeypatch.setattr(inputs, "read_project", counted)
    folder = tmp_path / "apps"
    folder.mkdir()
    for sample in SAMPLES[:2]:
        (folder / sample.name).write_bytes(sample.read_bytes())
    (folder / "broken.geojson").write_text("{", encoding="utf-8")
    run_batch([folder], tmp_path / "out", manifest=DEFAULT_MANIFEST, workers=1)
    reads = log.read_text(encoding="utf-8").split()
    assert sorted(reads) == sorted([*(sample.name for sample in SAMPLES[:2]), "broken.geojson"])
    written = gpd.read_parquet(tmp_path / "out" / "results.parquet").set_index("id")
    assert written.geometry["broken"] is None
    for sample in SAMPLES[:2]:
        assert shapely.equals_exact(written.geometry[sample.stem], check(sample, tianjin).footprint, tolerance=1e-9)
