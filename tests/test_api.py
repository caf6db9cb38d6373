"""The public API (``import redline``): every kind of target goes through the same checks and gives the same
report; ``check_many`` equals separate checks; layers in memory equal the same layers in files."""

import geopandas as gpd
import pytest
import shapely

import redline
from tests.common import REDLINE_SQUARE, make_manifest, write_project
from tests.conftest import synthetic_layers

HALF_IN = shapely.box(117.31, 39.10, 117.33, 39.12)  # half inside the synthetic red-line square


def figures(report):
    return (report.verdict, round(report.project["area_m2"], 6),
            [(f.rule, f.status, {k: round(v, 6) for k, v in f.measures.items()}) for f in report.findings])


def test_the_public_names_are_exported():
    assert set(redline.__all__) >= {"load_layers", "check", "check_many", "read_project", "Report", "RedlineError",
                                    "__version__"}
    assert all(hasattr(redline, name) for name in redline.__all__)


def test_every_kind_of_target_gives_the_file_s_report(tmp_path, synthetic):
    path = write_project(tmp_path / "p.geojson", HALF_IN)
    expected = figures(redline.check(str(path), synthetic))
    frame = gpd.read_file(path)
    assert figures(redline.check(path, synthetic)) == expected
    assert figures(redline.check(frame, synthetic)) == expected
    assert figures(redline.check(frame.geometry, synthetic)) == expected
    assert figures(redline.check(HALF_IN, synthetic, crs="EPSG:4490")) == expected
    red = next(f for f in redline.check(HALF_IN, synthetic, crs=4490).findings if f.rule == "redline")
    assert red.measures["share"] == pytest.approx(0.5, abs=1e-9)  # area ∝ Δλ between the same parallels


def test_geometries_get_the_checks_of_a_file(synthetic):
    with pytest.raises(redline.CRSError, match="has no CRS"):
        redline.check(HALF_IN, synthetic)
    with pytest.raises(redline.GeometryError, match="is invalid"):
        bowtie = shapely.Polygon([(117.30, 39.10), (117.31, 39.11), (117.31, 39.10), (117.30, 39.11)])
        redline.check(bowtie, synthetic, crs=4490)
    with pytest.raises(redline.CRSError, match="outside China"):
        redline.check(shapely.box(500_000, 4_330_000, 500_100, 4_330_100), synthetic, crs="EPSG:4527")
    with pytest.raises(redline.InputError, match="cannot check a int"):
        redline.check(42, synthetic)


def test_check_many_equals_separate_checks_and_names_bad_rows(synthetic):
    boxes = [HALF_IN, REDLINE_SQUARE, shapely.box(117.10, 39.01, 117.12, 39.03)]
    frame = gpd.GeoDataFrame({"id": ["a", "b", "c"]}, geometry=boxes, crs="EPSG:4490")
    many = redline.check_many(frame, synthetic, national_major=True)
    assert [figures(r) for r in many] == [figures(redline.check(b, synthetic, crs=4490, national_major=True)) for b in boxes]
    assert [r.project["file"] for r in many] == ["<memory>#a", "<memory>#b", "<memory>#c"]
    frame.loc[1, "geometry"] = shapely.Point(117.3, 39.1)
    frame.loc[2, "geometry"] = shapely.box(100.0, 30.0, 100.1, 30.1)
    with pytest.raises(redline.GeometryError, match="2 rows cannot be checked: b: .*is a Point.*; c: .*outside the region"):
        redline.check_many(frame, synthetic)


def test_layers_in_memory_equal_the_same_layers_in_files(tmp_path, synthetic):
    from_files = redline.load_layers(make_manifest(tmp_path / "layers", synthetic_layers()))
    for target in (HALF_IN, REDLINE_SQUARE, shapely.box(117.405, 39.105, 117.415, 39.115)):
        assert figures(redline.check(target, synthetic, crs=4490)) == figures(redline.check(target, from_files, crs=4490))


def test_an_in_memory_layer_needs_its_data_and_the_registry_s_fields():
    with pytest.raises(redline.ManifestError, match="needs its features as 'data'"):
        redline.load_layers({"red": {"kind": "polygon", "rule": "redline"}})
    frame = gpd.GeoDataFrame({"name": ["x"]}, geometry=[REDLINE_SQUARE], crs=4490)
    with pytest.raises(redline.ManifestError, match="lacks rule"):
        redline.load_layers({"red": {"data": frame, "kind": "polygon"}})
