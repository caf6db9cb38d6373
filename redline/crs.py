"""CRS policy: which CRS the layers use, how edges are densified, how areas and lengths are measured.

Conventions
-----------
* Protected layers are stored in CGCS2000 geographic coordinates (EPSG:4490, lon/lat order).
* A boundary's edges are straight lines *in the CRS it was drawn in*. A geometry drawn in a projected
  CRS (e.g. Gauss-Krüger) is densified there so no edge is longer than ``DENSIFY_M`` (20 m) before it
  is reprojected to lon/lat (``to_cgcs2000``); a lon/lat one keeps its vertices. In lon/lat, geometries
  are intersected as they are (fewer vertices, same shapes).
* A CRS bound to its own 7 parameters (``+towgs84``, a BoundCRS) reaches CGCS2000 through them (to WGS84,
  taken as CGCS2000: they differ by under a metre). One PROJ has no transformation for (Beijing 1954,
  Xian 1980 to CGCS2000) is moved by PROJ's "ballpark" null shift: ``datum_shift`` tells the caller, who must
  say so in the report.
* Areas are measured on the GRS80 ellipsoid (the CGCS2000 ellipsoid to 1e-10 in flattening) exactly
  for edges straight in lon/lat (``ellipsoidal_areas_m2``); lengths are geodesic on that ellipsoid,
  along edges densified to ``DENSIFY_M``; metric buffers are drawn in an Albers equal-area projection
  (``EqualArea``) from edges densified to ``DENSIFY_M``.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import numpy as np
import pyproj
import shapely
from pyproj import CRS, Geod, Transformer
from pyproj.database import query_crs_info

from redline.errors import CRSError

CGCS2000 = CRS.from_epsg(4490)
GEOD = CGCS2000.get_geod() or Geod(ellps="GRS80")

DENSIFY_M = 20.0
"""Longest edge kept before reprojecting or measuring, in metres."""

METRES_PER_DEGREE = 111_320.0
"""Length of one degree of latitude (upper bound of one degree of longitude) in metres, for densifying."""

SQUARE_METRES_PER_MU = 10_000.0 / 15.0

GRS80_A, GRS80_F = 6_378_137.0, 1 / 298.257222101
"""Semi-major axis (m) and flattening of the GRS80 ellipsoid (CGCS2000's, to 1e-10 in flattening)."""


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
    if _is_cgcs2000(crs.srs):
        return geometries
    if not crs.is_geographic:
        geometries = densify(geometries, crs)
    transformer = _to_cgcs2000(crs.srs, threading.get_ident())
    return shapely.transform(geometries, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def warm_transformers(crss) -> None:
    """Make ``to_cgcs2000``'s transformers (and ``datum_shift``'s answer) for ``crss`` now — PROJ takes tens of
    milliseconds for each — so that a child forked later to read one upload finds them made."""
    for crs in crss:
        crs = CRS.from_user_input(crs)
        _datum_shift(crs.srs)
        if not _is_cgcs2000(crs.srs):
            _to_cgcs2000(crs.srs, threading.get_ident())


@lru_cache(maxsize=16)
def regional_crss(bounds: tuple[float, float, float, float]) -> tuple[CRS, ...]:
    """The CRSs planners' files in a region (west, south, east, north in degrees) are likely in: WGS84 lon/lat, Web
    Mercator, and the Gauss-Krüger zones (3- and 6-degree, with and without zone prefix) of each datum there (worked
    out once per region)."""
    west, _, east, _ = bounds
    zones = {(3, zone) for zone in range(round(west / 3), round(east / 3) + 1)}
    zones |= {(6, zone) for zone in range(int(west // 6) + 1, int(east // 6) + 2)}
    found = [gauss_kruger_crs(datum, width, zone, prefixed=prefixed) for datum in DATUM_NAMES for width, zone in sorted(zones)
             for prefixed in (True, False)]
    return (WGS84, CRS.from_epsg(3857), *(crs for crs in found if crs is not None))


@lru_cache(maxsize=128)
def _is_cgcs2000(srs: str) -> bool:
    """Whether the CRS ``srs`` is CGCS2000 lon/lat (asked of PROJ once per CRS: in a forked child PROJ first reopens
    its database, tens of milliseconds)."""
    return CRS.from_user_input(srs).equals(CGCS2000)


@lru_cache(maxsize=128)
def _to_cgcs2000(srs: str, thread: int) -> Transformer:
    """The transformer of ``to_cgcs2000`` from the CRS ``srs``, made once per CRS and thread (a pyproj Transformer is
    used by one thread at a time; Dask workers run several)."""
    crs = CRS.from_user_input(srs)
    return Transformer.from_crs(crs, WGS84 if crs.is_bound else CGCS2000, always_xy=True)


WGS84 = CRS.from_epsg(4326)
SAME_AS_CGCS2000 = ("China 2000", "World Geodetic System 1984")
"""Datums (names as PROJ gives them, prefix) taken as CGCS2000 without a shift: they differ by under a metre."""


def datum_shift(crs) -> str:
    """How ``to_cgcs2000`` moves ``crs`` onto CGCS2000: "none" (CGCS2000 or WGS84), "parameters" (the 7 parameters
    the CRS is bound to) or "unknown" (PROJ knows no transformation and shifts nothing: Beijing 1954, Xian 1980)."""
    return _datum_shift(CRS.from_user_input(crs).srs)


@lru_cache(maxsize=64)
def _datum_shift(srs: str) -> str:
    crs = CRS.from_user_input(srs)
    if crs.is_bound:
        return "parameters"
    datum = crs.geodetic_crs.datum.name if crs.geodetic_crs else ""
    if datum.startswith(SAME_AS_CGCS2000):
        return "none"
    description = Transformer.from_crs(crs, CGCS2000, always_xy=True).description
    return "unknown" if "Ballpark" in description or "Null" in description else "none"


def lon_scaled(geometries: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """``geometries`` (lon/lat) with each one's longitudes multiplied by its ``factor`` (2D)."""
    coordinates, owner = shapely.get_coordinates(geometries, return_index=True)
    coordinates[:, 0] *= factor[owner]
    return shapely.set_coordinates(shapely.force_2d(geometries), coordinates)


def equal_area_crs(bounds) -> CRS:
    """Albers equal-area CRS (GRS80, metres) fitted to ``bounds`` = (west, south, east, north) in degrees."""
    west, south, east, north = bounds
    span = north - south
    return CRS.from_proj4(
        f"+proj=aea +lat_0={(south + north) / 2:.4f} +lon_0={(west + east) / 2:.4f} "
        f"+lat_1={south + span / 6:.4f} +lat_2={north - span / 6:.4f} +ellps=GRS80 +units=m +no_defs"
    )


def ellipsoidal_areas_m2(geometries) -> np.ndarray:
    """Area in m² on the GRS80 ellipsoid of each lon/lat (CGCS2000) geometry, its edges straight in lon/lat.

    By Green's theorem the area of a ring is −∮ G(φ) dλ, with G the integral over latitude of the
    ellipsoid's area element (the authalic function: G(φ) = a²(1−e²)/2 · q(φ)); along an edge straight
    in lon/lat, φ is linear in λ and Simpson's rule is exact to ~1e-15 for edges up to a degree. A
    polygon's area is its outer ring's less its holes'. No densifying, no projection. Lines and points
    measure 0. Measured ``AREA_BLOCK`` vertices at a time.
    """
    geometries = np.asarray(geometries, dtype=object)
    ends = np.cumsum(shapely.get_num_coordinates(geometries))
    cuts = np.unique(np.searchsorted(ends, np.arange(AREA_BLOCK, ends[-1] if len(ends) else 0, AREA_BLOCK), side="right"))
    cuts = cuts[cuts > 0]  # a first geometry of more than a block is a block of its own
    return np.concatenate([_areas_m2(block) for block in np.split(geometries, cuts)]) if len(geometries) else np.zeros(0)


AREA_BLOCK = 65_536
"""Vertices ``ellipsoidal_areas_m2`` measures at once (a geometry with more is measured alone): its arrays stay in the
processor's caches (100,000 applications measured in one go took several times as long as in blocks:
``python -m benchmarks.bench_batch 100000 --areas``, figures in benchmarks/README.md)."""


def _areas_m2(geometries: np.ndarray) -> np.ndarray:
    polygons, owner = _polygons(geometries)
    rings, ring_owner = shapely.get_rings(polygons, return_index=True)
    lonlat, ring = shapely.get_coordinates(rings, return_index=True)
    lon, lat = np.radians(lonlat).T
    reference = _authalic_integral(lat[np.searchsorted(ring, np.arange(len(rings)))])[ring]  # small terms, less rounding
    at_vertex = _authalic_integral(lat) - reference
    at_middle = _authalic_integral((lat[1:] + lat[:-1]) / 2) - reference[1:]
    edge = -np.diff(lon) * (at_vertex[1:] + 4 * at_middle + at_vertex[:-1]) / 6
    within = ring[1:] == ring[:-1]
    ring_areas = np.abs(np.bincount(ring[1:][within], edge[within], minlength=len(rings)))
    exterior = np.r_[True, ring_owner[1:] != ring_owner[:-1]]  # each polygon's first ring; the others are holes
    areas = np.bincount(owner[ring_owner], np.where(exterior, ring_areas, -ring_areas), minlength=len(geometries))
    return areas.astype(float)  # bincount answers integers when there is no polygon at all


def _authalic_integral(latitude: np.ndarray) -> np.ndarray:
    """G(φ) in m² per radian of longitude: the GRS80 area between the equator and latitude φ (radians)."""
    e2 = GRS80_F * (2 - GRS80_F)
    e, sine = np.sqrt(e2), np.sin(latitude)
    return GRS80_A ** 2 * (1 - e2) / 2 * (sine / (1 - e2 * sine ** 2) + np.arctanh(e * sine) / e)


def _polygons(geometries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The polygons inside each geometry (multi-parts and collections opened), and whose they are."""
    parts, owner = shapely.get_parts(geometries, return_index=True)
    while (nested := shapely.get_type_id(parts) >= 4).any():
        inner, index = shapely.get_parts(parts[nested], return_index=True)
        parts, owner = np.concatenate([parts[~nested], inner]), np.concatenate([owner[~nested], owner[nested][index]])
    polygon = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts)
    return parts[polygon], owner[polygon]


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
    """An Albers equal-area CRS fitted to ``bounds`` (degrees), for metric buffers of lon/lat (CGCS2000) geometries."""

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

    def buffer(self, geometry, distance_m: float):
        """Buffer a lon/lat geometry by ``distance_m`` metres (in the equal-area CRS: linear scale error < 1e-4 over
        Tianjin). GEOS draws the arcs with 8 segments a quarter (chords up to 1.9 % of the distance inside the arc) and
        first drops dents shallower than 1 % of the distance."""
        return self.to_degrees(shapely.buffer(self.to_metric(densify(geometry, CGCS2000)), distance_m))


def parse_crs(crs) -> CRS:
    """``crs`` (an EPSG code, a WKT or PROJ string, a pyproj CRS) as a CRS; CRSError naming it if it is none."""
    try:
        return CRS.from_user_input(crs)
    except (pyproj.exceptions.CRSError, TypeError, ValueError) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0][:120]
        raise CRSError(f"{str(crs)[:80]!r}: 不是有效的坐标系 / not a coordinate reference system ({first}); "
                       "give an EPSG code such as EPSG:4490 or EPSG:4527") from None


def is_northing_first(first, second) -> bool:
    """Whether survey coordinate pairs (arrays) were written northing first, the Chinese survey convention (X north).

    True when every ``first`` has a northing's size (1e6–1e7 m: 9°–90° N) and every ``second`` an easting's
    (below 1e6 m, or with a zone prefix from 1e7 m); lon/lat pairs and eastings-first pairs give False.
    """
    first, second = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    northing_like = (first >= 1e6) & (first < 1e7)
    easting_like = (second >= 1e7) | ((second >= 1e4) & (second < 1e6))
    return bool(len(first)) and bool((northing_like & easting_like).all())
