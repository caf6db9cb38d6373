"""The layer manifest: what each protected layer is, where it is read from, and which rule it feeds.

A manifest (TOML) names each layer: titles, its file (and table) or PostGIS ``database`` and ``table``,
geometry kind, the rule it feeds, the attribute naming a feature, the attribute and values giving its
class, a map style, provenance, vintage and the SHA-256 of its file (of its rows for a PostGIS table,
where it is optional and checked when given). The same entries can be given in memory, each with its
GeoDataFrame as ``data`` (``manifest_from_frames``). Every entry is checked against the rule registry
(``redline.rules.layer_problems``) when it is read.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import shapely

from redline.errors import ManifestError
from redline.io.files import sha256_file
from redline.model import Kind
from redline.rules import REGION, layer_problems

_PACKAGED = Path(__file__).resolve().parent / "data" / "tianjin" / "layers.toml"
DEFAULT_MANIFEST = _PACKAGED if _PACKAGED.exists() else Path(__file__).resolve().parents[1] / "data" / "tianjin" / "layers.toml"
"""The shipped Tianjin demo manifest: inside an installed wheel (``setup.py`` puts it there), else the source tree's."""


@dataclass(frozen=True)
class LayerSpec:
    """One manifest entry: a file (``path``, resolved against the manifest's folder) or a PostGIS ``database``."""

    id: str
    title_zh: str
    title_en: str
    path: Path | None
    kind: Kind
    rule: str
    sha256: str | None
    vintage: str
    table: str | None = None
    database: str | None = None
    name_field: str | None = None
    class_field: str | None = None
    classes: dict[str, str] = field(default_factory=dict)
    style: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)
    constraint: dict = field(default_factory=dict)
    """A declared constraint's table (``redline.rules.declared``), for a layer with ``rule = "area"``."""
    data: gpd.GeoDataFrame | None = field(default=None, compare=False, repr=False)
    """The layer's features, for a layer given in memory (then ``path`` and ``database`` are None)."""

    @property
    def source(self) -> str:
        """Where the layer is read from, for messages (a database without its password)."""
        if self.data is not None:
            return f"in-memory layer {self.id!r}"
        if self.database is None:
            return str(self.path)
        from redline.io.postgis import describe_database

        return f"{describe_database(self.database)} table {self.table}"

    @property
    def label(self) -> str:
        """Short name of the source for reports: the file name, or ``postgis:schema.table``."""
        if self.data is not None:
            return f"memory:{self.id}"
        return self.path.name if self.database is None else f"postgis:{self.table}"


@dataclass(frozen=True)
class Manifest:
    """A parsed manifest (``path`` as given): its own hash and its layers, in file order."""

    path: Path
    sha256: str
    name: str
    title_zh: str
    title_en: str
    region_layer: str | None
    disclaimer: str
    layers: dict[str, LayerSpec]
    disclaimer_zh: str = ""
    review: Path | None = None
    """The manifest's review templates (legal basis, opinion wording; ``redline.report.basis``), if it names some."""


def read_manifest(path: str | Path = DEFAULT_MANIFEST, *, verify: bool = True) -> Manifest:
    """Parse a layer manifest; with ``verify``, refuse files whose SHA-256 differs from the recorded one."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ManifestError(f"{path}: 无法读取图层清单 / cannot read the layer manifest ({error}); give a valid "
                            "layers.toml") from None
    head, entries = data.get("manifest", {}), data.get("layers")
    if not isinstance(entries, dict) or not entries:
        raise ManifestError(f"{path}: 清单中无图层 / no [layers.*] tables; every layer needs one (see "
                            "data/tianjin/layers.toml)")
    specs = {layer_id: _spec(path, layer_id, entry) for layer_id, entry in entries.items()}
    _check_rules(path, specs)
    if verify:
        for spec in specs.values():
            if spec.path is not None and spec.path.exists() and sha256_file(spec.path) != spec.sha256:
                raise ManifestError(
                    f"{spec.path}: 图层 {spec.id} 的文件在清单写成后已改变 / the file of layer {spec.id!r} changed since "
                    f"{path.name} was written: its SHA-256 no longer matches. Restore the file, or record the new hash in "
                    f"{path.name} if the change is intended")
    return Manifest(path=path, sha256=sha256_file(path), name=head.get("name", path.stem),
                    title_zh=head.get("title_zh", ""), title_en=head.get("title_en", ""),
                    region_layer=head.get("region_layer"), disclaimer=head.get("disclaimer", ""), layers=specs,
                    disclaimer_zh=head.get("disclaimer_zh", ""),
                    review=(path.parent / head["review"]).resolve() if head.get("review") else None)


def _spec(path: Path, layer_id: str, entry: dict, data: gpd.GeoDataFrame | None = None) -> LayerSpec:
    """One manifest entry as a ``LayerSpec``: a file, a PostGIS table, or (``data``) a GeoDataFrame in memory."""
    in_database, in_memory = "database" in entry, data is not None
    where = ("table",) if in_database else () if in_memory else ("file", "sha256")
    missing = [k for k in ("title_zh", "title_en", "kind", "rule", "vintage") + where if k not in entry]
    if missing:
        raise ManifestError(f"{path}: 图层 {layer_id} 缺少 {'、'.join(missing)} / layer {layer_id!r} lacks {', '.join(missing)}")
    if not in_memory and in_database == ("file" in entry):
        raise ManifestError(f"{path}: 图层 {layer_id} 须且只须给出 file 或 database 之一 / layer {layer_id!r} needs either "
                            "'file' or 'database' (PostGIS), not both or neither")
    if entry["kind"] not in {kind.value for kind in Kind} or ((in_database or in_memory) and entry["kind"] == Kind.RASTER):
        kinds = [kind.value for kind in Kind if not ((in_database or in_memory) and kind is Kind.RASTER)]
        raise ManifestError(f"{path}: 图层 {layer_id} 的类型 {entry['kind']!r} 无效 / layer {layer_id!r} has kind "
                            f"{entry['kind']!r}; use one of {', '.join(kinds)}")
    known = {k: entry[k] for k in ("table", "database", "name_field", "class_field", "classes", "style", "provenance",
                                   "constraint") if k in entry}
    on_disk = not in_database and not in_memory
    return LayerSpec(id=layer_id, title_zh=entry["title_zh"], title_en=entry["title_en"],
                     path=(path.parent / entry["file"]).resolve() if on_disk else None, kind=Kind(entry["kind"]),
                     rule=entry["rule"], sha256=frame_sha256(data) if in_memory else entry.get("sha256"),
                     vintage=str(entry["vintage"]), data=data, **known)


def _check_rules(path: Path, specs: dict[str, LayerSpec]) -> None:
    problems = [problem for spec in specs.values()
                for problem in layer_problems(spec)]
    if problems:
        raise ManifestError(f"{path}: 图层清单与规则不符 / the manifest does not fit the rules: " + "; ".join(problems))


IN_MEMORY = Path("<in-memory>")


def manifest_from_frames(layers: dict[str, dict], *, name: str = "in-memory", disclaimer: str = "") -> Manifest:
    """A manifest of layers given in memory: layer id → the fields of a manifest entry with the layer's
    GeoDataFrame as ``data`` (titles default to the id, vintage to "unknown"; kind and rule are required).

    The manifest's hash covers every entry's fields and data, so reports of the same layers match.
    """
    specs = {}
    for layer_id, entry in layers.items():
        if not isinstance(entry.get("data"), gpd.GeoDataFrame):
            raise ManifestError(f"内存图层 {layer_id!r} 缺少数据 / in-memory layer {layer_id!r} needs its features as 'data' "
                                "(a GeoDataFrame with a CRS)")
        fields = {"title_zh": layer_id, "title_en": layer_id, "vintage": "unknown",
                  **{k: v for k, v in entry.items() if k != "data"}}
        specs[layer_id] = _spec(IN_MEMORY, layer_id, fields, entry["data"])
    _check_rules(IN_MEMORY, specs)
    digest = hashlib.sha256(repr(sorted((spec.id, spec.rule, spec.kind.value, spec.sha256, sorted(spec.classes.items()))
                                        for spec in specs.values())).encode())
    return Manifest(path=IN_MEMORY, sha256=digest.hexdigest(), name=name, title_zh=name, title_en=name,
                    region_layer=next((s.id for s in specs.values() if s.rule == REGION), None),
                    disclaimer=disclaimer, layers=specs)


def frame_sha256(frame: gpd.GeoDataFrame) -> str:
    """SHA-256 of a GeoDataFrame's geometries (WKB), CRS and attributes: what identifies an in-memory layer."""
    digest = hashlib.sha256(b"".join(shapely.to_wkb(frame.geometry.values)))
    digest.update(str(frame.crs).encode())
    digest.update(frame.drop(columns=frame.geometry.name).to_json(force_ascii=False).encode())
    return digest.hexdigest()
