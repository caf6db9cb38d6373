"""Whether a footprint can be checked: polygons, not empty, finite, valid (or repaired within ``MAX_REPAIR_CHANGE``),
inside China once in CGCS2000 lon/lat, and inside the region the layers cover. Readers (``redline.io``) call it on
what they read; it reads nothing itself."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely

from redline.errors import Correction, GeometryError, LimitError

if TYPE_CHECKING:  # the readers call this module; it never reads
    from redline.io.features import Features
    from redline.io.project import Project



POLYGONAL = ("Polygon", "MultiPolygon")


MAX_REPAIR_CHANGE = 0.01
"""Largest share by which a repair may change a feature's planar area (its rings' shoelace area): more is a redraw."""


CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)
"""West, south, east, north (degrees) of China with its seas: a boundary elsewhere was read in a wrong CRS."""


def validated(features: Features, path: Path, *, repair: bool, max_vertices: int):
    geometries = shapely.force_2d(features.geometries)
    problems, repairs = [], []
    total = int(shapely.get_num_coordinates(geometries).sum())
    if total > max_vertices:
        raise LimitError(f"{path}: 顶点过多 / {total:,} vertices is over the {max_vertices:,}-vertex limit; "
                         "simplify the boundary or raise the limit")
    for row in np.flatnonzero(~plainly_valid(geometries)):
        geometries[row], problem, note = checked_geometry(geometries[row], label_of(features.attributes, row), repair=repair)
        if problem:
            problems.append(problem)
        if note:
            warnings.warn(Correction(note.code, f"{path} {note.where}", note.zh, note.en), stacklevel=2)
            repairs.append(f"{note.where} {note.en}")
    if problems:
        raise GeometryError(f"{path}: " + "; ".join(problems[:10]) + (" …" if len(problems) > 10 else ""))
    return geometries, repairs


def plainly_valid(geometries) -> np.ndarray:
    """Which geometries pass every check of ``checked_geometry`` (tested for the whole array at once)."""
    polygonal = np.isin(shapely.get_type_id(geometries), [3, 6])  # Polygon, MultiPolygon
    coordinates, owner = shapely.get_coordinates(geometries, return_index=True)
    finite = ~np.isin(np.arange(len(geometries)), owner[~np.isfinite(coordinates).all(axis=1)])
    return polygonal & ~shapely.is_empty(geometries) & finite & shapely.is_valid(geometries)


def checked_geometry(geometry, label: str, *, repair: bool):
    """(geometry, problem or None, the repair's ``Correction`` or None) for one feature."""
    if geometry is None or geometry.is_empty:
        return geometry, f"{label} 无几何 / has no geometry", None
    if geometry.geom_type not in POLYGONAL:
        return geometry, f"{label} 不是面 / is a {geometry.geom_type}; a project boundary must be a polygon", None
    if not np.isfinite(shapely.get_coordinates(geometry)).all():
        return geometry, f"{label} 坐标为非数或无穷 / has NaN or infinite coordinates", None
    if geometry.is_valid:
        return geometry, None, None
    reason = shapely.is_valid_reason(geometry)
    if not repair:
        return geometry, f"{label} 几何无效 / is invalid ({reason}); fix it or pass repair=True", None
    fixed = shapely.union_all([p for p in shapely.get_parts(shapely.make_valid(geometry)) if p.geom_type in POLYGONAL])
    change = f"{geometry.area:.6g} → {fixed.area:.6g}"
    if abs(fixed.area - geometry.area) > MAX_REPAIR_CHANGE * max(geometry.area, 0.0):
        return geometry, (f"{label} 修复将改变面积超过 {MAX_REPAIR_CHANGE:.0%}，不予修复 / is invalid ({reason}) and "
                          "repairing it "
                          f"would change its planar area from {geometry.area:.6g} to {fixed.area:.6g} CRS units², more "
                          f"than {MAX_REPAIR_CHANGE:.0%}: a repair fixes slivers and bow-ties, it does not redraw a parcel. "
                          "Check how the file groups its vertices into parcels and rings (e.g. a 地块号/分组 column) "
                          "and draw the boundary again"), None
    return fixed, None, Correction("repaired", label, f"几何无效（{reason}），已修复：平面面积 {change}（坐标单位²）",
                                   f"repaired ({reason}): planar area {change} CRS units²")


def in_china(geometries: np.ndarray) -> np.ndarray:
    """Which geometries (CGCS2000 lon/lat; None allowed) have finite bounds inside ``CHINA_BOUNDS``."""
    west, south, east, north = CHINA_BOUNDS
    bounds = shapely.bounds(geometries)
    with np.errstate(invalid="ignore"):
        return (np.isfinite(bounds).all(axis=1) & (bounds[:, 0] >= west) & (bounds[:, 1] >= south)
                & (bounds[:, 2] <= east) & (bounds[:, 3] <= north))


def label_of(attributes: dict[str, np.ndarray], row: int) -> str:
    for column in ("name", "NAME", "id", "ID"):
        if column in attributes:
            return f"feature {row} ({column}={attributes[column][row]!s})"
    return f"feature {row}"


def ensure_in_region(project: Project, bounds, *, margin_deg: float = 0.5) -> None:
    """Refuse a project outside the layers' extent (degrees) plus ``margin_deg``."""
    west, south, east, north = bounds
    px0, py0, px1, py1 = project.geometry.bounds
    inside = west - margin_deg <= px0 and px1 <= east + margin_deg and south - margin_deg <= py0 and py1 <= north + margin_deg
    if inside:
        return
    where = f"lon {px0:.4f}…{px1:.4f}, lat {py0:.4f}…{py1:.4f}"
    raise GeometryError(f"{project.path}: 边界在图层范围以外 / the boundary ({where}) lies outside the region the layers cover "
                        f"(lon {west:.2f}…{east:.2f}, lat {south:.2f}…{north:.2f}); check its CRS (crs=…)")
