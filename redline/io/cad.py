"""DXF boundaries (ezdxf): closed polylines and hatches, optionally from one CAD layer. DXF has no CRS: pass --crs."""

from __future__ import annotations

from pathlib import Path

import ezdxf
import geopandas as gpd
import shapely
from ezdxf import recover

from redline.errors import GeometryError, InputError


def read_dxf(path: Path, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Closed LWPOLYLINE/POLYLINE outlines and HATCH boundaries (first path outer, the rest holes)."""
    try:
        document, auditor = recover.readfile(str(path))
    except (OSError, ezdxf.DXFStructureError) as error:
        raise InputError(f"{path}: not a readable DXF ({error}); save it again from the CAD program") from None
    if auditor.has_errors:
        raise InputError(f"{path}: the DXF has {len(auditor.errors)} structural errors; audit and save it again")
    space = document.modelspace()
    layers = sorted({entity.dxf.layer for entity in space})
    rows = []
    for entity in space.query("LWPOLYLINE POLYLINE HATCH"):
        if layer is not None and entity.dxf.layer != layer:
            continue
        if entity.dxftype() == "HATCH":
            rings = [[(v[0], v[1]) for v in path_.vertices] for path_ in entity.paths if hasattr(path_, "vertices")]
            rings = [r for r in rings if len(r) >= 3]
            if rings:
                rows.append({"name": entity.dxf.layer, "geometry": shapely.Polygon(rings[0], rings[1:])})
            continue
        points = [(p[0], p[1]) for p in (entity.get_points("xy") if entity.dxftype() == "LWPOLYLINE" else
                                         [v.dxf.location for v in entity.vertices])]
        closed = entity.closed if entity.dxftype() == "LWPOLYLINE" else entity.is_closed
        if len(points) >= 3 and (closed or points[0] == points[-1]):
            rows.append({"name": entity.dxf.layer, "geometry": shapely.Polygon(points)})
    if not rows:
        where = f"on layer {layer!r}" if layer else "in the drawing"
        raise GeometryError(f"{path}: no closed polyline or hatch {where} (layers: {', '.join(layers) or 'none'}); "
                            "close the outline or pass --layer")
    return gpd.GeoDataFrame(rows, geometry="geometry")
