"""Frozen value types shared by the engine, the rules and the reports; the report's JSON schema."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum, StrEnum

SCHEMA_VERSION = "redline-report/1"
"""Version of the JSON report layout described by ``REPORT_SCHEMA`` (bumped on breaking changes)."""

AREA_TOLERANCE_M2 = 0.01
"""Intersections smaller than this (m²) are numerical slivers along shared edges, not intrusions."""

LENGTH_TOLERANCE_M = 0.01
"""Coastline pieces shorter than this (m) are numerical noise, not coast taken."""


class Kind(StrEnum):
    """What a layer's features are, and so what a rule measures of them: areas of polygons, lengths of lines, the
    cells of a raster."""

    POLYGON = "polygon"
    LINE = "line"
    RASTER = "raster"

    @property
    def geometry_types(self) -> tuple[str, ...]:
        """The geometry types a vector layer of this kind may hold (a raster: none)."""
        return {"polygon": ("Polygon", "MultiPolygon"), "line": ("LineString", "MultiLineString")}.get(self.value, ())


class Status(str, Enum):
    """Outcome of one rule for one project."""

    CLEAR = "clear"
    REVIEW = "review"
    VIOLATION = "violation"
    NOT_CHECKED = "not_checked"


class Verdict(str, Enum):
    """Overall outcome of a check: ``pass`` only when every rule is clear."""

    PASS = "pass"
    REVIEW = "review"
    VIOLATION = "violation"

    @classmethod
    def from_statuses(cls, statuses) -> Verdict:
        """Violation beats review; a rule that could not be checked needs a reviewer, never a pass."""
        statuses = set(statuses)
        if Status.VIOLATION in statuses:
            return cls.VIOLATION
        if statuses & {Status.REVIEW, Status.NOT_CHECKED}:
            return cls.REVIEW
        return cls.PASS


def area_measures(area_m2: float, *, project_area_m2: float | None = None, prefix: str = "") -> dict[str, float]:
    """An area in m², and its share of the project (0–1) when the project's area is given. ha, km² and 亩 are
    the reports' to format, never measures."""
    measures = {f"{prefix}area_m2": area_m2}
    if project_area_m2:
        measures[f"{prefix}share"] = area_m2 / project_area_m2
    return measures


def length_measures(length_m: float, *, prefix: str = "") -> dict[str, float]:
    """A length in m."""
    return {f"{prefix}length_m": length_m}


@dataclass(frozen=True)
class FeatureHit:
    """One feature of a protected layer that the project intrudes on, with its own intruding amount."""

    layer: str
    name: str
    feature_class: str | None = None
    """The class as the layer's data writes it (the manifest's class value, e.g. 永久基本农田)."""
    area_m2: float | None = None
    length_m: float | None = None
    role: str | None = None
    """The class role a rule reads (the manifest's class key, e.g. ``permanent``)."""

    def to_dict(self) -> dict:
        """The fields that are set (unset figures and class are left out)."""
        data = {"layer": self.layer, "name": self.name, "feature_class": self.feature_class, "role": self.role,
                "area_m2": self.area_m2, "length_m": self.length_m}
        return {key: value for key, value in data.items() if value is not None}


@dataclass(frozen=True)
class Finding:
    """What one rule concluded: status, reason (zh and en), figures, features hit and exemption applied."""

    rule: str
    title_zh: str
    title_en: str
    clause: str
    """The clause enforced, in its original (Chinese) wording."""
    status: Status
    reason_en: str
    reason_zh: str
    measures: dict[str, float] = field(default_factory=dict)
    features: tuple[FeatureHit, ...] = ()
    exemption: str | None = None
    layer: str | None = None
    clause_en: str = ""
    """The clause in English (a translation; the original wording is ``clause``)."""
    nearest: dict | None = None
    """For a polygon constraint the project does not touch: the nearest feature within the search radius
    (``layer``, ``name``, ``distance_m`` geodesic) or ``{"search_radius_m": …}`` alone when there is none."""

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
        """The finding of a report's JSON (``to_dict`` inverted)."""
        hits = tuple(FeatureHit(**hit) for hit in data["features"])
        return cls(**{**data, "status": Status(data["status"]), "features": hits})

    def to_dict(self) -> dict:
        return {"rule": self.rule, "title_zh": self.title_zh, "title_en": self.title_en, "clause": self.clause,
                "clause_en": self.clause_en,
                "status": self.status.value, "reason_en": self.reason_en, "reason_zh": self.reason_zh,
                "measures": dict(self.measures), "features": [hit.to_dict() for hit in self.features],
                "exemption": self.exemption, "layer": self.layer, "nearest": self.nearest}


@dataclass(frozen=True)
class Options:
    """What the applicant declared: a national major project, or one of the allowed activity categories (1–10)."""

    national_major: bool = False
    activity: int | None = None
    setback_m: float = 200.0
    search_m: float = 2000.0
    """Radius (m) within which a constraint the project does not touch reports its nearest feature."""


@dataclass(frozen=True)
class Report:
    """Everything a reviewer needs to defend a verdict; ``to_dict`` follows ``REPORT_SCHEMA``."""

    redline_version: str
    created: str
    project: dict
    manifest: dict
    options: Options
    findings: tuple[Finding, ...]
    context: dict = field(default_factory=dict)
    """Informational figures that decide nothing: region features (districts) touched, land-cover areas (m²)."""
    footprint: object = field(default=None, compare=False, repr=False)
    """The checked footprint (CGCS2000 lon/lat shapely geometry); None for a report read back from JSON."""
    intrusions: dict[str, dict[str, object]] = field(default_factory=dict, compare=False, repr=False)
    """Per rule, the pieces a map shows, by class role (lon/lat); empty when checked without geometry."""
    nearest_lines: dict[str, object] = field(default_factory=dict, compare=False, repr=False)
    """Per rule the project does not touch, the line to its nearest feature (lon/lat), for the map."""

    @property
    def verdict(self) -> Verdict:
        return Verdict.from_statuses(f.status for f in self.findings)

    @classmethod
    def from_dict(cls, data: dict) -> Report:
        """The report of a JSON document written by ``to_dict``."""
        return cls(data["redline_version"], data["created"], data["project"], data["manifest"],
                   Options(**data["options"]), tuple(Finding.from_dict(f) for f in data["findings"]),
                   data.get("context", {}))

    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA_VERSION,
            "redline_version": self.redline_version,
            "created": self.created,
            "verdict": self.verdict.value,
            "project": self.project,
            "manifest": self.manifest,
            "options": asdict(self.options),
            "findings": [f.to_dict() for f in self.findings],
            "context": self.context,
        }


_MEASURES = {"type": "object", "additionalProperties": {"type": "number"},
             "propertyNames": {"pattern": "^[a-z0-9_]*(_m2|_m|share)$"},
             "description": "SI only: m² (…_m2), m (…_m) and shares 0–1 (…share); ha, km² and 亩 are formatted by reports"}
_TEXT, _NUMBER, _NULLABLE_TEXT = {"type": "string"}, {"type": "number"}, {"type": ["string", "null"]}


def _closed(required: list[str], properties: dict, **extra) -> dict:
    """An object schema that allows no property but ``properties``."""
    return {"type": "object", "required": required, "properties": properties, "additionalProperties": False, **extra}


REPORT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_VERSION,
    "title": "redline check report",
    **_closed(["schema", "redline_version", "created", "verdict", "project", "manifest", "options", "findings"], {
        "schema": {"const": SCHEMA_VERSION},
        "redline_version": _TEXT,
        "created": {"type": "string", "description": "UTC time of the check, ISO 8601"},
        "verdict": {"enum": [v.value for v in Verdict]},
        "project": _closed(["file", "sha256", "crs", "parcels", "area_m2"], {
            "file": _TEXT,
            "sha256": {"type": "string", "description": "SHA-256 of the input file's bytes (of the WKB in memory)"},
            "crs": {"type": "string", "description": "CRS the boundary was drawn in"},
            "name": _NULLABLE_TEXT,
            "parcels": {"type": "integer"},
            "area_m2": {"type": "number", "description": "area of the project on the ellipsoid (m²)"},
            "repairs": {"type": "array", "items": _TEXT},
            "warnings": {"type": "array", "description": "corrections made while reading the file", "items": _closed(
                ["code", "where", "zh", "en"], {"code": _TEXT, "where": _TEXT, "zh": _TEXT, "en": _TEXT})},
            "notes": {"type": "array", "description": "what the file could not vouch for (e.g. lon/lat of unstated "
                      "origin)", "items": _closed(["code", "zh", "en"], {"code": _TEXT, "zh": _TEXT, "en": _TEXT})},
        }),
        "manifest": _closed(["file", "sha256", "layers"], {
            "file": _TEXT, "sha256": _TEXT, "name": _TEXT, "disclaimer": _TEXT, "disclaimer_zh": _TEXT,
            "layers": {"type": "array", "items": _closed(["id", "file", "sha256", "vintage"], {
                "id": _TEXT, "file": _TEXT, "sha256": _TEXT, "vintage": _TEXT, "loaded": {"type": "boolean"},
                "problem": _TEXT})},
        }),
        "options": _closed([], {
            "national_major": {"type": "boolean"},
            "activity": {"type": ["integer", "null"], "minimum": 1, "maximum": 10},
            "setback_m": _NUMBER,
            "search_m": _NUMBER,
        }),
        "findings": {"type": "array", "items": _closed(
            ["rule", "status", "clause", "reason_en", "reason_zh", "measures", "features", "exemption"], {
                "rule": _TEXT, "title_zh": _TEXT, "title_en": _TEXT,
                "status": {"enum": [s.value for s in Status]},
                "clause": _TEXT, "clause_en": _TEXT, "reason_en": _TEXT, "reason_zh": _TEXT,
                "measures": _MEASURES,
                "features": {"type": "array", "items": _closed(["layer", "name"], {
                    "layer": _TEXT, "name": _TEXT, "feature_class": _TEXT, "role": _TEXT, "area_m2": _NUMBER,
                    "length_m": _NUMBER})},
                "exemption": _NULLABLE_TEXT,
                "layer": _NULLABLE_TEXT,
                "nearest": {"oneOf": [{"type": "null"}, _closed(["search_radius_m"], {
                    "layer": _TEXT, "name": _TEXT,
                    "distance_m": {"type": "number", "description": "geodesic distance (m) to the nearest feature"},
                    "search_radius_m": _NUMBER})]},
            })},
        "context": _closed([], {
            "region_features": {"type": "array", "items": _TEXT},
            "landcover_m2": {"type": "object", "additionalProperties": _NUMBER,
                             "description": "m² per land-cover class value"},
        }),
    }),
}
