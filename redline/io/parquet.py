"""GeoParquet boundaries, read with pyarrow: row count and geometry bytes checked before any geometry is built.

A GeoParquet file is trusted for nothing: its row count comes from the footer and is held to the limit before
the data is read; its WKB is read in batches, each checked for vertex count (the running byte total) and nesting
before GEOS decodes it.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import orjson
import pyarrow
import pyarrow.compute as pc
import pyarrow.parquet as pq
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from redline.errors import FormatError, LimitError, RedlineError
from redline.io.safety import check_wkb_bytes, check_wkb_kinds


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
        crs = CRS.from_user_input(described["crs"]) if described.get("crs") is not None else \
            ("OGC:CRS84" if "crs" not in described else None)  # GeoParquet: no "crs" is OGC:CRS84, null is unknown
        geometries, attributes, total, decoded = [], [], 0, 0
        for batch in parquet.iter_batches(batch_size=BATCH):  # the whole file's WKB is never held at once
            wkbs = batch.column(column)
            total += pc.sum(pc.binary_length(wkbs)).as_py() or 0
            check_wkb_bytes(total, rows, max_vertices=max_vertices, source=str(path))
            wkbs = wkbs.to_numpy(zero_copy_only=False)
            check_wkb_kinds(wkbs, source=str(path), first=decoded)
            geometries.append(shapely.from_wkb(wkbs))
            decoded += len(wkbs)
            attributes.append(pyarrow.Table.from_batches([batch]).drop_columns([column]))
        frame = pyarrow.concat_tables(attributes).to_pandas() if attributes else None
        return gpd.GeoDataFrame(frame, geometry=np.concatenate(geometries or [np.empty(0, dtype=object)]), crs=crs)
    except RedlineError:  # the limits and checks above: their own message
        raise
    except (pyarrow.ArrowException, shapely.errors.ShapelyError, CRSError, OSError, AttributeError, KeyError, TypeError,
            ValueError) as error:
        raise FormatError(f"{path}: 无法读取的 GeoParquet / not a readable GeoParquet file ({str(error)[:200]}); "
                          "export it again") from None
    finally:
        pyarrow.default_memory_pool().release_unused()  # what decoding took goes back to the OS


BATCH = 4096
"""Rows read, checked and decoded at a time."""
