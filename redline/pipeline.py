"""check(): read a project → overlay every layer → apply every rule → a report with its geometries.

One verb per contract: ``check`` takes one project (a path or geometries in memory; with ``limits``, an untrusted
file read and checked in a child process), ``check_many`` a GeoDataFrame of applications, ``check_projects``
projects already read (each layer queried once for all of them; with ``each``, a project that fails is its own
result), and ``with_geometry`` gives a report read back from JSON its geometries again.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from redline import __version__, engine
from redline.crs import ellipsoidal_areas_m2
from redline.errors import GeometryError, RedlineError
from redline.footprint import ensure_in_region
from redline.io import Project, applications_of, as_project, feature_table_of
from redline.isolation import Limits, isolated
from redline.layers import LayerSet, VectorLayer
from redline.model import Kind, Options, Report, Status
from redline.rules import LANDCOVER, REGION
from redline.rules.base import Context, not_checked, with_nearest

log = logging.getLogger(__name__)

def check(target, layers: LayerSet, *, crs=None, national_major: bool = False, activity: int | None = None,
          setback_m: float = 200.0, options: Options | None = None, limits: Limits | None = None,
          **read_options) -> Report:
    """Check one project against every rule.

    Parameters
    ----------
    target : a boundary file's path, a ``Project``, a shapely geometry, a GeoSeries or a GeoDataFrame (its
        parcels are one project). Every kind goes through the same checks (``redline.io.project``).
    layers : from ``load_layers``.
    crs : CRS of a target without one, or to override a wrong one (a label, not a transform).
    national_major, activity, setback_m : the applicant's declarations (``Options``); ``options`` gives them all
        at once instead.
    limits : for an untrusted file: read and check it in a child process held to these
        (``redline.isolation.isolated``); a file that crashes the reader, runs too long or takes too much memory
        raises that file's ``RedlineError`` and leaves this process as it was. Call it so from a single-threaded
        process.
    read_options : ``read_project``'s (``layer``, ``encoding``, ``repair``, limits) for a path; ``repair`` and
        ``name`` for geometries.
    """
    options = options or Options(national_major=national_major, activity=activity, setback_m=setback_m)
    if limits is not None:
        return isolated(check, target, layers, crs=crs, options=options, limits=limits, label=str(target), **read_options)
    project = as_project(target, crs=crs, **read_options)
    ensure_in_region(project, layers.bounds)
    return check_projects([project], layers, options=options)[0]


def check_many(frame, layers: LayerSet, *, id_field: str = "id", crs=None, national_major: bool = False,
               activity: int | None = None, setback_m: float = 200.0, options: Options | None = None,
               repair: bool = False) -> list[Report]:
    """Check each row of a GeoDataFrame as its own application, vectorised; the reports in row order.

    Every row is validated first; rows that cannot be checked are refused together in one ``GeometryError``
    naming each (``id_field`` values, or row numbers from 1). A report's ``project.file`` is ``<memory>#id``.
    """
    options = options or Options(national_major=national_major, activity=activity, setback_m=setback_m)
    table = feature_table_of(frame, id_field=id_field, crs=crs)
    projects, problems = [], []
    for application, project in applications_of(table, repair=repair):
        if isinstance(project, Project):
            try:
                ensure_in_region(project, layers.bounds)
                projects.append(dataclasses.replace(project, path=Path(f"<memory>#{application}")))
                continue
            except RedlineError as error:
                project = error
        problems.append(f"{application}: {str(project).removeprefix('<memory>: ')}")
    if problems:
        raise GeometryError(f"{len(problems)} 行无法检查 / {len(problems)} rows cannot be checked: " + "; ".join(problems[:20]))
    return check_projects(projects, layers, options=options)


def check_projects(projects: list[Project], layers: LayerSet, *, options: Options = Options(),
                   with_geometry: bool = True, each: bool = False) -> list[Report | Exception]:
    """Check read, in-region projects against every rule, each layer queried once for all of them (vectorised).

    ``with_geometry=False`` skips dissolving the intrusion pieces (for batches that keep only the reports). With
    ``each``, a project that makes the check fail is that project's exception, never the others': the projects are
    checked together and, if that fails, one by one (a failure here is a bug or a geometry GEOS cannot handle, kept
    as the project's result so a batch or a server goes on).
    """
    if each:
        try:
            return check_projects(projects, layers, options=options, with_geometry=with_geometry)
        except Exception as error:  # noqa: BLE001 - retried one by one just below
            log.warning("%d 个项目合并检查失败（%s），逐个检查 / checking %d projects together failed; checking them one by one",
                        len(projects), error, len(projects))
        results: list[Report | Exception] = []
        for project in projects:
            try:
                results.append(check_projects([project], layers, options=options, with_geometry=with_geometry)[0])
            except Exception as single:  # noqa: BLE001 - this project's result
                results.append(single)
        return results
    footprints = np.array([project.geometry for project in projects], dtype=object)
    areas = ellipsoidal_areas_m2(footprints)
    findings = [[] for _ in projects]
    intrusions = [{} for _ in projects]
    nearest_lines = [{} for _ in projects]
    for rule in layers.rules:
        layer, problem = layers.for_rule(rule.RULE.id)
        if layer is None:
            missing = not_checked(rule.RULE, problem)  # one finding shared by every project (findings are frozen)
            for found in findings:
                found.append(missing)
            continue
        reach = rule.reach_m(options) if hasattr(rule, "reach_m") else None
        zones = engine.setback_zones(footprints, layer, layers.equal_area, reach) if reach is not None else None
        if rule.RULE.kind == Kind.LINE:
            overlaps = engine.overlay_lines(footprints, layer, setback_zones=zones)
        else:
            overlaps = engine.overlay_polygons(footprints, layer, areas_m2=areas)
            if zones is not None:  # what the layer holds within reach of the footprint, the footprint included
                overlaps = [dataclasses.replace(overlap, near_by_role=near.by_role)
                            for overlap, near in zip(overlaps, engine.overlay_polygons(zones, layer))]
        measured = rule.RULE.proximity and rule.RULE.kind == Kind.POLYGON
        absent = np.flatnonzero([overlap.total == 0 for overlap in overlaps]) if measured else []
        nearest = dict(zip(absent, engine.nearest_features(footprints[absent], layer, options.search_m,
                                                           layers.equal_area))) if len(absent) else {}
        for number, overlap in enumerate(overlaps):
            finding = rule.evaluate(overlap, Context(float(areas[number]), options))
            if number in nearest:
                finding = with_nearest(finding, nearest[number], options.search_m)
                if with_geometry and nearest[number] is not None:
                    nearest_lines[number][rule.RULE.id] = nearest[number].line
            findings[number].append(finding)
            if with_geometry and finding.status in (Status.VIOLATION, Status.REVIEW) and overlap.pieces:
                intrusions[number][rule.RULE.id] = rule.RULE.map_pieces(overlap, footprints[number])
    manifest = describe_manifest(layers)
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    contexts = _contexts(footprints, areas, layers)
    return [Report(redline_version=__version__, created=created, project={**project.describe(), "area_m2": float(area)},
                   manifest=manifest, options=options, findings=tuple(found), context=context, footprint=footprint,
                   intrusions=intruded, nearest_lines=lines)
            for project, area, found, context, footprint, intruded, lines
            in zip(projects, areas, findings, contexts, footprints, intrusions, nearest_lines)]


def describe_manifest(layers: LayerSet) -> dict:
    """The report's ``manifest`` block: manifest hash, and each layer's file, hash and vintage."""
    manifest = layers.manifest
    return {
        "file": _display_path(manifest.path), "sha256": manifest.sha256, "name": manifest.name,
        "disclaimer": manifest.disclaimer, **({"disclaimer_zh": manifest.disclaimer_zh} if manifest.disclaimer_zh else {}),
        "layers": [{"id": spec.id, "file": spec.label, "sha256": layers.data_sha256(spec), "vintage": spec.vintage,
                    "loaded": spec.id in layers.layers, **({"problem": layers.problems[spec.id]}
                                                           if spec.id in layers.problems else {})}
                   for spec in manifest.layers.values()],
    }


def _display_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it, else absolute."""
    path = Path(path).resolve()
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def _contexts(footprints, areas_m2, layers: LayerSet) -> list[dict]:
    contexts = [{} for _ in footprints]
    region, _ = layers.for_rule(REGION)
    if isinstance(region, VectorLayer):
        for context, names in zip(contexts, engine.features_touched(footprints, region)):
            context["region_features"] = names
    landcover, _ = layers.for_rule(LANDCOVER)
    if landcover is not None:
        for context, areas in zip(contexts, engine.overlay_raster(footprints, landcover, areas_m2=areas_m2)):
            context["landcover_m2"] = {str(k): v for k, v in sorted(areas.items())}
    return contexts


def with_geometry(saved: Report, layers: LayerSet, path, *, limits: Limits = Limits(), **read_options) -> Report:
    """A saved report (read back from its JSON) with its footprint and intrusion pieces again, for its map and
    documents, keeping its own figures, time and number.

    The project file at ``path`` must be the one checked (same SHA-256), the layers the same data, and checking
    it again must give the same statuses and figures (to 1e-9 relative); otherwise the report cannot be
    redrawn and a ``RedlineError`` says why.
    """
    changed = [f"{layer['id']} ({layer['sha256'][:12]} → {now[:12] or '—'})" for layer in saved.manifest["layers"]
               for now in [_layer_sha256(layers, layer["id"])] if now != layer["sha256"]]
    if changed:
        raise RedlineError(f"图层自检查以来已变化 / the layers changed since the check: {', '.join(changed)}; "
                           "check the project again instead")
    again = check(path, layers, options=saved.options, limits=limits, **read_options)
    if again.project["sha256"] != saved.project["sha256"]:
        raise RedlineError(f"{path}: 不是所检查的文件 / is not the file checked (SHA-256 {again.project['sha256'][:12]}, "
                           f"the report's {saved.project['sha256'][:12]}); pass the file that was checked")
    differ = [found.rule for found, then in zip(again.findings, saved.findings)
              if found.rule != then.rule or found.status is not then.status
              or not all(np.isclose(found.measures.get(k, np.nan), v, rtol=1e-9, atol=1e-6) for k, v in then.measures.items())]
    if differ or len(again.findings) != len(saved.findings):
        raise RedlineError(f"{path}: 重新检查的结果与报告不同 / checking it again gives other results "
                           f"({', '.join(differ) or 'other rules'}); pass crs=… with the CRS the check used, or check it again")
    return dataclasses.replace(saved, footprint=again.footprint, intrusions=again.intrusions,
                               nearest_lines=again.nearest_lines)


def _layer_sha256(layers: LayerSet, layer_id: str) -> str:
    spec = layers.manifest.layers.get(layer_id)
    return layers.data_sha256(spec) if spec is not None else ""
