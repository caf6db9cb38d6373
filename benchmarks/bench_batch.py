"""Benchmark batch checks (a benchmark, not a test) on synthetic applications across Tianjin.

Prints, on the same data in one process:
(a) redline's batch path end to end (read → check → results written), median of RUNS batches: N applications
    against the region layer alone (nothing to intersect: the batch's own cost), then against every Tianjin
    layer, N/10 of them once (the N : N/10 time ratio); with throughput and peak memory: the largest sum,
    sampled every second, of the proportional set size (PSS: memory shared by forked workers counted once) of
    this process and its worker processes together (run first, so this process holds nothing of (b) and (c)
    yet; the applications are generated in a subprocess); then a plain geopandas.overlay script over every
    polygon layer on the same N applications, once;
(b) the naive baseline, ``geopandas.overlay`` with each polygon layer plus areas in an equal-area CRS,
    against redline's vectorised engine on the same layer, per layer, on a subset of SUBSET
    applications, with the throughput ratio and the largest relative area difference between the two.
    Both measure the same shapes (edges straight in lon/lat): redline takes the applications and layers
    as drawn, as its batch does, and measures each shared piece exactly on the ellipsoid; the
    baseline's planar areas are right only on inputs densified to 20 m, so it gets the applications and
    the layer densified (also printed: the baseline on the inputs as drawn, faster, off where edges are long);
(c) PostGIS, when a server is given: the layers published to it (``redline layers --publish``), each
    cut with ``ST_Subdivide(geom, 256)`` into a GiST-indexed table, the same SUBSET applications
    (20 m-densified) in a table, and per layer one ``ST_Intersects`` join summing
    ``ST_Area(ST_Intersection(…)::geography)`` (ellipsoidal) per application; its throughput and its
    largest relative area difference to redline.
Each per-layer timing in (b) and (c) is the fastest of repeated runs totalling ≥ 1 s (at most 5), for
every engine alike.
(d) with ``--dense``, instead: the official-size dense layer of ``benchmarks.dense`` (see ``dense``);
(e) with ``--maps``, instead: the HTML maps of a batch of N applications over every Tianjin layer (see ``maps``);
(f) with ``--steps [--dense]``, instead: where a worker's time goes, step by step, on N applications (see ``steps``);
(g) with ``--dense --against REV``, instead: the dense batch of today's code beside REV's (see ``dense_against``);
(h) with ``--areas``, instead: ellipsoidal areas of N applications in one call, in blocks and in one (see ``areas``).

Run: python -m benchmarks.bench_batch [N] [--postgis URL|start] [--dense [--against REV [--rounds R]] | --maps | --steps [--dense]
     | --areas]
(default N = 100,000; 2 worker processes)
``--postgis start`` runs a throwaway server with scripts/postgis-server.sh (Debian postgresql and
postgresql-15-postgis-3, which scripts/test.sh installs); REDLINE_BENCH_POSTGIS=URL does the same as
``--postgis URL``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
import tomli_w

from benchmarks.applications import make_applications
from redline import engine
from redline.batch import run_batch
from redline.batch.inputs import CHUNK
from redline.crs import CGCS2000, densify
from redline.io.postgis import connect, write_table
from redline.layers import DEFAULT_MANIFEST, load_layers, publish_layers
from redline.model import Options

SUBSET = 2_000
RUNS = 3
"""Batches timed per workload; the median is printed."""
WORKERS = int(os.environ.get("REDLINE_BENCH_WORKERS", "2"))
ROOT = Path(__file__).resolve().parents[1]


class PeakMemory(threading.Thread):
    """Samples the PSS of this process plus all its descendants every second; ``peak_mib``."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak_mib, self.running = 0.0, True

    def run(self):
        while self.running:
            self.peak_mib = max(self.peak_mib, sum(map(_pss_mib, _tree(os.getpid()))))
            time.sleep(1.0)

    def stop(self) -> float:
        self.running = False
        self.join()
        return self.peak_mib


def _tree(pid: int) -> list[int]:
    try:
        children = [int(c) for task in os.listdir(f"/proc/{pid}/task")
                    for c in open(f"/proc/{pid}/task/{task}/children").read().split()]
    except OSError:
        return [pid]
    return [pid] + [p for child in children for p in _tree(child)]


def _pss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            return next(int(line.split()[1]) for line in rollup if line.startswith("Pss:")) / 1024
    except (OSError, StopIteration):
        return 0.0


def batch_median(path: Path, manifest: Path, runs: int = RUNS, options: Options = Options()) -> tuple[float, list[float],
                                                                                                   float, object]:
    """(median seconds, every run's seconds, peak MiB of this process and its workers, the last summary) of
    ``runs`` batches of the applications at ``path`` against ``manifest`` with ``options``, each into a fresh folder."""
    seconds, peak = [], 0.0
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            memory = PeakMemory()
            memory.start()
            start = time.perf_counter()
            summary = run_batch([path], Path(folder) / "out", manifest=manifest, workers=WORKERS, options=options)
            seconds.append(time.perf_counter() - start)
            peak = max(peak, memory.stop())
    return float(np.median(seconds)), seconds, peak, summary


def batch_pair(path: Path, manifest: Path, runs: int = RUNS) -> tuple[tuple, tuple]:
    """``batch_median`` with the default options and with the nearest-feature search off (``search_m=0``), the two
    alternating run by run (the machine's speed drifts from hour to hour; a ratio must not)."""
    on, off = [], []
    for _ in range(runs):
        on.append(batch_median(path, manifest, 1))
        off.append(batch_median(path, manifest, 1, Options(search_m=0.0)))

    def joined(timings):
        seconds = [timing[1][0] for timing in timings]
        return float(np.median(seconds)), seconds, max(timing[2] for timing in timings), timings[-1][3]
    return joined(on), joined(off)


def describe_batch(label: str, count: int, timing) -> float:
    median, seconds, peak, summary = timing
    print(f"{label}, {count:,} applications, {WORKERS} workers: median {median:.1f} s of "
          f"{', '.join(f'{s:.1f}' for s in seconds)} end to end, {count / median:,.0f} applications/s; peak memory "
          f"{peak:,.0f} MiB; verdicts {summary.verdicts}, errors {summary.errors}")
    print(f"    the last run by phase: {', '.join(f'{name} {spent:.1f} s' for name, spent in summary.phases.items())}")
    return median


def write_applications(count: int, folder: Path) -> Path:
    """``count`` applications of ``benchmarks.applications`` as GeoParquet (made in a subprocess, so this process
    holds none of them while the batches run)."""
    path = folder / f"apps-{count}.parquet"
    subprocess.run([sys.executable, "-m", "benchmarks.applications", str(count), str(path)], check=True,
                   cwd=ROOT)
    return path


def region_only(folder: Path) -> Path:
    """A manifest of the Tianjin region layer alone (nothing to intersect): what a batch costs besides the overlay."""
    data = tomllib.loads(DEFAULT_MANIFEST.read_text(encoding="utf-8"))
    region = data["manifest"]["region_layer"]
    layer = {**data["layers"][region], "file": str((DEFAULT_MANIFEST.parent / data["layers"][region]["file"]).resolve())}
    path = folder / "region-only.toml"
    path.write_text(tomli_w.dumps({"manifest": data["manifest"], "layers": {region: layer}}), encoding="utf-8")
    return path


def overlay_script(path: Path, layers) -> float:
    """Seconds of the plain script a GeoPandas user would write: read the applications, ``geopandas.overlay`` with
    every polygon layer (as drawn), areas in the equal-area CRS summed per application and layer."""
    start = time.perf_counter()
    applications = gpd.read_parquet(path)[["id", "geometry"]]
    for layer in polygon_layers(layers).values():
        shared = gpd.overlay(applications, layer.frame[["geometry"]], how="intersection", keep_geom_type=True)
        shared.assign(area=shared.to_crs(layers.equal_area.crs).area).groupby("id")["area"].sum()
    return time.perf_counter() - start


def subset_applications(count: int) -> gpd.GeoDataFrame:
    """The per-layer applications as drawn (EPSG:4490), with a ``row`` number."""
    frame = make_applications(count, seed=99)
    return gpd.GeoDataFrame({"row": np.arange(count)}, geometry=frame.geometry.values, crs=4490)


def densified(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` with edges densified to 20 m (the same shapes, as the baselines need them)."""
    return frame.set_geometry(densify(frame.geometry.values, CGCS2000))


def best_of(run, *, at_least_s: float = 1.0, at_most: int = 5):
    """(seconds, result) of ``run()``: the fastest of repeated runs, repeated until ``at_least_s`` in all or
    ``at_most`` runs (every engine is timed alike: a short timing is noisy, a long one is run once)."""
    times, spent = [], 0.0
    while not times or (spent < at_least_s and len(times) < at_most):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
        spent += times[-1]
    return min(times), result


def overlay_areas(applications: gpd.GeoDataFrame, layer, equal_area) -> tuple[float, np.ndarray]:
    """(seconds, m² per application) of the naive baseline: geopandas.overlay, then areas in ``equal_area``."""
    def run():
        shared = gpd.overlay(applications, layer, how="intersection", keep_geom_type=True)
        return shared.assign(area=shared.to_crs(equal_area.crs).area).groupby("row")["area"].sum()
    seconds, areas = best_of(run)
    return seconds, areas.reindex(np.arange(len(applications)), fill_value=0.0).to_numpy()


def polygon_layers(layers):
    return {layer_id: layer for layer_id, layer in layers.layers.items()
            if getattr(layer, "spec", None) is not None and layer.spec.kind == "polygon"}


def relative_difference(ours: np.ndarray, theirs: np.ndarray) -> float:
    """Largest |a − b| / max(a, b) over applications where either side exceeds 1 m²."""
    big = np.maximum(ours, theirs) > 1.0
    return float(np.max(np.abs(ours - theirs)[big] / np.maximum(ours, theirs)[big], initial=0.0))


def per_layer(layers, applications: gpd.GeoDataFrame) -> dict[str, tuple[float, np.ndarray]]:
    """(b): each polygon layer's redline seconds and areas, printed against geopandas.overlay."""
    count, dense = len(applications), densified(applications)
    print(f"(b) per layer, {count:,} applications: redline vectorised engine vs geopandas.overlay on 20 m-densified "
          "inputs (and, last two columns, overlay on the inputs as drawn)")
    worst, worst_as_drawn, measured = 0.0, 0.0, {}
    for layer_id, layer in polygon_layers(layers).items():
        ours, overlaps = best_of(lambda: engine.overlay_polygons(applications.geometry.values, layer))
        redline_area = np.array([o.total for o in overlaps])
        measured[layer_id] = ours, redline_area
        theirs, naive_area = overlay_areas(dense, densified(layer.frame[["geometry"]]), layers.equal_area)
        as_drawn, drawn_area = overlay_areas(applications, layer.frame[["geometry"]], layers.equal_area)
        difference = relative_difference(redline_area, naive_area)
        drawn_difference = relative_difference(redline_area, drawn_area)
        if layer.disjoint:
            worst, worst_as_drawn = max(worst, difference), max(worst_as_drawn, drawn_difference)
        note = "" if layer.disjoint else " (overlapping features: overlay counts overlaps twice; not compared)"
        print(f"    {layer_id:<24} redline {count / ours:>8,.0f}/s  overlay {count / theirs:>7,.0f}/s  "
              f"ratio {theirs / ours:5.1f}x  max rel. area difference {difference:.2e}  |  as drawn {count / as_drawn:>7,.0f}/s "
              f"{drawn_difference:.2e}{note}")
    print(f"    largest relative area difference (layers without overlaps): {worst:.2e} "
          f"(overlay on the inputs as drawn: {worst_as_drawn:.2e})")
    return measured


@contextmanager
def postgis_server(address: str | None):
    """The database URL to use: ``address``, or a throwaway server's when ``address`` is "start"."""
    if address != "start":
        yield address
        return
    script = ROOT / "scripts" / "postgis-server.sh"
    folder = tempfile.mkdtemp(prefix="redline-pg-")
    started = subprocess.run(["bash", str(script), "start", folder], capture_output=True, text=True, check=True)
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run(["bash", str(script), "stop", folder], check=True)
        subprocess.run(["rm", "-rf", folder], check=True)


def postgis(database: str, layers, dense: gpd.GeoDataFrame, measured: dict) -> None:
    """(c): the same per-layer measurement as one SQL join per layer on subdivided, GiST-indexed tables."""
    count = len(dense)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        publish_layers(DEFAULT_MANIFEST, database, Path(folder) / "layers.toml", schema="bench")
        write_table(database, "bench.applications", dense.assign(row=dense["row"].astype(str)), ["row"])
        loading = time.perf_counter() - start
    ids = list(polygon_layers(layers))
    with connect(database) as connection:
        start = time.perf_counter()
        for layer_id in ids:
            connection.execute(f"DROP TABLE IF EXISTS bench.{layer_id}_pieces; CREATE TABLE bench.{layer_id}_pieces AS "
                               f"SELECT fid, ST_Subdivide(geom, 256) AS geom FROM bench.{layer_id}; "
                               f"CREATE INDEX ON bench.{layer_id}_pieces USING GIST (geom); ANALYZE bench.{layer_id}_pieces")
        connection.commit()
        preparing = time.perf_counter() - start
        print(f"(c) PostGIS, {count:,} applications: loading {loading:.1f} s, ST_Subdivide + GiST {preparing:.1f} s; "
              "per layer one ST_Intersects join, ST_Area(geography)")
        worst = 0.0
        for layer_id in ids:
            query = (f"SELECT a.row::int, sum(ST_Area(ST_Intersection(a.geom, p.geom)::geography)) FROM bench.applications a "
                     f"JOIN bench.{layer_id}_pieces p ON ST_Intersects(a.geom, p.geom) GROUP BY a.row")
            seconds, rows = best_of(lambda: connection.execute(query).fetchall())
            theirs = np.zeros(count)
            for row, area in rows:
                theirs[row] = area
            ours, redline_area = measured[layer_id]
            difference = relative_difference(redline_area, theirs)
            disjoint = layers.layers[layer_id].disjoint
            worst = max(worst, difference) if disjoint else worst
            note = "" if disjoint else " (overlapping features: counted twice; not compared)"
            print(f"    {layer_id:<24} redline {count / ours:>8,.0f}/s  PostGIS {count / seconds:>7,.0f}/s  "
                  f"ratio {seconds / ours:5.1f}x  max rel. area difference {difference:.2e}{note}")
        print(f"    largest relative area difference redline vs PostGIS (layers without overlaps): {worst:.2e}")


def dense(count: int, address: str | None, runs: int = RUNS) -> None:
    """(d): the dense layer of ``benchmarks.dense`` (an official-size red line) and ``count`` applications: redline's
    batch end to end (median of ``runs``), its engine alone, geopandas.overlay, a shapely STRtree with a prepared
    prefilter and one vectorised intersection, and PostGIS (loading and query timed apart) when a server is given."""
    from benchmarks.dense import workload
    from redline.crs import ellipsoidal_areas_m2

    subprocess.run([sys.executable, "-m", "benchmarks.dense", str(count)], check=True, stdout=subprocess.DEVNULL,
                   cwd=ROOT)  # made apart, so this process holds none of it
    manifest, path = workload(count)
    searching, not_searching = batch_pair(path, manifest, runs)
    end_to_end = describe_batch("(d) dense layer: redline batch", count, searching)
    without = describe_batch("    the same with the nearest-feature search off (search_m=0)", count, not_searching)
    print(f"    the nearest-feature search costs {end_to_end / without:.2f}x the batch without it (target ≤ 1.25)")
    layers = load_layers(manifest)
    layer = layers.layers["dense_redline"]
    geometries = gpd.read_parquet(path).geometry.values
    validity_s, valid = fastest(shapely.is_valid, geometries)
    geometries = geometries[np.array(valid)]  # what the batch checks: the invalid few are its errors
    count = len(geometries)
    print(f"    the engine and the baselines below take the {count:,} valid applications")
    engine_s, overlaps = fastest(partial(engine.overlay_polygons, layer=layer), geometries)
    ours = np.array([o.total for o in overlaps])
    print(f"    redline engine alone: {engine_s:.1f} s, {count / engine_s:,.0f}/s")
    absent = geometries[ours == 0]
    radius = Options().search_m
    nearest_s, nearest = fastest(partial(engine.nearest_features, layer=layer, radius_m=radius,
                                         equal_area=layers.equal_area), absent)
    print(f"    its nearest-feature search (within {radius:,.0f} m) of the {len(absent):,} applications that "
          f"touch nothing: {nearest_s:.1f} s, {sum(n is not None for n in nearest):,} found")
    floor = (validity_s + engine_s + nearest_s) / WORKERS
    print(f"    CPU floor: validity {validity_s:.1f} s + overlay {engine_s:.1f} s + nearest {nearest_s:.1f} s, each alone, "
          f"over {WORKERS} cores = {floor:.1f} s; the batch is {end_to_end / floor:.2f}x the floor (target ≤ 1.5)")
    frame = gpd.GeoDataFrame({"row": np.arange(count)}, geometry=geometries, crs=4490)
    overlay_s, overlay_area = overlay_areas(densified(frame), densified(layer.frame[["geometry"]]), layers.equal_area)
    print(f"    geopandas.overlay (20 m-densified) + equal-area areas: {overlay_s:.1f} s, {count / overlay_s:,.0f}/s; "
          f"redline end to end is {overlay_s / end_to_end:.1f}x faster (target ≥ 3); max rel. area difference "
          f"{relative_difference(ours, overlay_area):.2e}")
    untouched = frame[ours == 0].to_crs(layers.equal_area.crs)
    features = layer.frame[["name", "geometry"]].to_crs(layers.equal_area.crs)
    sjoin_s, joined = best_of(lambda: gpd.sjoin_nearest(untouched, features, max_distance=radius, distance_col="distance"))
    first = joined[~joined.index.duplicated()]
    theirs_found = dict(zip(np.flatnonzero(ours == 0)[first.index.map(untouched.index.get_loc)], first["name"]))
    ours_found = {row: found.name for row, found in zip(np.flatnonzero(ours == 0), nearest) if found is not None}
    agree = sum(theirs_found.get(row) == name for row, name in ours_found.items())
    print(f"    geopandas.sjoin_nearest(max_distance={radius:,.0f} m, equal-area metres) of the same untouched applications: "
          f"{sjoin_s:.1f} s, {len(theirs_found):,} found ({agree:,} of redline's {len(ours_found):,} the same feature); "
          f"overlay + sjoin_nearest {overlay_s + sjoin_s:.1f} s: redline end to end is "
          f"{(overlay_s + sjoin_s) / end_to_end:.1f}x faster (target ≥ 4)")

    def strtree():
        polygons = layer.frame.geometry.values
        tree = shapely.STRtree(polygons)
        left, right = tree.query(geometries, predicate="intersects")  # GEOS prepares the query geometries
        shared = shapely.intersection(geometries[left], polygons[right])
        return np.bincount(left, weights=ellipsoidal_areas_m2(shared), minlength=count)
    tree_s, tree_area = best_of(strtree)
    print(f"    shapely STRtree + prepared prefilter + one vectorised intersection (exact areas): {tree_s:.1f} s, "
          f"{count / tree_s:,.0f}/s; redline end to end is {tree_s / end_to_end:.1f}x faster; "
          f"max rel. area difference {relative_difference(ours, tree_area):.2e}")
    if not address:
        print("    PostGIS: skipped (no --postgis URL|start)")
        return
    with postgis_server(address) as database:
        start = time.perf_counter()
        write_table(database, "bench.dense_layer", densified(layer.frame[["name", "geometry"]]), ["name"])
        write_table(database, "bench.dense_applications", densified(frame).assign(row=frame["row"].astype(str)), ["row"])
        with connect(database) as connection:
            connection.execute("DROP TABLE IF EXISTS bench.dense_pieces; CREATE TABLE bench.dense_pieces AS "
                               "SELECT ST_Subdivide(geom, 256) AS geom FROM bench.dense_layer; "
                               "CREATE INDEX ON bench.dense_pieces USING GIST (geom); ANALYZE bench.dense_pieces; "
                               "CREATE INDEX ON bench.dense_applications USING GIST (geom); ANALYZE bench.dense_applications")
            connection.commit()
            loading = time.perf_counter() - start
            query = ("SELECT a.row::int, sum(ST_Area(ST_Intersection(a.geom, p.geom)::geography)) FROM "
                     "bench.dense_applications a JOIN bench.dense_pieces p ON ST_Intersects(a.geom, p.geom) GROUP BY a.row")
            query_s, rows = best_of(lambda: connection.execute(query).fetchall())
            untouched_rows = [int(row) for row in np.flatnonzero(ours == 0)]
            # the GiST index answers ST_DWithin in degrees (the radius at the region's northern edge, so never short)
            # and orders by <->; the nearest piece's distance is then measured on the ellipsoid
            degrees = radius / (111_320 * np.cos(np.radians(layers.bounds[3])))
            nearest_query = ("SELECT a.row::int, n.distance FROM bench.dense_applications a CROSS JOIN LATERAL ("
                             "SELECT ST_Distance(a.geom::geography, p.geom::geography) AS distance FROM bench.dense_pieces p "
                             "WHERE ST_DWithin(a.geom, p.geom, %s) ORDER BY a.geom <-> p.geom LIMIT 1) n "
                             "WHERE a.row::int = ANY(%s) AND n.distance <= %s")
            nearest_query_s, found = best_of(lambda: connection.execute(nearest_query, (degrees, untouched_rows,
                                                                                         radius)).fetchall())
        theirs = np.zeros(count)
        for row, area in rows:
            theirs[row] = area
        print(f"    PostGIS: loading + ST_Subdivide + GiST {loading:.1f} s; areas query {query_s:.1f} s, nearest query "
              f"(ST_DWithin + <->) of the untouched {nearest_query_s:.1f} s, {len(found):,} found; redline end to end is "
              f"{(query_s + nearest_query_s) / end_to_end:.1f}x faster than the two queries alone (target ≥ 2.5); max rel. "
              f"area difference {relative_difference(ours, theirs):.2e}")


def fastest(function, geometries: np.ndarray) -> tuple[float, list]:
    """(seconds, answers) of ``function`` of all ``geometries``, the faster of one call and calls on ``CHUNK`` at a time
    (as a batch's workers call the engine), each the best of repeated runs (``best_of``); both printed."""
    whole_s, whole = best_of(lambda: list(function(geometries)))
    chunks_s, chunked = best_of(lambda: [answer for first in range(0, len(geometries), CHUNK)
                                         for answer in function(geometries[first:first + CHUNK])])
    print(f"    {getattr(function, 'func', function).__name__}: {whole_s:.2f} s in one call, {chunks_s:.2f} s in calls on "
          f"{CHUNK} applications at a time")
    return (whole_s, whole) if whole_s <= chunks_s else (chunks_s, chunked)


def dense_against(count: int, revision: str, rounds: int) -> None:
    """(g): the dense batch of ``count`` applications (default options, one run per process) with today's code and
    with ``revision``'s (in a ``git worktree``, first on ``PYTHONPATH``), alternating round by round; each one's runs,
    median and phases, and the ratio of the medians."""
    from benchmarks.bench_service import checked_out

    def measured(code: Path) -> dict:
        done = subprocess.run([sys.executable, __file__, str(count), "--dense", "--json"], capture_output=True, check=True,
                              text=True, env={**os.environ, "PYTHONPATH": str(code)}, cwd=code)
        return json.loads(done.stdout.splitlines()[-1])

    subprocess.run([sys.executable, "-m", "benchmarks.dense", str(count)], check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    with checked_out(revision) as older:
        codes = {revision: Path(older), "today": ROOT}
        runs: dict[str, list[dict]] = {label: [] for label in codes}
        for _ in range(rounds):
            for label, code in codes.items():
                runs[label].append(measured(code))
    medians = {label: statistics.median(run["seconds"] for run in done) for label, done in runs.items()}
    for label, done in runs.items():
        seconds = ", ".join(f"{run['seconds']:.1f}" for run in done)
        phases = ", ".join(f"{name} {spent:.1f} s" for name, spent in done[-1]["phases"].items())
        print(f"(g) dense layer, {count:,} applications, {WORKERS} workers, the code of {label}: median {medians[label]:.1f} s "
              f"of {seconds}" + (f"; its last run by phase: {phases}" if phases else ""))
    print(f"    today's batch takes {medians['today'] / medians[revision]:.2f}x the time of {revision}'s")


def dense_once(count: int) -> None:
    """One dense batch of ``count`` applications with the code on ``PYTHONPATH``, as JSON (for ``dense_against``)."""
    from benchmarks.dense import workload

    manifest, path = workload(count)
    median, _, _, summary = batch_median(path, manifest, 1)
    print(json.dumps({"seconds": median, "phases": getattr(summary, "phases", {})}))


def areas(count: int) -> None:
    """(h): ``redline.crs.ellipsoidal_areas_m2`` of ``count`` applications of ``benchmarks.applications`` in one call,
    as it measures them (``AREA_BLOCK`` vertices at a time) and with every vertex in one block (as before the
    blocks), fastest of repeated runs each, on the same geometries in this process; and how far the two differ."""
    import redline.crs

    geometries = make_applications(count).geometry.values
    vertices = int(shapely.get_num_coordinates(geometries).sum())
    blocks_s, in_blocks = best_of(lambda: redline.crs.ellipsoidal_areas_m2(geometries))
    block = redline.crs.AREA_BLOCK
    redline.crs.AREA_BLOCK = vertices + 1
    try:
        whole_s, whole = best_of(lambda: redline.crs.ellipsoidal_areas_m2(geometries))
    finally:
        redline.crs.AREA_BLOCK = block
    print(f"(h) ellipsoidal areas of {count:,} applications ({vertices:,} vertices) in one call: {blocks_s:.2f} s in blocks "
          f"of {block:,} vertices, {whole_s:.2f} s in one block: {whole_s / blocks_s:.1f}x the time; largest relative "
          f"difference {relative_difference(in_blocks, whole):.1e}")


MAPS_TARGET = 50.0
"""Maps per second issue 17 asks of ``redline batch --maps`` on this 2-core machine."""
BASELINE_MAPS = 100


def maps(count: int, runs: int = RUNS) -> None:
    """(e): ``count`` applications checked by a batch over every Tianjin layer that draws their maps as it checks them
    (``redline batch --maps``: ``Drawing(maps=True)``, WORKERS processes), beside the same batch without maps, median
    of ``runs`` each, against the issue's target and against the page a folium user would write per application (a
    ``folium.GeoJson`` of each layer's nearby features, the project and its intrusions; Leaflet from the CDN; one
    process, the first BASELINE_MAPS)."""
    import folium

    from redline.batch import Drawing
    from redline.batch.inputs import ReadOptions, read_inputs
    from redline.batch.run import checked_chunk
    from redline.model import Options

    with tempfile.TemporaryDirectory() as folder:
        path = write_applications(count, Path(folder))
        seconds, plain, drawn = [], [], 0
        for run in range(runs):
            start = time.perf_counter()
            run_batch([path], Path(folder) / f"plain-{run}", manifest=DEFAULT_MANIFEST, workers=WORKERS)
            plain.append(time.perf_counter() - start)
            start = time.perf_counter()
            drawn = run_batch([path], Path(folder) / f"maps-{run}", manifest=DEFAULT_MANIFEST, workers=WORKERS,
                              drawing=Drawing(maps=True)).maps
            seconds.append(time.perf_counter() - start)
        size = sum(f.stat().st_size for f in (Path(folder) / "maps-0" / "maps").rglob("*") if f.is_file())
        median, without = float(np.median(seconds)), float(np.median(plain))
        print(f"(e) redline batch --maps, {drawn:,} applications checked and mapped with their index, {WORKERS} workers: "
              f"median {median:.1f} s of {', '.join(f'{s:.1f}' for s in seconds)} (without maps {without:.1f} s), "
              f"{drawn / median:.1f} maps/s checking included ({drawn / median / MAPS_TARGET:.2f}x issue 17's "
              f"{MAPS_TARGET:g} maps/s); {size / 2**20:,.0f} MiB")
        layers = load_layers(DEFAULT_MANIFEST)
        read = ReadOptions("id", None, None, False)
        chunk = read_inputs([path], read)[0][:BASELINE_MAPS]
        reports = [r for r in checked_chunk(chunk, layers, options=Options(), read=read, with_geometry=True)[0].values()
                   if not isinstance(r, str)]
        start = time.perf_counter()
        for number, report in enumerate(reports):
            page = folium.Map()
            for near in layers.nearby(report.footprint):
                if len(near):
                    folium.GeoJson(gpd.GeoDataFrame(geometry=near.geometries, crs=4490), name=near.spec.title_en).add_to(page)
            folium.GeoJson(gpd.GeoDataFrame(geometry=[report.footprint], crs=4490), name="project").add_to(page)
            for rule, pieces in report.intrusions.items():
                folium.GeoJson(gpd.GeoDataFrame(geometry=list(pieces.values()), crs=4490), name=rule).add_to(page)
            folium.LayerControl().add_to(page)
            page.fit_bounds([[report.footprint.bounds[1], report.footprint.bounds[0]],
                             [report.footprint.bounds[3], report.footprint.bounds[2]]])
            page.save(Path(folder) / f"baseline-{number}.html")
        baseline, ours = len(reports) / (time.perf_counter() - start), drawn / median
        print(f"    folium.GeoJson pages, one process: {baseline:.1f} maps/s; redline batch --maps is "
              f"{ours / baseline:.1f}x that with {WORKERS} workers, {ours / baseline / WORKERS:.1f}x per worker")


def steps(count: int, dense: bool = False) -> None:
    """(f): ``count`` applications checked chunk by chunk in this process (what a worker does), each step timed apart:
    reading the chunk's rows, GEOS validity, the rest of making the projects, checking (its ellipsoidal areas and the
    districts touched also timed alone; with ``dense``, the dense layer's overlay and the nearest-feature search of the
    applications that touch nothing as well), and the results rows with their journal lines. Against the region-only
    manifest, or with ``dense`` the first ``count`` applications of the dense workload (``benchmarks.dense``)."""
    from benchmarks.dense import workload
    from redline.batch.inputs import ReadOptions, chunk_tables, projects, read_inputs
    from redline.batch.journal import journal_line
    from redline.crs import ellipsoidal_areas_m2
    from redline.footprint import plainly_valid
    from redline.pipeline import check_projects
    from redline.report.tables import layout, table_row
    from redline.rules import REGION

    seconds: dict[str, float] = {}

    def timed(step: str, work):
        start = time.perf_counter()
        result = work()
        seconds[step] = seconds.get(step, 0.0) + time.perf_counter() - start
        return result

    with tempfile.TemporaryDirectory() as folder:
        read = ReadOptions()
        manifest, path = workload(100_000) if dense else (region_only(Path(folder)), write_applications(count, Path(folder)))
        applications, _ = read_inputs([path], read)
        applications = applications[:count]
        layers = load_layers(manifest)
        region, _ = layers.for_rule(REGION)
        layer = layers.layers.get("dense_redline")
        columns = layout(layers.rules)
        for first in range(0, len(applications), CHUNK):
            chunk = applications[first:first + CHUNK]
            tables = timed("reading the chunk's rows", lambda: chunk_tables(chunk, read))
            geometries = shapely.force_2d(np.asarray(next(iter(tables.values())).frame.geometry.values))
            timed("GEOS validity", lambda: plainly_valid(geometries))
            found = timed("projects", lambda: projects(chunk, read, tables, Options()))
            ready = [(application, found[application.order][0]) for application in chunk
                     if not isinstance(found[application.order], str)]
            footprints = np.array([project.geometry for _, project in ready], dtype=object)
            areas_m2 = timed("ellipsoidal areas", lambda: ellipsoidal_areas_m2(footprints))
            timed("districts touched", lambda: engine.features_touched(footprints, region))
            if dense:
                overlaps = timed("the dense layer's overlay",
                                 lambda: engine.overlay_polygons(footprints, layer, areas_m2=areas_m2))
                absent = footprints[[overlap.total == 0 for overlap in overlaps]]
                timed("the nearest-feature search", lambda: engine.nearest_features(absent, layer, Options().search_m,
                                                                                     layers.equal_area))
            reports = timed("checking", lambda: check_projects([p for _, p in ready], layers, with_geometry=False))
            timed("results rows and journal lines", lambda: [journal_line(a, r, table_row(a.id, r, columns), {})
                                                            for (a, _), r in zip(ready, reports)])
    seconds["projects"] -= seconds["GEOS validity"]  # projects() checks validity itself: its rest
    within = {step: seconds.pop(step) for step in ("ellipsoidal areas", "districts touched", "the dense layer's overlay",
                                                   "the nearest-feature search") if step in seconds}  # checking does them again
    seconds["checking"] -= sum(within.values())
    total = sum(seconds.values()) + sum(within.values())
    print(f"(f) where a worker's time goes, {count:,} applications against "
          f"{'the dense layer' if dense else 'the region layer alone'}, one process: {total:.2f} s")
    for step, spent in [*seconds.items(), *within.items()]:
        label = {"projects": "the rest of making the projects",
                 "checking": "checking: rules, findings and reports"}.get(step, step)
        print(f"    {label:38s} {spent:6.2f} s  {spent / total:5.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", nargs="?", type=int, default=100_000)
    parser.add_argument("--postgis", default=os.environ.get("REDLINE_BENCH_POSTGIS"), metavar="URL|start")
    parser.add_argument("--dense", action="store_true", help="run only (d), the dense official-size layer")
    parser.add_argument("--maps", action="store_true", help="run only (e), the maps of a batch of N applications")
    parser.add_argument("--steps", action="store_true", help="run only (f), where a worker's time goes (with --dense: on "
                        "the dense workload)")
    parser.add_argument("--against", metavar="REV", help="with --dense: only the dense batch, today's beside REV's (g)")
    parser.add_argument("--rounds", type=int, default=3, help="with --against: rounds, alternating (default 3)")
    parser.add_argument("--areas", action="store_true", help="run only (h), ellipsoidal areas in blocks and in one")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # one dense batch, for --against
    arguments = parser.parse_args()
    count = arguments.count
    if arguments.dense and arguments.json:
        dense_once(count)
        return
    if arguments.dense and arguments.against:
        dense_against(count, arguments.against, arguments.rounds)
        return
    if arguments.areas:
        areas(count)
        return
    if arguments.steps:
        steps(count, arguments.dense)
        return
    if arguments.maps:
        maps(count)
        return
    if arguments.dense:
        dense(count, arguments.postgis)
        return
    with tempfile.TemporaryDirectory() as folder:
        path, small_path = write_applications(count, Path(folder)), write_applications(count // 10, Path(folder))
        describe_batch("(a) region layer only (nothing to intersect): redline batch", count,
                       batch_median(path, region_only(Path(folder))))
        searching, not_searching = batch_pair(path, DEFAULT_MANIFEST)
        large = describe_batch("(a) every Tianjin layer: redline batch", count, searching)
        without = describe_batch("    the same with the nearest-feature search off (search_m=0)", count, not_searching)
        print(f"    the nearest-feature search costs {large / without:.2f}x the batch without it (target ≤ 1.25)")
        small = describe_batch("    the same", count // 10, batch_median(small_path, DEFAULT_MANIFEST, 1))
        print(f"    {count:,} take {large / small:.1f}x the time of {count // 10:,}")
        script = overlay_script(path, load_layers(DEFAULT_MANIFEST))
        print(f"    a geopandas.overlay script over every polygon layer (as drawn), the same {count:,} applications: "
              f"{script:.1f} s; redline batch end to end is {script / large:.1f}x faster")
    layers = load_layers(DEFAULT_MANIFEST)
    applications = subset_applications(SUBSET)
    measured = per_layer(layers, applications)
    if arguments.postgis:
        with postgis_server(arguments.postgis) as database:
            postgis(database, layers, densified(applications), measured)
    else:
        print("(c) PostGIS: skipped (no --postgis URL|start)")


if __name__ == "__main__":
    main()
