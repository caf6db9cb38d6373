"""The land-submission coordinate TXT of 建设用地报批 (国土资源部 坐标交换格式, 部标 / 报省部标).

Layout::

    [属性描述]
    坐标系=2000国家大地坐标系
    几度分带=3
    带号=39
    ...
    [地块坐标]
    5,1.5013,1,地块1,面,J50G094056,工业,,@     (point count, area ha, id, name, kind, sheet, use, class, @)
    J1,1,4331234.123,39512345.678              (point, ring 圈号, X = northing, Y = easting)
    ...

Rings are closed by repeating their first point; ring 1 is the outer ring, others are holes. What can
be read is read with a warning naming the line (keys spelled differently, an empty 带号 that the
easting's zone prefix gives, stray spaces, a ring left open, X and Y given in the wrong order, a
declared point count or area that does not match the rows); what cannot be known is refused: the
datum is never assumed.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import shapely
from pyproj import CRS

from redline.crs import gauss_kruger_crs
from redline.errors import CRSError, GeometryError, InputError, RedlineWarning
from redline.io.encoding import decode_text

DATUMS = {
    "CGCS2000": ("2000", "cgcs2000", "cgcs"),
    "Xian 1980": ("西安80", "80西安", "西安1980", "1980西安", "xian80", "xian 1980", "xian1980"),
    "Beijing 1954": ("北京54", "54北京", "北京1954", "1954北京", "beijing54", "beijing 1954", "beijing1954"),
}
KEY_ALIASES = {
    "坐标系": "datum", "坐标系统": "datum", "大地坐标系": "datum",
    "几度分带": "width", "分带": "width", "分带方式": "width", "投影分带": "width",
    "带号": "zone", "投影带号": "zone",
    "计量单位": "unit", "投影类型": "projection",
}


@dataclass
class Parcel:
    """One [地块坐标] parcel: its header fields and its rings of (x_east, y_north), by 圈号."""

    line: int
    count: int | None
    area_ha: float | None
    ident: str
    name: str
    rings: dict[int, list[tuple[float, float]]] = field(default_factory=dict)


def read_txt(path: Path, *, encoding: str | None = None, crs=None) -> gpd.GeoDataFrame:
    """Read a land-submission TXT into a GeoDataFrame (one row per parcel) in its Gauss-Krüger CRS."""
    lines = decode_text(path, encoding).splitlines()
    header, parcels = _parse(path, lines)
    if not parcels:
        raise GeometryError(f"{path}: no parcels under [地块坐标]; the file holds no boundary")
    _fix_axis_order(path, parcels)
    target = CRS.from_user_input(crs) if crs is not None else _crs_from_header(path, header, parcels)
    rows = []
    for parcel in parcels:
        polygon = _polygon(path, parcel)
        _check_declared(path, parcel, polygon, target)
        rows.append({"id": parcel.ident, "name": parcel.name, "declared_area_ha": parcel.area_ha, "geometry": polygon})
    return gpd.GeoDataFrame(rows, crs=target)


def _warn(message: str) -> None:
    warnings.warn(message, RedlineWarning, stacklevel=4)


def _parse(path: Path, lines: list[str]):
    header, parcels, section = {}, [], None
    for number, raw in enumerate(lines, 1):
        line = raw.strip().replace("，", ",").replace("＝", "=")
        if not line:
            continue
        if line.startswith("["):
            section = line.strip("[] ")
            continue
        if section == "属性描述" and "=" in line:
            key, _, value = line.partition("=")
            key = key.strip()
            canonical = KEY_ALIASES.get(key)
            if canonical is None and key not in ("格式版本号", "数据产生单位", "数据产生日期", "精度", "转换参数"):
                _warn(f"{path} line {number}: unknown key {key!r} ignored")
            header[canonical or key] = (value.strip(), number)
        elif section == "地块坐标":
            fields = [f.strip() for f in line.split(",")]
            if fields[-1] == "@":
                parcels.append(_parcel_header(path, number, fields))
            elif not parcels:
                raise GeometryError(f"{path} line {number}: a coordinate row before any parcel header (…,@)")
            else:
                ring, x_north, y_east = _row(path, number, fields)
                parcels[-1].rings.setdefault(ring, []).append((y_east, x_north, number))
        elif section is None:
            raise InputError(f"{path} line {number}: expected [属性描述] or [地块坐标]; "
                             "this is not a land-submission coordinate file")
    return header, parcels


def _parcel_header(path, number, fields) -> Parcel:
    def number_or_none(text, kind):
        try:
            return kind(text) if text else None
        except ValueError:
            _warn(f"{path} line {number}: {text!r} is not a number; declared value ignored")
            return None

    count = number_or_none(fields[0], int) if len(fields) > 0 else None
    area = number_or_none(fields[1], float) if len(fields) > 1 else None
    ident = fields[2] if len(fields) > 2 and fields[2] else str(number)
    name = fields[3] if len(fields) > 3 else ""
    kind = fields[4] if len(fields) > 4 else "面"
    if kind and kind not in ("面", "polygon", "Polygon"):
        raise GeometryError(f"{path} line {number}: parcel {ident} is a {kind!r}; a project boundary must be a 面 (polygon)")
    return Parcel(number, count, area, ident, name)


def _row(path, number, fields):
    """(圈号, X, Y) of a coordinate row: 'J1,1,X,Y' (部标) or 'seq,J1,1,X,Y' (报省部标 with a serial number)."""
    try:
        x_north, y_east = float(fields[-2]), float(fields[-1])
        ring = int(fields[-3])
    except (ValueError, IndexError):
        raise GeometryError(f"{path} line {number}: {','.join(fields)!r} is not a coordinate row "
                            "(point,圈号,X,Y); fix the row") from None
    if not (math.isfinite(x_north) and math.isfinite(y_east)):
        raise GeometryError(f"{path} line {number}: coordinates are not finite numbers")
    return ring, x_north, y_east


def _fix_axis_order(path, parcels) -> None:
    """X is the northing (~4.3e6 in Tianjin), Y the easting (with or without zone prefix): fix a swap."""
    for parcel in parcels:
        for ring, points in parcel.rings.items():
            swapped = [p for p in points if _looks_swapped(p[0], p[1])]
            if swapped and len(swapped) == len(points):
                _warn(f"{path} line {points[0][2]}: X and Y look swapped in parcel {parcel.ident} ring {ring} "
                      "(X must be the northing); read them the other way round")
                parcel.rings[ring] = [(north, east, line) for east, north, line in points]


def _looks_swapped(east: float, north: float) -> bool:
    """An 'easting' of northing size with a 'northing' carrying a zone prefix or an easting's size."""
    northing_like = 1e6 <= east < 1e7
    return northing_like and (north >= 1e7 or north < 1e6)


def _crs_from_header(path, header, parcels) -> CRS:
    datum_text, datum_line = header.get("datum", ("", None))
    datum = next((name for name, keys in DATUMS.items() if any(k in datum_text.lower() for k in keys)), None)
    if datum is None:
        where = f"line {datum_line}: 坐标系={datum_text!r}" if datum_line else "no 坐标系 in [属性描述]"
        raise CRSError(f"{path}: {where}; the datum cannot be determined (CGCS2000, Xian 1980 or Beijing 1954). "
                       "Add 坐标系=2000国家大地坐标系 (or the right one) or pass --crs")
    width_text, width_line = header.get("width", ("", None))
    width_digits = re.findall(r"\d+", width_text)
    width = int(width_digits[0]) if width_digits else None
    eastings = [p[0] for parcel in parcels for points in parcel.rings.values() for p in points]
    prefixes = {int(e // 1e6) for e in eastings if e >= 1e6}
    if len(prefixes) > 1:
        raise CRSError(f"{path}: eastings carry different zone prefixes {sorted(prefixes)}; one file, one zone")
    prefix = prefixes.pop() if prefixes else None
    zone_text, zone_line = header.get("zone", ("", None))
    zone = int(re.findall(r"\d+", zone_text)[0]) if re.findall(r"\d+", zone_text) else None
    if zone is None and prefix is not None:
        _warn(f"{path}: 带号 is empty; zone {prefix} taken from the eastings' prefix")
        zone = prefix
    if zone is not None and prefix is not None and zone != prefix:
        raise CRSError(f"{path} line {zone_line}: 带号={zone} but the eastings carry zone prefix {prefix}; fix one of them")
    if zone is None:
        raise CRSError(f"{path}: no 带号 and no zone prefix in the eastings: the zone cannot be determined; "
                       "add 带号 or pass --crs")
    if width is None:
        width = 3 if zone >= 24 else 6
        _warn(f"{path}: 几度分带 missing; {width}-degree zones inferred from zone number {zone}")
    if width not in (3, 6):
        raise CRSError(f"{path} line {width_line}: 几度分带={width_text!r}; expected 3 or 6")
    crs = gauss_kruger_crs(datum, width, zone, prefixed=prefix is not None)
    if crs is None:
        raise CRSError(f"{path}: no EPSG CRS for {datum}, {width}-degree zone {zone}; pass --crs")
    return crs


def _polygon(path, parcel: Parcel):
    rings = []
    for number in sorted(parcel.rings):
        points = parcel.rings[number]
        coords = [(x, y) for x, y, _ in points]
        if coords[0] != coords[-1]:
            _warn(f"{path} line {points[-1][2]}: parcel {parcel.ident} ring {number} is not closed by repeating "
                  "its first point; closed it")
            coords.append(coords[0])
        if len(coords) < 4:
            raise GeometryError(f"{path} line {points[0][2]}: parcel {parcel.ident} ring {number} has "
                                f"{len(coords) - 1} distinct points; a ring needs at least 3")
        rings.append(coords)
    return shapely.Polygon(rings[0], rings[1:])


def _check_declared(path, parcel: Parcel, polygon, crs: CRS) -> None:
    rows = sum(len(points) for points in parcel.rings.values())
    if parcel.count is not None and parcel.count != rows:
        _warn(f"{path} line {parcel.line}: parcel {parcel.ident} declares {parcel.count} points but has {rows} rows")
    if parcel.area_ha and crs.is_projected and polygon.is_valid:
        measured = polygon.area / 10_000
        if abs(measured - parcel.area_ha) > max(0.01 * parcel.area_ha, 0.0001):
            _warn(f"{path} line {parcel.line}: parcel {parcel.ident} declares {parcel.area_ha} ha but its rings "
                  f"enclose {measured:.4f} ha (planar, Gauss-Krüger)")


def write_txt(frame: gpd.GeoDataFrame, path: Path, *, producer: str = "redline") -> str:
    """The TXT text of ``frame`` (polygons in a CGCS2000 / Xian 1980 / Beijing 1954 Gauss-Krüger CRS)."""
    crs = CRS.from_user_input(frame.crs)
    match = re.match(r"(CGCS2000|Xian 1980|Beijing 1954) / (3-degree )?Gauss-Kruger (zone (\d+)|CM (\d+)E)", crs.name)
    if not match:
        raise CRSError(f"{path}: the TXT needs a Gauss-Krüger CRS (e.g. EPSG:4527), not {crs.name}; pass --to-crs")
    datum, width = match.group(1), 3 if match.group(2) else 6
    zone = int(match.group(4)) if match.group(4) else (int(match.group(5)) + (0 if width == 3 else 3)) // width
    datum_text = {"CGCS2000": "2000国家大地坐标系", "Xian 1980": "80西安坐标系", "Beijing 1954": "54北京坐标系"}[datum]
    lines = ["[属性描述]", "格式版本号=1.01版本", f"数据产生单位={producer}", f"坐标系={datum_text}", f"几度分带={width}",
             "投影类型=高斯克吕格", "计量单位=米", f"带号={zone}", "精度=0.0001", "转换参数=,,,,,,", "[地块坐标]"]
    number = 0
    for row, geometry in enumerate(frame.geometry, 1):
        for polygon in shapely.get_parts(shapely.orient_polygons(geometry, exterior_cw=True)):
            rings = [polygon.exterior, *polygon.interiors]
            count = sum(len(ring.coords) for ring in rings)
            name = str(frame["name"].iloc[row - 1]) if "name" in frame.columns else ""
            lines.append(f"{count},{polygon.area / 10_000:.4f},{row},{name.replace(',', ' ')},面,,,,@")
            for ring_number, ring in enumerate(rings, 1):
                coords = list(ring.coords)
                for index, (east, north) in enumerate(coords):
                    point = index + 1 if index < len(coords) - 1 else 1
                    lines.append(f"J{number + point},{ring_number},{north:.4f},{east:.4f}")
                number += len(coords) - 1
    return "\n".join(lines) + "\n"
