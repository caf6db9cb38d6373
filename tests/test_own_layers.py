"""Own layers without hand work: `redline layers init` drafts a manifest for a folder of layer files that loads once
its rules are right, and `redline layers stamp` records the hashes of files changed on purpose."""

import shutil
import subprocess
import sys
import tomllib

import pytest

from redline.errors import ManifestError
from redline.layers import load_layers
from redline.layers.draft import stamp_manifest
from tests.conftest import SAMPLES

TIANJIN = SAMPLES[0].parents[1] / "tianjin"


def redline(*arguments):
    return subprocess.run([sys.executable, "-m", "redline.cli", *map(str, arguments)], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def folder(tmp_path):
    own = tmp_path / "official"
    own.mkdir()
    for name in ("ecological_redline.gpkg", "farmland.gpkg", "boundary.gpkg"):
        shutil.copy(TIANJIN / name, own / name)
    (own / "说明.txt").write_text("not a layer")
    return own


def test_a_draft_manifest_loads_and_measures_what_the_shipped_one_does(folder):
    done = redline("layers", "init", folder, "-o", folder / "layers.toml")
    assert done.returncode == 0, done.stderr
    draft = tomllib.loads((folder / "layers.toml").read_text(encoding="utf-8"))["layers"]
    assert {layer: entry["rule"] for layer, entry in draft.items()} == {
        "boundary": "region", "ecological_redline": "redline", "farmland": "farmland"}
    assert draft["farmland"]["classes"] == {"permanent": "永久基本农田", "other": "一般耕地"}
    assert "rule: guessed from the name 'farmland'; check it" in (folder / "layers.toml").read_text(encoding="utf-8")
    own, shipped = load_layers(folder / "layers.toml"), load_layers(TIANJIN / "layers.toml")
    for layer in ("ecological_redline", "farmland"):
        assert own.layers[layer].totals == shipped.layers[layer].totals


def test_a_name_that_says_nothing_leaves_the_rule_to_fill(folder):
    (folder / "farmland.gpkg").rename(folder / "图层3.gpkg")
    assert redline("layers", "init", folder, "-o", folder / "layers.toml").returncode == 0
    assert tomllib.loads((folder / "layers.toml").read_text(encoding="utf-8"))["layers"]["图层3"]["rule"] == ""
    with pytest.raises(ManifestError):
        load_layers(folder / "layers.toml")


def test_stamp_records_the_files_changed_on_purpose(folder):
    assert redline("layers", "init", folder, "-o", folder / "layers.toml").returncode == 0
    before = (folder / "layers.toml").read_text(encoding="utf-8")
    shutil.copy(TIANJIN / "urban_boundary.gpkg", folder / "ecological_redline.gpkg")  # the bureau's new vintage
    with pytest.raises(ManifestError, match="changed since layers.toml was written"):
        load_layers(folder / "layers.toml")
    changes = stamp_manifest(folder / "layers.toml")
    assert len(changes) == 1 and changes[0].startswith("ecological_redline: ecological_redline.gpkg: ")
    after = (folder / "layers.toml").read_text(encoding="utf-8")
    assert [a for a, b in zip(before.splitlines(), after.splitlines()) if a != b][0].startswith("sha256 = ")
    assert after.count("# rule: guessed") == before.count("# rule: guessed")  # comments kept
    load_layers(folder / "layers.toml")
    done = redline("layers", "stamp", folder / "layers.toml")
    assert done.returncode == 0 and "no layer file changed" in done.stdout
