"""Benchmark one-project checks on the shipped Tianjin layers (a benchmark, not a test).

Prints, for every sample: the in-process time to check it once the layers are loaded (median of
REPEATS runs; target ≤ 20 ms), against the naive baseline named below on the same data; and the
wall time of the whole ``redline check`` command from a cold start, with and without a warm
prepared-layer cache (target ≤ 2 s).

With ``--documents``, instead: the time to make each review document of the first sample (PDF, Word, the map sheet
PNG; in process, the layers loaded, median of REPEATS) and to start the CLI (``python -m redline.cli --help``, median
of REPEATS); with ``--against REV`` as well, the same for the code of REV in a ``git worktree`` (this file run in
that code's folder, with it first on ``PYTHONPATH``), the two alternating round by round, and the ratio.

Naive baseline: ``geopandas.overlay`` of the project with each polygon layer (no dissolve, no
prepared pieces) and areas in an equal-area CRS — what a first script would do — on the project and
layers densified to 20 m, without which those planar areas would be off where edges are long.

Run: python -m benchmarks.bench_check [--documents [--against REV] [--rounds N]]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

import geopandas as gpd

from redline.crs import CGCS2000, densify
from redline.io import read_project
from redline.layers import DEFAULT_MANIFEST, load_layers
from redline.pipeline import check

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "data" / "samples").glob("*.*"))
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


DOCUMENTS = ("pdf", "docx", "png")


def documents(repeats: int = REPEATS) -> dict[str, float]:
    """Seconds (median of ``repeats``) to make each of ``DOCUMENTS`` for the first sample, and to start the CLI."""
    from redline.report.basis import read_templates
    from redline.report.filing import review_files

    layers = load_layers(DEFAULT_MANIFEST)
    report = check(SAMPLES[0], layers)
    templates = read_templates(layers.manifest.review)
    timings = {kind: timed(lambda kind=kind: review_files(report, layers.rules, layers.nearby, (kind,), templates=templates,
                                                          overview=layers.outline), repeats) for kind in DOCUMENTS}
    command = [sys.executable, "-m", "redline.cli", "--help"]
    timings["cli start"] = timed(lambda: subprocess.run(command, capture_output=True, check=True), repeats)
    return timings


def documents_against(revision: str | None, rounds: int) -> None:
    """``documents`` of today's code and, when given, of ``revision``'s, each run as this file in that code's folder
    with it first on ``PYTHONPATH``, alternating round by round; medians and their ratio."""
    from benchmarks.bench_service import checked_out

    def measured(code: Path) -> dict[str, float]:
        done = subprocess.run([sys.executable, __file__, "--documents", "--json"], capture_output=True, check=True,
                              text=True, env={**os.environ, "PYTHONPATH": str(code)}, cwd=code)
        return json.loads(done.stdout)

    codes = {"today": ROOT}
    with checked_out(revision) if revision else nullcontext() as older:
        if revision:
            codes[revision] = Path(older)
        runs = {label: [] for label in codes}
        for _ in range(rounds):
            for label, code in codes.items():
                runs[label].append(measured(code))
    medians = {label: {what: statistics.median(run[what] for run in done) for what in done[0]}
               for label, done in runs.items()}
    print(f"{'':12}" + "".join(f"{label:>12}" for label in codes) + ("       ratio" if revision else ""))
    for what in medians["today"]:
        row = "".join(f"{medians[label][what]:>11.2f}s" for label in codes)
        ratio = f"{medians['today'][what] / medians[revision][what]:>11.2f}x" if revision else ""
        print(f"{what:12}{row}{ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", action="store_true", help="time the review documents and the CLI's start instead")
    parser.add_argument("--against", metavar="REV", help="with --documents: the same for the code of REV, and the ratio")
    parser.add_argument("--rounds", type=int, default=2, help="with --against: rounds, alternating (default 2)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # one run's figures, for --against
    arguments = parser.parse_args()
    if arguments.documents and arguments.json:
        print(json.dumps(documents()))
    elif arguments.documents:
        documents_against(arguments.against, arguments.rounds)
    else:
        checks()


def checks() -> None:
    layers = load_layers(DEFAULT_MANIFEST)
    frames = {layer_id: layer.frame.set_geometry(densify(layer.frame.geometry.values, CGCS2000))
              for layer_id, layer in layers.layers.items()
              if getattr(layer, "frame", None) is not None and layer.spec.kind == "polygon"}
    print(f"{'sample':<32}{'redline ms':>12}{'naive ms':>12}{'ratio':>8}")
    ours, theirs = [], []
    for path in SAMPLES:
        project = read_project(path)
        project_frame = gpd.GeoDataFrame(geometry=densify([project.geometry], CGCS2000), crs=4490)
        t_ours = timed(lambda: check(project, layers))
        t_naive = timed(lambda: naive(project_frame, frames, layers.equal_area.crs), repeats=3)
        ours.append(t_ours)
        theirs.append(t_naive)
        print(f"{path.stem:<32}{t_ours * 1000:>12.1f}{t_naive * 1000:>12.1f}{t_naive / t_ours:>8.1f}")
    print(f"{'median':<32}{statistics.median(ours) * 1000:>12.1f}{statistics.median(theirs) * 1000:>12.1f}"
          f"{statistics.median(theirs) / statistics.median(ours):>8.1f}")

    command = [sys.executable, "-m", "redline.cli", "check", str(SAMPLES[0])]
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "REDLINE_CACHE_DIR": cache}
        cold = timed(lambda: subprocess.run(command, env=env, capture_output=True), repeats=1)
        warm = timed(lambda: subprocess.run(command, env=env, capture_output=True), repeats=5)
    print(f"redline check, cold start, empty layer cache: {cold:.2f} s")
    print(f"redline check, cold start, warm layer cache:  {warm:.2f} s (median of 5)")


if __name__ == "__main__":
    main()
