"""CRS policy: which CRS the layers use, how edges are densified, how areas and lengths are measured.

Conventions
-----------
* Protected layers are stored in CGCS2000 geographic coordinates (EPSG:4490, lon/lat order).
* A boundary's edges are straight lines *in the CRS it was drawn in*. A geometry drawn in a projected
  CRS (e.g. Gauss-Krüger) is densified there so no edge is longer than ``DENSIFY_M`` (20 m) before it
  is reprojected to lon/lat (``to_cgcs2000``); a lon/lat one keeps its vertices. In lon/lat, geometries
  are intersected as they are (fewer vertices, same shapes) and densified to ``DENSIFY_M`` only when
  measured, so the measure does not depend on which engine (GEOS, PROJ, PostGIS geography) takes it.
* Areas are measured in an Albers equal-area projection on the GRS80 ellipsoid (the CGCS2000
  ellipsoid to 1e-10 in flattening) fitted to the data extent; lengths are geodesic on that ellipsoid.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Geod, Transformer
from pyproj.database import query_crs_info

CGCS2000 = CRS.from_epsg(4490)
GEOD = CGCS2000.get_geod() or Geod(ellps="GRS80")

DENSIFY_M = 20.0
"""Longest edge kept before reprojecting or measuring, in metres."""

METRES_PER_DEGREE = 111_320.0
"""Length of one degree of latitude (upper bound of one degree of longitude) in metres, for densifying."""

SQUARE_METRES_PER_MU = 10_000.0 / 15.0


DATUM_NAMES = ("CGCS2000", "Xian 1980", "Beijing 1954")


def gauss_kruger_crs(datum: str, width: int, zone: int, *, prefixed: bool) -> CRS | None:
    """The EPSG Gauss-Krüger CRS of a Chinese datum (``DATUM_NAMES``), zone width (3 or 6) and zone number.

    ``prefixed``: eastings carry the zone number in front (EPSG "zone N"), else the CRS named by its
    central meridian (EPSG "CM …E"). None when EPSG has no such CRS.
    """
    meridian = zone * 3 if width == 3 else zone * 6 - 3
    label = f"{datum} / {'3-degree ' if width == 3 else ''}Gauss-Kruger " + (f"zone {zone}" if prefixed else f"CM {meridian}E")
    code = _gauss_kruger_codes().get(label)
    return CRS.from_epsg(code) if code else None


@lru_cache(maxsize=1)
def _gauss_kruger_codes() -> dict[str, str]:
    return {info.name: info.code for info in query_crs_info(auth_name="EPSG")
            if "Gauss-Kruger" in info.name and info.name.split(" /")[0] in DATUM_NAMES}


def densify(geometries, crs: CRS, *, max_m: float = DENSIFY_M):
    """Insert vertices so no edge is longer than ``max_m`` metres, in the geometries' own ``crs``."""
    crs = CRS.from_user_input(crs)
    step = max_m / METRES_PER_DEGREE if crs.is_geographic else max_m / _unit_factor(crs)
    return shapely.segmentize(geometries, step)


def _unit_factor(crs: CRS) -> float:
    """Metres per unit of the first axis of a projected ``crs``."""
    factor = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    return factor or 1.0


def to_cgcs2000(geometries, crs):
    """``geometries`` (in ``crs``) in CGCS2000 lon/lat; from a projected ``crs`` densified there first.

    A lon/lat source keeps its vertices: its edges are straight in lon/lat already, and a datum change
    (WGS84 → CGCS2000 is a null one) moves neighbouring vertices alike.
    """
    crs = CRS.from_user_input(crs)
    geometries = np.asarray(geometries, dtype=object)
    if crs.equals(CGCS2000):
        return geometries
    if not crs.is_geographic:
        geometries = densify(geometries, crs)
    transformer = Transformer.from_crs(crs, CGCS2000, always_xy=True)
    return shapely.transform(geometries, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def equal_area_crs(bounds) -> CRS:
    """Albers equal-area CRS (GRS80, metres) fitted to ``bounds`` = (west, south, east, north) in degrees."""
    west, south, east, north = bounds
    span = north - south
    return CRS.from_proj4(
        f"+proj=aea +lat_0={(south + north) / 2:.4f} +lon_0={(west + east) / 2:.4f} "
        f"+lat_1={south + span / 6:.4f} +lat_2={north - span / 6:.4f} +ellps=GRS80 +units=m +no_defs"
    )


def geodesic_area_m2(geometry) -> float:
    """Area in m² of a lon/lat (CGCS2000) polygonal geometry on the ellipsoid; edges are geodesics."""
    if geometry is None or geometry.is_empty:
        return 0.0
    area, _ = GEOD.geometry_area_perimeter(shapely.orient_polygons(geometry))
    return abs(area)


def geodesic_lengths_m(geometries) -> np.ndarray:
    """Length in m of each lon/lat geometry of an array, edges straight in lon/lat (densified to ``DENSIFY_M``)."""
    return np.array([geodesic_length_m(g) for g in densify(geometries, CGCS2000)], dtype=float)


def geodesic_length_m(geometry) -> float:
    """Length in m of a lon/lat (CGCS2000) linear geometry along geodesics."""
    if geometry is None or geometry.is_empty:
        return 0.0
    return GEOD.geometry_length(geometry)


class EqualArea:
    """Measure lon/lat (CGCS2000) geometries in an Albers equal-area CRS fitted to ``bounds`` (degrees)."""

    def __init__(self, bounds):
        self.bounds = tuple(bounds)
        self.crs = equal_area_crs(bounds)
        self._forward = Transformer.from_crs(CGCS2000, self.crs, always_xy=True)
        self._inverse = Transformer.from_crs(self.crs, CGCS2000, always_xy=True)

    def to_metric(self, geometries):
        """Project lon/lat geometries to the equal-area CRS (metres), vertex by vertex."""
        return shapely.transform(geometries, lambda xy: np.column_stack(self._forward.transform(xy[:, 0], xy[:, 1])))

    def to_degrees(self, geometries):
        """Project equal-area geometries (metres) back to lon/lat."""
        return shapely.transform(geometries, lambda xy: np.column_stack(self._inverse.transform(xy[:, 0], xy[:, 1])))

    def area_m2(self, geometries):
        """Area in m² of lon/lat geometries, edges straight in lon/lat (densified to ``DENSIFY_M`` first)."""
        return shapely.area(self.to_metric(densify(geometries, CGCS2000)))

    def buffer(self, geometry, distance_m: float):
        """Buffer a lon/lat geometry by ``distance_m`` metres (in the equal-area CRS: linear scale error < 1e-4 over Tianjin)."""
        return self.to_degrees(shapely.buffer(self.to_metric(densify(geometry, CGCS2000)), distance_m))
