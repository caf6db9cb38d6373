"""CSV boundaries: a WKT column, or rows of vertices (parcel, ring, coordinates). CSV carries no CRS: pass --crs.

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
X_COLUMNS = ("x", "x坐标", "坐标x")
Y_COLUMNS = ("y", "y坐标", "坐标y")
ID_COLUMNS = ("id", "parcel", "地块号", "地块", "地块编号", "分组", "组号", "宗地号", "宗地编号", "宗地代码")
RING_COLUMNS = ("ring", "圈号", "part")



def read_csv(path: Path, *, encoding: str | None = None, degrees: str | None = None) -> gpd.GeoDataFrame:
    """Parcels of a CSV file as a GeoDataFrame without CRS (the caller states it).

    Longitude/latitude may be DMS text; plain numbers that could be packed ddd.mmss are read as ``degrees`` says
    (``redline.io.degrees.read_degrees``).
    """
    try:
        return _read_csv(path, encoding, degrees)
    except csv.Error as error:  # e.g. a field over csv.field_size_limit(), a NUL byte
        raise FormatError(f"{path}: 无法读取的 CSV / not a readable CSV ({error}); export it again") from None


def _read_csv(path: Path, encoding: str | None, degrees: str | None) -> gpd.GeoDataFrame:
    text = decode_text(path, encoding)
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise InputError(f"{path}: 缺表头 / no header row; the first row must name the columns")
    columns = {name.strip().lower(): name for name in reader.fieldnames if name}
    wkt = _pick(columns, WKT_COLUMNS)
    if wkt:
        rows = []
        for number, row in enumerate(reader, 2):
            try:
                geometry = shapely.from_wkt(row[wkt])
            except shapely.errors.GEOSException as error:
                raise GeometryError(f"{path} line {number}: WKT 无法解析 / the {wkt} column is not WKT ({error})") from None
            rows.append({**{k: v for k, v in row.items() if k != wkt}, "geometry": geometry})
        return gpd.GeoDataFrame(rows, geometry="geometry")
    east, north = _pick(columns, EAST_COLUMNS), _pick(columns, NORTH_COLUMNS)
    x, y = _pick(columns, X_COLUMNS), _pick(columns, Y_COLUMNS)
    if not (east and north) and not (x and y):
        raise InputError(f"{path}: 须有 WKT 列或坐标列 / needs a WKT column ({', '.join(WKT_COLUMNS)}) or coordinate columns "
                         f"(x/y, 经度/纬度, 东坐标/北坐标, 横坐标/纵坐标); found {', '.join(reader.fieldnames)}")
    first, second = (east, north) if east and north else (x, y)
    ident, ring = _pick(columns, ID_COLUMNS), _pick(columns, RING_COLUMNS)
    rows, written_dms = [], False
    for number, row in enumerate(reader, 2):
        try:
            (x_value, x_dms), (y_value, y_dms) = parse_degrees(row[first]), parse_degrees(row[second])
        except (TypeError, ValueError):
            raise GeometryError(f"{path} line {number}: 坐标不是数字 / "
                                f"{first}={str(row[first])[:40]!r}, {second}={str(row[second])[:40]!r} are not numbers; "
                                "fix the row") from None
        point = x_value, y_value
        if not all(map(math.isfinite, point)):
            raise GeometryError(f"{path} line {number}: 坐标为非数或无穷 / coordinates are NaN or infinite; fix the row")
        written_dms = written_dms or x_dms or y_dms
        rows.append((row[ident] if ident else "1", row[ring] if ring else "1", point))
    points = np.array([point for *_, point in rows], dtype=float).reshape(-1, 2)
    if not written_dms and len(points) and (np.abs(points) <= 180).all():
        lon, lat = read_degrees(points[:, 0], points[:, 1], degrees=degrees, where=str(path))
        rows = [(key, part, (x, y)) for (key, part, _), x, y in zip(rows, lon.tolist(), lat.tolist())]
    if not (east and north) and is_northing_first([p[0] for *_, p in rows], [p[1] for *_, p in rows]):
        correct("axes_swapped", str(path), f"{x} 列为北坐标、{y} 列为东坐标（测量习惯），已按此读取",
                f"column {x} holds northings and {y} eastings (the survey convention); read so")
        rows = [(key, part, (point[1], point[0])) for key, part, point in rows]
    parcels: dict[str, dict[str, list]] = {}
    for key, part, point in rows:
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


def _pick(columns: dict[str, str], candidates) -> str | None:
    return next((columns[c] for c in candidates if c in columns), None)
