"""Longitude and latitude as people type them: decimal degrees, DMS text, and packed ddd.mmss.

The 拐点坐标 tables of several national specifications write 117°25′30″ as ``117.2530`` (degrees, then two
digits of minutes, then seconds): read as decimal degrees it lies 23 km away. A column of such numbers cannot
say which it is when every value's minutes and seconds are under 60, so ``read_degrees`` refuses it with both
readings unless the caller says (``degrees="decimal"`` or ``"dms"``). DMS text (``117°25′30.5″E``,
``117度25分30秒``, ``117:25:30``) says so itself and is always read.
"""

from __future__ import annotations

import math
import re

import numpy as np

from redline.errors import InputError

DEGREES = ("decimal", "dms")
"""How a caller may say a lon/lat table is written: decimal degrees, or packed ddd.mmss."""

DMS = re.compile(r"""^\s*(?P<sign>[-+])?\s*(?P<d>\d{1,3}(?:\.\d+)?)\s*(?:[°度:d]|\s)\s*
                      (?:(?P<m>\d{1,2}(?:\.\d+)?)\s*(?:['′’分:m]|\s)\s*)?
                      (?:(?P<s>\d{1,2}(?:\.\d+)?)\s*(?:["″”秒s]|''|′′)?\s*)?
                      (?P<hemisphere>[NSEWnsew东西南北])?\s*$""", re.VERBOSE)
SOUTH_WEST = set("SWsw西南")


def parse_degrees(text: str) -> tuple[float, bool]:
    """(value, True) for DMS text, (float(text), False) for a plain number; ValueError for anything else."""
    text = str(text).strip()
    try:
        return float(text), False
    except ValueError:
        pass
    match = DMS.match(text)
    if not match or (match["m"] is None and match["s"] is None and match["hemisphere"] is None):
        raise ValueError(text)
    minutes, seconds = float(match["m"] or 0), float(match["s"] or 0)
    if minutes >= 60 or seconds >= 60:
        raise ValueError(text)
    value = float(match["d"]) + minutes / 60 + seconds / 3600
    negative = match["sign"] == "-" or (match["hemisphere"] or "") in SOUTH_WEST
    return -value if negative else value, True


def is_packed_readable(values) -> bool:
    """Whether every value could be packed ddd.mmss: its minutes and its seconds both under 60."""
    values = np.abs(np.asarray(values, dtype=float))
    minutes_seconds = np.round((values - np.floor(values)) * 10_000, 6)  # mmss.sss
    return bool(len(values)) and bool(((minutes_seconds // 100 < 60) & (minutes_seconds % 100 < 60)).all())


def from_packed(values) -> np.ndarray:
    """Packed ddd.mmss values as decimal degrees."""
    values = np.asarray(values, dtype=float)
    magnitude = np.abs(values)
    degrees = np.floor(magnitude)
    minutes_seconds = np.round((magnitude - degrees) * 10_000, 6)
    return np.sign(values) * (degrees + (minutes_seconds // 100) / 60 + (minutes_seconds % 100) / 3600)


def read_degrees(lon, lat, *, degrees: str | None, where: str) -> tuple[np.ndarray, np.ndarray]:
    """The lon/lat columns as decimal degrees, read as ``degrees`` says; refused, with both readings of the first
    point, when it says nothing and every value could be packed ddd.mmss."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if degrees not in (None, *DEGREES):
        raise InputError(f"{where}: 未知的经纬度写法 {str(degrees)[:20]!r} / unknown degrees {str(degrees)[:20]!r}; "
                         f"use one of {', '.join(DEGREES)}")
    if degrees == "dms":
        if not is_packed_readable(np.r_[lon, lat]):
            raise InputError(f"{where}: 不是度分秒 / not packed ddd.mmss: a value has 60 or more minutes or seconds "
                             f"(e.g. {_first_bad(np.r_[lon, lat])}); the values are decimal degrees")
        return from_packed(lon), from_packed(lat)
    if degrees is None and is_packed_readable(np.r_[lon, lat]):
        packed_lon, packed_lat = from_packed(lon[:1]), from_packed(lat[:1])
        raise InputError(f"{where}: 经纬度写法不明 / the longitudes and latitudes can be read two ways: "
                         f"{lon[0]:g}, {lat[0]:g} as decimal degrees, or as ddd.mmss ({_dms(lon[0])}, {_dms(lat[0])} = "
                         f"{packed_lon[0]:.6f}, {packed_lat[0]:.6f}), "
                         f"{_distance_km(lon[0], lat[0], packed_lon[0], packed_lat[0]):,.1f} km apart. "
                         "Say which with degrees=decimal or degrees=dms")
    return lon, lat


def _first_bad(values) -> str:
    for value in values:
        if not is_packed_readable([value]):
            return f"{value:g}"
    return ""


def _dms(value: float) -> str:
    magnitude = abs(value)
    degrees = math.floor(magnitude)
    minutes_seconds = round((magnitude - degrees) * 10_000, 6)
    return f"{'-' if value < 0 else ''}{degrees}°{int(minutes_seconds // 100):02d}′{minutes_seconds % 100:05.2f}″"


def _distance_km(lon1, lat1, lon2, lat2) -> float:
    """Great-circle distance on a 6371 km sphere: enough to show the user how far apart two readings lie."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    return 6371 * math.acos(min(1.0, math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)))
