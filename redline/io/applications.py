"""Multi-application files: a table whose features are separate applications (a batch's input), read once and cut
into projects row by row, a bad row an error of its own."""

from __future__ import annotations

import hashlib
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from redline.crs import to_cgcs2000
from redline.errors import CRSError, GeometryError, InputError, RedlineWarning, correct
from redline.footprint import checked_geometry, in_china, plainly_valid
from redline.io.cleaning import MAX_TEXT, cleaned
from redline.io.features import Features
from redline.io.georef import features_in_crs, with_crs
from redline.io.project import MAX_VERTICES, Project, replayed

MAX_APPLICATIONS = 5_000_000


@dataclass(frozen=True)
class FeatureTable:
    """The features of a multi-application file with a trustworthy CRS, their ids, and the web-map conversion."""

    path: Path
    frame: gpd.GeoDataFrame
    ids: list[str]
    conversion: str | None = None
    warnings: tuple[dict, ...] = ()
    """Corrections made while reading the file, given to each of its applications."""


def read_feature_table(path, *, id_field: str = "id", crs=None, layer=None, encoding=None, degrees: str | None = None,
                       max_bytes: int = 2 * 1024 ** 3, max_features: int = MAX_APPLICATIONS) -> FeatureTable:
    """Read a multi-feature file (GeoPackage, GeoParquet, CSV, …) whose features are separate applications.

    ``id_field`` names each application (row numbers from 1 when the file has no such column and the
    default is kept); duplicate ids are refused, since results are keyed by id.
    """
    path = Path(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RedlineWarning)
        features, conversion = features_in_crs(path, layer=layer, encoding=encoding, crs=crs, degrees=degrees,
                                               max_bytes=max_bytes, max_vertices=MAX_VERTICES * max_features,
                                               max_features=max_features)
    return _feature_table(features, path, id_field, conversion, replayed(caught))


def feature_table_of(frame: gpd.GeoDataFrame, *, id_field: str = "id", crs=None, label: str = "<memory>") -> FeatureTable:
    """A GeoDataFrame of applications (one per row) as a ``FeatureTable``, with the CRS checks of a file."""
    path = Path(label)
    return _feature_table(with_crs(Features.of(frame), path, crs), path, id_field, None, ())


def _feature_table(features: Features, path: Path, id_field: str, conversion, corrections) -> FeatureTable:
    frame = features.to_frame()
    if id_field in frame.columns:
        given = frame[id_field].astype(str).tolist()
        ids = [cleaned(text)[0] for text in given]
        if ids != given:
            correct("text_cleaned", f"{path} ({id_field})", "申请编号已清理：去除控制或双向覆盖字符，过长者截断",
                    f"application ids cleaned: control and bidi-override characters removed, over {MAX_TEXT} characters cut")
    elif id_field == "id":
        ids = [str(number) for number in range(1, len(frame) + 1)]
    else:
        raise InputError(f"{path}: 无编号列 / "
                         f"no column {id_field!r} for the application ids; columns: {', '.join(frame.columns)}")
    duplicates = sorted(application for application, count in Counter(ids).items() if count > 1)
    if duplicates:
        raise InputError(f"{path}: 申请编号重复 / application ids repeat ({', '.join(duplicates[:10])}); ids must be unique")
    return FeatureTable(path, frame, ids, conversion, corrections)


def applications_of(table: FeatureTable, *, repair: bool = False, max_vertices: int = MAX_VERTICES):
    """(id, Project or InputError) for each of the table's features, in order.

    A bad feature is an error of its own, never the whole file's.
    """
    frame, path, ids = table.frame, table.path, table.ids
    source_crs = CRS.from_user_input(frame.crs)
    geometries = shapely.force_2d(frame.geometry.values)
    sound = plainly_valid(geometries)
    checked = [(g, None, None) if fine else checked_geometry(g, f"application {i}", repair=repair)
               for g, i, fine in zip(geometries, ids, sound)]
    sizes = shapely.get_num_coordinates(geometries)
    ok = np.array([problem is None and size <= max_vertices for (_, problem, _), size in zip(checked, sizes)], dtype=bool)
    footprints = np.empty(len(checked), dtype=object)
    footprints[ok] = to_cgcs2000(np.array([g for g, _, _ in checked], dtype=object)[ok], source_crs)
    plausible = in_china(footprints)
    wkb = shapely.to_wkb(np.array([g for g, _, _ in checked], dtype=object))
    name_column = next((c for c in ("name", "NAME", "项目名称", "名称") if c in frame.columns), None)
    names = [cleaned(text)[0] for text in frame[name_column].astype(str).tolist()] if name_column else [None] * len(frame)
    results = []
    for position, (application, (geometry, problem, note), size) in enumerate(zip(ids, checked, sizes)):
        if problem or size > max_vertices:
            message = problem or f"application {application}: {size:,} vertices is over the {max_vertices:,}-vertex limit"
            results.append((application, GeometryError(f"{path}: {message}")))
            continue
        if not plausible[position]:
            results.append((application, CRSError(f"{path}: application {application}: 换算后落在中国以外或为无穷 / "
                                                  f"falls outside China or at infinity in {source_crs.to_string()}; "
                                                  "the CRS or the axis order is wrong")))
            continue
        digest = hashlib.sha256(wkb[position]).hexdigest()
        corrections = table.warnings + ((note.to_dict(),) if note else ())
        results.append((application, Project(path, digest, names[position], source_crs, 1, footprints[position],
                                             (f"{note.where} {note.en}",) if note else (), table.conversion,
                                             warnings=corrections)))
    return results
