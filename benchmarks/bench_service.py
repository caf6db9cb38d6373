"""Benchmark the HTTP service (a benchmark, not a test): 50 concurrent clients × 20 submissions on loopback.

Starts ``redline serve`` on a free loopback port with a fresh database, sends the shipped samples round
robin from CLIENTS concurrent clients (SUBMISSIONS each, bounded), and prints p50, p95 and p99 latency,
the error count and the throughput; then checks that every returned id can be fetched again.
Baseline for the ratio: the same submissions sent one at a time (one client).

The server runs REDLINE_BENCH_WORKERS worker processes (default 2, one per core).

Run: python benchmarks/bench_service.py
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CLIENTS, SUBMISSIONS = 50, 20
WORKERS = os.environ.get("REDLINE_BENCH_WORKERS", "2")
SAMPLES = sorted(p for p in (ROOT / "data" / "samples").glob("*.*"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def client(http: httpx.AsyncClient, number: int, count: int, latencies: list, ids: list, errors: list):
    for index in range(count):
        sample = SAMPLES[(number + index) % len(SAMPLES)]
        start = time.perf_counter()
        try:
            answer = await http.post("/v1/checks", files={"file": (sample.name, sample.read_bytes())})
            if answer.status_code == 201:
                ids.append(answer.json()["id"])
            else:
                errors.append(f"{sample.name}: {answer.status_code}")
        except httpx.HTTPError as error:
            errors.append(f"{sample.name}: {error!r}")
        latencies.append(time.perf_counter() - start)


async def run(url: str, clients: int, submissions: int):
    latencies, ids, errors = [], [], []
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        start = time.perf_counter()
        await asyncio.gather(*(client(http, n, submissions, latencies, ids, errors) for n in range(clients)))
        elapsed = time.perf_counter() - start
        missing = 0
        for check_id in ids:
            if (await http.get(f"/v1/checks/{check_id}")).status_code != 200:
                missing += 1
    return latencies, ids, errors, elapsed, missing


def percentile(values, q):
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder:
        server = subprocess.Popen([sys.executable, "-m", "redline.cli", "serve", "--port", str(port), "--workers", WORKERS,
                                   "--db", str(Path(folder) / "bench.sqlite")], env=dict(os.environ))
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            serial, _, _, serial_elapsed, _ = asyncio.run(run(url, 1, 40))
            latencies, ids, errors, elapsed, missing = asyncio.run(run(url, CLIENTS, SUBMISSIONS))
        finally:
            server.terminate()
            server.wait()
    print(f"one client, 40 submissions: p50 {statistics.median(serial) * 1000:.1f} ms, "
          f"{40 / serial_elapsed:.1f} submissions/s")
    print(f"{CLIENTS} clients x {SUBMISSIONS} submissions: {len(latencies)} sent in {elapsed:.1f} s, "
          f"{len(latencies) / elapsed:.1f} submissions/s ({len(latencies) / elapsed / (40 / serial_elapsed):.2f}x one client)")
    print(f"latency p50 {percentile(latencies, 50) * 1000:.1f} ms, p95 {percentile(latencies, 95) * 1000:.1f} ms, "
          f"p99 {percentile(latencies, 99) * 1000:.1f} ms")
    print(f"errors {len(errors)}{': ' + '; '.join(errors[:5]) if errors else ''}")
    print(f"ids returned {len(ids)}, not retrievable afterwards {missing}")


if __name__ == "__main__":
    main()
