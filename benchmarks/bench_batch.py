"""Benchmark batch checks (a benchmark, not a test) on synthetic applications across Tianjin.

Prints, on the same data in one process:
(a) redline's batch path end to end (read → check → results written), for N and N/10 applications,
    with throughput, the N : N/10 time ratio and the peak memory (RSS of this process and its workers);
(b) the naive baseline, ``geopandas.overlay`` with each polygon layer plus areas in the same equal-area
    CRS, against redline's vectorised engine on the same layer, per layer, on a subset of SUBSET
    applications (both edge-densified to 20 m), with the throughput ratio and the largest relative area
    difference between the two;
(c) PostGIS, only when REDLINE_BENCH_POSTGIS names a database URL (not wired in this version).

Run: python benchmarks/bench_batch.py [N]   (default N = 100,000; 2 worker processes)
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np

from benchmarks.applications import make_applications
from redline import engine
from redline.batch import run_batch
from redline.crs import CGCS2000, densify
from redline.layers import DEFAULT_MANIFEST, load_layers

SUBSET = 2_000
WORKERS = int(os.environ.get("REDLINE_BENCH_WORKERS", "2"))


def peak_rss_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def batch_run(count: int, folder: Path) -> float:
    path = folder / f"apps-{count}.parquet"
    make_applications(count).to_parquet(path)
    start = time.perf_counter()
    summary = run_batch([path], folder / f"out-{count}", manifest=DEFAULT_MANIFEST, workers=WORKERS)
    seconds = time.perf_counter() - start
    print(f"(a) redline batch, {count:,} applications, {WORKERS} workers: {seconds:.1f} s end to end, "
          f"{count / seconds:,.0f} applications/s; verdicts {summary.verdicts}, errors {summary.errors}")
    return seconds


def per_layer(layers, count: int) -> None:
    frame = make_applications(count, seed=99)
    footprints = densify(frame.geometry.values, CGCS2000)
    dense = gpd.GeoDataFrame({"row": np.arange(count)}, geometry=footprints, crs=4490)
    print(f"(b) per layer, {count:,} applications: redline vectorised engine vs geopandas.overlay")
    worst = 0.0
    for layer_id, layer in layers.layers.items():
        if getattr(layer, "spec", None) is None or layer.spec.kind != "polygon":
            continue
        start = time.perf_counter()
        overlaps = engine.overlay_polygons(footprints, layer, layers.equal_area)
        ours = time.perf_counter() - start
        start = time.perf_counter()
        shared = gpd.overlay(dense, layer.frame[["geometry"]], how="intersection", keep_geom_type=True)
        naive_area = shared.assign(area=shared.to_crs(layers.equal_area.crs).area).groupby("row")["area"].sum()
        theirs = time.perf_counter() - start
        redline_area = np.array([o.total for o in overlaps])
        naive = naive_area.reindex(np.arange(count), fill_value=0.0).to_numpy()
        big = np.maximum(redline_area, naive) > 1.0
        difference = np.max(np.abs(redline_area - naive)[big] / np.maximum(redline_area, naive)[big], initial=0.0)
        worst = max(worst, difference) if layer.disjoint else worst
        note = "" if layer.disjoint else " (overlapping features: overlay counts overlaps twice; not compared)"
        print(f"    {layer_id:<24} redline {count / ours:>8,.0f}/s  overlay {count / theirs:>7,.0f}/s  "
              f"ratio {theirs / ours:5.1f}x  max rel. area difference {difference:.2e}{note}")
    print(f"    largest relative area difference (layers without overlaps): {worst:.2e}")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    layers = load_layers(DEFAULT_MANIFEST)
    per_layer(layers, SUBSET)
    with tempfile.TemporaryDirectory() as folder:
        small = batch_run(count // 10, Path(folder))
        large = batch_run(count, Path(folder))
    print(f"    {count:,} take {large / small:.1f}x the time of {count // 10:,}; peak memory {peak_rss_mib():,.0f} MiB")
    if os.environ.get("REDLINE_BENCH_POSTGIS"):
        print("(c) PostGIS: not wired in this version")
    else:
        print("(c) PostGIS: skipped (no REDLINE_BENCH_POSTGIS server)")


if __name__ == "__main__":
    main()
