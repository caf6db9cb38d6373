"""DXF boundaries (ezdxf): closed polylines and hatches by CAD layer. DXF has no CRS: pass --crs.

A drawing holds the red line beside a drawing frame (图框), building outlines and notes on other layers:
the caller chooses the layer (``redline.io.features.choose_layer``), never this reader. On one layer, a
closed outline drawn inside another is a hole of it (even-odd nesting, as CAD red lines mark land taken
out), and outlines repeated exactly (a hatch over its polyline) count once. Open polylines cannot be
boundaries; those skipped are named in a correction.
"""

from __future__ import annotations

from pathlib import Path

import ezdxf
import geopandas as gpd
import numpy as np
import shapely
from ezdxf import recover

from redline.errors import GeometryError, InputError, correct
from redline.io.features import Features


def read_dxf(path: Path) -> dict[str, Features]:
    """CAD layer → its closed LWPOLYLINE/POLYLINE outlines and HATCH boundaries (first path outer, the rest holes)."""
    try:
        document, auditor = recover.readfile(str(path))
    except (OSError, ezdxf.DXFStructureError) as error:
        raise InputError(f"{path}: 不是可读的 DXF / not a readable DXF ({error}); save it again from the CAD program") from None
    if auditor.has_errors:
        raise InputError(f"{path}: DXF 结构有误 / the DXF has {len(auditor.errors)} structural errors; audit and save it again")
    space = document.modelspace()
    layers = sorted({entity.dxf.layer for entity in space})
    rows: dict[str, list] = {}
    skipped: dict[str, list] = {}
    for entity in space.query("LWPOLYLINE POLYLINE HATCH"):
        polygon = _polygon(entity)
        if polygon is None:
            skipped.setdefault(entity.dxf.layer, []).append(entity.dxf.handle)
        else:
            rows.setdefault(entity.dxf.layer, []).append({"name": entity.dxf.layer, "geometry": polygon})
    if not rows:
        raise GeometryError(f"{path}: 图中无闭合多段线或填充 / no closed polyline or hatch in the drawing "
                            f"(layers: {', '.join(layers) or 'none'}); close the outline")
    return {layer: _reader(path, layer, found, skipped.get(layer, [])) for layer, found in sorted(rows.items())}


def _reader(path: Path, layer: str, rows: list, skipped: list):
    """The layer's features, read on demand; naming the open polylines skipped on it when it is read."""
    def read() -> Features:
        if skipped:
            handles = ", ".join(skipped[:10]) + (" …" if len(skipped) > 10 else "")
            correct("open_polyline_skipped", f"{path} (图层 / layer {layer})",
                    f"{len(skipped)} 条未闭合多段线不是边界，已跳过（句柄 {handles}）",
                    f"{len(skipped)} open polyline(s) skipped, no boundary (handles {handles})")
        polygons = _nested([row["geometry"] for row in rows])
        return Features.of(gpd.GeoDataFrame({"name": [layer] * len(polygons)}, geometry=polygons))
    return read


def _nested(polygons: list) -> list:
    """The polygons of one layer with each one drawn inside another as a hole of it (even-odd); repeats dropped."""
    normalised = shapely.normalize(np.array(polygons, dtype=object))
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
    return [shapely.Polygon(unique[outer].exterior.coords, [*[ring.coords for ring in unique[outer].interiors], *holes])
            for outer, holes in outers]


def _polygon(entity):
    """The entity's polygon; None for an open polyline."""
    if entity.dxftype() == "HATCH":
        rings = [[(v[0], v[1]) for v in path_.vertices] for path_ in entity.paths if hasattr(path_, "vertices")]
        rings = [r for r in rings if len(r) >= 3]
        return shapely.Polygon(rings[0], rings[1:]) if rings else None
    points = [(p[0], p[1]) for p in (entity.get_points("xy") if entity.dxftype() == "LWPOLYLINE" else
                                     [v.dxf.location for v in entity.vertices])]
    closed = entity.closed if entity.dxftype() == "LWPOLYLINE" else entity.is_closed
    return shapely.Polygon(points) if len(points) >= 3 and (closed or points[0] == points[-1]) else None
