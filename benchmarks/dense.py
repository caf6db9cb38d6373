"""A synthetic protected layer the size of an official red line, and applications against it (seeded, cached).

The layer: ``FEATURES`` disjoint polygons with ``VERTICES`` vertices in all, areas log-uniform between 0.08 and
282 km², ``HOLES`` of them with a hole; smooth wavy outlines (a sum of low harmonics), one per cell of a grid of
0.26° cells (so no two touch) south-west of Tianjin, in CGCS2000 lon/lat. The applications: star-shaped polygons of
0.5 ha–5 km² with 5–300 vertices (``benchmarks.applications``' shapes), ``INTRUDING`` of them centred on a point
of the layer's boundary (so they cross it), the rest anywhere in the grid's box. Both are written once to
``~/.cache/redline-bench`` (``REDLINE_BENCH_CACHE``) with a manifest of two layers: the grid's box as the region,
and the dense layer as the ecological red line.

Run ``python -m benchmarks.dense N`` to make (or find) them and print where they are.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from benchmarks.applications import star_polygons

FEATURES, VERTICES, HOLES = 200, 2_600_000, 28
AREA_KM2 = (0.08, 282.0)
CELL_DEG, COLUMNS, ORIGIN = 0.26, 10, (114.4, 36.2)
INTRUDING = 0.15
SEED = 2024


def cache_dir() -> Path:
    folder = Path(os.environ.get("REDLINE_BENCH_CACHE") or Path.home() / ".cache" / "redline-bench")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _outline(rng, lon: float, lat: float, area_km2: float, vertices: int) -> np.ndarray:
    """A closed wavy ring of ``vertices`` points around (lon, lat) enclosing about ``area_km2``."""
    theta = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    wave = sum(rng.uniform(-0.04, 0.04) * np.sin(k * theta + rng.uniform(0, 2 * np.pi)) for k in range(2, 9))
    radius_m = np.sqrt(area_km2 * 1e6 / np.pi) * (1 + wave)
    x = lon + radius_m * np.cos(theta) / (111_320 * np.cos(np.radians(lat)))
    y = lat + radius_m * np.sin(theta) / 110_950
    return np.column_stack([x, y])


def make_layer() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(SEED)
    areas = np.exp(rng.uniform(*np.log(AREA_KM2), FEATURES))
    areas[:2] = AREA_KM2  # the extremes are in
    weights = np.sqrt(areas)  # vertices grow with the perimeter
    counts = np.maximum((weights / weights.sum() * VERTICES).astype(int), 64)
    holes = set(rng.choice(FEATURES, HOLES, replace=False).tolist())
    polygons = []
    for number, (area, count) in enumerate(zip(areas, counts)):
        column, row = number % COLUMNS, number // COLUMNS
        lon, lat = ORIGIN[0] + (column + 0.5) * CELL_DEG, ORIGIN[1] + (row + 0.5) * CELL_DEG
        shell = _outline(rng, lon, lat, area, int(count))
        inner = [_outline(rng, lon, lat, area * 0.05, 256)[::-1]] if number in holes else []
        polygons.append(shapely.Polygon(shell, inner))
    return gpd.GeoDataFrame({"name": [f"红线{n:03d}" for n in range(FEATURES)]}, geometry=polygons, crs="EPSG:4490")


def region_box() -> shapely.Polygon:
    rows = -(-FEATURES // COLUMNS)
    return shapely.box(ORIGIN[0], ORIGIN[1], ORIGIN[0] + COLUMNS * CELL_DEG, ORIGIN[1] + rows * CELL_DEG)


def make_applications(count: int, layer: gpd.GeoDataFrame, *, seed: int = SEED) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    west, south, east, north = region_box().bounds
    centres = rng.uniform((west, south), (east, north), size=(count, 2))
    crossing = rng.random(count) < INTRUDING
    rings = shapely.get_coordinates(layer.geometry.exterior.values)
    centres[crossing] = rings[rng.integers(0, len(rings), crossing.sum())]
    polygons = star_polygons(rng, centres)
    ids = [f"D{number:06d}" for number in range(count)]
    return gpd.GeoDataFrame({"id": ids}, geometry=polygons, crs="EPSG:4490")


def workload(count: int) -> tuple[Path, Path]:
    """(manifest, applications GeoParquet) of the dense workload with ``count`` applications, made once."""
    folder = cache_dir() / f"dense-{FEATURES}-{VERTICES}-{SEED}"
    folder.mkdir(exist_ok=True)
    layer_path, region_path = folder / "dense_redline.gpkg", folder / "region.gpkg"
    if not layer_path.exists():
        make_layer().to_file(layer_path, layer="dense_redline", driver="GPKG")
        gpd.GeoDataFrame({"name": ["benchmark region"]}, geometry=[region_box()], crs="EPSG:4490").to_file(
            region_path, layer="region", driver="GPKG")
    manifest = folder / "layers.toml"
    if not manifest.exists():
        entries = []
        for layer_id, path, rule, title in (("region", region_path, "region", "benchmark region"),
                                            ("dense_redline", layer_path, "redline", "dense synthetic red line")):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            entries.append(f'[layers.{layer_id}]\ntitle_zh = "{title}"\ntitle_en = "{title}"\nfile = "{path.name}"\n'
                           f'table = "{layer_id}"\nkind = "polygon"\nrule = "{rule}"\nname_field = "name"\n'
                           f'vintage = "synthetic"\nsha256 = "{digest}"\n')
        head = ('[manifest]\nname = "dense-benchmark"\nregion_layer = "region"\n'
                'disclaimer = "Synthetic benchmark layer, not a real red line. 合成数据，仅用于性能测试。"\n\n')
        manifest.write_text(head + "\n".join(entries), encoding="utf-8")
    applications = folder / f"applications-{count}.parquet"
    if not applications.exists():
        make_applications(count, gpd.read_file(layer_path)).to_parquet(applications)
    return manifest, applications


if __name__ == "__main__":
    manifest, applications = workload(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
    layer = gpd.read_file(manifest.parent / "dense_redline.gpkg")
    print(f"{manifest}\n{applications}\n{len(layer)} polygons, {shapely.get_num_coordinates(layer.geometry.values).sum():,} "
          f"vertices, {sum(len(p.interiors) > 0 for p in layer.geometry)} with holes")
