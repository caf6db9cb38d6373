"""Synthetic permit applications across Tianjin, for the batch benchmark and tests (deterministic in ``seed``).

Run ``python -m benchmarks.applications N OUT.parquet`` to write N of them as GeoParquet.

Each application is a star-shaped simple polygon (so always valid) around a random point inside the
shipped Tianjin outline: area log-uniform between 0.5 ha and 5 km², 5 to 300 vertices, radius varying
±20 % around the circle of that area. Being spread over the city, a realistic share touches each layer.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]


def make_applications(count: int, *, seed: int = 2024) -> gpd.GeoDataFrame:
    """``count`` applications with columns id, name and geometry (EPSG:4490)."""
    rng = np.random.default_rng(seed)
    boundary = gpd.read_file(ROOT / "data" / "tianjin" / "boundary.gpkg", layer="boundary")
    outline = boundary[boundary.level == "province"].geometry.iloc[0]
    shapely.prepare(outline)
    west, south, east, north = outline.bounds
    centres = np.empty((0, 2))
    while len(centres) < count:
        xy = rng.uniform((west, south), (east, north), size=(count * 2, 2))
        centres = np.vstack([centres, xy[shapely.contains_xy(outline, xy[:, 0], xy[:, 1])]])
    polygons = star_polygons(rng, centres[:count])
    ids = [f"A{number:06d}" for number in range(count)]
    return gpd.GeoDataFrame({"id": ids, "name": ids}, geometry=polygons, crs="EPSG:4490")


def star_polygons(rng: np.random.Generator, centres: np.ndarray) -> list:
    """A star-shaped polygon around each lon/lat centre: area log-uniform 0.5 ha–5 km², 5–300 vertices, radius
    ±20 % around the circle of that area."""
    count = len(centres)
    areas = np.exp(rng.uniform(np.log(5e3), np.log(5e6), count))
    vertices = rng.integers(5, 301, count)
    polygons = []
    for (lon, lat), area, k in zip(centres, areas, vertices):
        theta = np.sort(rng.uniform(0, 2 * np.pi, k))
        radius = np.sqrt(area / np.pi) * rng.uniform(0.8, 1.2, k)
        x = lon + radius * np.cos(theta) / (111_320 * np.cos(np.radians(lat)))
        y = lat + radius * np.sin(theta) / 110_950
        polygons.append(shapely.Polygon(np.column_stack([x, y])))
    return polygons


if __name__ == "__main__":
    make_applications(int(sys.argv[1])).to_parquet(sys.argv[2])
