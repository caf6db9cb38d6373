"""GeoParquet boundaries, read with pyarrow: row count and geometry bytes checked before any geometry is built.

A GeoParquet file is trusted for nothing: its row count comes from the footer and is held to the limit before
the data is read, and its WKB is checked for vertex count and nesting (``check_wkb``) before GEOS decodes it.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import orjson
import pyarrow
import pyarrow.parquet as pq
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from redline.errors import FormatError, LimitError
from redline.io.safety import check_wkb


def read_geoparquet(path: Path, *, max_features: int, max_vertices: int) -> gpd.GeoDataFrame:
    """The features of a GeoParquet file (WKB or GeoArrow geometry), CRS from its ``geo`` metadata."""
    with open(path, "rb") as stream:
        head = stream.read(4)
        stream.seek(-4, 2)
        tail = stream.read(4)
    if head != b"PAR1" or tail != b"PAR1":
        raise FormatError(f"{path}: 不是 Parquet 文件 / not a Parquet file although the name ends in "
                          f"{path.suffix}; export it again")
    try:
        parquet = pq.ParquetFile(path)
        rows = parquet.metadata.num_rows
        geo = orjson.loads((parquet.schema_arrow.metadata or {}).get(b"geo", b"null"))
    except (pyarrow.ArrowException, OSError, orjson.JSONDecodeError) as error:
        raise FormatError(f"{path}: 无法读取的 GeoParquet / not a readable GeoParquet file ({error}); export it again") from None
    if rows > max_features:
        raise LimitError(f"{path}: 超过要素数限制 / {rows:,} rows is over the {max_features:,}-feature limit; split the file")
    if not isinstance(geo, dict) or "primary_column" not in geo:
        raise FormatError(f"{path}: 缺少 GeoParquet 元数据 / a Parquet file without GeoParquet 'geo' "
                          "metadata; write it with GeoPandas or GDAL")
    column = geo["primary_column"]
    try:
        described = geo.get("columns", {}).get(column, {})
        if str(described.get("encoding", "WKB")).upper() != "WKB":  # GeoArrow: native coordinates, nothing to walk
            return gpd.read_parquet(path)
        table = parquet.read()
        wkbs = table.column(column).to_numpy(zero_copy_only=False)
    except (pyarrow.ArrowException, OSError, AttributeError, KeyError, TypeError, ValueError) as error:
        raise FormatError(f"{path}: 无法读取的 GeoParquet / not a readable GeoParquet file ({str(error)[:200]}); "
                          "export it again") from None
    check_wkb(wkbs, max_vertices=max_vertices, source=str(path))
    try:
        crs = CRS.from_user_input(described["crs"]) if described.get("crs") is not None else \
            ("OGC:CRS84" if "crs" not in described else None)  # GeoParquet: no "crs" is OGC:CRS84, null is unknown
        return gpd.GeoDataFrame(table.drop_columns([column]).to_pandas(), geometry=shapely.from_wkb(wkbs), crs=crs)
    except (pyarrow.ArrowException, shapely.errors.ShapelyError, CRSError, ValueError, TypeError) as error:
        raise FormatError(f"{path}: 无法读取的 GeoParquet / not a readable GeoParquet file ({str(error)[:200]}); "
                          "export it again") from None
