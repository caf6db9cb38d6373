"""The rule registry: the manifest is checked against what each rule needs, class roles are never confused with
class values, and a rule added in one module reaches the batch tables, the map and the reports."""

import csv
import types

import pytest
import shapely

from redline import rules
from redline.batch import run_batch
from redline.crs import ellipsoidal_areas_m2
from redline.errors import ManifestError
from redline.layers import load_layers
from redline.model import Status
from redline.pipeline import check
from redline.report.html import map_html
from redline.rules.base import Rule, finding
from tests.common import make_manifest, map_shapes, write_project
from tests.conftest import synthetic_layers

PERMANENT_FIELD = shapely.box(117.40, 39.10, 117.42, 39.12)  # the synthetic layers' permanent field
ON_PERMANENT = shapely.box(117.405, 39.105, 117.415, 39.115)


def renamed(values: dict) -> tuple[dict, dict]:
    """The synthetic layers with the farmland classes written as ``values`` (role → value) in data and manifest."""
    layers = synthetic_layers()
    mapping = {"永久基本农田": values["permanent"], "一般耕地": values["other"]}
    layers["farmland"] = [{**row, "class": mapping[row["class"]]} for row in layers["farmland"]]
    return layers, {"farmland": ("farmland", "polygon", "class", values)}


def test_renamed_class_values_keep_their_roles(tmp_path):
    """Regression: with the class values renamed, permanent farmland was reported clear and popups listed nothing."""
    layers, defaults = renamed({"permanent": "PBF-2023", "other": "GEN"})
    layer_set = load_layers(make_manifest(tmp_path / "layers", layers, defaults=defaults))
    project = write_project(tmp_path / "p.geojson", ON_PERMANENT)
    result = check(str(project), layer_set)
    farmland = next(f for f in result.findings if f.rule == "farmland")
    assert farmland.status is Status.VIOLATION
    assert [(hit.name, hit.feature_class, hit.role) for hit in farmland.features] == [("permanent field", "PBF-2023",
                                                                                      "permanent")]
    popups = [shape["popup"] for shape in map_shapes(map_html(result, layer_set.nearby(result.footprint))) if "popup" in shape]
    farmland_popup = next(p for p in popups if "Farmland red line" in p)
    assert "permanent field" in farmland_popup and "permanent basic farmland" in farmland_popup


def test_a_layer_without_the_class_roles_its_rule_needs_is_refused(tmp_path):
    layers, defaults = renamed({"permanent": "PBF", "other": "GEN"})
    defaults = {"farmland": ("farmland", "polygon", "class", {"永久": "PBF", "一般": "GEN"})}
    with pytest.raises(ManifestError, match="layer 'farmland' lacks class 'permanent' .* which rule 'farmland' needs"):
        load_layers(make_manifest(tmp_path / "layers", layers, defaults=defaults))


def test_an_unknown_rule_or_a_wrong_kind_is_refused(tmp_path):
    layers = {"boundary": synthetic_layers()["boundary"], "river_lake": synthetic_layers()["river_lake"]}
    with pytest.raises(ManifestError, match="names rule 'rivers', which redline does not have"):
        load_layers(make_manifest(tmp_path / "a", layers, defaults={"river_lake": ("rivers", "polygon", None, {})}))
    lines = {"boundary": layers["boundary"], "coastline": [{"name": "c", "geometry": shapely.box(117.5, 39.0, 117.6, 39.1)}]}
    with pytest.raises(ManifestError, match="is a polygon layer but rule 'coastline' reads line layers"):
        load_layers(make_manifest(tmp_path / "b", lines, defaults={"coastline": ("coastline", "polygon", None, {})}))


def wetland_rule():
    """A ninth rule written as a module would be: one RULE and evaluate()."""
    module = types.ModuleType("wetlands")
    module.RULE = Rule("wetlands", "polygon", "湿地", "Wetlands", "(测试) 湿地保护", figure="area_m2")

    def evaluate(overlap, context):
        status = Status.REVIEW if overlap.total > 0 else Status.CLEAR
        return finding(module.RULE, status, "wetland", "湿地", measures={"area_m2": overlap.total},
                       features=overlap.features, layer=overlap.layer)

    module.evaluate = evaluate
    return module


def test_a_rule_registered_in_one_place_reaches_the_batch_table_and_the_map(tmp_path, monkeypatch):
    monkeypatch.setattr(rules, "RULES", rules.RULES + (wetland_rule(),))
    layers = {**synthetic_layers(), "wetlands": [{"name": "marsh", "geometry": shapely.box(117.40, 39.10, 117.41, 39.11)}]}
    manifest = make_manifest(tmp_path / "layers", layers, defaults={"wetlands": ("wetlands", "polygon", None, {})})
    folder = tmp_path / "applications"
    folder.mkdir()
    write_project(folder / "a.geojson", ON_PERMANENT)
    run_batch([folder], tmp_path / "out", manifest=manifest, workers=1)
    with open(tmp_path / "out" / "results.csv", encoding="utf-8-sig") as stream:
        row = next(csv.DictReader(stream))
    assert row["wetlands_status"] == "review"
    expected = shapely.intersection(ON_PERMANENT, shapely.box(117.40, 39.10, 117.41, 39.11))
    assert float(row["wetlands_area_m2"]) == pytest.approx(float(ellipsoidal_areas_m2([expected])[0]), abs=0.01)
    result = check(str(folder / "a.geojson"), load_layers(manifest))
    assert "wetlands" in result.intrusions and "湿地" in map_html(result, [], lang="zh")
