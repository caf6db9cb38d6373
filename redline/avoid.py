"""avoid(): the part of a project that may be built — its footprint minus every area it may not occupy.

Removed: the pieces behind each violation (the roles a rule names in ``violation_roles``, e.g. permanent
basic farmland, a reserve's core zone, a 一级 water-source zone), and for a line rule (the natural coast)
the zone within its reach (the setback) of the pieces it found, taken ``LINE_CLEARANCE_M`` wider because a
buffer polygon only approximates a distance. With ``avoid_review`` the areas behind reviews go too (the
part outside the urban boundary, other farmland, a priority unit, …). Parts smaller than ``min_part_m2``
are dropped and counted apart. The result is checked again; a violation left is an error, never a
footprint handed back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer

from redline.crs import CGCS2000, ellipsoidal_areas_m2, to_cgcs2000
from redline.errors import GeometryError
from redline.io import Project
from redline.io.features import Features
from redline.layers import LayerSet
from redline.model import Kind, Options, Report, Status
from redline.pipeline import check_projects

LINE_CLEARANCE_M = 0.5
"""Metres added to a line rule's reach when its zone is removed."""
CLEARANCE_M = {".txt": 2e-4, ".csv": 2e-4}
"""Clearance (m) for output formats that round coordinates to 0.1 mm: twice the rounding."""
SOURCE_EDGE_DEG = 5e-5
"""Longest edge (degrees, ≈ 5 m) of what is removed, before it is taken to a projected CRS of the input."""


@dataclass(frozen=True)
class Avoided:
    """The compliant footprint as a project (lon/lat ``geometry``; ``source`` in the input's CRS), the reports
    before and after, and the area removed for each rule (m²; a piece behind two rules counts for both)."""

    project: Project
    before: Report
    after: Report
    lost_m2: dict[str, float]
    small_parts_m2: float


def avoid(project: Project, layers: LayerSet, *, options: Options = Options(), avoid_review: bool = False,
          min_part_m2: float = 100.0, clearance_m: float = 0.0) -> Avoided:
    """The compliant part of ``project`` (read, in region) against ``layers``; GeometryError when nothing is left
    or a violation would remain.

    ``clearance_m``: keep this far (in the project's projected CRS) from what is removed, for an output format
    that rounds coordinates (the TXT and vertex CSV hold 0.1 mm: ``CLEARANCE_M``).
    """
    before = check_projects([project], layers, options=options)[0]
    statuses = (Status.VIOLATION, Status.REVIEW) if avoid_review else (Status.VIOLATION,)
    rules = {rule.RULE.id: rule for rule in layers.rules}
    zones = {finding.rule: _zone(rules[finding.rule], before, layers, options, avoid_review=avoid_review)
             for finding in before.findings if finding.status in statuses and finding.rule in before.intrusions}
    zones = {rule: zone for rule, zone in zones.items() if zone is not None and not zone.is_empty}
    footprint = before.footprint
    removed = shapely.union_all(list(zones.values())) if zones else shapely.Polygon()
    parts = _kept_parts(project, removed, clearance_m)
    lonlat = to_cgcs2000(parts, project.source_crs) if len(parts) else parts
    areas = ellipsoidal_areas_m2(lonlat) if len(parts) else np.zeros(0)
    if not (areas >= min_part_m2).any():
        raise GeometryError(f"{project.path}: 避让后无可用地块 / nothing of the project is left after avoiding "
                            f"{', '.join(zones) or 'nothing'} (parts ≥ {min_part_m2:g} m²)")
    keep = areas >= min_part_m2
    lost = {rule: float(ellipsoidal_areas_m2([footprint.intersection(zone)])[0]) for rule, zone in zones.items()}
    compliant = _project(project, shapely.union_all(lonlat[keep]), shapely.union_all(parts[keep]))
    after = check_projects([compliant], layers, options=options)[0]
    left = still_failing(before, after, avoid_review=avoid_review)
    if left:
        raise GeometryError(f"{project.path}: 避让后仍有冲突 / the avoided footprint still fails {', '.join(left)}; "
                            "please report it")
    return Avoided(compliant, before, after, lost, float(areas[~keep].sum()))


def removed_m2(report: Report, layers: LayerSet) -> float:
    """Area (m²) of ``report``'s footprint behind its violations: what ``avoid`` takes away (核减), before parts too
    small to keep are dropped. 0 when nothing is in violation; needs the report's geometry (checked, not read back)."""
    rules = {rule.RULE.id: rule for rule in layers.rules}
    zones = [_zone(rules[finding.rule], report, layers, report.options, avoid_review=False)
             for finding in report.findings if finding.status is Status.VIOLATION and finding.rule in report.intrusions]
    zones = [zone for zone in zones if zone is not None and not zone.is_empty]
    if not zones or report.footprint is None:
        return 0.0
    return float(ellipsoidal_areas_m2([report.footprint.intersection(shapely.union_all(zones))])[0])


def still_failing(before: Report, after: Report, *, avoid_review: bool) -> list[str]:
    """The rules ``after`` (the avoided footprint's report) still fails among those avoided in ``before``."""
    statuses = (Status.VIOLATION, Status.REVIEW) if avoid_review else (Status.VIOLATION,)
    avoided = {f.rule for f in before.findings if f.status in statuses}
    return [f.rule for f in after.findings if f.rule in avoided and f.status in statuses]


def _zone(rule, report: Report, layers: LayerSet, options: Options, *, avoid_review: bool):
    """What ``rule`` forbids the project, as a lon/lat polygon (None if nothing)."""
    pieces = report.intrusions[rule.RULE.id]
    roles = None if avoid_review else rule.RULE.violation_roles
    chosen = [piece for role, piece in pieces.items() if roles is None or role in roles]
    if not chosen:
        return None
    shapes = shapely.union_all(chosen)
    if rule.RULE.kind == Kind.LINE:
        return layers.equal_area.buffer(shapes, rule.reach_m(options) + LINE_CLEARANCE_M)
    return shapes


def _kept_parts(project: Project, removed, clearance_m: float) -> np.ndarray:
    """The polygons of the project as drawn (its CRS, its own vertices) minus ``removed`` (lon/lat), whose edges
    are cut to ``SOURCE_EDGE_DEG`` before they are taken to that CRS, so that the file written and read back
    follows them and shares nothing with what was removed."""
    drawn = shapely.union_all(project.source.geometries)
    if not project.source_crs.is_geographic:
        to_source = Transformer.from_crs(CGCS2000, project.source_crs, always_xy=True)
        removed = shapely.transform(shapely.segmentize(removed, SOURCE_EDGE_DEG),
                                    lambda xy: np.column_stack(to_source.transform(xy[:, 0], xy[:, 1])))
        removed = removed.buffer(clearance_m) if clearance_m and not removed.is_empty else removed
    kept = drawn.difference(removed) if not removed.is_empty else drawn
    return np.array([part for part in shapely.get_parts(kept) if part.geom_type == "Polygon"], dtype=object)


def _project(original: Project, geometry, drawn) -> Project:
    """``original`` with the compliant footprint: ``geometry`` in lon/lat, ``drawn`` in the original's CRS."""
    name = original.name or original.path.stem
    features = Features({"name": np.array([name], dtype=object)}, np.array([drawn], dtype=object), original.source_crs)
    return Project(original.path, original.sha256, name, original.source_crs, 1, geometry, conversion=original.conversion,
                   source=features)
