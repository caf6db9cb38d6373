"""Publishing a manifest's vector layers to PostGIS (``redline layers --publish``)."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import tomli_w

from redline.io.files import write_atomic
from redline.layers.read import read_frame
from redline.manifest import read_manifest
from redline.model import Kind


def publish_layers(manifest: str | Path, database: str, output: str | Path, *, schema: str = "redline",
                   overwrite: bool = False) -> Path:
    """Copy a manifest's vector layers into PostGIS tables ``schema.<layer id>``; write a manifest using them.

    Each table keeps the layer's CRS as its SRID, its name and class attributes as text, and a GiST index;
    the new manifest records the SHA-256 of its rows. Raster layers stay files, referred to from ``output``.
    """
    from redline.io.postgis import read_table, without_password, write_table

    source = read_manifest(manifest)
    output = Path(output).resolve()
    data = tomllib.loads(source.path.read_text(encoding="utf-8"))
    for spec in source.layers.values():
        entry = data["layers"][spec.id]
        if spec.kind == Kind.RASTER or spec.path is None:
            if spec.path is not None:
                entry["file"] = os.path.relpath(spec.path, output.parent)
            continue
        frame, _ = read_frame(spec)
        columns = [f for f in (spec.name_field, spec.class_field) if f]
        table = f"{schema}.{spec.id}"
        write_table(database, table, frame, columns)
        for key in ("file", "sha256"):
            entry.pop(key, None)
        entry.update(database=without_password(database), table=table, sha256=read_table(database, table, columns)[1])
    write_atomic(output, tomli_w.dumps(data), overwrite=overwrite)
    return output
