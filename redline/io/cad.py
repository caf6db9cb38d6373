"""DXF boundaries (ezdxf): closed outlines by CAD layer, arcs kept as arcs. DXF has no CRS: the caller states it.

A drawing holds the red line beside a drawing frame (图框), building outlines and notes on other layers:
the caller chooses the layer (``redline.io.features.choose_layer``), never this reader. On one layer, a
closed outline drawn inside another is a hole of it (even-odd nesting, as CAD red lines mark land taken
out), and outlines repeated exactly (a hatch over its polyline) count once.

Outlines are LWPOLYLINE and 2D POLYLINE with their bulges (arc segments), CIRCLE, closed ELLIPSE and SPLINE,
and HATCH boundaries, both polyline paths (with bulges) and edge paths (lines, arcs, elliptic arcs, splines).
Curves are densified on the true curve (``flatten_sagitta_m``): no chord lies farther than 0.01 m from its
arc, and the area lost to the chords is at most 0.005 % of the outline's (the chords of a curve of length L
cut off about ⅔·s·L). Open LINE, ARC, polyline, elliptic arc and spline pieces whose ends meet within
``JOIN_TOLERANCE_M`` are joined into outlines, with a correction; pieces that close nothing are skipped,
with a correction, when the layer has outlines, and refused naming the entity types otherwise.

Text: ezdxf decodes a drawing by its ``$DWGCODEPAGE`` (ANSI_936 is GBK). Chinese CAD programs also write GBK
layer names under ANSI_1252 or no code page at all; such names (every non-ASCII one GB18030 bytes that read as
Chinese) are read as GB18030, with a correction, never shown as mojibake. Binary DXF is read as well.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import ezdxf
import geopandas as gpd
import numpy as np
import shapely
from ezdxf import recover
from ezdxf.math import OCS, BSpline, ConstructionEllipse, bulge_to_arc, fit_points_to_cad_cv

from redline.errors import GeometryError, InputError, LimitError, correct
from redline.io.features import Features

MAX_SAGITTA_M = 0.01
"""Largest distance between a curve and the chord that stands for it."""
MAX_AREA_LOSS = 5e-5
"""Largest share of an outline's area the chords of its curves may cut off."""
JOIN_TOLERANCE_M = 0.001
"""Ends of open pieces this close are one point."""
MAX_CURVE_VERTICES = 100_000
"""Vertices one curve may need; more means wrong units or a hostile drawing."""
ENTITIES = "LWPOLYLINE POLYLINE HATCH CIRCLE ARC LINE ELLIPSE SPLINE"


@dataclass(frozen=True)
class Piece:
    """A run of an outline: ``points(sagitta)`` gives its vertices, start to end, on the true curve."""

    points: Callable[[float], list]
    curve_m: float
    """Length of its curved parts (0 for straight runs): what the chords cut off grows with it."""


@dataclass(frozen=True)
class Run:
    """One entity's (or hatch path's) pieces, closed or open, with what it is for messages."""

    pieces: tuple[Piece, ...]
    closed: bool
    kind: str
    handle: str


BINARY_DXF = b"AutoCAD Binary DXF\r\n\x1a\x00"
"""How a binary DXF begins."""


def read_dxf(path: Path) -> dict[str, Features]:
    """CAD layer → its outlines: closed curves and the open pieces that join into closed ones."""
    try:
        with open(path, "rb") as stream:
            binary = stream.read(len(BINARY_DXF)) == BINARY_DXF
        if binary:  # ezdxf's recovering loader reads text DXF only
            document = ezdxf.readfile(str(path))
            auditor = document.audit()
        else:
            document, auditor = recover.readfile(str(path))
    except (OSError, ezdxf.DXFError, UnicodeDecodeError, ValueError) as error:
        raise InputError(f"{path}: 不是可读的 DXF / not a readable DXF ({str(error)[:200]}); save it again from the CAD "
                         "program") from None
    if auditor.has_errors:
        raise InputError(f"{path}: DXF 结构有误 / the DXF has {len(auditor.errors)} structural errors; audit and save it again")
    space = document.modelspace()
    named = _layer_names(document, {entity.dxf.layer for entity in space}, path)
    layers = sorted(named.values())
    runs: dict[str, list[Run]] = {}
    for entity in space.query(ENTITIES):
        for run in _runs(entity):
            runs.setdefault(named[entity.dxf.layer], []).append(run)
    try:
        outlines = {layer: _outlines(found) for layer, found in sorted(runs.items())}
    except (LimitError, GeometryError) as error:
        raise type(error)(f"{path}: {error}") from None
    with_rings = {layer: found for layer, found in outlines.items() if found[0]}
    if not with_rings:
        found = ", ".join(f"{layer}: {_kinds(open_runs)}" for layer, (_, _, open_runs) in outlines.items())
        raise GeometryError(f"{path}: 图中无闭合多段线或填充 / no closed polyline or hatch in the drawing "
                            f"(layers: {', '.join(layers) or 'none'}); pieces that close no outline: {found or 'none'}; "
                            "close the outline")
    return {layer: _reader(path, layer, *found) for layer, found in with_rings.items()}


WESTERN_CODE_PAGES = ("cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1257", "iso-8859-1", "latin-1")


def _layer_names(document, names: set[str], path: Path) -> dict[str, str]:
    """Each layer name as read → as the drawing meant it: as read, unless the drawing was decoded with a Western code
    page and every non-ASCII name is GB18030 bytes that read as Chinese (then those, with a correction)."""
    meant = {name: name for name in names}
    foreign = [name for name in names if not name.isascii()]
    if not foreign or document.encoding.lower() not in WESTERN_CODE_PAGES:
        return meant
    try:
        again = {name: name.encode(document.encoding, errors="surrogateescape").decode("gb18030") for name in foreign}
    except (UnicodeEncodeError, UnicodeDecodeError):
        return meant  # Western text after all
    if not all(any("\u4e00" <= c <= "\u9fff" for c in text) for text in again.values()):
        return meant
    declared = document.header.get("$DWGCODEPAGE") or "无 / none"
    shown = "、".join(sorted(again.values())[:5])
    correct("encoding_guessed", str(path), f"DXF 代码页为 {declared}，但图层名是中文 GB18030 编码，已按 GB18030 读出（{shown}）；"
            "如有误请在 CAD 中另存为 DXF 2007 或更新版本",
            f"the DXF's code page is {declared} but its layer names are Chinese GB18030 bytes: read as GB18030 ({shown}); "
            "if that is wrong, save the drawing as DXF 2007 or later")
    return {**meant, **again}


def _outlines(runs: list[Run]):
    """(rings, joined runs, open runs left) of one layer: closed runs, and open ones joined end to end."""
    rings = [ring for ring in (_ring(run.pieces) for run in runs if run.closed) if ring is not None]
    open_runs = [run for run in runs if not run.closed]
    joined, left = _joined(open_runs)
    return rings + [ring for ring, _ in joined], [used for _, used in joined], left


def _reader(path: Path, layer: str, rings: list, joined: list[list[Run]], left: list[Run]):
    """The layer's features, read on demand, with a correction for every join and every piece skipped."""
    def read() -> Features:
        where = f"{path} (图层 / layer {layer})"
        for used in joined:
            handles = ", ".join(run.handle for run in used[:10]) + (" …" if len(used) > 10 else "")
            correct("outline_joined", where,
                    f"{len(used)} 段（{_kinds(used)}，句柄 {handles}）首尾相接（≤ 1 毫米），已连成闭合边界",
                    f"{len(used)} pieces ({_kinds(used)}, handles {handles}) meeting end to end within 1 mm joined into "
                    "one closed outline")
        if left:
            handles = ", ".join(run.handle for run in left[:10]) + (" …" if len(left) > 10 else "")
            correct("open_polyline_skipped", where, f"{len(left)} 段未闭合线（{_kinds(left)}）不是边界，已跳过（句柄 {handles}）",
                    f"{len(left)} open polyline(s) skipped, no boundary ({_kinds(left)}; handles {handles})")
        polygons = _nested(rings)
        return Features.of(gpd.GeoDataFrame({"name": [layer] * len(polygons)}, geometry=polygons))
    return read


def _kinds(runs: list[Run]) -> str:
    counts: dict[str, int] = {}
    for run in runs:
        counts[run.kind] = counts.get(run.kind, 0) + 1
    return ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items())) or "none"


def _nested(rings: list) -> list:
    """The rings of one layer as polygons, each one drawn inside another a hole of it (even-odd); repeats dropped."""
    normalised = shapely.normalize(shapely.polygons(np.array(rings, dtype=object)))
    _, first = np.unique(shapely.to_wkb(normalised), return_index=True)
    unique = normalised[np.sort(first)]
    unique = unique[np.argsort(-shapely.area(unique), kind="stable")]
    containing, contained = shapely.STRtree(unique).query(unique, predicate="contains")
    depth = np.bincount(contained[containing != contained], minlength=len(unique))
    outers: list[tuple[int, list]] = []
    for index in range(len(unique)):
        if depth[index] % 2 == 0:
            outers.append((index, []))
            continue
        holder = next(holes for outer, holes in reversed(outers) if unique[outer].contains(unique[index]))
        holder.append(unique[index].exterior.coords)
    return [shapely.Polygon(unique[outer].exterior.coords, holes) for outer, holes in outers]


def _ring(pieces) -> shapely.LinearRing:
    """The closed outline of ``pieces``, its curves flattened finely enough for both limits of ``MAX_SAGITTA_M``."""
    sagitta = MAX_SAGITTA_M
    points = _chain(pieces, sagitta)
    curve_m = sum(piece.curve_m for piece in pieces)
    if curve_m:
        area = abs(shapely.area(shapely.Polygon(points))) if len(points) >= 3 else 0.0
        finer = 1.5 * MAX_AREA_LOSS * area / curve_m  # ⅔·s·L ≤ MAX_AREA_LOSS·A
        if 0 < finer < sagitta:
            sagitta = max(finer, MAX_SAGITTA_M * 1e-4)
            points = _chain(pieces, sagitta)
    if len(points) < 3:
        return None
    return shapely.LinearRing(points)


def _chain(pieces, sagitta: float) -> list:
    """The pieces' vertices in order, the shared end of consecutive pieces once."""
    points: list = []
    for piece in pieces:
        run = piece.points(sagitta)
        points.extend(run[1:] if points and np.allclose(points[-1], run[0], atol=1e-9, rtol=0) else run)
    if len(points) > 1 and np.allclose(points[0], points[-1], atol=1e-9, rtol=0):
        points.pop()
    return points


def _joined(runs: list[Run]):
    """([(ring, runs used)], runs left): open runs whose ends meet within ``JOIN_TOLERANCE_M`` joined into rings.

    Ends are merged into nodes; a ring is a cycle of runs through nodes each shared by exactly two ends, so a
    junction of three pieces or more is never resolved by a guess.
    """
    if not runs:
        return [], []
    ends = np.array([[_chain(run.pieces, MAX_SAGITTA_M)[i] for i in (0, -1)] for run in runs], dtype=float)
    points = shapely.points(ends.reshape(-1, 2))
    near, other = shapely.STRtree(points).query(points, predicate="dwithin", distance=JOIN_TOLERANCE_M)
    node = np.arange(len(points))
    for a, b in zip(near.tolist(), other.tolist()):  # union-find of ends within the tolerance
        ra, rb = _root(node, a), _root(node, b)
        node[max(ra, rb)] = min(ra, rb)
    node = np.array([_root(node, i) for i in range(len(points))]).reshape(-1, 2)
    degree = np.bincount(node.ravel(), minlength=len(points))
    touching: dict[int, list[int]] = {}
    for index, (a, b) in enumerate(node.tolist()):
        touching.setdefault(a, []).append(index)
        touching.setdefault(b, []).append(index)
    rings, used = [], set()
    for first in range(len(runs)):
        a, b = node[first]
        if first in used or degree[a] != 2 or degree[b] != 2:
            continue
        order, forward, at = [first], [True], b
        while at != a:
            following = [r for r in touching[at] if r not in order]
            if len(following) != 1:
                break
            ahead = bool(node[following[0], 0] == at)
            order.append(following[0])
            forward.append(ahead)
            at = node[following[0], 1] if ahead else node[following[0], 0]
            if degree[at] != 2:
                break
        else:
            pieces = [piece if ahead else _reversed(piece) for r, ahead in zip(order, forward)
                      for piece in (runs[r].pieces if ahead else runs[r].pieces[::-1])]
            ring = _ring(_snapped(pieces))
            if ring is not None:
                rings.append((ring, [runs[r] for r in order]))
                used.update(order)
    return rings, [run for index, run in enumerate(runs) if index not in used]


def _root(node: np.ndarray, index: int) -> int:
    while node[index] != index:
        node[index] = node[node[index]]
        index = node[index]
    return int(index)


def _reversed(piece: Piece) -> Piece:
    return Piece(lambda sagitta: piece.points(sagitta)[::-1], piece.curve_m)


def _snapped(pieces: list[Piece]) -> list[Piece]:
    """The pieces with each one's start moved onto the previous one's end (they lie within the join tolerance)."""
    def snap(piece: Piece, previous: Piece) -> Piece:
        return Piece(lambda sagitta: [previous.points(sagitta)[-1], *piece.points(sagitta)[1:]], piece.curve_m)
    return [pieces[0], *(snap(piece, previous) for previous, piece in zip(pieces, pieces[1:]))]


def _runs(entity) -> list[Run]:
    """The entity's outlines and open pieces (a hatch gives one per boundary path)."""
    kind, handle = entity.dxftype(), entity.dxf.handle
    if kind == "HATCH":
        return [_hatch_path(path, entity, handle) for path in entity.paths]
    if kind == "LWPOLYLINE":
        points = [(x, y, bulge) for x, y, _, _, bulge in entity.get_points("xyseb")]
        return [_bulged(points, entity.closed, entity.ocs(), entity.dxf.elevation, kind, handle)]
    if kind == "POLYLINE":
        if not (entity.is_2d_polyline or entity.is_3d_polyline):
            return []  # polyface and polygon meshes are not outlines
        points = [(v.dxf.location.x, v.dxf.location.y, v.dxf.bulge if entity.is_2d_polyline else 0.0) for v in entity.vertices]
        ocs = entity.ocs() if entity.is_2d_polyline else OCS()
        return [_bulged(points, entity.is_closed, ocs, entity.dxf.elevation.z if entity.is_2d_polyline else 0.0, kind, handle)]
    if kind in ("CIRCLE", "ARC"):
        whole = kind == "CIRCLE"
        start, end = (0.0, 360.0) if whole else (entity.dxf.start_angle, entity.dxf.end_angle)
        piece = _arc(entity.dxf.center, entity.dxf.radius, math.radians(start), math.radians(end), entity.ocs())
        return [Run((piece,), whole, kind, handle)]
    if kind == "LINE":
        start, end = entity.dxf.start, entity.dxf.end
        return [Run((_line(start, end),), False, kind, handle)]
    if kind == "ELLIPSE":
        ellipse = entity.construction_tool()
        whole = math.isclose(abs(ellipse.param_span), math.tau)
        return [Run((_curve(ellipse),), whole, kind, handle)]
    spline = entity.construction_tool()  # SPLINE
    ends = spline.control_points[0], spline.control_points[-1]
    return [Run((_curve(spline),), bool(entity.closed) or np.allclose(ends[0], ends[1], atol=1e-9), kind, handle)]


def _bulged(vertices: list, closed: bool, ocs: OCS, elevation: float, kind: str, handle: str) -> Run:
    """A polyline's run: each segment a line, or an arc where its start vertex has a bulge (in the entity's OCS)."""
    if len(vertices) > 1 and closed is False and np.allclose(vertices[0][:2], vertices[-1][:2], atol=1e-9):
        closed = True  # drawn back to its first point without the closed flag
        vertices = vertices[:-1]
    pieces = []
    count = len(vertices) if closed else len(vertices) - 1
    for index in range(count):
        (x0, y0, bulge), (x1, y1, _) = vertices[index], vertices[(index + 1) % len(vertices)]
        if (x0, y0) == (x1, y1):
            continue
        if bulge:
            center, start_angle, end_angle, radius = bulge_to_arc((x0, y0), (x1, y1), bulge)
            piece = _arc((center.x, center.y, elevation), radius, start_angle, end_angle, ocs, first=(x0, y0))
        else:
            piece = _line(ocs.to_wcs((x0, y0, elevation)), ocs.to_wcs((x1, y1, elevation)))
        pieces.append(piece)
    return Run(tuple(pieces), closed and len(pieces) > 0, kind, handle)


def _line(start, end) -> Piece:
    points = [(start[0], start[1]), (end[0], end[1])]
    return Piece(lambda sagitta: list(points), 0.0)


def _arc(center, radius: float, begin: float, end: float, ocs: OCS, *, first=None) -> Piece:
    """An arc counter-clockwise from angle ``begin`` to ``end`` (radians, in ``ocs``); reversed to start at the OCS
    point ``first`` when that is its other end (a polyline's bulge with a negative sign)."""
    span = (end - begin) % math.tau or math.tau
    cx, cy, cz = center[0], center[1], center[2] if len(center) > 2 else 0.0
    if not (math.isfinite(radius) and radius > 0):
        raise GeometryError(f"圆弧半径无效 / an arc has radius {radius!r}; draw it again")

    def points(sagitta: float) -> list:
        step = 2 * math.acos(1 - sagitta / radius) if sagitta < radius else math.pi / 2
        count = max(2, math.ceil(span / step))
        if count > MAX_CURVE_VERTICES:
            raise LimitError(f"圆弧过大 / an arc of radius {radius:,.0f} needs {count:,} vertices to stay within "
                             f"{sagitta} of its chords, over the {MAX_CURVE_VERTICES:,} limit; check the drawing's units")
        angles = begin + span * np.linspace(0, 1, count + 1)
        local = np.column_stack([cx + radius * np.cos(angles), cy + radius * np.sin(angles), np.full(count + 1, cz)])
        placed = [(p.x, p.y) for p in ocs.points_to_wcs(local.tolist())]
        if first is not None and math.dist(placed[-1], start) < math.dist(placed[0], start):
            placed.reverse()
        return placed

    start = None if first is None else tuple(ocs.to_wcs((first[0], first[1], cz)))[:2]
    return Piece(points, radius * span)


def _curve(curve: ConstructionEllipse | BSpline) -> Piece:
    """An elliptic arc or a spline, flattened by ezdxf on the true curve."""
    coarse = [(p.x, p.y) for p in curve.flattening(MAX_SAGITTA_M * 10)]
    length = float(sum(math.dist(a, b) for a, b in zip(coarse, coarse[1:])))
    return Piece(lambda sagitta: [(p.x, p.y) for p in curve.flattening(sagitta)], length)


def _hatch_path(path, hatch, handle: str) -> Run:
    """One HATCH boundary path: a polyline path with bulges, or an edge path of lines, arcs, elliptic arcs, splines."""
    ocs, elevation = hatch.ocs(), hatch.dxf.elevation.z
    if hasattr(path, "vertices"):
        return _bulged([tuple(v) for v in path.vertices], True, ocs, elevation, "HATCH", handle)
    pieces = []
    for edge in path.edges:
        kind = edge.type.name
        if kind == "LINE":
            pieces.append(_line(ocs.to_wcs((*edge.start, elevation)), ocs.to_wcs((*edge.end, elevation))))
        elif kind == "ARC":  # ezdxf turns clockwise arcs counter-clockwise when it loads them
            pieces.append(_arc((*edge.center, elevation), edge.radius, math.radians(edge.start_angle),
                               math.radians(edge.end_angle), ocs))
        elif kind == "ELLIPSE":
            local = edge.construction_tool()
            pieces.append(_curve(ConstructionEllipse(ocs.to_wcs(local.center.replace(z=elevation)),
                                                     ocs.to_wcs(local.major_axis), ratio=local.ratio,
                                                     start_param=local.start_param, end_param=local.end_param)))
        else:  # SPLINE
            control = [ocs.to_wcs((p[0], p[1], elevation)) for p in edge.control_points]
            if control:
                spline = BSpline(control, order=edge.degree + 1, knots=list(edge.knot_values) or None,
                                 weights=list(edge.weights) or None)
            elif len(edge.fit_points) >= 2:
                spline = fit_points_to_cad_cv([ocs.to_wcs((p[0], p[1], elevation)) for p in edge.fit_points])
            else:
                continue
            pieces.append(_curve(spline))
    return Run(tuple(_oriented(pieces)), True, "HATCH", handle)


def _oriented(pieces: list[Piece]) -> list[Piece]:
    """Edge-path pieces each turned to start where the one before it ends (edges need not share a direction)."""
    ordered: list[Piece] = []
    for piece in pieces:
        if ordered:
            end = ordered[-1].points(MAX_SAGITTA_M)[-1]
            run = piece.points(MAX_SAGITTA_M)
            if math.dist(run[-1], end) < math.dist(run[0], end):
                piece = _reversed(piece)
        elif len(pieces) > 1:
            following = pieces[1].points(MAX_SAGITTA_M)
            run = piece.points(MAX_SAGITTA_M)
            if min(math.dist(run[0], p) for p in (following[0], following[-1])) < \
                    min(math.dist(run[-1], p) for p in (following[0], following[-1])):
                piece = _reversed(piece)
        ordered.append(piece)
    return ordered
