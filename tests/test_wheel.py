"""A built wheel works on its own: installed (not editable) into a clean venv, `redline check --map` and `serve` use
the demo layers and the map assets packaged in it, from a folder far from the source tree."""

import os
import subprocess
import sys
import sysconfig
import time
from functools import partial
from pathlib import Path

import httpx
import pytest

from redline.isolation import die_with_parent
from tests.common import http
from tests.conftest import ROOT
from tests.test_service import free_port

pytestmark = pytest.mark.slow  # a real server or a wheel build: `pytest -m 'not slow'` skips them


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A venv holding only the wheel; the dependencies come from this venv's site-packages (a path, so the editable
    install's finder is not loaded)."""
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(folder / "dist"), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next((folder / "dist").glob("redline-*.whl"))
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "redline-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True, capture_output=True)
    return venv


def test_the_wheel_checks_and_maps_a_sample_with_its_own_layers(installed, tmp_path):
    sample = ROOT / "data" / "samples" / "01_qilihai_road.geojson"
    result = subprocess.run([str(installed / "bin" / "redline"), "check", str(sample), "-o", "r.json", "--map", "m.html"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr  # a violation, found with the packaged layers
    report = (tmp_path / "r.json").read_text(encoding="utf-8")
    assert str(installed) in report and "site-packages/redline/data/tianjin/layers.toml" in report
    page = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert "redline-summary" in page and "unpkg.com" not in page and "L.map" in page  # Leaflet inlined, offline


def test_the_wheel_serves(installed, tmp_path):
    port = free_port()
    server = subprocess.Popen([str(installed / "bin" / "redline"), "serve", "--port", str(port), "--db", "r.sqlite"],
                              cwd=tmp_path, stderr=subprocess.PIPE,
                              preexec_fn=partial(die_with_parent, os.getpid()))  # never outlives the tests
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if http.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        else:
            pytest.fail(server.stderr.read1().decode(errors="replace"))
        assert http.get(f"http://127.0.0.1:{port}/planner.js").status_code == 200
        with open(ROOT / "data" / "samples" / "13_water_source_workshop.geojson", "rb") as stream:
            answer = http.post(f"http://127.0.0.1:{port}/v1/checks", files={"file": ("s.geojson", stream)}, timeout=60)
        assert answer.status_code == 201 and answer.json()["verdict"] == "review"
    finally:
        server.terminate()
        server.wait(timeout=20)
        server.stderr.close()
