"""CSV boundaries: a WKT column, or rows of vertices (parcel, ring, coordinates). CSV carries no CRS: pass crs=….

Coordinate columns: 经度/纬度 (lon/lat) and east/north names (东坐标/北坐标, 横坐标/纵坐标, easting/northing) say
their axis. X/Y follow the Chinese survey convention more often than not (X the northing, Y the easting):
the order is taken from the values' magnitudes, and a northing-first table is read with a correction.
Point labels (点号, 编号, 序号) only name vertices; a parcel column (地块号, 分组, 组号, 宗地号, …) groups the
vertices of several parcels. Longitude/latitude may be written as DMS text; plain numbers that could be packed
ddd.mmss are refused unless the caller says which (``redline.io.degrees``). Ring 1 of a parcel is an outer ring; further rings are
holes or parts by containment (``redline.io.features.assemble_rings``). Refused, naming the line:
non-numeric or NaN coordinates, WKT that does not parse, rings with fewer than 3 distinct points, a
table with neither a WKT column nor coordinate columns.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from redline.crs import is_northing_first
from redline.errors import FormatError, GeometryError, InputError, correct
from redline.io.degrees import parse_degrees, read_degrees
from redline.io.encoding import decode_text
from redline.io.features import assemble_rings

WKT_COLUMNS = ("wkt", "geometry", "geom", "the_geom")
EAST_COLUMNS = ("lon", "lng", "longitude", "经度", "easting", "east", "东坐标", "横坐标", "y(东)", "y坐标(东)")
NORTH_COLUMNS = ("lat", "latitude", "纬度", "northing", "north", "北坐标", "纵坐标", "x(北)", "x坐标(北)")
X_COLUMNS = ("x", "x坐标", "坐标x", "x值")
Y_COLUMNS = ("y", "y坐标", "坐标y", "y值")
ID_COLUMNS = ("id", "parcel", "地块号", "地块", "地块编号", "分组", "组号", "宗地号", "宗地编号", "宗地代码")
RING_COLUMNS = ("ring", "圈号", "part")



def read_csv(path: Path, *, encoding: str | None = None, degrees: str | None = None) -> gpd.GeoDataFrame:
    """Parcels of a CSV file as a GeoDataFrame without CRS (the caller states it).

    Longitude/latitude may be DMS text; plain numbers that could be packed ddd.mmss are read as ``degrees`` says
    (``redline.io.degrees.read_degrees``).
    """
    try:
        rows = list(csv.reader(io.StringIO(decode_text(path, encoding))))
    except csv.Error as error:  # e.g. a field over csv.field_size_limit(), a NUL byte
        raise FormatError(f"{path}: 无法读取的 CSV / not a readable CSV ({error}); export it again") from None
    return read_rows(rows, path, degrees=degrees)


HEADER_SEARCH_ROWS = 30
"""Rows searched for the header: a 界址点坐标成果表 puts its title, project and unit rows above it."""


def read_rows(rows: list[list], path: Path, *, degrees: str | None = None) -> gpd.GeoDataFrame:
    """Parcels of a table given as rows of cells (a CSV, or a spreadsheet's sheet), numbered from 1 in messages.

    The header is the first row naming a WKT column or a pair of coordinate columns; rows above it (titles) are
    skipped. Rows with both coordinate cells blank (边长 rows between points, notes, a 合计 row) are skipped; a
    blank parcel or ring cell takes the one above it (a merged cell).
    """
    rows = [["" if cell is None else str(cell).strip() for cell in row] for row in rows]
    if not any(any(row) for row in rows):
        raise InputError(f"{path}: 缺表头 / no header row; the first row must name the columns")
    start = next((number for number, row in enumerate(rows[:HEADER_SEARCH_ROWS]) if _is_header(row)), None)
    if start is None:
        found = next(row for row in rows if any(row))
        raise InputError(f"{path}: 须有 WKT 列或坐标列 / needs a WKT column ({', '.join(WKT_COLUMNS)}) or coordinate columns "
                         f"(x/y, 经度/纬度, 东坐标/北坐标, 横坐标/纵坐标); found {', '.join(c[:40] for c in found[:20])}")
    header = rows[start]
    body = [(number, row + [""] * (len(header) - len(row))) for number, row in enumerate(rows[start + 1:], start + 2)]
    axes = {_axis(name): index for index, name in reversed(list(enumerate(header))) if _axis(name)}
    if "wkt" in axes:
        return _wkt_rows(header, body, axes["wkt"], path)
    east, north = axes.get("east"), axes.get("north")
    x, y = axes.get("x"), axes.get("y")
    named = east is not None and north is not None
    first, second = (east, north) if named else (x, y)
    ident, ring = axes.get("parcel"), axes.get("ring")
    points, written_dms, key, part = [], False, "1", "1"
    for number, row in body:
        if not row[first] and not row[second]:
            continue
        try:
            (x_value, x_dms), (y_value, y_dms) = parse_degrees(row[first]), parse_degrees(row[second])
        except (TypeError, ValueError):
            raise GeometryError(f"{path} line {number}: 坐标不是数字 / "
                                f"{header[first]}={row[first][:40]!r}, {header[second]}={row[second][:40]!r} are not "
                                "numbers; fix the row") from None
        point = x_value, y_value
        if not all(map(math.isfinite, point)):
            raise GeometryError(f"{path} line {number}: 坐标为非数或无穷 / coordinates are NaN or infinite; fix the row")
        written_dms = written_dms or x_dms or y_dms
        key = (row[ident] or key) if ident is not None else "1"
        part = (row[ring] or part) if ring is not None else "1"
        points.append((key, part, point))
    coordinates = np.array([point for *_, point in points], dtype=float).reshape(-1, 2)
    if not written_dms and len(coordinates) and (np.abs(coordinates) <= 180).all():
        lon, lat = read_degrees(coordinates[:, 0], coordinates[:, 1], degrees=degrees, where=str(path))
        points = [(key, part, (a, b)) for (key, part, _), a, b in zip(points, lon.tolist(), lat.tolist())]
    if not named and is_northing_first([p[0] for *_, p in points], [p[1] for *_, p in points]):
        correct("axes_swapped", str(path), f"{header[x]} 列为北坐标、{header[y]} 列为东坐标（测量习惯），已按此读取",
                f"column {header[x]} holds northings and {header[y]} eastings (the survey convention); read so")
        points = [(key, part, (point[1], point[0])) for key, part, point in points]
    return _parcels(points, path)


def _wkt_rows(header: list[str], body, column: int, path: Path) -> gpd.GeoDataFrame:
    frame_rows = []
    for number, row in body:
        if not row[column]:
            continue
        try:
            geometry = shapely.from_wkt(row[column])
        except shapely.errors.GEOSException as error:
            raise GeometryError(f"{path} line {number}: WKT 无法解析 / the {header[column]} column is not WKT "
                                f"({str(error)[:200]})") from None
        frame_rows.append({**{name: value for name, value in zip(header, row) if name and name != header[column]},
                           "geometry": geometry})
    if not frame_rows:
        raise GeometryError(f"{path}: 表头下无几何 / no WKT rows under the header; the table holds no boundary")
    return gpd.GeoDataFrame(frame_rows, geometry="geometry")


def _parcels(points: list, path: Path) -> gpd.GeoDataFrame:
    """One (multi)polygon per parcel key from (parcel, ring, point) in order."""
    if not points:
        raise GeometryError(f"{path}: 表头下无坐标行 / no coordinate rows under the header; the table holds no boundary")
    parcels: dict[str, dict[str, list]] = {}
    for key, part, point in points:
        parcels.setdefault(key, {}).setdefault(part, []).append(point)
    frame_rows = []
    for key, rings in parcels.items():
        numbered = sorted(rings, key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0, k))
        for number in numbered:
            if len(set(rings[number])) < 3:
                raise GeometryError(f"{path}: 地块 {key} 的圈少于 3 个点 / "
                                    f"parcel {key} has a ring of {len(set(rings[number]))} distinct points; "
                                    "a ring needs at least 3")
        geometry = assemble_rings([(number, rings[number]) for number in numbered], where=str(path), parcel=key)
        frame_rows.append({"id": key, "geometry": geometry})
    return gpd.GeoDataFrame(frame_rows, geometry="geometry")


UNIT = re.compile(r"[（(]\s*(m|米|公尺|度|°)\s*[)）]")


def _axis(name: str) -> str | None:
    """What a header cell names: "wkt", "east", "north", "x", "y", "parcel", "ring" or None."""
    name = UNIT.sub("", re.sub(r"\s+", "", str(name).lower()))
    if name in WKT_COLUMNS:
        return "wkt"
    if name in EAST_COLUMNS or "经度" in name or (any(mark in name for mark in ("东", "横")) and "坐标" in name):
        return "east"
    if name in NORTH_COLUMNS or "纬度" in name or (any(mark in name for mark in ("北", "纵")) and "坐标" in name):
        return "north"
    if name in X_COLUMNS:
        return "x"
    if name in Y_COLUMNS:
        return "y"
    if name in ID_COLUMNS:
        return "parcel"
    if name in RING_COLUMNS:
        return "ring"
    return None


def _is_header(row: list[str]) -> bool:
    axes = {_axis(cell) for cell in row}
    return "wkt" in axes or {"east", "north"} <= axes or {"x", "y"} <= axes
