import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import shapely

from redline.layers import DEFAULT_MANIFEST, load_layers
from tests.common import REDLINE_SQUARE, make_manifest, memory_layers

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "data" / "samples").glob("*.*"))


@pytest.fixture(scope="session", autouse=True)
def layer_cache(tmp_path_factory):
    """Prepared-layer caches go to the folder scripts/test.sh prepared the shipped layers in ($REDLINE_TEST_CACHE_DIR,
    under build/), else to a folder of this test session; never the user's cache."""
    folder = Path(os.environ["REDLINE_TEST_CACHE_DIR"]) if os.environ.get("REDLINE_TEST_CACHE_DIR") \
        else tmp_path_factory.mktemp("cache")
    patch = pytest.MonkeyPatch()
    patch.setenv("REDLINE_CACHE_DIR", str(folder))
    yield folder
    patch.undo()


@pytest.fixture(scope="session")
def tianjin():
    """The shipped Tianjin demo layers, loaded once."""
    return load_layers(DEFAULT_MANIFEST)


def synthetic_layers():
    """One small layer per rule around 117.3 E, 39.1 N, with hand-computable shapes."""
    return {
        "boundary": [{"name": "region", "geometry": shapely.box(117.0, 38.9, 117.6, 39.4)}],
        "ecological_redline": [{"name": "square", "geometry": REDLINE_SQUARE}],
        "farmland": [
            {"name": "permanent field", "class": "永久基本农田", "geometry": shapely.box(117.40, 39.10, 117.42, 39.12)},
            {"name": "other field", "class": "一般耕地", "geometry": shapely.box(117.42, 39.10, 117.44, 39.12)},
        ],
        "coastline": [
            {"name": "natural coast", "type": "natural", "geometry": shapely.LineString([(117.50, 39.00), (117.50, 39.05)])},
            {"name": "port", "type": "artificial", "geometry": shapely.LineString([(117.50, 39.05), (117.50, 39.10)])},
        ],
        "sea": [{"name": "sea", "geometry": shapely.box(117.50, 38.95, 117.58, 39.15)}],
        "urban_boundary": [{"name": "town", "geometry": shapely.box(117.10, 39.00, 117.20, 39.05)}],
        "river_lake": [{"name": "river", "geometry": shapely.box(117.10, 39.20, 117.40, 39.21)}],
        "nature_reserves": [
            {"name": "reserve", "zone": "核心保护区", "geometry": shapely.box(117.30, 39.25, 117.32, 39.27)},
            {"name": "reserve", "zone": "一般控制区", "geometry": shapely.box(117.32, 39.25, 117.34, 39.27)},
        ],
        "zoning_units": [
            {"name": "priority unit", "class": "priority", "geometry": REDLINE_SQUARE},
            {"name": "general unit", "class": "general",
             "geometry": shapely.box(117.0, 38.9, 117.6, 39.4).difference(REDLINE_SQUARE)},
        ],
    }


@pytest.fixture(scope="session")
def synthetic_manifest(tmp_path_factory):
    return make_manifest(tmp_path_factory.mktemp("synthetic"), synthetic_layers())


@pytest.fixture(scope="session")
def synthetic():
    """The synthetic layers, built in memory."""
    return load_layers(memory_layers(synthetic_layers()))


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL + PostGIS server (scripts/postgis-server.sh), started once per test process when a test
    asks for it; its connection URI. scripts/test.sh installs the Debian packages, so in CI it is always there: the
    tests that use it fail, not skip, when it is missing."""
    folder = tempfile.mkdtemp(prefix="redline-pg-")  # under /tmp: the server's user must reach its socket
    server = ROOT / "scripts" / "postgis-server.sh"
    try:
        started = subprocess.run(["bash", str(server), "start", folder], capture_output=True, text=True, check=True)
        yield started.stdout.strip()
        subprocess.run(["bash", str(server), "stop", folder], check=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


LONGEST_FIRST = ("test_hostile.py", "test_batch.py", "test_service.py", "test_browser.py", "test_postgis.py",
                 "test_office.py", "test_docs.py", "test_convert.py", "test_shared_office.py")
"""The test files that take longest (``--durations=0``, summed per file), longest first."""


def pytest_collection_modifyitems(items):
    """Run the longest test files first: `--dist loadfile` hands files to the workers in this order, so the long ones
    start at once and the short ones fill the gaps, instead of a long file starting last on one worker."""
    rank = {name: number for number, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
