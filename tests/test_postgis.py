"""Layers in a real PostGIS: the throwaway server of the `postgres` fixture (scripts/postgis-server.sh).

scripts/test.sh installs Debian postgresql and postgresql-15-postgis-3, so the server is always there in CI;
these tests fail, not skip, when it is missing.
"""

import logging
import os
import shutil
import sys
import tomllib

import psycopg
import pytest
import tomli_w
from click.testing import CliRunner

from redline.cli import main
from redline.errors import CRSError, ManifestError
from redline.layers import load_layers, publish_layers, read_vector
from redline.manifest import DEFAULT_MANIFEST, read_manifest
from redline.model import Options
from redline.pipeline import check
from tests.conftest import ROOT, SAMPLES

pytestmark = pytest.mark.slow  # a real server or a wheel build: `pytest -m 'not slow'` skips them

@pytest.fixture(scope="module")
def database(postgres):
    return postgres


@pytest.fixture(scope="module")
def published(database, tmp_path_factory):
    manifest = tmp_path_factory.mktemp("postgis") / "layers.toml"
    publish_layers(DEFAULT_MANIFEST, database, manifest, schema="tianjin")
    return manifest


def test_published_manifest_reads_every_vector_layer_from_postgis(published, database):
    entries = tomllib.loads(published.read_text(encoding="utf-8"))["layers"]
    assert {layer_id for layer_id, entry in entries.items() if "database" in entry} == {
        "boundary", "ecological_redline", "farmland", "coastline", "sea", "historical_reclamation", "urban_boundary",
        "nature_reserves", "river_lake", "water_sources", "land_use", "zoning_units"}
    assert (published.parent / entries["landcover"]["file"]).resolve() == ROOT / "data" / "tianjin" / "landcover.tif"
    with psycopg.connect(database) as connection:
        indexed = connection.execute("SELECT count(*) FROM pg_indexes WHERE schemaname = 'tianjin' "
                                     "AND indexdef LIKE '%USING gist%'").fetchone()[0]
    assert indexed == 12


def test_postgis_layers_measure_what_the_files_measure(published, tianjin):
    from_database = load_layers(published)
    assert not from_database.problems
    for layer_id, layer in tianjin.layers.items():
        if hasattr(layer, "totals"):
            assert from_database.layers[layer_id].totals == pytest.approx(layer.totals, rel=1e-12), layer_id
    for sample in SAMPLES:
        options = Options(national_major="national_major" in sample.stem)
        from_files = check(sample, tianjin, options=options).to_dict()
        from_tables = check(sample, from_database, options=options).to_dict()
        for report in (from_files, from_tables):
            del report["created"], report["manifest"], report["project"]["file"]
        assert from_tables == from_files, sample.stem


def test_report_records_the_hash_of_the_rows_checked(published):
    layer_set = load_layers(published)
    entry = {layer["id"]: layer for layer in check(SAMPLES[0], layer_set).manifest["layers"]}["farmland"]
    recorded = tomllib.loads(published.read_text(encoding="utf-8"))["layers"]["farmland"]["sha256"]
    assert entry["file"] == "postgis:tianjin.farmland"
    assert entry["sha256"] == recorded


def test_the_same_rows_in_another_schema_are_prepared_once(published, database, tmp_path, caplog, monkeypatch):
    """The prepared-layer cache is keyed by the rows and the CRS they come in, not by where they are kept."""
    cache = tmp_path / "cache"  # the suite's cache without the sea layer: an earlier run may have prepared it in 4326
    shutil.copytree(os.environ["REDLINE_CACHE_DIR"], cache, ignore=shutil.ignore_patterns("sea-*"))
    monkeypatch.setenv("REDLINE_CACHE_DIR", str(cache))
    load_layers(published)
    again = tmp_path / "again.toml"
    publish_layers(DEFAULT_MANIFEST, database, again, schema="again")
    with psycopg.connect(database) as connection:  # the same bytes, another CRS: prepared anew
        connection.execute("ALTER TABLE again.sea ALTER COLUMN geom TYPE geometry(Geometry, 4326) "
                           "USING ST_SetSRID(geom, 4326)")
    with caplog.at_level(logging.INFO, logger="redline.layers.pieces"):
        load_layers(again)
    prepared = [record.args[0] for record in caplog.records if "preparing layer" in record.getMessage()]
    assert prepared == ["sea"]


def test_a_changed_table_is_refused(database, tmp_path):
    manifest = tmp_path / "layers.toml"
    publish_layers(DEFAULT_MANIFEST, database, manifest, schema="changed")
    with psycopg.connect(database) as connection:
        connection.execute("UPDATE changed.sea SET geom = ST_Buffer(geom, 0.001)")
    spec = read_manifest(manifest).layers["sea"]
    with pytest.raises(ManifestError, match=r"table changed\.sea.*changed since the manifest was written"):
        read_vector(spec)


def test_a_table_without_srid_is_refused_with_the_fix(database, tmp_path):
    with psycopg.connect(database) as connection:
        connection.execute("CREATE SCHEMA IF NOT EXISTS bad; DROP TABLE IF EXISTS bad.nosrid; "
                           "CREATE TABLE bad.nosrid (name text, geom geometry(Polygon)); "
                           "INSERT INTO bad.nosrid VALUES ('x', ST_MakeEnvelope(117.3, 39.1, 117.4, 39.2))")
    manifest = _one_layer_manifest(tmp_path, database, "bad.nosrid")
    layer_set_problem = _problem(manifest)
    assert "SRID 0" in layer_set_problem and "UpdateGeometrySRID('bad', 'nosrid', 'geom', 4490)" in layer_set_problem
    with pytest.raises(CRSError):
        read_vector(read_manifest(manifest).layers["region"])


def test_an_unreachable_database_is_named_without_its_password(tmp_path):
    manifest = _one_layer_manifest(tmp_path, "postgresql://planner:s3cret@/gis?host=/nonexistent", "public.x")
    problem = _problem(manifest)
    assert "cannot connect to postgresql://planner@/nonexistent/gis" in problem and "s3cret" not in problem


def test_cli_publishes_and_lists_from_postgis(database, tmp_path):
    output = tmp_path / "pg.toml"
    runner = CliRunner()
    result = runner.invoke(main, ["layers", "--publish", database, "--schema", "cli", "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert "ecological_redline" in result.output and "1,557.77 km²" in result.output
    again = runner.invoke(main, ["layers", "--publish", database, "--schema", "cli", "-o", str(output)])
    assert again.exit_code == 2 and "--overwrite" in again.output
    missing = runner.invoke(main, ["layers", "--publish", database])
    assert missing.exit_code == 2 and "-o" in missing.output


def _one_layer_manifest(folder, database, table):
    manifest = folder / "one.toml"
    manifest.write_text(f"""[manifest]\nname = "one"\n\n[layers.region]\ntitle_zh = "区"\ntitle_en = "Region"
database = "{database}"\ntable = "{table}"\nkind = "polygon"\nrule = "region"\nvintage = "2024"\n""", encoding="utf-8")
    return manifest


def _problem(manifest) -> str:
    with pytest.raises(ManifestError) as caught:  # the only layer fails, so the set cannot load
        load_layers(manifest)
    return str(caught.value)


def test_a_batch_is_bound_to_the_rows_it_was_checked_against(database, tmp_path):
    """A live table (no sha256 in the manifest) that changes between runs makes it a different batch."""
    from redline.batch import run_batch
    from redline.errors import RedlineError

    manifest = tmp_path / "live.toml"
    publish_layers(DEFAULT_MANIFEST, database, manifest, schema="live")
    data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    for entry in data["layers"].values():
        if "database" in entry:
            del entry["sha256"]
    manifest.write_text(tomli_w.dumps(data), encoding="utf-8")
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for sample in SAMPLES[:2]:
        shutil.copy(sample, inputs / sample.name)
    assert run_batch([inputs], tmp_path / "out", manifest=manifest).total == 2
    with psycopg.connect(database) as connection:
        connection.execute("UPDATE live.sea SET geom = ST_Buffer(geom, 0.001)")
    with pytest.raises(RedlineError, match="different batch"):
        run_batch([inputs], tmp_path / "out", manifest=manifest)


def test_without_psycopg_the_layer_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now raises ImportError
    manifest = _one_layer_manifest(tmp_path, "postgresql://planner:s3cret@db/gis", "public.x")
    problem = _problem(manifest)
    assert "pip install 'redline[postgis]'" in problem and "s3cret" not in problem
