"""The CRS of what a reader read: declared by the file, given by the user (a label, checked against the coordinates),
or a web map's offset undone (GCJ-02, BD-09, 奥维's OvCoordType); never guessed, a suggestion at most
(``suggest_crs``)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS

from redline.crs import datum_shift, gauss_kruger_crs, parse_crs, to_cgcs2000
from redline.errors import CRSError, GeometryError, correct
from redline.footprint import in_china
from redline.io.features import Features
from redline.io.formats import read_features
from redline.io.kml import DECLARED
from redline.io.webmaps import WEB_MAP_CRS, bd09_to_wgs84, gcj02_to_wgs84


def features_in_crs(path: Path, *, layer, encoding, crs, degrees=None, **limits) -> tuple[Features, str | None]:
    """The file's features with a trustworthy CRS, and the web-map conversion applied (or None)."""
    features = read_features(path, layer=layer, encoding=encoding, crs=crs, degrees=degrees, **limits)
    kinds, conversion = web_map_kinds(features, path, crs)
    if any(kinds):
        features, conversion = from_web_map(features, path, kinds)
    return with_crs(features, path, None if crs in WEB_MAP_CRS or conversion else crs), conversion


OV_COORD_TYPES = {"WGS84": None, "CGCS2000": None, "GCJ02": "gcj02", "BD09": "bd09"}
"""奥维 OvCoordType values (spelled without separators, upper case) → the web-map offset to undo (None: none)."""


def web_map_kinds(features: Features, path: Path, crs) -> tuple[list, str | None]:
    """Per feature, the web-map offset to undo ("gcj02", "bd09" or None; an empty list when there is none to undo
    anywhere): what the file declares (奥维's OvCoordType), else what ``crs`` says; and the label of a declaration that
    needs no conversion.

    A declaration that ``crs`` contradicts is refused naming both; an unknown one lists those known.
    """
    declared = features.attributes.get(DECLARED)
    assumed = crs if crs in WEB_MAP_CRS else None
    if declared is None:
        return ([assumed] * len(features.geometries) if assumed else []), None
    spelled = {value: str(value).upper().replace("-", "").replace("_", "").replace(" ", "") for value in set(declared)
               if value is not None}
    unknown = sorted(str(value) for value, key in spelled.items() if key not in OV_COORD_TYPES)
    if unknown:
        raise CRSError(f"{path}: 未知的坐标类型 OvCoordType={unknown[0][:40]!r} / unknown OvCoordType {unknown[0][:40]!r}; "
                       f"known: WGS84, GCJ02, BD09, CGCS2000. Export it again from 奥维 (Ovital)")
    kinds = [OV_COORD_TYPES[spelled[value]] if value is not None else assumed for value in declared]
    clash = sorted({spelled[value] for value, kind in zip(declared, kinds) if value is not None and kind != assumed})
    if crs is not None and clash:
        raise CRSError(f"{path}: 文件声明的坐标类型 OvCoordType={clash[0]} 与指定的坐标系 {str(crs)[:40]} 矛盾 / the file "
                       f"declares OvCoordType {clash[0]} but the CRS {str(crs)[:40]} was given; leave the CRS out and the "
                       "declaration is used")
    counts = Counter(spelled[value] for value in declared if value is not None)
    if any(kinds):
        for key, count in sorted(counts.items()):
            if OV_COORD_TYPES[key]:
                correct("ov_coord_type", str(path), f"{count} 个地标声明坐标类型 OvCoordType={key}（奥维导出），已转换为 WGS84",
                        f"{count} placemark(s) declare OvCoordType {key} (an Ovital export): converted to WGS84")
        return kinds, None
    return kinds, f"EPSG:4326 (OvCoordType {', '.join(sorted(counts))})"


def from_web_map(features: Features, path: Path, kinds: list):
    """Undo the GCJ-02 / BD-09 offset of the features whose ``kinds`` name one (lon/lat drawn on a Chinese web map);
    the result is WGS84, labelled with what was converted."""
    if not len(features.geometries):
        raise GeometryError(f"{path}: 无要素 / no features; the file holds no project boundary")
    if not looks_geographic(shapely.total_bounds(features.geometries)):
        kind = next(kind for kind in kinds if kind)
        raise CRSError(f"{path}: crs={kind} 需经纬度坐标 / needs longitude/latitude, but the coordinates are in metres")
    geometries = features.geometries.copy()
    for kind, inverse in (("gcj02", gcj02_to_wgs84), ("bd09", bd09_to_wgs84)):
        rows = np.array([k == kind for k in kinds], dtype=bool)
        if rows.any():
            geometries[rows] = shapely.transform(geometries[rows], lambda xy: np.column_stack(inverse(xy[:, 0], xy[:, 1])))
    labels = sorted({WEB_MAP_LABELS[kind] for kind in kinds if kind})
    return (Features(features.attributes, geometries, CRS.from_epsg(4326)),
            f"{' + '.join(labels)} → EPSG:4326 (inversion residual < 1e-8 m)")


WEB_MAP_LABELS = {"gcj02": "GCJ-02", "bd09": "BD-09"}


def with_crs(features: Features, path: Path, crs) -> Features:
    """``features`` labelled with ``crs`` when given (a label, not a transform), checked against their coordinates."""
    if not len(features.geometries):
        raise GeometryError(f"{path}: 无要素 / no features; the file holds no project boundary")
    if crs is not None:
        features = Features(features.attributes, features.geometries, parse_crs(crs))
    bounds = shapely.total_bounds(features.geometries)
    if features.crs is None:
        raise CRSError(f"{path}: 无坐标系 / has no CRS. {suggest_crs(bounds)}")
    if features.crs.is_geographic and not looks_geographic(bounds) and looks_geographic(bounds[[1, 0, 3, 2]]):
        raise GeometryError(f"{path}: 经纬度颠倒 / latitude and longitude look swapped (x {bounds[0]:.4f}…{bounds[2]:.4f}, "
                            f"y {bounds[1]:.4f}…{bounds[3]:.4f}); write x = longitude, y = latitude")
    if features.crs.is_geographic and not looks_geographic(bounds):
        raise CRSError(f"{path}: 坐标系为经纬度而坐标为米 / "
                       f"says {features.crs.to_string()} (degrees) but its coordinates are in metres. "
                       f"{suggest_crs(bounds)}")
    if features.crs.is_projected and looks_geographic(bounds):
        raise CRSError(f"{path}: 坐标系为米而坐标像经纬度 / "
                       f"says {features.crs.to_string()} (metres) but its coordinates look like degrees; "
                       "pass crs=EPSG:4490 if they are CGCS2000 longitude/latitude")
    _tell_datum_shift(features.crs, path)
    return features


def _tell_datum_shift(crs: CRS, path: Path) -> None:
    """A correction for a datum moved onto CGCS2000 by its own 7 parameters, or not moved at all (``datum_shift``)."""
    shift = datum_shift(crs)
    datum = crs.geodetic_crs.datum.name if crs.geodetic_crs else crs.name
    if shift == "parameters":
        correct("datum_parameters", str(path), f"坐标系 {datum[:80]} 按其给定的七参数（TOWGS84）换算到 CGCS2000",
                f"{datum[:80]} converted to CGCS2000 with the 7 parameters the CRS gives (TOWGS84)")
    elif shift == "unknown":
        correct("datum_unknown_shift", str(path),
                f"{datum} 至 2000 国家大地坐标系无公开转换参数，按零平移换算：位置可能偏差数十米（天津地区按公开的区域参数"
                "约 64–72 米），面积几乎不受影响，但是否压占红线可能误判；请改用 CGCS2000 成果，或在坐标系中以 +towgs84 "
                "给出本单位的七参数",
                f"no published transformation from {datum} to CGCS2000: converted with a null shift, so positions may "
                "be tens of metres off (64–72 m in Tianjin by the published regional parameters); areas are hardly "
                "affected but an intrusion may be missed or invented. Send CGCS2000 coordinates, or give the bureau's "
                "7 parameters in the CRS (+towgs84)")


WEB_MERCATOR = CRS.from_epsg(3857)


def _lands_in_china(bounds, crs: CRS) -> bool:
    """Whether the box ``bounds`` (in ``crs``) lies in China once in CGCS2000 lon/lat: a suggestion must be plausible."""
    box = to_cgcs2000(np.array([shapely.box(*bounds)], dtype=object), crs)
    return bool(in_china(box)[0])


def looks_geographic(bounds) -> bool:
    west, south, east, north = bounds
    return -180 <= west <= east <= 180 and -90 <= south <= north <= 90


def suggest_crs(bounds) -> str:
    """A sentence suggesting the likely CRS from coordinate magnitudes; never applied silently."""
    west, south, east, north = bounds
    if looks_geographic(bounds):
        return "坐标像经纬度 / Coordinates look like longitude/latitude: pass crs=EPSG:4490 (CGCS2000) if that is right."
    if 1e7 <= west and east < 1e8 and 1e6 <= south <= 1e7:
        zone = int(west // 1e6)
        width = 3 if zone >= 24 else 6
        crs = gauss_kruger_crs("CGCS2000", width, zone, prefixed=True)
        if crs is not None and _lands_in_china(bounds, crs):
            return (f"坐标像带带号前缀的高斯-克吕格 {zone} 带 / "
                    f"Coordinates look like CGCS2000 {width}-degree Gauss-Krüger zone {zone} with zone prefix: "
                    f"pass crs=EPSG:{crs.to_epsg()} if that is right.")
    if 8e6 <= west and east <= 1.6e7 and 3e5 <= south and north <= 7.3e6 and _lands_in_china(bounds, WEB_MERCATOR):
        return ("坐标像网络地图的墨卡托米制坐标 / Coordinates look like Web Mercator metres (EPSG:3857, as web maps and "
                "their exports use): pass crs=EPSG:3857 if that is right.")
    if 1e5 <= west and east < 1e6 and 1e6 <= south <= 1e7:
        example = gauss_kruger_crs("CGCS2000", 3, 39, prefixed=False)
        return ("坐标像无带号前缀的高斯-克吕格 / "
                "Coordinates look like Gauss-Krüger metres without zone prefix: pass the CRS of your zone, "
                f"e.g. crs=EPSG:{example.to_epsg()} (CGCS2000 3-degree, central meridian 117°E, Tianjin).")
    if 1e6 <= west <= 1e7 and (1e5 <= south < 1e6 or south >= 1e7):
        return ("坐标像 X、Y 颠倒的高斯-克吕格 / "
                "Coordinates look like Gauss-Krüger with X and Y swapped: X is the northing, Y the easting.")
    return "请指定坐标系 / Pass crs=… with the CRS the boundary was drawn in (e.g. crs=EPSG:4490 or crs=EPSG:4527)."


def ensure_plausible(geometry, features: Features, path: Path) -> None:
    """Refuse a boundary whose CGCS2000 lon/lat are not finite or lie outside China (a wrong CRS or axis order)."""
    if in_china(np.array([geometry], dtype=object))[0]:
        return
    west, south, east, north = shapely.bounds(geometry)
    where = (f"lon {west:.2f}…{east:.2f}, lat {south:.2f}…{north:.2f}" if np.isfinite([west, south, east, north]).all()
             else "infinite or NaN coordinates")
    raise CRSError(f"{path}: 按 {features.crs.to_string()} 换算后边界落在中国以外或为无穷 / in {features.crs.to_string()} the "
                   f"boundary falls outside China ({where}): the CRS or the axis order is wrong. "
                   f"{suggest_crs(shapely.total_bounds(features.geometries))}")
