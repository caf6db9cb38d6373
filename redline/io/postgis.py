"""PostGIS tables as protected layers: read one as a GeoDataFrame; publish files' layers as tables.

A connection string is a libpq URI or ``key=value`` string (``postgresql://user@host/db``,
``service=redline``). Passwords belong in ``~/.pgpass`` or ``PGPASSWORD``, never in a manifest, and no
message shows one. psycopg 3 is an optional dependency: ``pip install 'redline[postgis]'``.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import unquote

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from redline.errors import CRSError, InputError


def _psycopg():
    try:
        import psycopg
    except ImportError:
        raise InputError("未安装 psycopg，无法读取 PostGIS 图层 / a layer is in PostGIS but psycopg is not installed; "
                         "pip install 'redline[postgis]'") from None
    return psycopg


def describe_database(database: str) -> str:
    """``database`` without its password, for messages: ``postgresql://user@host:port/db``."""
    try:
        psycopg = _psycopg()
    except InputError:
        return "a PostgreSQL database (psycopg is not installed)"
    try:
        parts = psycopg.conninfo.conninfo_to_dict(database)
    except psycopg.ProgrammingError:  # the string itself is malformed
        return "an unparsable connection string"
    host = parts.get("host", "")
    port = f":{parts['port']}" if parts.get("port") else ""
    user = f"{parts['user']}@" if parts.get("user") else ""
    return f"postgresql://{user}{host}{port}/{parts.get('dbname', '')}"


_USERINFO_PASSWORD = re.compile(r"://[^:/@?#]*:([^@/?#]*)@")
_KEYWORD_PASSWORD = re.compile(r"\bpassword\s*=\s*('(?:[^'\\]|\\.)*'|\S+)")


def redact(text: str, database: str) -> str:
    """``text`` with the password of ``database`` (URI or key=value form, encoded or not) replaced by ***."""
    secrets = [m.group(1) for m in (*_USERINFO_PASSWORD.finditer(database), *_KEYWORD_PASSWORD.finditer(database))]
    secrets += [unquote(secret) for secret in secrets] + [secret.strip("'") for secret in secrets]
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def without_password(database: str) -> str:
    """``database`` with its password removed (for a manifest written to disk: the password comes from
    ~/.pgpass or PGPASSWORD when it is read)."""
    database = _USERINFO_PASSWORD.sub(lambda m: m.group(0).replace(":" + m.group(1) + "@", "@"), database)
    return re.sub(r"\s*\bpassword\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", "", database).strip()


def connect(database: str):
    """Open a psycopg connection, or raise InputError naming the database (never its password)."""
    psycopg = _psycopg()
    try:
        return psycopg.connect(database, connect_timeout=10)
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(f"无法连接数据库 / cannot connect to {describe_database(database)}: {redact(reason, database)}; "
                         "check 'database' in the manifest, the server, and ~/.pgpass or PGPASSWORD for the password") from None


def _identifier(table: str):
    sql = _psycopg().sql

    schema, _, name = table.rpartition(".")
    return (schema or "public", name), sql.Identifier(*([schema, name] if schema else [name]))


def read_table(database: str, table: str, columns: list[str]) -> tuple[gpd.GeoDataFrame, str]:
    """Read ``table`` (``schema.name``) with ``columns`` as text and its geometry column.

    Rows come in primary-key order (the source's feature order for published tables), else sorted by content.
    Returns the frame in the column's SRID (as its authority's CRS) and the SHA-256 of its content (each
    row's attribute text and WKB, in order), which identifies the data as a file's hash does.
    """
    sql = _psycopg().sql

    where = f"{describe_database(database)} table {table}"
    (schema, name), identifier = _identifier(table)
    with connect(database) as connection:
        found = connection.execute("SELECT f_geometry_column, srid FROM geometry_columns "
                                   "WHERE f_table_schema = %s AND f_table_name = %s", (schema, name)).fetchall()
        if len(found) != 1:
            raise InputError(f"{where}: 须有且只有一个几何列 / {'no' if not found else 'more than one'} PostGIS geometry "
                             "column; name a table with exactly one geometry column in 'table'")
        geometry_column, srid = found[0]
        authority = connection.execute("SELECT auth_name, auth_srid FROM spatial_ref_sys WHERE srid = %s", (srid,)).fetchone()
        if not srid or authority is None:
            raise CRSError(f"{where}: 几何列的 SRID {srid} 不对应坐标系 / the geometry column has SRID {srid}, which names "
                           "no CRS; "
                           f"set one, e.g. SELECT UpdateGeometrySRID('{schema}', '{name}', '{geometry_column}', 4490)")
        keys = [row[0] for row in connection.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
            "WHERE i.indrelid = to_regclass(%s) AND i.indisprimary", (identifier.as_string(connection),))]
        order = (sql.SQL(", ").join(sql.Identifier(k) for k in keys) if keys
                 else sql.SQL(", ").join(sql.Literal(i + 1) for i in range(len(columns) + 1)))
        query = sql.SQL("SELECT {}, ST_AsBinary({}) FROM {} ORDER BY {}").format(
            sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(c)) for c in columns) if columns else sql.SQL("NULL"),
            sql.Identifier(geometry_column), identifier, order)
        try:
            rows = connection.execute(query).fetchall()
        except _psycopg().Error as error:
            reason = redact(str(error).strip().splitlines()[0], database)
            raise InputError(f"{where}: 无法读取 / cannot be read: {reason}; check 'table', 'name_field' and "
                             "'class_field' in the manifest") from None
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr(row[:-1]).encode() + b"\0" + (row[-1] or b"") + b"\0")
    attributes = {column: [row[i] for row in rows] for i, column in enumerate(columns)}
    geometries = shapely.from_wkb(np.array([row[-1] for row in rows], dtype=object))
    crs = CRS.from_authority(*authority)
    return gpd.GeoDataFrame(attributes, geometry=gpd.GeoSeries(geometries, crs=crs), crs=crs), digest.hexdigest()


def write_table(database: str, table: str, frame: gpd.GeoDataFrame, columns: list[str]) -> None:
    """Replace ``table`` by ``frame``'s ``columns`` (as text) and geometry, with a GiST index.

    The frame's CRS must have an EPSG code; it becomes the geometry column's SRID.
    """
    sql = _psycopg().sql

    epsg = frame.crs.to_epsg() if frame.crs is not None else None
    if epsg is None:
        raise CRSError(f"{table}: 坐标系无 EPSG 代码，无法发布 / cannot publish {table}: its CRS {frame.crs} has no EPSG "
                       "code; reproject it to EPSG:4490")
    (schema, name), identifier = _identifier(table)
    fields = [sql.SQL("{} text").format(sql.Identifier(c)) for c in columns]
    with connect(database) as connection:
        connection.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        connection.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(identifier))
        connection.execute(sql.SQL("CREATE TABLE {} (fid bigserial PRIMARY KEY, {}geom geometry(Geometry, {}))").format(
            identifier, sql.SQL("").join(f + sql.SQL(", ") for f in fields), sql.Literal(epsg)))
        target = sql.SQL("COPY {} ({}) FROM STDIN").format(
            identifier, sql.SQL(", ").join(sql.Identifier(c) for c in [*columns, "geom"]))
        hexes = shapely.to_wkb(shapely.set_srid(frame.geometry.values, epsg), hex=True, include_srid=True)
        with connection.cursor().copy(target) as copy:
            for values in zip(*(frame[c].astype(str) for c in columns), hexes):
                copy.write_row(values)
        connection.execute(sql.SQL("CREATE INDEX ON {} USING GIST (geom)").format(identifier))
        connection.execute(sql.SQL("ANALYZE {}").format(identifier))

