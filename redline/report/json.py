"""The JSON report (schema ``redline-report/1``, see ``redline.model.REPORT_SCHEMA``) and the intrusions GeoJSON."""

from __future__ import annotations

import json

import orjson
import shapely

from redline.model import Report


def compact_json(data) -> str:
    """``data`` as one line of UTF-8 JSON (orjson; numpy scalars allowed), for journals and HTTP bodies."""
    return orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY).decode()


def report_json(report: Report) -> str:
    """The report as indented UTF-8 JSON text."""
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2)


def intrusions_geojson(report: Report) -> str:
    """A FeatureCollection (RFC 7946, WGS84 lon/lat) of the intrusion pieces: one feature per rule and class.

    CGCS2000 and WGS84 coordinates differ by centimetres (PROJ's transformation between them is the
    identity), so the CGCS2000 lon/lat are written unchanged.
    """
    findings = {finding.rule: finding for finding in report.findings}
    features = []
    for rule, pieces in report.intrusions.items():
        for role, geometry in pieces.items():
            finding = findings[rule]
            features.append({
                "type": "Feature",
                "properties": {"rule": rule, "class": role or None, "status": finding.status.value,
                               "title_en": finding.title_en, "title_zh": finding.title_zh},
                "geometry": orjson.Fragment(shapely.to_geojson(geometry)),
            })
    return compact_json({"type": "FeatureCollection", "features": features})


def read_intrusions_geojson(text: str) -> dict[str, dict[str, object]]:
    """Intrusion pieces per rule and class from ``intrusions_geojson`` output (lon/lat)."""
    pieces: dict[str, dict[str, object]] = {}
    for feature in json.loads(text)["features"]:
        properties = feature["properties"]
        pieces.setdefault(properties["rule"], {})[properties["class"] or ""] = shapely.geometry.shape(feature["geometry"])
    return pieces


def diff_geojson(diffs) -> str:
    """A FeatureCollection (lon/lat) of what differs between two layer vintages (``redline.diff.LayerDiff``): per
    layer the pieces added and removed, with their m² or m."""
    features = []
    for diff in diffs:
        for change, geometry in diff.pieces.items():
            if geometry is None or geometry.is_empty:
                continue
            amount = diff.added if change == "added" else diff.removed
            measure = "area_m2" if diff.unit == "m2" else "length_m"
            features.append({"type": "Feature", "properties": {"layer": diff.layer, "change": change, measure: amount},
                             "geometry": orjson.Fragment(shapely.to_geojson(geometry))})
    return compact_json({"type": "FeatureCollection", "features": features})
