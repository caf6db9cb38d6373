"""Coordinates drawn on Chinese web maps: GCJ-02 (Amap, Tencent) and BD-09 (Baidu) back to WGS84.

GCJ-02 is WGS84 shifted by the published obfuscation formula (≈ 500–600 m in Tianjin). Its inverse has
no closed form: ``gcj02_to_wgs84`` iterates ``p ← p − (forward(p) − target)`` until the step is below
1e-10° (≈ 0.01 mm), so the *inversion* adds no error; what remains is the formula's own agreement with
the map vendor's, which redline cannot measure.
"""

from __future__ import annotations

import numpy as np

_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0


def wgs84_to_gcj02(lon, lat):
    """Forward GCJ-02 offset of WGS84 lon/lat arrays (degrees)."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    radians = np.radians(lat)
    magic = 1 - _EE * np.sin(radians) ** 2
    dlat = dlat * 180.0 / ((_A * (1 - _EE)) / (magic * np.sqrt(magic)) * np.pi)
    dlon = dlon * 180.0 / (_A / np.sqrt(magic) * np.cos(radians) * np.pi)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat, *, tolerance_deg: float = 1e-10, max_steps: int = 30):
    """Invert the GCJ-02 offset by fixed-point iteration (converges in ~5 steps)."""
    target_lon, target_lat = np.asarray(lon, float), np.asarray(lat, float)
    wgs_lon, wgs_lat = target_lon.copy(), target_lat.copy()
    for _ in range(max_steps):
        fwd_lon, fwd_lat = wgs84_to_gcj02(wgs_lon, wgs_lat)
        step_lon, step_lat = fwd_lon - target_lon, fwd_lat - target_lat
        wgs_lon, wgs_lat = wgs_lon - step_lon, wgs_lat - step_lat
        if max(np.abs(step_lon).max(initial=0), np.abs(step_lat).max(initial=0)) < tolerance_deg:
            break
    return wgs_lon, wgs_lat


def bd09_to_gcj02(lon, lat):
    """Baidu BD-09 lon/lat to GCJ-02 (the published closed form)."""
    x, y = np.asarray(lon, float) - 0.0065, np.asarray(lat, float) - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def bd09_to_wgs84(lon, lat):
    """Baidu BD-09 lon/lat to WGS84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


WEB_MAP_CRS = ("gcj02", "bd09")
"""The ``crs`` values that name a Chinese web map's offset (undone to WGS84), not a CRS."""
