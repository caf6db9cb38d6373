"""The JSON report (schema ``redline-report/1``, see ``redline.model.REPORT_SCHEMA``) and the intrusions GeoJSON."""

from __future__ import annotations

import json

import shapely

from redline.crs import CGCS2000, WGS84, transform
from redline.model import CheckResult, Report


def report_json(report: Report) -> str:
    """The report as indented UTF-8 JSON text."""
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2)


def intrusions_geojson(result: CheckResult) -> str:
    """A FeatureCollection (RFC 7946, WGS84 lon/lat) of the intrusion pieces: one feature per rule and class.

    CGCS2000 and WGS84 coordinates differ by centimetres; they are written unchanged.
    """
    findings = {finding.rule: finding for finding in result.report.findings}
    features = []
    for rule, pieces in result.intrusions.items():
        for role, geometry in pieces.items():
            finding = findings[rule]
            features.append({
                "type": "Feature",
                "properties": {"rule": rule, "class": role or None, "status": finding.status.value,
                               "title_en": finding.title_en, "title_zh": finding.title_zh},
                "geometry": shapely.geometry.mapping(transform(geometry, CGCS2000, WGS84)),
            })
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
