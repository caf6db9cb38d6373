"""Write boundaries in every format planners exchange; redline reads each back (tests/test_convert.py).

Every format is written whole or not at all: its files (a shapefile's .shp/.shx/.dbf/.prj/.cpg) are made
under their final names in a hidden folder beside the target, then renamed into place; on failure the
folder is removed and nothing is left behind.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import shapely

from redline.errors import FormatError
from redline.io.files import refuse_existing
from redline.io.txt import write_txt

SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
RED_LINE_LAYER = "红线"


def write_boundary(frame: gpd.GeoDataFrame, target, *, overwrite: bool = False) -> list[Path]:
    """Write ``frame`` (polygons with a CRS) to ``target`` in the format its suffix names; the paths written."""
    target = Path(target)
    writer = writer_for(target)
    names = [target.with_suffix(part).name for part in SHAPEFILE_PARTS] if target.suffix.lower() == ".shp" else [target.name]
    with _staged(target.parent, names, overwrite=overwrite) as folder:
        writer(frame, folder / target.name)
    return [target.parent / name for name in names if (target.parent / name).exists()]


def writer_for(target: Path) -> Callable:
    """The writer of ``target``'s format (its suffix); FormatError listing the formats if there is none."""
    suffix = Path(target).suffix
    writer = WRITERS.get(suffix.lower())
    if writer is None:
        raise FormatError(f"{target}: 不支持的输出格式 / redline does not write {suffix or 'files without a suffix'}; "
                          f"name the output with one of {', '.join(WRITERS)}")
    return writer


@contextmanager
def _staged(parent: Path, names: list[str], *, overwrite: bool):
    """A hidden folder in ``parent`` to write ``names`` into; they replace their namesakes in ``parent`` on success."""
    if not overwrite:
        refuse_existing(*(parent / name for name in names))
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=parent, prefix=".redline-"))
    try:
        yield folder
        for name in names:
            if (folder / name).exists():
                with open(folder / name, "rb+") as stream:
                    os.fsync(stream.fileno())
                os.replace(folder / name, parent / name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _gdal(driver: str, **options) -> Callable:
    def write(frame: gpd.GeoDataFrame, path: Path) -> None:
        with warnings.catch_warnings():  # a shapefile's field names are cut to 10 characters: its format, said in the README
            warnings.simplefilter("ignore")
            frame.to_file(path, driver=driver, layer=path.stem, engine="pyogrio", **options)
    return write


def _zipped_shapefile(frame: gpd.GeoDataFrame, path: Path) -> None:
    shapefile = path.with_suffix(".shp")
    _gdal("ESRI Shapefile", encoding="UTF-8")(frame, shapefile)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in SHAPEFILE_PARTS:
            archive.write(shapefile.with_suffix(part), shapefile.with_suffix(part).name)


def _kml(frame: gpd.GeoDataFrame, path: Path) -> None:
    _gdal("KML")(_named(frame).to_crs(4326), path)


def _kmz(frame: gpd.GeoDataFrame, path: Path) -> None:
    document = path.with_suffix(".kml")
    _kml(frame, document)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(document, "doc.kml")


def _named(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Only a ``name`` column and the geometry: what KML placemarks carry."""
    names = frame["name"].astype(str) if "name" in frame.columns else [f"地块{i}" for i in range(1, len(frame) + 1)]
    return gpd.GeoDataFrame({"name": list(names)}, geometry=frame.geometry.values, crs=frame.crs)


def _dxf(frame: gpd.GeoDataFrame, path: Path) -> None:
    """A closed polyline per ring on layer 红线 (holes nested in their outer ring, as CAD red lines are drawn)."""
    import ezdxf  # 0.2 s to import: only when a DXF is written

    document = ezdxf.new()
    document.layers.add(RED_LINE_LAYER, color=1)
    space = document.modelspace()
    for polygon in shapely.get_parts(frame.geometry.values):
        for ring in (polygon.exterior, *polygon.interiors):
            space.add_lwpolyline(list(ring.coords)[:-1], close=True, dxfattribs={"layer": RED_LINE_LAYER})
    document.saveas(path)


def _parquet(frame: gpd.GeoDataFrame, path: Path) -> None:
    frame.to_parquet(path)


def _vertices_csv(frame: gpd.GeoDataFrame, path: Path) -> None:
    """Rows of id, ring (圈号, counted over the parts), x (easting or longitude), y (northing or latitude)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "ring", "x", "y"])
    for number, geometry in enumerate(frame.geometry.values, 1):
        rings = [ring for part in shapely.get_parts(geometry) for ring in (part.exterior, *part.interiors)]
        for ring_number, ring in enumerate(rings, 1):
            writer.writerows([number, ring_number, f"{x:.9g}" if abs(x) < 1000 else f"{x:.4f}",
                              f"{y:.9g}" if abs(y) < 1000 else f"{y:.4f}"] for x, y in ring.coords)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _txt(frame: gpd.GeoDataFrame, path: Path) -> None:
    path.write_text(write_txt(frame, path), encoding="utf-8")


WRITERS = {".geojson": _gdal("GeoJSON"), ".json": _gdal("GeoJSON"), ".gpkg": _gdal("GPKG"), ".fgb": _gdal("FlatGeobuf"),
           ".shp": _gdal("ESRI Shapefile", encoding="UTF-8"), ".zip": _zipped_shapefile, ".kml": _kml, ".kmz": _kmz,
           ".dxf": _dxf, ".parquet": _parquet, ".csv": _vertices_csv, ".txt": _txt}
"""Output suffix → writer of a GeoDataFrame to a path with that suffix."""
LONLAT_ONLY = (".kml", ".kmz")
"""Formats that are WGS 84 longitude/latitude by definition."""
WITHOUT_CRS = (".dxf", ".csv")
"""Formats that hold no CRS: reading them back needs the CRS they were written in."""
