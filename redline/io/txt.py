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

The 报省部标 variant puts a county code and a village name before the id and name
(``11,4.5825,120111104,某某村,D8-003,地块1,面,,,,@``): the fields are found from the 面/线/点 kind token.

Rings are closed by repeating their first point. Ring 1 is an outer ring; a ring of 圈号 ≥ 2 inside an
outer ring of its parcel is a hole, one outside every outer ring is a further part (converters write
multi-part parcels so), decided by containment, never by number; a ring crossing another is refused.
What can be read is read with a correction naming the line (keys spelled differently, a datum spelled
as exporters do, an empty 带号 that the easting's zone prefix gives, stray spaces, a ring left open, X
and Y given in the wrong order, a declared point count or area that does not match the rows); what
cannot be known is refused: the datum is never assumed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import shapely
from pyproj import CRS

from redline.crs import gauss_kruger_crs, is_northing_first, parse_crs
from redline.errors import CRSError, GeometryError, InputError, correct
from redline.io.encoding import decode_text
from redline.io.features import assemble_rings

DATUM_SPELLINGS = {
    "2000国家大地坐标系": "CGCS2000", "国家2000坐标系": "CGCS2000", "国家2000": "CGCS2000", "CGCS2000": "CGCS2000",
    "CGCS2000坐标系": "CGCS2000", "2000坐标系": "CGCS2000", "中国2000国家大地坐标系": "CGCS2000",
    "80西安坐标系": "Xian 1980", "西安80": "Xian 1980", "西安80坐标系": "Xian 1980", "1980西安坐标系": "Xian 1980",
    "西安1980坐标系": "Xian 1980", "80国家大地坐标系": "Xian 1980", "1980国家大地坐标系": "Xian 1980",
    "1980年国家大地坐标系": "Xian 1980", "Xian1980": "Xian 1980", "Xian80": "Xian 1980",
    "54北京坐标系": "Beijing 1954", "北京54": "Beijing 1954", "北京54坐标系": "Beijing 1954",
    "1954北京坐标系": "Beijing 1954", "1954年北京坐标系": "Beijing 1954", "北京1954坐标系": "Beijing 1954",
    "54北京": "Beijing 1954", "Beijing1954": "Beijing 1954", "Beijing54": "Beijing 1954",
}
"""坐标系 values as exporters and municipal templates write them (compared without spaces, brackets, case)."""
DATUM_MARKS = {"CGCS2000": ("2000", "cgcs"), "Xian 1980": ("80", "西安", "xian"), "Beijing 1954": ("54", "北京", "beijing")}
"""Marks of each datum in a spelling the table lacks; taken with a correction when exactly one datum's marks occur."""
OTHER_DATUMS = ("wgs", "新54", "新北京", "地方", "独立", "城建", "local")
"""Marks of datums redline has no EPSG Gauss-Krüger CRS for (WGS 84, New Beijing 1954, local and city grids)."""
KINDS = {"面": "面", "polygon": "面", "线": "线", "line": "线", "点": "点", "point": "点"}
KEY_ALIASES = {
    "坐标系": "datum", "坐标系统": "datum", "大地坐标系": "datum",
    "几度分带": "width", "分带": "width", "分带方式": "width", "投影分带": "width",
    "带号": "zone", "投影带号": "zone", "中央子午线": "meridian", "中央经线": "meridian",
    "计量单位": "unit", "投影类型": "projection",
}


FULL_WIDTH = str.maketrans({"，": ",", "＝": "=", "【": "[", "】": "]", "［": "[", "］": "]", "＠": "@"})
"""Full-width punctuation Chinese input methods type, as the format's ASCII."""
TEMPLATE_FIELDS = ("界址点数", "地块面积", "地块编号", "地块名称")
"""Field names of the template's header line (界址点数,地块面积,地块编号,…,@), left in by some users."""


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
    target = parse_crs(crs) if crs is not None else _crs_from_header(path, header, parcels)
    rows = []
    for parcel in parcels:
        polygon = _polygon(path, parcel)
        _check_declared(path, parcel, polygon, target)
        rows.append({"id": parcel.ident, "name": parcel.name, "declared_area_ha": parcel.area_ha, "geometry": polygon})
    return gpd.GeoDataFrame(rows, crs=target)


def _parse(path: Path, lines: list[str]):
    header, parcels, section = {}, [], None
    for number, raw in enumerate(lines, 1):
        line = raw.strip().translate(FULL_WIDTH).replace("\t", ",")
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
                correct("unknown_key", f"{path} line {number}", f"未知的键 {key!r}，已忽略", f"unknown key {key!r} ignored")
            header[canonical or key] = (value.strip(), number)
        elif section == "地块坐标":
            fields = [f.strip() for f in line.split(",")]
            while len(fields) > 1 and not fields[-1]:  # a trailing comma on every row (some exporters)
                fields.pop()
            if fields[-1] == "@" and any(name in fields[0] for name in TEMPLATE_FIELDS):
                correct("template_line_skipped", f"{path} line {number}", f"模板的字段名行 {line[:60]!r} 不是地块，已跳过",
                        f"the template's field-name line {line[:60]!r} is no parcel; skipped")
                continue
            if fields[-1] == "@":
                parcels.append(_parcel_header(path, number, fields))
            elif not parcels:
                raise GeometryError(f"{path} line {number}: 坐标行前无地块头 / a coordinate row before any parcel header (…,@)")
            else:
                ring, x_north, y_east = _row(path, number, fields)
                parcels[-1].rings.setdefault(ring, []).append((y_east, x_north, number))
        elif section is None:
            raise InputError(f"{path} line {number}: expected [属性描述] or [地块坐标]; "
                             "this is not a land-submission coordinate file")
    return header, parcels


def _parcel_header(path, number, fields) -> Parcel:
    """A parcel header; its id and name are the two fields before the kind token (面/线/点), wherever that is."""
    def number_or_none(text, kind):
        try:
            return kind(text) if text else None
        except ValueError:
            correct("declared_not_number", f"{path} line {number}", f"申报值 {text!r} 不是数字，已忽略",
                    f"{text!r} is not a number; declared value ignored")
            return None

    count = number_or_none(fields[0], int) if len(fields) > 0 else None
    area = _hectares(path, number, fields[1]) if len(fields) > 1 else None
    at = next((index for index, text in enumerate(fields) if index >= 2 and text.lower() in KINDS), None)
    if at is None:
        at = 4
        correct("kind_missing", f"{path} line {number}", "地块头无 面/线/点 图形属性，按部标字段位置读取并作为面",
                "the parcel header has no 面/线/点 kind; fields read at the 部标 positions, taken as a polygon")
    ident = fields[at - 2] if len(fields) > at - 2 and fields[at - 2] else str(number)
    name = fields[at - 1] if len(fields) > at - 1 else ""
    kind = KINDS.get(fields[at].lower(), "面") if len(fields) > at else "面"
    if kind != "面":
        raise GeometryError(f"{path} line {number}: 地块 {ident} 为{kind}，项目边界须为面 / parcel {ident} is a {kind!r}; "
                            "a project boundary must be a 面 (polygon)")
    return Parcel(number, count, area, ident, name)


AREA_UNITS = {"公顷": 1.0, "ha": 1.0, "平方米": 1e-4, "m2": 1e-4, "m²": 1e-4, "㎡": 1e-4, "亩": 1 / 15}
"""Units written after a declared area → hectares per unit (the format wants hectares)."""


def _hectares(path, number, text):
    """The declared area in hectares: a plain number, or a number with its unit (4.5825公顷, 45825平方米)."""
    match = re.fullmatch(r"([-+]?\d+(?:\.\d+)?)\s*(\S*)", text)
    unit = match.group(2).lower() if match else None
    if not text:
        return None
    if match and not unit:
        return float(match.group(1))
    if match and unit in AREA_UNITS:
        correct("area_unit", f"{path} line {number}", f"申报面积 {text!r} 带单位，按 {unit} 换算为公顷",
                f"the declared area {text!r} carries its unit; converted from {unit} to hectares")
        return float(match.group(1)) * AREA_UNITS[unit]
    correct("declared_not_number", f"{path} line {number}", f"申报值 {text[:40]!r} 不是数字，已忽略",
            f"{text[:40]!r} is not a number; declared value ignored")
    return None


def _row(path, number, fields):
    """(圈号, X, Y) of a coordinate row: 'J1,1,X,Y' (部标) or 'seq,J1,1,X,Y' (报省部标 with a serial number)."""
    try:
        x_north, y_east = float(fields[-2]), float(fields[-1])
        ring = int(fields[-3])
    except (ValueError, IndexError):
        raise GeometryError(f"{path} line {number}: 不是坐标行 / {','.join(fields)!r} is not a coordinate row "
                            "(point,圈号,X,Y); fix the row") from None
    if not (math.isfinite(x_north) and math.isfinite(y_east)):
        raise GeometryError(f"{path} line {number}: 坐标不是有限数 / coordinates are not finite numbers")
    return ring, x_north, y_east


def _fix_axis_order(path, parcels) -> None:
    """X is the northing (~4.3e6 in Tianjin), Y the easting (with or without zone prefix): fix a swap."""
    for parcel in parcels:
        for ring, points in parcel.rings.items():
            if is_northing_first([p[0] for p in points], [p[1] for p in points]):
                correct("axes_swapped", f"{path} line {points[0][2]}",
                        f"地块 {parcel.ident} 第 {ring} 圈的 X、Y 顺序颠倒（X 应为北坐标），已对调",
                        f"X and Y look swapped in parcel {parcel.ident} ring {ring} (X must be the northing); "
                        "read them the other way round")
                parcel.rings[ring] = [(north, east, line) for east, north, line in points]


def datum_of(text: str, *, where: str) -> str:
    """The datum (``redline.crs.DATUM_NAMES``) a 坐标系 value names; CRSError when none or several are named."""
    plain = re.sub(r"[\s()（）\[\]【】_\-]", "", text)
    exact = {re.sub(r"[\s_\-]", "", k).lower(): v for k, v in DATUM_SPELLINGS.items()}.get(plain.lower())
    if exact:
        return exact
    lowered = plain.lower()
    marked = sorted({datum for datum, marks in DATUM_MARKS.items() if any(mark in lowered for mark in marks)})
    if len(marked) == 1 and not any(mark in lowered for mark in OTHER_DATUMS):
        correct("datum_spelling", where, f"坐标系 {text!r} 按 {marked[0]} 读取", f"坐标系 {text!r} read as {marked[0]}")
        return marked[0]
    known = "2000国家大地坐标系, 80西安坐标系 (1980国家大地坐标系), 54北京坐标系"
    raise CRSError(f"{where}: 无法确定坐标系 {text!r} / the datum cannot be determined from 坐标系={text!r} "
                   f"({'it names ' + ' and '.join(marked) if len(marked) > 1 else 'no datum redline knows'}); "
                   f"write one of {known}, or pass crs=…")


def _crs_from_header(path, header, parcels) -> CRS:
    datum_text, datum_line = header.get("datum", ("", None))
    if not datum_text:
        raise CRSError(f"{path}: [属性描述] 中无坐标系 / no 坐标系 in [属性描述]; the datum cannot be determined "
                       "(CGCS2000, Xian 1980 or Beijing 1954). Add 坐标系=2000国家大地坐标系 (or the right one) or pass crs=…")
    datum = datum_of(datum_text, where=f"{path} line {datum_line}")
    width_text, width_line = header.get("width", ("", None))
    width_digits = re.findall(r"\d+", width_text)
    width = int(width_digits[0]) if width_digits else None
    eastings = [p[0] for parcel in parcels for points in parcel.rings.values() for p in points]
    prefixes = {int(e // 1e6) for e in eastings if e >= 1e6}
    if len(prefixes) > 1:
        raise CRSError(f"{path}: 横坐标带号前缀不一致 / "
                       f"eastings carry different zone prefixes {sorted(prefixes)}; one file, one zone")
    prefix = prefixes.pop() if prefixes else None
    zone_text, zone_line = header.get("zone", ("", None))
    zone = int(re.findall(r"\d+", zone_text)[0]) if re.findall(r"\d+", zone_text) else None
    meridian_text, meridian_line = header.get("meridian", ("", None))
    if zone is None and re.findall(r"\d+", meridian_text):
        zone, zone_line = int(re.findall(r"\d+", meridian_text)[0]), meridian_line
    if zone is not None and zone > 60 and zone % 3 == 0:  # a central meridian (117), not a zone number (39)
        meridian = zone
        width = width or (6 if prefix is not None and prefix <= 23 else 3)
        zone = meridian // 3 if width == 3 else (meridian + 3) // 6
        correct("central_meridian", f"{path} line {zone_line}", f"带号/中央子午线 {meridian} 是中央子午线经度，按 {width} 度带"
                f"第 {zone} 带（中央子午线 {meridian}°E）读取", f"{meridian} is a central meridian, not a zone number: read as "
                f"{width}-degree zone {zone} (central meridian {meridian}°E)")
    if zone is None and prefix is not None:
        correct("zone_from_prefix", str(path), f"带号为空，按横坐标的带号前缀取 {prefix} 带",
                f"带号 is empty; zone {prefix} taken from the eastings' prefix")
        zone = prefix
    if zone is not None and prefix is not None and zone != prefix:
        raise CRSError(f"{path} line {zone_line}: 带号={zone} but the eastings carry zone prefix {prefix}; fix one of them")
    if zone is None:
        raise CRSError(f"{path}: 无带号且横坐标无带号前缀 / no 带号 and no zone prefix in the eastings: the zone cannot be "
                       "determined; add 带号 or pass crs=…")
    if width is None:
        width = 3 if zone >= 24 else 6
        correct("width_inferred", str(path), f"缺几度分带，按带号 {zone} 推定为 {width} 度带",
                f"几度分带 missing; {width}-degree zones inferred from zone number {zone}")
    if width not in (3, 6):
        raise CRSError(f"{path} line {width_line}: 几度分带={width_text!r}; expected 3 or 6")
    crs = gauss_kruger_crs(datum, width, zone, prefixed=prefix is not None)
    if crs is None:
        raise CRSError(f"{path}: 无对应的 EPSG 坐标系 / no EPSG CRS for {datum}, {width}-degree zone {zone}; pass crs=…")
    return crs


def _polygon(path, parcel: Parcel):
    """The parcel's polygon, or multipolygon when a ring of 圈号 ≥ 2 lies outside every outer ring."""
    rings = [(number, _ring_coords(path, parcel, number)) for number in sorted(parcel.rings)]
    return assemble_rings(rings, where=f"{path} line {parcel.line}", parcel=parcel.ident)


def _ring_coords(path, parcel: Parcel, number: int) -> list:
    points = parcel.rings[number]
    coords = [(x, y) for x, y, _ in points]
    if coords[0] != coords[-1]:
        correct("ring_closed", f"{path} line {points[-1][2]}", f"地块 {parcel.ident} 第 {number} 圈未以首点闭合，已闭合",
                f"parcel {parcel.ident} ring {number} is not closed by repeating its first point; closed it")
        coords.append(coords[0])
    if len(coords) < 4:
        raise GeometryError(f"{path} line {points[0][2]}: 圈少于 3 个点 / parcel {parcel.ident} ring {number} has "
                            f"{len(coords) - 1} distinct points; a ring needs at least 3")
    return coords


def _check_declared(path, parcel: Parcel, polygon, crs: CRS) -> None:
    rows = sum(len(points) for points in parcel.rings.values())
    where = f"{path} line {parcel.line}"
    if parcel.count is not None and parcel.count != rows:
        correct("count_mismatch", where, f"地块 {parcel.ident} 申报 {parcel.count} 个点，实有 {rows} 行",
                f"parcel {parcel.ident} declares {parcel.count} points but has {rows} rows")
    if parcel.area_ha and crs.is_projected and polygon.is_valid:
        measured = polygon.area / 10_000
        if abs(measured - parcel.area_ha) > max(0.01 * parcel.area_ha, 0.0001):
            looks_m2 = abs(parcel.area_ha / 10_000 - measured) <= 0.01 * measured
            correct("area_mismatch", where,
                    f"地块 {parcel.ident} 申报面积 {parcel.area_ha} 公顷，坐标围成 {measured:.4f} 公顷（高斯平面）"
                    + ("；申报值像是以平方米填写（应为公顷）" if looks_m2 else ""),
                    f"parcel {parcel.ident} declares {parcel.area_ha} ha but its rings enclose {measured:.4f} ha "
                    "(planar, Gauss-Krüger)" + ("; the declared value looks like m² (the format wants ha)" if looks_m2 else ""))


def write_txt(frame: gpd.GeoDataFrame, path: Path, *, producer: str = "redline") -> str:
    """The TXT text of ``frame`` (polygons in a CGCS2000 / Xian 1980 / Beijing 1954 Gauss-Krüger CRS)."""
    crs = CRS.from_user_input(frame.crs)
    match = re.match(r"(CGCS2000|Xian 1980|Beijing 1954) / (3-degree )?Gauss-Kruger (zone (\d+)|CM (\d+)E)", crs.name)
    if not match:
        raise CRSError(f"{path}: 报批 TXT 须为高斯-克吕格坐标 / "
                       f"the TXT needs a Gauss-Krüger CRS (e.g. EPSG:4527), not {crs.name}; pass --to-crs")
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
