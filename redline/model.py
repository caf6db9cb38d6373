"""Frozen value types shared by the engine, the rules and the reports; the report's JSON schema."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum

from redline.crs import SQUARE_METRES_PER_MU

SCHEMA_VERSION = "redline-report/1"
"""Version of the JSON report layout described by ``REPORT_SCHEMA`` (bumped on breaking changes)."""

AREA_TOLERANCE_M2 = 0.01
"""Intersections smaller than this (m²) are numerical slivers along shared edges, not intrusions."""

LENGTH_TOLERANCE_M = 0.01
"""Coastline pieces shorter than this (m) are numerical noise, not coast taken."""


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
    """An area in m² with its ha, km² and 亩 (mu) equivalents, and its share of the project (0–1)."""
    measures = {
        f"{prefix}area_m2": area_m2,
        f"{prefix}area_ha": area_m2 / 10_000,
        f"{prefix}area_km2": area_m2 / 1e6,
        f"{prefix}area_mu": area_m2 / SQUARE_METRES_PER_MU,
    }
    if project_area_m2:
        measures[f"{prefix}share"] = area_m2 / project_area_m2
    return measures


def length_measures(length_m: float, *, prefix: str = "") -> dict[str, float]:
    """A length in m with its km equivalent."""
    return {f"{prefix}length_m": length_m, f"{prefix}length_km": length_m / 1000}


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
    status: Status
    reason_en: str
    reason_zh: str
    measures: dict[str, float] = field(default_factory=dict)
    features: tuple[FeatureHit, ...] = ()
    exemption: str | None = None
    layer: str | None = None
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


_MEASURES = {"type": "object", "additionalProperties": {"type": "number"}}
REPORT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_VERSION,
    "title": "redline check report",
    "type": "object",
    "required": ["schema", "redline_version", "created", "verdict", "project", "manifest", "options", "findings"],
    "properties": {
        "schema": {"const": SCHEMA_VERSION},
        "redline_version": {"type": "string"},
        "created": {"type": "string", "description": "UTC time of the check, ISO 8601"},
        "verdict": {"enum": [v.value for v in Verdict]},
        "project": {
            "type": "object",
            "required": ["file", "sha256", "crs", "parcels", "area_m2"],
            "properties": {
                "file": {"type": "string"},
                "sha256": {"type": "string", "description": "SHA-256 of the input file's bytes"},
                "crs": {"type": "string", "description": "CRS the boundary was drawn in"},
                "name": {"type": ["string", "null"]},
                "parcels": {"type": "integer"},
                "area_m2": {"type": "number", "description": "area of the project on the ellipsoid (m²)"},
                "warnings": {"type": "array", "description": "corrections made while reading the file", "items": {
                    "type": "object", "required": ["code", "where", "zh", "en"],
                    "properties": {"code": {"type": "string"}, "where": {"type": "string"},
                                   "zh": {"type": "string"}, "en": {"type": "string"}},
                }},
            },
        },
        "manifest": {
            "type": "object",
            "required": ["file", "sha256", "layers"],
            "properties": {
                "file": {"type": "string"},
                "sha256": {"type": "string"},
                "name": {"type": "string"},
                "layers": {"type": "array", "items": {
                    "type": "object", "required": ["id", "file", "sha256", "vintage"],
                    "properties": {"id": {"type": "string"}, "file": {"type": "string"},
                                   "sha256": {"type": "string"}, "vintage": {"type": "string"}},
                }},
            },
        },
        "options": {"type": "object", "properties": {
            "national_major": {"type": "boolean"},
            "activity": {"type": ["integer", "null"], "minimum": 1, "maximum": 10},
            "setback_m": {"type": "number"},
            "search_m": {"type": "number"},
        }},
        "findings": {"type": "array", "items": {
            "type": "object",
            "required": ["rule", "status", "clause", "reason_en", "reason_zh", "measures", "features", "exemption"],
            "properties": {
                "rule": {"type": "string"},
                "status": {"enum": [s.value for s in Status]},
                "clause": {"type": "string"},
                "reason_en": {"type": "string"},
                "reason_zh": {"type": "string"},
                "measures": _MEASURES,
                "features": {"type": "array", "items": {"type": "object", "required": ["layer", "name"]}},
                "exemption": {"type": ["string", "null"]},
                "layer": {"type": ["string", "null"]},
                "nearest": {"type": ["object", "null"], "properties": {
                    "layer": {"type": "string"}, "name": {"type": "string"},
                    "distance_m": {"type": "number", "description": "geodesic distance (m) to the nearest feature"},
                    "search_radius_m": {"type": "number"}}},
            },
        }},
    },
}
