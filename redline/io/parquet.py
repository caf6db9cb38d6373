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
        encoding = str(geo.get("columns", {}).get(column, {}).get("encoding", "WKB")).upper()
        wkbs = parquet.read(columns=[column]).column(column).to_pylist() if encoding == "WKB" else None
    except (pyarrow.ArrowException, OSError, AttributeError, KeyError, TypeError) as error:
        raise FormatError(f"{path}: 无法读取的 GeoParquet / not a readable GeoParquet file ({str(error)[:200]}); "
                          "export it again") from None
    if wkbs is not None:
        check_wkb(wkbs, max_vertices=max_vertices, source=str(path))
    try:
        return gpd.read_parquet(path)
    except (pyarrow.ArrowException, OSError, ValueError, TypeError) as error:
        raise FormatError(f"{path}: 无法读取的 GeoParquet / not a readable GeoParquet file ({str(error)[:200]}); "
                          "export it again") from None
