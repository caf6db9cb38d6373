"""A manifest's loaded layers (``load_layers``): what the engine checks against, and what maps draw near a project."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import shapely

from redline.crs import EqualArea
from redline.errors import InputError, ManifestError
from redline.layers.read import RasterLayer, VectorLayer, read_raster, read_vector
from redline.manifest import DEFAULT_MANIFEST, LayerSpec, Manifest, manifest_from_frames, read_manifest
from redline.model import Kind
from redline.rules import REGION, fed_by, rules_of

log = logging.getLogger(__name__)

NEARBY_MARGIN_DEG = (0.03, 0.25)
"""Least and largest margin (°) of ``LayerSet.nearby`` around a geometry by default."""


@dataclass(frozen=True)
class Nearby:
    """A layer's features near a geometry (``LayerSet.nearby``): lon/lat geometries clipped to the box around it,
    and each one's name and class as text ("" for none)."""

    spec: LayerSpec
    geometries: np.ndarray
    names: np.ndarray
    classes: np.ndarray

    def __len__(self) -> int:
        return len(self.geometries)


@dataclass
class LayerSet:
    """All layers of a manifest, the ones that could not be loaded with why, and the equal-area CRS for buffers."""

    manifest: Manifest
    layers: dict[str, VectorLayer | RasterLayer]
    problems: dict[str, str]
    bounds: tuple[float, float, float, float]
    equal_area: EqualArea

    def nearby(self, geometry, *, margin_deg: float | None = None) -> list[Nearby]:
        """Each loaded vector layer's features near ``geometry`` (lon/lat), clipped to its bounds + margin.

        The default margin is what a screen shows around the geometry when a map fits it: its larger side, at least
        ``NEARBY_MARGIN_DEG[0]`` and at most ``NEARBY_MARGIN_DEG[1]`` degrees."""
        west, south, east, north = geometry.bounds
        if margin_deg is None:
            low, high = NEARBY_MARGIN_DEG
            margin_deg = min(max(east - west, north - south, low), high)
        box = (west - margin_deg, south - margin_deg, east + margin_deg, north + margin_deg)
        result = []
        for layer in self.layers.values():
            if isinstance(layer, VectorLayer):
                tree, geometries, names, classes = layer.drawn
                rows = np.sort(tree.query(shapely.box(*box), predicate="intersects"))
                clipped = shapely.clip_by_rect(geometries[rows], *box)
                kept = ~shapely.is_empty(clipped)
                result.append(Nearby(layer.spec, clipped[kept], names[rows[kept]], classes[rows[kept]]))
        return result

    @cached_property
    def outline(self):
        """The region layer's outline (features dissolved, simplified to 0.002° for display), or None; made once."""
        region, _ = self.for_rule(REGION)
        if not isinstance(region, VectorLayer):
            return None
        return shapely.simplify(shapely.union_all(region.frame.geometry.values), 0.002)

    def data_sha256(self, spec: LayerSpec) -> str:
        """SHA-256 of the data checked against: as read (PostGIS rows are hashed when loaded), else the manifest's."""
        layer = self.layers.get(spec.id)
        return layer.sha256 if isinstance(layer, VectorLayer) else spec.sha256 or ""

    @cached_property
    def rules(self) -> tuple:
        """Every rule these layers are checked against: the registered ones, then the manifest's declared ones."""
        return rules_of(self.manifest.layers.values())

    def for_rule(self, rule: str):
        """The layer feeding ``rule`` (a declared constraint's is its own layer) and ``None``, or ``None`` and why
        it is unavailable."""
        for spec in self.manifest.layers.values():
            if fed_by(spec) == rule:
                if spec.id in self.layers:
                    return self.layers[spec.id], None
                return None, self.problems.get(spec.id, f"layer {spec.id!r} is not loaded")
        return None, f"the manifest {self.manifest.path.name} has no layer for rule {rule!r}"


def load_layers(manifest: str | Path | Manifest | dict = DEFAULT_MANIFEST) -> LayerSet:
    """Read, validate and index every layer of ``manifest``; a layer that fails is kept in ``problems``.

    ``manifest``: a manifest file, a parsed ``Manifest``, or in-memory layers: layer id → a manifest entry's
    fields with the layer's GeoDataFrame as ``data`` (``redline.manifest.manifest_from_frames``).
    """
    if isinstance(manifest, dict):
        manifest = manifest_from_frames(manifest)
    elif not isinstance(manifest, Manifest):
        manifest = read_manifest(manifest)
    layers, problems = {}, {}
    for spec in manifest.layers.values():
        try:
            layers[spec.id] = read_raster(spec) if spec.kind == Kind.RASTER else read_vector(spec)
        except InputError as error:
            log.warning("layer %s not available: %s", spec.id, error)
            problems[spec.id] = str(error)
    extents = [tuple(layer.frame.total_bounds) for layer in layers.values() if isinstance(layer, VectorLayer)]
    if not extents:
        raise ManifestError(f"{manifest.path}: 没有可加载的矢量图层 / no vector layer could be loaded: "
                            + "; ".join(problems.values()))
    west, south, east, north = np.array(extents).T
    bounds = (west.min(), south.min(), east.max(), north.max())
    return LayerSet(manifest, layers, problems, bounds, EqualArea(bounds))
