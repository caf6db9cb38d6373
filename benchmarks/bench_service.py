"""Benchmark the HTTP service against older code (a benchmark, not a test): one small KML, sequential and concurrent.

For each code under test — today's checkout and, in a ``git worktree``, the revision ``--against`` names (default
b363178, the code before per-upload isolation) — starts ``redline serve`` on a free loopback port with a fresh
database and 2 check processes, sends 20 uploads of a small KML one after another (p50 of one upload), then 200 at
50 concurrent (throughput, p50, p95, errors), and checks every returned id can be read back. The codes alternate,
``--rounds`` times, in one process on the same machine; the medians and today's ratios to the older code are printed.

With ``--bodies``, the server's resident memory while 30 uploads of 19 MiB arrive at once, the older code and today's;
with ``--isolation``, what one upload's isolated read and check costs against the same in process (today's code).

Run: python -m benchmarks.bench_service [--against REV] [--rounds 2] [--bodies | --isolation]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SEQUENTIAL, CONCURRENT, CLIENTS = 20, 200, 50
SAMPLE = ROOT / "data" / "samples" / "01_qilihai_road.geojson"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _send(http: httpx.AsyncClient, kml: bytes, latencies: list, ids: list, errors: list) -> None:
    start = time.perf_counter()
    try:
        answer = await http.post("/v1/checks", files={"file": ("plot.kml", kml)})
        if answer.status_code == 201:
            ids.append(answer.json()["id"])
        else:
            errors.append(answer.status_code)
    except httpx.HTTPError as error:
        errors.append(type(error).__name__)
    latencies.append(time.perf_counter() - start)


async def _load(url: str, kml: bytes) -> dict:
    """20 uploads in sequence, then 200 from 50 concurrent clients; what each took."""
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=httpx.Limits(max_connections=CLIENTS)) as http:
        sequential, ids, errors = [], [], []
        for _ in range(SEQUENTIAL):
            await _send(http, kml, sequential, ids, errors)
        concurrent, queue = [], asyncio.Queue()
        for _ in range(CONCURRENT):
            queue.put_nowait(None)

        async def client():
            while not queue.empty():
                queue.get_nowait()
                await _send(http, kml, concurrent, ids, errors)
        start = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(CLIENTS)))
        elapsed = time.perf_counter() - start
        missing = sum([(await http.get(f"/v1/checks/{check_id}")).status_code != 200 for check_id in ids])
    return {"p50_one": statistics.median(sequential), "throughput": CONCURRENT / elapsed,
            "p50": statistics.median(concurrent), "p95": statistics.quantiles(concurrent, n=20)[-1],
            "errors": len(errors), "missing": missing}


@contextmanager
def serving(code: Path):
    """``redline serve`` with the code at ``code``, 2 check processes and a fresh database: (its URL, its pid)."""
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        server = subprocess.Popen([sys.executable, "-m", "redline.cli", "serve", "--port", str(port), "--workers", "2",
                                   "--db", str(Path(folder) / "bench.sqlite")], cwd=code,
                                  env={**os.environ, "PYTHONPATH": str(code)}, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            yield f"http://127.0.0.1:{port}", server.pid
        finally:
            server.terminate()
            server.wait()


def measure(code: Path, kml: bytes) -> dict:
    """Serve with the code at ``code`` and load it."""
    with serving(code) as (url, _):
        return asyncio.run(_load(url, kml))


def resident_mib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return int(next(line for line in status if line.startswith("VmRSS")).split()[1]) // 1024


def large_bodies(code: Path) -> tuple[int, int]:
    """The server process's resident MiB idle, and at most while 30 uploads of 19 MiB arrive at once (sampled every
    50 ms; the uploads are JSON no reader accepts, so what is measured is receiving them)."""
    body = b'{"type":"FeatureCollection","features":[' + b" " * (19 * 1024 * 1024) + b"]}"
    with serving(code) as (url, pid):
        idle, peak, done = resident_mib(pid), [0], threading.Event()

        def sample():
            while not done.wait(0.05):
                peak[0] = max(peak[0], resident_mib(pid))
        threading.Thread(target=sample, daemon=True).start()

        async def send():
            async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=40)) as http:
                await asyncio.gather(*(http.post(f"{url}/v1/checks", files={"file": ("big.geojson", body)})
                                       for _ in range(30)))
        asyncio.run(send())
        done.set()
    return idle, peak[0]


def small_kml() -> bytes:
    from redline.io import read_project
    from redline.io.writers import write_boundary

    with tempfile.TemporaryDirectory() as folder:
        write_boundary(read_project(SAMPLE).source.to_frame().to_crs(4326), Path(folder) / "plot.kml")
        return (Path(folder) / "plot.kml").read_bytes()


def isolation_costs(kml: bytes, runs: int = 20) -> dict:
    """Mean milliseconds, in this process with the shipped layers loaded, of checking the KML in process, checking it
    in an isolated child (what the service does per upload), and an isolated child doing nothing."""
    from redline.isolation import Limits, isolated
    from redline.layers import load_layers
    from redline.pipeline import check

    layers = load_layers()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plot.kml"
        path.write_bytes(kml)
        jobs = {"check in process": lambda: check(path, layers),
                "check in a child (limits=…)": lambda: check(path, layers, limits=Limits()),
                "an empty isolated job": lambda: isolated(int, 1)}
        for job in jobs.values():
            job()  # what is made once (the layers' caches, the transformers) is made before timing
        timings = {}
        for label, job in jobs.items():
            start = time.perf_counter()
            for _ in range(runs):
                job()
            timings[label] = (time.perf_counter() - start) / runs * 1000
    return timings


@contextmanager
def checked_out(revision: str):
    """The code at ``revision`` in a temporary ``git worktree``, removed afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        code = Path(folder) / "older"
        subprocess.run(["git", "worktree", "add", "--detach", str(code), revision], cwd=ROOT, check=True, capture_output=True)
        try:
            yield code
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(code)], cwd=ROOT, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="b363178", help="the older revision (default: before per-upload isolation)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--bodies", action="store_true", help="measure instead the server's memory while 30 uploads "
                                                              "of 19 MiB arrive at once")
    parser.add_argument("--isolation", action="store_true", help="measure instead what reading and checking one upload "
                                                                 "in an isolated child costs, in this process")
    arguments = parser.parse_args()
    if arguments.isolation:
        print(", ".join(f"{label} {ms:.1f} ms" for label, ms in isolation_costs(small_kml()).items()))
        return
    if arguments.bodies:
        with checked_out(arguments.against) as older:
            for label, code in ((arguments.against, older), ("today", ROOT)):
                idle, peak = large_bodies(code)
                print(f"{label}: server resident {idle} MiB idle, at most {peak} MiB while 30 uploads of 19 MiB "
                      f"arrive (+{peak - idle} MiB)", flush=True)
        return
    kml = small_kml()
    runs = {"older": [], "today": []}
    with checked_out(arguments.against) as older:
        for round_number in range(arguments.rounds):
            for label, code in (("older", older), ("today", ROOT)):
                runs[label].append(measure(code, kml))
                figures = runs[label][-1]
                print(f"round {round_number + 1} {label:>5}: one upload p50 {figures['p50_one'] * 1000:.0f} ms; "
                      f"{CONCURRENT} at {CLIENTS} concurrent {figures['throughput']:.1f} checks/s, p50 "
                      f"{figures['p50'] * 1000:.0f} ms, p95 {figures['p95'] * 1000:.0f} ms, errors {figures['errors']}, "
                      f"not readable {figures['missing']}", flush=True)
    median = {label: {key: statistics.median(run[key] for run in found) for key in found[0]}
              for label, found in runs.items()}
    print(f"medians of {arguments.rounds} rounds — {arguments.against}: one upload p50 "
          f"{median['older']['p50_one'] * 1000:.0f} ms, {median['older']['throughput']:.1f} checks/s; today: "
          f"{median['today']['p50_one'] * 1000:.0f} ms, {median['today']['throughput']:.1f} checks/s")
    print(f"today / {arguments.against}: throughput {median['today']['throughput'] / median['older']['throughput']:.2f}× "
          f"(target ≥ 0.8), one upload's p50 {median['today']['p50_one'] / median['older']['p50_one']:.2f}× (target ≤ 1.3)")


if __name__ == "__main__":
    main()
