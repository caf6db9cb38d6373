"""Tiny canonical geometries and a factory for synthetic layer manifests (all CGCS2000 lon/lat); helpers the
test modules share."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import shutil
import time
from pathlib import Path

import geopandas as gpd
import httpx
import shapely

CGCS2000 = "EPSG:4490"

http = httpx.Client(timeout=60, limits=httpx.Limits(max_keepalive_connections=0))
"""``httpx.get``/``post`` with a longer timeout: a service under test on a busy machine (a decision makes the documents
of record, a map is drawn on request) may take more than httpx's default 5 s."""
GRS80_A = 6_378_137.0
GRS80_F = 1 / 298.257222101

# A red-line square of 0.02° at 117.30–117.32 E, 39.10–39.12 N (inside Tianjin's extent).
REDLINE_SQUARE = shapely.box(117.30, 39.10, 117.32, 39.12)


def lonlat_rectangle_area_m2(west, south, east, north) -> float:
    """Exact area (m²) of a rectangle bounded by meridians and parallels on the GRS80 ellipsoid.

    Hand formula: A = a²(1−e²)·Δλ/2·[q(φ₂) − q(φ₁)], q(φ) = sinφ/(1−e²sin²φ) + atanh(e·sinφ)/e.
    """
    e2 = GRS80_F * (2 - GRS80_F)
    e = math.sqrt(e2)

    def q(phi):
        s = math.sin(math.radians(phi))
        return s / (1 - e2 * s * s) + math.atanh(e * s) / e

    return GRS80_A ** 2 * (1 - e2) * math.radians(east - west) / 2 * (q(north) - q(south))


def write_layer(folder: Path, layer_id: str, rows: list[dict]) -> Path:
    path = folder / f"{layer_id}.gpkg"
    gpd.GeoDataFrame(rows, crs=CGCS2000).to_file(path, layer=layer_id, driver="GPKG")
    return path


LAYER_DEFAULTS = {
    "boundary": ("region", "polygon", None, {}),
    "ecological_redline": ("redline", "polygon", None, {}),
    "farmland": ("farmland", "polygon", "class", {"permanent": "永久基本农田", "other": "一般耕地"}),
    "coastline": ("coastline", "line", "type", {"natural": "natural", "artificial": "artificial"}),
    "sea": ("reclamation", "polygon", None, {}),
    "urban_boundary": ("urban_boundary", "polygon", None, {}),
    "river_lake": ("river_lake", "polygon", None, {}),
    "nature_reserves": ("nature_reserves", "polygon", "zone", {"core": "核心保护区", "general": "一般控制区"}),
    "zoning_units": ("zoning", "polygon", "class", {"priority": "priority", "key": "key", "general": "general"}),
}


def toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def make_manifest(folder: Path, layers: dict[str, list[dict]], *, defaults: dict | None = None) -> Path:
    """Write each layer (rows with 'name', optional class column and 'geometry') and a manifest naming them;
    ``defaults`` adds to or overrides ``LAYER_DEFAULTS`` (rule, kind, class field, classes)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ['[manifest]', 'name = "synthetic"', 'region_layer = "boundary"', ""]
    for layer_id, rows in layers.items():
        rule, kind, class_field, classes = {**LAYER_DEFAULTS, **(defaults or {})}[layer_id]
        path = write_layer(folder, layer_id, rows)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines += [f"[layers.{layer_id}]", f'title_zh = "{layer_id}"', f'title_en = "{layer_id}"',
                  f'file = "{path.name}"', f'table = "{layer_id}"', f'kind = "{kind}"', f'rule = "{rule}"',
                  'name_field = "name"', 'vintage = "2024-07-29"', f'sha256 = "{digest}"']
        if class_field:
            lines.append(f'class_field = "{class_field}"')
            lines.append("classes = { " + ", ".join(f"{toml_string(k)} = {toml_string(v)}" for k, v in classes.items()) + " }")
        lines.append("")
    manifest = folder / "layers.toml"
    manifest.write_text("\n".join(lines), encoding="utf-8")
    return manifest


def memory_layers(layers: dict[str, list[dict]], *, defaults: dict | None = None) -> dict[str, dict]:
    """The layers of ``make_manifest`` as in-memory entries for ``redline.load_layers`` (no file written)."""
    entries = {}
    for layer_id, rows in layers.items():
        rule, kind, class_field, classes = {**LAYER_DEFAULTS, **(defaults or {})}[layer_id]
        entries[layer_id] = {"data": gpd.GeoDataFrame(rows, crs=CGCS2000), "kind": kind, "rule": rule,
                             "name_field": "name", "vintage": "2024-07-29",
                             **({"class_field": class_field, "classes": classes} if class_field else {})}
    return entries


def map_features(page: str) -> list[dict]:
    """Every GeoJSON feature a map page hands to ``redlineShapes``, in order."""
    decoder, features = json.JSONDecoder(), []
    for match in re.finditer(r"redlineShapes\(\w+, ", page):
        collection, _ = decoder.raw_decode(page, match.end())
        features += collection["features"]
    return features


def map_shapes(page: str) -> list[dict]:
    """The properties (style, tooltip, popup, label) of every shape a map page hands to ``redlineShapes``, in order."""
    return [feature["properties"] for feature in map_features(page)]


def write_project(path: Path, geometry, *, crs=CGCS2000, name="test project") -> Path:
    frame = gpd.GeoDataFrame([{"name": name}], geometry=[geometry], crs=CGCS2000)
    if crs != CGCS2000:
        frame = frame.to_crs(crs)
    driver = "GeoJSON" if path.suffix == ".geojson" else "GPKG"
    frame.to_file(path, driver=driver)
    return path


@contextlib.contextmanager
def chrome():
    """A headless Chromium driven by Selenium (Debian's chromium and chromium-driver), quit afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService

    options = webdriver.ChromeOptions()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
                 "--window-size=1400,900", "--proxy-server=127.0.0.1:9"):  # no network but the loopback
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium")
    browser = webdriver.Chrome(service=DriverService(shutil.which("chromedriver")), options=options)
    try:
        yield browser
    finally:
        browser.quit()


def children_of(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def wait_until(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()
