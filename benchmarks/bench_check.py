"""Benchmark one-project checks on the shipped Tianjin layers (a benchmark, not a test).

Prints, for every sample: the in-process time to check it once the layers are loaded (median of
REPEATS runs; target ≤ 20 ms), against the naive baseline named below on the same data; and the
wall time of the whole ``redline check`` command from a cold start, with and without a warm
prepared-layer cache (target ≤ 2 s).

Naive baseline: ``geopandas.overlay`` of the project with each polygon layer (no dissolve, no
prepared pieces) and areas in an equal-area CRS — what a first script would do — on the project and
layers densified to 20 m, without which those planar areas would be off where edges are long.

Run: python benchmarks/bench_check.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd

from redline.crs import CGCS2000, densify
from redline.io import read_project
from redline.layers import DEFAULT_MANIFEST, load_layers
from redline.pipeline import check

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 15


def timed(function, repeats=REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def naive(project_frame, frames, equal_area_crs) -> dict[str, float]:
    areas = {}
    for layer_id, frame in frames.items():
        shared = gpd.overlay(project_frame, frame[["geometry"]], how="intersection", keep_geom_type=True)
        areas[layer_id] = float(shared.to_crs(equal_area_crs).area.sum())
    return areas


def main() -> None:
    layers = load_layers(DEFAULT_MANIFEST)
    frames = {layer_id: layer.frame.set_geometry(densify(layer.frame.geometry.values, CGCS2000))
              for layer_id, layer in layers.layers.items()
              if getattr(layer, "frame", None) is not None and layer.spec.kind == "polygon"}
    samples = sorted((ROOT / "data" / "samples").glob("*.*"))
    print(f"{'sample':<32}{'redline ms':>12}{'naive ms':>12}{'ratio':>8}")
    ours, theirs = [], []
    for path in samples:
        project = read_project(path)
        project_frame = gpd.GeoDataFrame(geometry=densify([project.geometry], CGCS2000), crs=4490)
        t_ours = timed(lambda: check(project, layers))
        t_naive = timed(lambda: naive(project_frame, frames, layers.equal_area.crs), repeats=3)
        ours.append(t_ours)
        theirs.append(t_naive)
        print(f"{path.stem:<32}{t_ours * 1000:>12.1f}{t_naive * 1000:>12.1f}{t_naive / t_ours:>8.1f}")
    print(f"{'median':<32}{statistics.median(ours) * 1000:>12.1f}{statistics.median(theirs) * 1000:>12.1f}"
          f"{statistics.median(theirs) / statistics.median(ours):>8.1f}")

    command = [sys.executable, "-m", "redline.cli", "check", str(samples[0])]
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "REDLINE_CACHE_DIR": cache}
        cold = timed(lambda: subprocess.run(command, env=env, capture_output=True), repeats=1)
        warm = timed(lambda: subprocess.run(command, env=env, capture_output=True), repeats=5)
    print(f"redline check, cold start, empty layer cache: {cold:.2f} s")
    print(f"redline check, cold start, warm layer cache:  {warm:.2f} s (median of 5)")


if __name__ == "__main__":
    main()
