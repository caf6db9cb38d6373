"""The shipped Tianjin demo layers hold the policy's figures, measured independently (pyproj Geod on the files)."""

import json
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "tianjin"
GEOD = Geod(ellps="GRS80")
MU_M2 = 10_000 / 15


def read(layer):
    return gpd.read_file(DATA / f"{layer}.gpkg", layer=layer)


def geod_area_m2(geometry):
    return abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(geometry))[0])


def test_every_layer_is_cgcs2000_and_valid():
    manifest = tomllib.loads((DATA / "layers.toml").read_text(encoding="utf-8"))
    for layer_id, entry in manifest["layers"].items():
        if entry["kind"] == "raster":
            import rasterio
            with rasterio.open(DATA / entry["file"]) as raster:
                assert raster.crs.to_epsg() == 4490
            continue
        frame = read(layer_id)
        assert frame.crs.to_epsg() == 4490, layer_id
        assert frame.geometry.is_valid.all(), layer_id
        assert not frame.geometry.is_empty.any(), layer_id
        assert "not official" in entry["provenance"]["note"]


def test_outline_area_is_within_a_tenth_of_a_percent_of_cnmaps():
    boundary = read("boundary")
    province = boundary[boundary.level == "province"].geometry.iloc[0]
    assert geod_area_m2(province) / 1e6 == pytest.approx(12_094.36, rel=1e-3)
    assert len(boundary[boundary.level == "district"]) == 16


def test_red_line_total_and_marine_share():
    redline = read("ecological_redline")
    areas = np.array([geod_area_m2(g) for g in redline.geometry]) / 1e6
    assert areas.sum() == pytest.approx(1557.77, abs=0.01)
    assert areas[redline.kind == "marine"].sum() >= 269.43


def test_red_line_parcels_do_not_overlap_and_sit_on_the_right_side_of_the_coast():
    redline = read("ecological_redline")
    geometries = redline.geometry.values
    tree = shapely.STRtree(geometries)
    left, right = tree.query(geometries, predicate="intersects")
    pairs = left < right
    assert all(shapely.intersection(geometries[a], geometries[b]).area < 1e-12 for a, b in zip(left[pairs], right[pairs]))
    sea = read("sea").geometry.union_all()
    province = read("boundary").geometry.iloc[0]
    for kind, geometry in zip(redline.kind, geometries):
        if kind == "land":
            assert geod_area_m2(geometry.intersection(sea)) < 1.0
        else:
            assert geod_area_m2(geometry.intersection(province)) < 1.0


def test_red_line_sits_at_the_named_places():
    names = set(read("ecological_redline").name)
    assert {"七里海湿地", "大黄堡湿地", "北大港湿地", "团泊洼", "于桥水库", "蓟州北部山区", "大神堂牡蛎礁"} <= names


def test_farmland_totals_in_mu():
    farmland = read("farmland")
    mu = np.array([geod_area_m2(g) for g in farmland.geometry]) / MU_M2
    assert mu[farmland["class"] == "永久基本农田"].sum() == pytest.approx(4_094_400, rel=1e-3)
    assert mu.sum() == pytest.approx(4_674_600, rel=1e-3)


def test_farmland_is_outside_the_red_line_and_urban_boundary():
    farmland = read("farmland").geometry.union_all()
    for layer in ("ecological_redline", "urban_boundary"):
        assert geod_area_m2(farmland.intersection(read(layer).geometry.union_all())) < 1.0


def test_natural_coastline_length():
    coast = read("coastline")
    natural = sum(GEOD.geometry_length(g) for g in coast[coast["type"] == "natural"].geometry) / 1000
    assert natural == pytest.approx(18.63, abs=0.05)
    assert set(coast.subtype) >= {"人工岸线", "淤泥质岸线"}


def test_historical_reclamation_matches_the_gshhg_figure():
    area = sum(geod_area_m2(g) for g in read("historical_reclamation").geometry) / 1e6
    assert area == pytest.approx(649, rel=0.01)


def test_zoning_units_cover_the_city_without_overlap():
    zoning = read("zoning_units")
    province = read("boundary").geometry.iloc[0]
    total = sum(geod_area_m2(g) for g in zoning.geometry)
    assert total == pytest.approx(geod_area_m2(province), rel=1e-4)
    assert set(zoning["class"]) == {"priority", "key", "general"}


def test_manifest_hashes_match_the_files():
    from redline.io.files import sha256_file
    from redline.manifest import read_manifest

    manifest = read_manifest(DATA / "layers.toml")
    assert all(sha256_file(spec.path) == spec.sha256 for spec in manifest.layers.values())


def test_samples_each_have_a_purpose():
    samples = [p for p in sorted((ROOT / "data" / "samples").iterdir()) if p.suffix in (".geojson", ".gpkg")]
    assert len(samples) >= 10
    for path in samples:
        frame = gpd.read_file(path)
        assert frame.purpose.iloc[0], path


def test_data_stays_small():
    size = sum(p.stat().st_size for p in (ROOT / "data").rglob("*") if p.is_file())
    assert size < 30 * 1024 * 1024


def test_sample_geojson_is_rfc7946():
    for path in (ROOT / "data" / "samples").glob("*.geojson"):
        assert json.loads(path.read_text(encoding="utf-8"))["type"] == "FeatureCollection"
