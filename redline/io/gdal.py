"""GDAL, configured once for untrusted files: explicit drivers, no file-referencing drivers, no network.

GDAL picks a driver from a file's *content*, so an upload named ``x.geojson`` holding VRT XML or a GDALG
pipeline would be opened by those drivers, which read other files (``/etc/passwd``, the service's database)
or fetch URLs. Three locks, in this order:

1. ``gdal_path`` opens a file only through the driver its suffix claims, after ``redline.io.safety.check_signature``
   found that driver's signature in the bytes; drivers that accept it get their ``DRIVER:`` prefix, so GDAL
   does not probe at all.
2. ``SKIPPED_DRIVERS`` are deregistered from the GDAL that pyogrio uses, on import (``GDALDeregisterDriver``
   through ctypes on the loaded library, whatever was imported before; ``GDAL_SKIP`` would warn about
   every name a build lacks and come too late if pyogrio was imported first).
3. ``CONFIG`` turns off the network virtual file systems for every read.
"""

from __future__ import annotations

import ctypes
import logging
from pathlib import Path

import pyogrio

SKIPPED_DRIVERS = ("VRT", "OGR_VRT", "GDALG", "GTI", "STACIT", "STACTA", "WMS", "WMTS", "WFS", "OAPIF", "CSW", "WCS",
                   "HTTP", "PLSCENES", "ESRIC", "NGW", "Elasticsearch", "CARTO", "AmigoCloud", "GMLAS", "EEDA", "EEDAI",
                   "DAAS", "ADBC", "LIBKML")
"""Drivers that open other files or URLs named inside the file (virtual datasets, pipelines, tile indexes, web
services, KML network links): not registered at all. Uploads are further held to the one driver of their suffix."""

CONFIG = {
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".redline-no-network",  # /vsicurl/ and its kin open nothing
    "GDAL_HTTP_PROXY": "127.0.0.1:9",  # any HTTP request GDAL still makes goes nowhere (port 9: discard)
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_MAX_RETRY": "0",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",  # no listing of the upload's folder for sidecar files
    "GDAL_VRT_ENABLE_PYTHON": "NO",  # should a VRT ever be opened, no Python pixel functions
    "OGR_GEOJSON_MAX_OBJ_SIZE": "200",  # MB of one GeoJSON object
}
"""GDAL configuration for every read, set once in this process when this module is imported."""

PREFIXED = {"GeoJSON": "GeoJSON:", "GPKG": "GPKG:"}
"""Drivers that take an explicit ``DRIVER:`` prefix on the path (GDAL then tries no other driver)."""

pyogrio.set_gdal_config_options(CONFIG)


def _pyogrio_gdal() -> ctypes.CDLL | None:
    """The GDAL library pyogrio loaded (its wheel's own copy, or the system's), found in this process's maps."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "/libgdal" in line}
    except OSError:
        return None
    chosen = sorted(p for p in paths if "pyogrio" in p) or sorted(p for p in paths if "rasterio" not in p)
    return ctypes.CDLL(chosen[0]) if chosen else None


def _deregister(names) -> list[str]:
    """Deregister and destroy ``names`` in pyogrio's GDAL; the names that are still registered after."""
    library = _pyogrio_gdal()
    if library is not None:
        library.GDALGetDriverByName.restype = ctypes.c_void_p
        library.GDALGetDriverByName.argtypes = [ctypes.c_char_p]
        library.GDALDeregisterDriver.argtypes = [ctypes.c_void_p]
        library.GDALDestroyDriver.argtypes = [ctypes.c_void_p]
        for name in names:
            handle = library.GDALGetDriverByName(name.encode())
            if handle:
                library.GDALDeregisterDriver(handle)
                library.GDALDestroyDriver(handle)
    return sorted(set(names) & set(pyogrio.list_drivers()))


REMAINING = _deregister(SKIPPED_DRIVERS)
if REMAINING:  # the signature checks still hold uploads to their one driver
    logging.getLogger(__name__).warning("could not deregister GDAL drivers %s", ", ".join(REMAINING))


def gdal_path(path: Path | str, driver: str) -> str:
    """The path to hand GDAL for ``driver``: with the driver's prefix where GDAL accepts one."""
    return f"{PREFIXED.get(driver, '')}{path}"


def read_raw(path: Path | str, driver: str, **options):
    """``pyogrio.raw.read`` of ``path`` through ``driver`` only (its signature already checked by the caller)."""
    return pyogrio.raw.read(gdal_path(path, driver), **options)
