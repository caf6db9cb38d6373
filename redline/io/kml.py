"""KML / KMZ boundaries (Google Earth, 奥维 .ovkml/.ovkmz): every placemark's polygons, from every folder.

Exporters keep placemarks in nested folders; one document is one layer, so placemarks are read from every
folder, each named by its ``<name>``. KML is WGS84 longitude/latitude (EPSG:4326) by definition, but 奥维
(Ovital) writes ``<OvCoordType>`` (WGS84, GCJ02, CGCS2000; 9.3 and later export GCJ-02) in a placemark or a
folder above it: that declaration is kept per placemark in the ``OvCoordType`` column, and the caller
converts (``redline.io.project``). Users rename .ovkml to .kml, so it is read in any KML. Parsed by
``parse_xml``, which refuses any DTD (no entities to expand, nothing external); links (``NetworkLink``,
``href``) are never followed. Points and lines are kept as such, so that validation names them.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import shapely

from redline.errors import FormatError, GeometryError
from redline.io.safety import check_zip, parse_xml, zipped_kml

KML_SUFFIXES = (".kml", ".kmz", ".ovkml", ".ovkmz")
ZIPPED_SUFFIXES = (".kmz", ".ovkmz")
DECLARED = "OvCoordType"
"""The column holding each placemark's declared coordinate type (absent when no placemark declares one)."""


def read_kml(path: Path) -> gpd.GeoDataFrame:
    """Placemarks of a .kml/.kmz/.ovkml/.ovkmz file: ``name``, geometry in EPSG:4326, and ``OvCoordType`` if declared."""
    data = zipped_kml(path, check_zip(path)) if path.suffix.lower() in ZIPPED_SUFFIXES else path.read_bytes()
    root = parse_xml(data, source=str(path))
    if _local(root.tag) != "kml":
        raise FormatError(f"{path}: 不是 KML / the root element is <{_local(root.tag)}>, not <kml>; export it again as KML")
    try:
        rows = _placemarks(root, path)
    except RecursionError:
        raise FormatError(f"{path}: 几何嵌套过深 / geometries nested too deep; export it again") from None
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326") if rows else \
        gpd.GeoDataFrame({"name": []}, geometry=gpd.GeoSeries([], crs="EPSG:4326"))


def _placemarks(root, path: Path) -> list[dict]:
    """Every placemark with geometry, in document order, with the OvCoordType it or a folder above it declares."""
    rows: list[dict] = []

    def walk(element, declared):
        declared = _text(element, DECLARED) or declared
        if _local(element.tag) != "Placemark":
            for child in _children(element):
                walk(child, declared)
            return
        name = _text(element, "name") or f"placemark {len(rows) + 1}"
        parts = [_geometry(child, path, name) for child in _children(element) if _local(child.tag) in GEOMETRIES]
        if parts:
            geometry = parts[0] if len(parts) == 1 else shapely.GeometryCollection(parts)
            rows.append({"name": name, DECLARED: declared, "geometry": geometry})

    walk(root, None)
    if all(row[DECLARED] is None for row in rows):
        for row in rows:
            del row[DECLARED]
    return rows


GEOMETRIES = ("Polygon", "MultiGeometry", "LineString", "LinearRing", "Point")


def _geometry(element, path: Path, name: str):
    kind = _local(element.tag)
    if kind == "Polygon":
        outer = [_ring(e, path, name) for e in _all(element, "outerBoundaryIs")]
        inner = [_ring(e, path, name) for e in _all(element, "innerBoundaryIs")]
        if not outer:
            raise GeometryError(f"{path}: 面缺少外边界 / placemark {name!r} has a polygon without an outer boundary")
        return shapely.Polygon(outer[0], inner)
    if kind == "MultiGeometry":
        parts = [_geometry(e, path, name) for e in _children(element) if _local(e.tag) in GEOMETRIES]
        if parts and all(part.geom_type in ("Polygon", "MultiPolygon") for part in parts):
            return shapely.MultiPolygon(list(shapely.get_parts(parts)))
        return shapely.GeometryCollection(parts)
    coordinates = _coordinates(element, path, name)
    if kind == "Point":
        return shapely.Point(coordinates[0])
    return shapely.LineString(coordinates)


def _ring(boundary, path: Path, name: str):
    rings = list(_all(boundary, "LinearRing"))
    if not rings:
        raise GeometryError(f"{path}: 边界缺少 LinearRing / placemark {name!r} has a boundary without a LinearRing")
    points = _coordinates(rings[0], path, name)
    if len(set(points)) < 3:
        raise GeometryError(f"{path}: 环的点数不足 / placemark {name!r} has a ring of {len(set(points))} distinct points; "
                            "a ring needs 3")
    return points


def _coordinates(element, path: Path, name: str) -> list[tuple[float, float]]:
    text = _text(element, "coordinates") or ""
    points = []
    for token in text.split():
        values = token.split(",")
        try:
            lon, lat = float(values[0]), float(values[1])
        except (IndexError, ValueError):
            raise GeometryError(f"{path}: 坐标格式错误 / placemark {name!r} has a coordinate {token[:40]!r} that is not "
                                "longitude,latitude[,height]") from None
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise GeometryError(f"{path}: 坐标含非数值 / placemark {name!r} has NaN or infinite coordinates")
        points.append((lon, lat))
    if not points:
        raise GeometryError(f"{path}: 几何缺少坐标 / placemark {name!r} has a geometry without coordinates")
    return points


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element):
    return [child for child in element if isinstance(child.tag, str)]


def _all(element, name: str):
    return (e for e in element.iter() if isinstance(e.tag, str) and _local(e.tag) == name)


def _text(element, name: str) -> str | None:
    found = next((e for e in _children(element) if _local(e.tag) == name), None)
    return found.text.strip() if found is not None and found.text else None
