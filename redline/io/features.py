"""Features as a reader returns them, and the choice of the project's layer in a file that holds several."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from redline.crs import ellipsoidal_areas_m2, to_cgcs2000
from redline.errors import GeometryError, InputError, correct

POLYGON_TYPE_IDS = (3, 6)  # Polygon, MultiPolygon


@dataclass(frozen=True)
class Features:
    """Features as read: their attributes (no geometry column), shapely geometries and CRS (None if unstated).

    Kept apart rather than as a GeoDataFrame, whose construction costs more than reading a small upload.
    """

    attributes: dict[str, np.ndarray]
    """Column name → one value per feature."""
    geometries: np.ndarray
    crs: CRS | None

    @classmethod
    def of(cls, frame: gpd.GeoDataFrame) -> Features:
        crs = CRS.from_user_input(frame.crs) if frame.crs is not None else None
        return cls({column: frame[column].to_numpy() for column in frame.columns if column != frame.geometry.name},
                   np.asarray(frame.geometry.values, dtype=object), crs)

    def to_frame(self) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(pd.DataFrame(self.attributes), geometry=gpd.GeoSeries(self.geometries, crs=self.crs))

    @property
    def polygons(self) -> np.ndarray:
        return self.geometries[np.isin(shapely.get_type_id(self.geometries), POLYGON_TYPE_IDS)]


def choose_layer(path: Path, layers: dict[str, Callable[[], Features]], layer: str | None) -> Features:
    """The features of the project's layer among ``layers`` (name → reader), never a guess.

    ``layer`` when given; else the only layer, or the only one holding polygons (with a correction naming
    the others). Polygons on several layers are refused with each layer's feature count and area.
    """
    if layer is not None:
        if layer not in layers:
            raise InputError(f"{path}: 无此图层 {layer!r} / no layer {layer!r}; its layers: {', '.join(layers)}")
        return layers[layer]()
    if len(layers) == 1:
        return next(iter(layers.values()))()
    read = {name: reader() for name, reader in layers.items()}
    with_polygons = [name for name, features in read.items() if len(features.polygons)]
    if len(with_polygons) > 1:
        listing = "; ".join(describe_layer(name, features) for name, features in read.items())
        raise InputError(f"{path}: 面要素分布在 {len(with_polygons)} 个图层，请指定图层 / polygons on {len(with_polygons)} "
                         f"layers: {listing}. Choose the project's layer with layer=…; "
                         "redline never guesses")
    chosen = with_polygons[0] if with_polygons else next(iter(read))
    others = ", ".join(name for name in read if name != chosen)
    correct("layer_chosen", str(path), f"只有图层 {chosen} 含面要素，已读取该图层（{others} 无面要素）",
            f"only layer {chosen} holds polygons and was read ({others}: no polygons)")
    return read[chosen]


def describe_layer(name: str, features: Features) -> str:
    """'name (N features, A ha)': the area of its polygons on the ellipsoid, or planar when the layer has no CRS."""
    polygons = features.polygons
    count = f"{len(features.geometries):,} features"
    if not len(polygons):
        return f"{name} ({count}, no polygons)"
    if features.crs is None:
        return f"{name} ({count}, {shapely.area(polygons).sum() / 10_000:,.2f} ha planar, units taken as metres)"
    area_m2 = ellipsoidal_areas_m2(to_cgcs2000(polygons, features.crs)).sum()
    return f"{name} ({count}, {area_m2 / 10_000:,.2f} ha)"


def assemble_rings(rings: list[tuple[object, list]], *, where: str, parcel: str):
    """A parcel's (multi)polygon from its numbered rings (圈号), the first an outer ring, decided by containment.

    A later ring inside an outer ring (and not inside one of its holes) is a hole of it; one outside every
    outer ring is a further part; one crossing or enclosing an earlier ring is refused, naming both.
    """
    parts: list[tuple[object, shapely.Polygon, list]] = []  # (number, outer ring as a polygon, its holes)
    for number, coords in rings:
        ring = shapely.Polygon(coords)
        holder = next((part for part in parts if part[1].contains(ring)), None)
        inner = [] if holder is None else [(n, hole) for n, hole in holder[2] if _overlap(hole, ring)]
        crossed = [n for n, hole in inner if not hole.contains(ring)]
        crossed += [part[0] for part in parts if part is not holder and _overlap(part[1], ring)]
        if crossed:
            raise GeometryError(f"{where}: 地块 {parcel} 第 {number} 圈与第 {crossed[0]} 圈相交或包含之 / parcel {parcel}: "
                                f"ring {number} crosses or encloses ring {crossed[0]}; a ring must lie inside an outer "
                                "ring (a hole) or outside every one (a further part)")
        if holder is not None and not inner:
            holder[2].append((number, ring))
        else:
            parts.append((number, ring, []))
    polygons = [shapely.Polygon(outer.exterior.coords, [hole.exterior.coords for _, hole in holes]) for _, outer, holes in parts]
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def _overlap(a, b) -> bool:
    """Whether two rings' areas share more than boundary points: rings touching at a corner are separate (OGC)."""
    return a.intersects(b) and not a.touches(b)
