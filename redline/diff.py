"""diff_layers(): what changed between two vintages of the layers (two manifests), layer by layer — the area (or
length) added and removed, and the features added, removed and changed, with the pieces that differ."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

from redline.crs import ellipsoidal_areas_m2, geodesic_lengths_m
from redline.layers import LayerSet, VectorLayer
from redline.model import AREA_TOLERANCE_M2, LENGTH_TOLERANCE_M, Kind


@dataclass(frozen=True)
class LayerDiff:
    """One layer's change: m² (polygon layers) or m (line layers) added and removed, the feature keys added,
    removed and changed, and the lon/lat pieces added and removed (CGCS2000)."""

    layer: str
    kind: Kind
    added: float
    removed: float
    features_added: tuple[str, ...] = ()
    features_removed: tuple[str, ...] = ()
    features_changed: tuple[str, ...] = ()
    pieces: dict[str, object] = field(default_factory=dict, compare=False, repr=False)
    """``added`` and ``removed`` geometries."""
    state: str = "changed"
    """``changed`` (or the same), ``new`` (only in the new manifest), ``dropped`` (only in the old)."""

    @property
    def unit(self) -> str:
        return "m2" if self.kind == Kind.POLYGON else "m"

    @property
    def same(self) -> bool:
        return self.state == "changed" and not (self.added or self.removed or self.features_added or
                                                self.features_removed or self.features_changed)


def diff_layers(old: LayerSet, new: LayerSet) -> list[LayerDiff]:
    """The change of every vector layer between ``old`` and ``new`` (matched by layer id), in the new manifest's
    order, then the layers only the old one has. Features are matched by the layer's name field (and class); a
    feature whose geometry moved by more than the tolerances (0.01 m², 0.01 m) or whose class changed is changed."""
    diffs = []
    for layer_id, layer in new.layers.items():
        if not isinstance(layer, VectorLayer):
            continue
        before = old.layers.get(layer_id)
        if not isinstance(before, VectorLayer):
            whole = shapely.union_all(layer.frame.geometry.values)
            diffs.append(LayerDiff(layer_id, layer.spec.kind, _measure(whole, layer.spec.kind), 0.0,
                                   tuple(_keys(layer)), pieces={"added": whole}, state="new"))
            continue
        diffs.append(_diff(before, layer))
    for layer_id, layer in old.layers.items():
        if isinstance(layer, VectorLayer) and layer_id not in new.layers:
            whole = shapely.union_all(layer.frame.geometry.values)
            diffs.append(LayerDiff(layer_id, layer.spec.kind, 0.0, _measure(whole, layer.spec.kind), (),
                                   tuple(_keys(layer)), pieces={"removed": whole}, state="dropped"))
    return diffs


def _diff(old: VectorLayer, new: VectorLayer) -> LayerDiff:
    kind = new.spec.kind
    if old.sha256 == new.sha256:
        return LayerDiff(new.spec.id, kind, 0.0, 0.0)
    old_keys, new_keys = _keys(old), _keys(new)
    old_by_key = dict(zip(old_keys, zip(old.frame.geometry.values, old.roles)))
    new_by_key = dict(zip(new_keys, zip(new.frame.geometry.values, new.roles)))
    changed = []
    for key in new_keys:
        if key in old_by_key:
            (before, role_before), (after, role_after) = old_by_key[key], new_by_key[key]
            moved = shapely.symmetric_difference(before, after)
            if role_before != role_after or _measure(moved, kind) > _tolerance(kind):
                changed.append(key)
    old_whole = shapely.union_all(old.frame.geometry.values)
    new_whole = shapely.union_all(new.frame.geometry.values)
    added, removed = shapely.difference(new_whole, old_whole), shapely.difference(old_whole, new_whole)
    return LayerDiff(new.spec.id, kind, _measure(added, kind), _measure(removed, kind),
                     tuple(k for k in new_keys if k not in old_by_key), tuple(k for k in old_keys if k not in new_by_key),
                     tuple(changed), pieces={"added": added, "removed": removed})


def _keys(layer: VectorLayer) -> list[str]:
    """A key per feature: its name (and class when the layer has classes); a repeated key gets #2, #3, …"""
    names = [str(name) for name in layer.names]
    if layer.spec.class_field:
        names = [f"{name} · {role}" if role else name for name, role in zip(names, layer.roles)]
    seen: dict[str, int] = {}
    keys = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        keys.append(name if seen[name] == 1 else f"{name} #{seen[name]}")
    return keys


def _measure(geometry, kind: Kind) -> float:
    """m² of a polygon layer's geometry, m of a line layer's; below the tolerance, 0."""
    if geometry is None or geometry.is_empty:
        return 0.0
    value = float(ellipsoidal_areas_m2(np.array([geometry]))[0] if kind == Kind.POLYGON else
                  geodesic_lengths_m(np.array([geometry]))[0])
    return value if value > _tolerance(kind) else 0.0


def _tolerance(kind: Kind) -> float:
    return AREA_TOLERANCE_M2 if kind == Kind.POLYGON else LENGTH_TOLERANCE_M
