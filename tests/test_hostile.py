"""Hostile uploads (issue 12) through the CLI, a batch and a live server: each gets its clear error, no secret
leaks, the next valid input is checked, and no process outlives its parent."""

import csv
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from redline.batch import run_batch
from redline.isolation import Limits
from redline.layers import DEFAULT_MANIFEST
from tests.common import alive, children_of, http, wait_until
from tests.conftest import SAMPLES
from tests.data.make_hostile import HOSTILE, SECRET, write_hostile
from tests.test_service import INPUTS, Server, submit

GOOD = SAMPLES[0]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    write_hostile(folder)
    return folder


def redline(*arguments, timeout=120):
    return subprocess.run([sys.executable, "-m", "redline.cli", *map(str, arguments)], capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_cli_refuses_each_hostile_file_with_one_line(hostile, name):
    done = redline("check", hostile / name, "--time-limit", 5)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("redline: ") and "Traceback" not in done.stderr
    assert SECRET not in done.stdout + done.stderr


@pytest.mark.parametrize("arguments, message", [
    (["--crs", "EPSG:999999"], "not a coordinate reference system"),
    (["-o", "/proc/redline/report.json"], "check the path"),
])
def test_cli_bad_options_and_unwritable_outputs_exit_2(arguments, message):
    done = redline("check", GOOD, *arguments)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_drivers_that_follow_references_are_not_registered():
    from redline.io.gdal import SKIPPED_DRIVERS, pyogrio

    assert {"OGR_VRT", "GDALG", "LIBKML"} <= set(SKIPPED_DRIVERS)
    assert not set(SKIPPED_DRIVERS) & set(pyogrio.list_drivers())
    assert "GeoJSON" in pyogrio.list_drivers() and "GPKG" in pyogrio.list_drivers()


def test_batch_survives_hostile_files_and_checks_the_good_one(hostile, tmp_path, monkeypatch):
    folder = tmp_path / "applications"
    folder.mkdir()
    for name in ("nested_collection.parquet", "huge_field.csv", "vrt_as.geojson", "slow_view.gpkg"):
        (folder / name).write_bytes((hostile / name).read_bytes())
    (folder / GOOD.name).write_bytes(GOOD.read_bytes())
    monkeypatch.setattr("redline.batch.inputs.FILE_LIMITS", Limits(seconds=5))
    summary = run_batch([folder], tmp_path / "out", manifest=DEFAULT_MANIFEST, workers=1)
    with open(tmp_path / "out" / "results.csv", encoding="utf-8-sig") as table:
        rows = {row["id"]: row for row in csv.DictReader(table)}
    assert summary.total == 5 and summary.errors == 4
    assert rows[GOOD.stem]["verdict"] == "violation"
    assert "took over 5 s" in rows["slow_view"]["error"] and "nests geometry collections" in rows["nested_collection"]["error"]


def test_damaged_journal_is_refused_with_the_way_out(tmp_path):
    folder = tmp_path / "apps"
    folder.mkdir()
    (folder / GOOD.name).write_bytes(GOOD.read_bytes())
    out = tmp_path / "out"
    run_batch([folder], out, manifest=DEFAULT_MANIFEST, workers=1)
    (out / "journal.jsonl").write_text("{not json\n" + (out / "journal.jsonl").read_text())
    done = redline("batch", folder, "-o", out)
    assert done.returncode == 2 and "is damaged" in done.stderr and "to start the batch over" in done.stderr
    (out / "batch.json").write_text("{")
    done = redline("batch", folder, "-o", out)
    assert done.returncode == 2 and "batch.json 已损坏 / is damaged" in done.stderr


def test_sigkill_of_the_cli_kills_its_check_process(hostile):
    process = subprocess.Popen([sys.executable, "-m", "redline.cli", "check", str(hostile / "slow_view.gpkg")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_until(lambda: children_of(process.pid), 30), "the check process did not start"
    child = children_of(process.pid)[0]
    process.kill()
    process.wait()
    assert wait_until(lambda: not alive(child), 5), "the check process outlived the CLI"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The hostile uploads' server, with two check processes: a runaway file is stopped after 8 s (its 504 comes
    sooner than at the default 30)."""
    running = Server(tmp_path_factory.mktemp("hostile-service") / "db.sqlite", workers=2, options=("--time-limit", "8"))
    yield running
    running.stop()


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_service_answers_each_hostile_upload_4xx_and_then_checks_a_good_one(server, hostile, name):
    answer = submit(server, hostile / name)
    assert 400 <= answer.status_code < 500 or answer.status_code == 504, answer.text
    assert SECRET not in answer.text and "/tmp/" not in answer.text
    good = submit(server, GOOD)
    assert good.status_code == 201 and good.json()["verdict"] == "violation"
    assert http.get(f"{server.url}/healthz").json()["status"] == "ok"


def test_service_body_limit_applies_while_receiving(server):
    big = b"0" * (25 * 1024 * 1024)
    answer = http.post(f"{server.url}/v1/checks", files={"file": ("big.geojson", big)}, timeout=60)
    assert answer.status_code == 413

    def chunks():  # no Content-Length: counted as it arrives
        yield (b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.geojson"\r\n'
               b"Content-Type: application/octet-stream\r\n\r\n")
        for _ in range(30):
            yield b"0" * (1024 * 1024)
    answer = http.post(f"{server.url}/v1/checks", content=chunks(), timeout=60,
                        headers={"content-type": "multipart/form-data; boundary=x"})
    assert answer.status_code == 413


def test_service_refuses_cross_site_uploads_and_bad_headers(server):
    with open(GOOD, "rb") as stream:
        answer = http.post(f"{server.url}/v1/checks", files={"file": (GOOD.name, stream)},
                            headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403
    answer = http.get(f"{server.url}/v1/layers", headers={"Authorization": "Bearer 令牌".encode()})
    assert answer.status_code == 200  # no token set: the header is ignored, never a 500


def test_token_with_non_ascii_header_is_401_and_links_carry_a_key(tmp_path):
    running = Server(tmp_path / "db.sqlite", REDLINE_TOKEN="s3cret")
    try:
        answer = http.get(f"{running.url}/v1/layers", headers={"Authorization": "Bearer 令牌".encode()})
        assert answer.status_code == 401
        with open(GOOD, "rb") as stream:
            created = http.post(f"{running.url}/v1/checks", files={"file": (GOOD.name, stream)},
                                 headers={"Authorization": "Bearer s3cret"}, timeout=60).json()
        base = f"{running.url}/v1/checks/{created['id']}"
        assert http.get(f"{base}/map").status_code == 401
        assert http.get(f"{base}/map", params={"key": created["key"]}).status_code == 200
        assert http.get(f"{base}/map", params={"key": "0" * 32}).status_code == 401
    finally:
        running.stop()


def test_html_pages_run_no_inline_script_but_their_own(server):
    for path in ("/", "/docs"):
        answer = http.get(f"{server.url}{path}")
        policy = answer.headers["content-security-policy"]
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'self'" in policy and answer.headers["x-content-type-options"] == "nosniff"


def test_slow_connections_do_not_take_the_service_down(server):
    sockets = []
    try:
        for _ in range(200):  # half-open requests: headers never finished
            connection = socket.create_connection(("127.0.0.1", server.port))
            connection.sendall(b"POST /v1/checks HTTP/1.1\r\nHost: x\r\n")
            sockets.append(connection)
        assert http.get(f"{server.url}/healthz", timeout=10).status_code == 200
        sockets[0].settimeout(20)
        assert sockets[0].recv(1) == b""  # closed by the server after the header deadline
    finally:
        for connection in sockets:
            connection.close()


def test_a_slow_body_flood_from_one_address_leaves_room_for_everyone_else(tmp_path):
    """Bodies trickled a byte a second: past 32 from one address still arriving after a second, the next is answered
    429 at once; a valid upload from another address is checked meanwhile; the trickles end 408 once they fall
    behind 16 KiB/s after the 10 s grace, not when the client pleases."""
    import threading
    import time

    running = Server(tmp_path / "db.sqlite", workers=1)
    trickles, stop = [], threading.Event()
    head = (f"POST /v1/checks HTTP/1.1\r\nHost: 127.0.0.1:{running.port}\r\nContent-Type: multipart/form-data; "
            "boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; "
            "filename=\"plot.kml\"\r\n\r\n").encode()
    try:
        for _ in range(32):
            connection = socket.create_connection(("127.0.0.1", running.port))
            connection.sendall(head + b"<")
            trickles.append(connection)

        def trickle():
            while not stop.wait(1.0):
                for connection in trickles:
                    try:
                        connection.sendall(b" ")
                    except OSError:
                        pass
        threading.Thread(target=trickle, daemon=True).start()
        time.sleep(2.0)
        one_more = socket.create_connection(("127.0.0.1", running.port))
        one_more.sendall(head + b"<")
        one_more.settimeout(10)
        assert one_more.recv(200).startswith(b"HTTP/1.1 429")
        one_more.close()
        other = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=60,
                             headers={"Host": f"127.0.0.1:{running.port}"})
        with other, open(SAMPLES[0], "rb") as stream:
            answer = other.post(f"{running.url}/v1/checks", files={"file": (SAMPLES[0].name, stream)})
        assert answer.status_code == 201, answer.text
        started = time.monotonic()
        trickles[0].settimeout(20)
        assert trickles[0].recv(200).startswith(b"HTTP/1.1 408")
        assert time.monotonic() - started < 12
    finally:
        stop.set()
        for connection in trickles:
            connection.close()
        running.stop()


def test_sigterm_stops_the_service_and_its_check_processes(tmp_path):
    running = Server(tmp_path / "db.sqlite", workers=2)
    children = children_of(running.process.pid)
    assert len(children) >= 2
    running.process.send_signal(signal.SIGTERM)
    running.process.wait(timeout=10)
    running.process.stderr.close()
    assert wait_until(lambda: not any(alive(c) for c in children), 5)


def test_sigkill_of_the_service_kills_its_check_processes(tmp_path):
    running = Server(tmp_path / "db.sqlite", workers=2)
    children = children_of(running.process.pid)
    os.kill(running.process.pid, signal.SIGKILL)
    running.process.wait()
    running.process.stderr.close()
    assert children and wait_until(lambda: not any(alive(c) for c in children), 5)


def test_batch_tables_neutralise_formula_cells(tmp_path):
    folder = tmp_path / "apps"
    folder.mkdir()
    (folder / "=HYPERLINK(evil).geojson").write_bytes(GOOD.read_bytes())
    run_batch([folder], tmp_path / "out", manifest=DEFAULT_MANIFEST, workers=1)
    with open(tmp_path / "out" / "results.csv", encoding="utf-8-sig") as table:
        row = next(csv.DictReader(table))
    assert row["id"] == "'=HYPERLINK(evil)" and row["verdict"] == "violation" and float(row["area_m2"]) > 0


@pytest.mark.parametrize("link, written", [
    ("javascript:alert(1).html", "./javascript:alert(1).html"), ("//evil.example/x.html", "./evil.example/x.html"),
    ("maps/01.html", "maps/01.html"), ("https://example.org/m.html", "https://example.org/m.html"),
])
def test_index_writes_only_http_and_relative_links(link, written):
    from redline.report.html import safe_href

    assert safe_href(link) == written


@pytest.mark.parametrize("database", ["postgresql://gis:p%ss@db.invalid/planning",
                                      "host=db.invalid user=gis password=s3cr%t dbname=planning"])
def test_postgis_passwords_never_reach_messages_or_manifests(database):
    from redline.errors import InputError
    from redline.io.postgis import connect, without_password

    with pytest.raises(InputError) as raised:
        connect(database)
    assert "p%ss" not in str(raised.value) and "s3cr%t" not in str(raised.value)
    assert "p%ss" not in without_password(database) and "s3cr%t" not in without_password(database)


def test_sigkill_of_a_batch_kills_its_workers(tmp_path):
    from benchmarks.applications import make_applications

    make_applications(20_000, seed=3).to_parquet(tmp_path / "apps.parquet")
    process = subprocess.Popen([sys.executable, "-m", "redline.cli", "-q", "batch", str(tmp_path / "apps.parquet"),
                                "-j", "2", "-o", str(tmp_path / "out")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_until(lambda: len(children_of(process.pid)) >= 2, 60), "the workers did not start"
    workers = children_of(process.pid)
    process.kill()
    process.wait()
    assert wait_until(lambda: not any(alive(worker) for worker in workers), 5), "a worker outlived its batch"


def test_a_child_whose_parent_died_before_it_asked_to_die_with_it_exits(tmp_path):
    """The window a SIGKILL of a batch can fall in: a worker forked, its parent killed before the worker's first line."""
    script = (
        "import os, sys, time\n"
        "from redline.isolation import die_with_parent\n"
        "parent = os.getpid()\n"
        "if os.fork() == 0:\n"
        "    sys.stdout.write(f'{os.getpid()}\\n'); sys.stdout.flush()\n"
        "    while os.getppid() == parent: time.sleep(0.01)\n"
        "    die_with_parent(parent)\n"
        "    time.sleep(60)\n"
        "    os._exit(0)\n"
        "time.sleep(60)\n"
    )
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) as middle:
        child = int(middle.stdout.readline())
        middle.kill()
    assert wait_until(lambda: not alive(child), 5), "the child outlived its parent"


def test_a_dns_rebinding_page_gets_no_answer(server):
    """A page on rebind.example whose name resolves to 127.0.0.1 sends its own name as Host: refused before routing."""
    for method, path in (("GET", "/v1/checks"), ("GET", "/v1/layers"), ("POST", "/v1/checks")):
        answer = httpx.request(method, f"{server.url}{path}", headers={"Host": f"rebind.example:{server.port}"})
        assert answer.status_code == 421 and "--allowed-host" in answer.json()["detail"]
    for name in ("127.0.0.1", "localhost", "LOCALHOST"):
        assert http.get(f"{server.url}/v1/layers", headers={"Host": f"{name}:{server.port}"}).status_code == 200


def test_a_bare_carriage_return_cannot_smuggle_a_formula_into_a_csv():
    from redline.report.tables import csv_text
    text = csv_text(["id", "name"], [["a\r=HYPERLINK(\"http://x\")", "b\n=1+1"]])
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    assert rows == [["id", "name"], ["a\r=HYPERLINK(\"http://x\")", "b\n=1+1"]]  # one row: both fields were quoted


def test_names_lose_control_and_bidi_characters_and_are_capped(tmp_path):
    """A 2,000-character name once made report.pdf a 500, and a RIGHT-TO-LEFT OVERRIDE reversed it on screen."""
    import warnings

    from redline.io import read_project
    name = "\u202e地块\x07" + "长" * 5_000
    path = tmp_path / "long.geojson"
    path.write_text(json.dumps({"type": "Feature", "properties": {"name": name}, "geometry": {
        "type": "Polygon", "coordinates": [[[117.2, 39.1], [117.21, 39.1], [117.21, 39.11], [117.2, 39.1]]]}}),
        encoding="utf-8")
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        project = read_project(path)
    assert len(project.name) == 200 and project.name.startswith("地块长") and "\u202e" not in project.name
    assert [w["code"] for w in project.warnings] == ["text_cleaned"]
    assert "2 control or bidi-override characters removed; cut from 5,002 to 200" in project.warnings[0]["en"]


def test_a_reader_killed_at_the_time_limit_leaves_nothing_behind(hostile, tmp_path, monkeypatch):
    """A zipped GeoPackage stopped at the limit left its extracted copy for ever (1.45 MB in, 180 MB left)."""
    import tempfile
    import zipfile

    from redline.io import read_project
    from redline.isolation import Limits, isolated

    archive = tmp_path / "slow.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(hostile / "slow_view.gpkg", "slow.gpkg")
    system = Path(tempfile.gettempdir())
    before = set(system.iterdir())
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))  # where the reader would extract without a scratch folder
    with pytest.raises(Exception, match="took over 2 s"):
        isolated(read_project, archive, limits=Limits(seconds=2), label=str(archive))
    assert list(private.iterdir()) == []
    mine = f"redline-child-{os.getpid()}-"  # other test workers make their own folders meanwhile
    assert [p for p in set(system.iterdir()) - before if p.name.startswith(mine)] == []


def test_scratch_folders_of_dead_processes_are_swept(tmp_path):
    import tempfile

    from redline.isolation import sweep_scratch
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = Path(tempfile.mkdtemp(prefix=f"redline-child-{dead.stdout.strip()}-"))
    (stale / "extracted.gpkg").write_bytes(b"x" * 1024)
    mine = Path(tempfile.mkdtemp(prefix=f"redline-upload-{os.getpid()}-"))
    try:
        assert sweep_scratch() >= 1 and not stale.exists() and mine.exists()
    finally:
        shutil.rmtree(mine, ignore_errors=True)


def test_200_concurrent_uploads_are_all_checked_within_the_stated_memory_bound(server):
    """200 uploads of a small KML at once: every one answered 201; then 16 bodies of 19 MiB at once: none a 5xx. The
    resident memory of the server and of every check process, sampled every 50 ms throughout, stays within what it
    held at start plus ``Limits.growth_bytes``; each reader child within its check process's plus ``memory_bytes``."""
    import asyncio
    import threading

    from redline.service.config import Limits as ServiceLimits

    def resident(pid):
        try:
            return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return None

    top = server.process.pid
    started = {pid: resident(pid) for pid in (top, *children_of(top))}  # the server and its check processes
    peaks, readers, stop = dict(started), {}, threading.Event()

    def sample():
        while not stop.wait(0.05):
            for pid in (top, *children_of(top)):
                now = resident(pid)
                if now is not None:
                    peaks[pid] = max(peaks.get(pid, 0), now)
                for child in children_of(pid) if pid != top else ():
                    readers[child] = (pid, max(readers.get(child, (pid, 0))[1], resident(child) or 0))

    async def send(body, name, count):
        async with httpx.AsyncClient(timeout=180, limits=httpx.Limits(max_connections=count)) as client:
            return await asyncio.gather(*(client.post(f"{server.url}/v1/checks", files={"file": (name, body)})
                                          for _ in range(count)))

    kml = (INPUTS / "good" / "google_earth.kml").read_bytes()
    big = b'{"type":"FeatureCollection","features":[' + b" " * (19 * 1024 * 1024) + b"]}"
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        small = asyncio.run(send(kml, "plot.kml", 200))
        large = asyncio.run(send(big, "big.geojson", 16))  # 304 MiB if bodies were held whole: past the bound
    finally:
        stop.set()
        sampler.join()
    assert [answer.status_code for answer in small] == [201] * 200
    assert all(400 <= answer.status_code < 500 for answer in large), sorted({answer.status_code for answer in large})
    growth = {pid: peaks[pid] - start for pid, start in started.items()}
    assert all(grown <= ServiceLimits.growth_bytes for grown in growth.values()), {p: g >> 20 for p, g in growth.items()}
    assert readers and all(peak <= peaks[parent] + ServiceLimits.memory_bytes for parent, peak in readers.values())


def test_the_queue_serves_clients_in_turn():
    """One slot; client A queues five jobs, then B one and C two: B and C run as soon as A's running job and the one
    next in line are done, not after all of A's (FIFO would make them last); past the capacity (six waiting) C's second
    is refused 503 at once."""
    import asyncio

    from fastapi import HTTPException

    from redline.service.queue import FairQueue

    async def scenario():
        queue, order = FairQueue(1, capacity=6), []

        async def job(client, number):
            async with queue.turn(client):
                order.append(f"{client}{number}")
                await asyncio.sleep(0.01)

        jobs = [asyncio.create_task(job("A", number)) for number in range(1, 6)]
        await asyncio.sleep(0)  # A's five are in: one running, four waiting
        jobs.append(asyncio.create_task(job("B", 1)))
        await asyncio.sleep(0)
        jobs += [asyncio.create_task(job("C", 1)), asyncio.create_task(job("C", 2))]
        await asyncio.sleep(0)
        results = await asyncio.gather(*jobs, return_exceptions=True)
        refused = [result for result in results if isinstance(result, HTTPException)]
        return order, refused, queue.free

    order, refused, free = asyncio.run(scenario())
    assert order == ["A1", "A2", "B1", "C1", "A3", "A4", "A5"] and free == 1
    assert [error.status_code for error in refused] == [503]  # C's second: 6 already waiting
