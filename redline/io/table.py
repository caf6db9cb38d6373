"""CSV boundaries: a WKT column, or rows of vertices (id, ring, x, y). CSV carries no CRS: pass --crs.

x is the easting or longitude, y the northing or latitude. Ring 1 of an id is its outer ring; other
rings are holes. Refused, naming the line: non-numeric or NaN coordinates, WKT that does not parse,
rings with fewer than 3 distinct points, a table with neither a WKT column nor x/y columns.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import geopandas as gpd
import shapely

from redline.errors import FormatError, GeometryError, InputError
from redline.io.encoding import decode_text

WKT_COLUMNS = ("wkt", "geometry", "geom", "the_geom")
X_COLUMNS = ("x", "lon", "lng", "longitude", "easting", "经度")
Y_COLUMNS = ("y", "lat", "latitude", "northing", "纬度")
ID_COLUMNS = ("id", "parcel", "地块号", "地块")
RING_COLUMNS = ("ring", "圈号", "part")


def read_csv(path: Path, *, encoding: str | None = None) -> gpd.GeoDataFrame:
    """Parcels of a CSV file as a GeoDataFrame without CRS (the caller states it)."""
    try:
        return _read_csv(path, encoding)
    except csv.Error as error:  # e.g. a field over csv.field_size_limit(), a NUL byte
        raise FormatError(f"{path}: 无法读取的 CSV / not a readable CSV ({error}); export it again") from None


def _read_csv(path: Path, encoding: str | None) -> gpd.GeoDataFrame:
    text = decode_text(path, encoding)
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise InputError(f"{path}: no header row; the first row must name the columns")
    columns = {name.strip().lower(): name for name in reader.fieldnames if name}
    wkt = _pick(columns, WKT_COLUMNS)
    if wkt:
        rows = []
        for number, row in enumerate(reader, 2):
            try:
                geometry = shapely.from_wkt(row[wkt])
            except shapely.errors.GEOSException as error:
                raise GeometryError(f"{path} line {number}: the {wkt} column is not WKT ({error})") from None
            rows.append({**{k: v for k, v in row.items() if k != wkt}, "geometry": geometry})
        return gpd.GeoDataFrame(rows, geometry="geometry")
    x, y = _pick(columns, X_COLUMNS), _pick(columns, Y_COLUMNS)
    if not (x and y):
        raise InputError(f"{path}: needs a WKT column ({', '.join(WKT_COLUMNS)}) or x and y columns; "
                         f"found {', '.join(reader.fieldnames)}")
    ident, ring = _pick(columns, ID_COLUMNS), _pick(columns, RING_COLUMNS)
    parcels: dict[str, dict[str, list]] = {}
    for number, row in enumerate(reader, 2):
        try:
            point = float(row[x]), float(row[y])
        except (TypeError, ValueError):
            raise GeometryError(f"{path} line {number}: x={row[x]!r}, y={row[y]!r} are not numbers; fix the row") from None
        if not all(map(math.isfinite, point)):
            raise GeometryError(f"{path} line {number}: coordinates are NaN or infinite; fix the row")
        key = row[ident] if ident else "1"
        parcels.setdefault(key, {}).setdefault(row[ring] if ring else "1", []).append(point)
    rows = []
    for key, rings in parcels.items():
        ordered = [rings[k] for k in sorted(rings, key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0, k))]
        for points in ordered:
            if len(set(points)) < 3:
                raise GeometryError(f"{path}: parcel {key} has a ring of {len(set(points))} distinct points; "
                                    "a ring needs at least 3")
        rows.append({"id": key, "geometry": shapely.Polygon(ordered[0], ordered[1:])})
    return gpd.GeoDataFrame(rows, geometry="geometry")


def _pick(columns: dict[str, str], candidates) -> str | None:
    return next((columns[c] for c in candidates if c in columns), None)
