"""Own layers without hand work: a draft manifest for a folder of layer files (``draft_manifest``), and the hashes
of files changed on purpose recorded again (``stamp_manifest``).

The draft says what the files say — kind from the geometry type, the CRS, candidate name and class fields with their
distinct values, hashes, vintages from the files' dates — and marks what it cannot know for the bureau to fill: the
rule a layer is checked against is guessed from its name only where the name says it, with a comment, never silently;
a layer whose rule is not guessed gets an empty ``rule`` that the manifest reader refuses until it is filled.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
import warnings
from pathlib import Path

import pyogrio
import tomli_w

from redline.errors import ManifestError
from redline.io.files import sha256_file, write_atomic
from redline.model import Kind
from redline.rules import rule_for

VECTOR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".fgb", ".parquet", ".geoparquet")
RASTER_SUFFIXES = (".tif", ".tiff")
KIND_OF = {geometry: kind.value for kind in (Kind.POLYGON, Kind.LINE) for geometry in kind.geometry_types}
RULE_HINTS = (("redline", ("生态保护红线", "生态红线", "redline", "ecological")), ("farmland", ("耕地", "基本农田", "farmland")),
              ("coastline", ("岸线", "coast")), ("reclamation", ("海域", "围填海", "sea")),
              ("urban_boundary", ("城镇开发边界", "开发边界", "urban")), ("river_lake", ("河湖", "河道", "river", "lake")),
              ("nature_reserves", ("自然保护地", "保护区", "reserve")), ("zoning", ("管控单元", "zoning")),
              ("region", ("行政区", "区划", "boundary", "district")), ("landcover", ("土地覆盖", "landcover")))
"""Words in a layer's file or table name that say which rule it is for."""
MAX_CLASSES = 12


def draft_manifest(folder: Path, *, manifest_path: Path) -> str:
    """The TOML of a draft manifest for the layer files in ``folder`` (paths relative to ``manifest_path``)."""
    folder = Path(folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in VECTOR_SUFFIXES + RASTER_SUFFIXES)
    if not files:
        raise ManifestError(f"{folder}: 无图层文件 / no layer files ({', '.join(VECTOR_SUFFIXES + RASTER_SUFFIXES)})")
    head = {"manifest": {"name": folder.name, "title_zh": folder.name, "title_en": folder.name, "crs": "EPSG:4490",
                         "vintage": max(_date(p) for p in files)}}
    parts = ["# Draft manifest written by `redline layers init` — check every entry, fill each empty `rule`,",
             "# then `redline layers` lists the layers and their totals.", tomli_w.dumps(head)]
    used: set[str] = set()
    for path in files:
        for table, entry, notes in _entries(path, Path(manifest_path).parent):
            layer_id = _identifier(table or path.stem, used)
            parts.append("\n".join(f"# {note}" for note in notes) + "\n" + tomli_w.dumps({"layers": {layer_id: entry}}))
    return "\n".join(parts)


def stamp_manifest(path: Path) -> list[str]:
    """Record in ``path`` the SHA-256 of each layer file that changed since it was written; what changed, one line
    each (layer, file, old → new hash). The file is rewritten atomically, comments and order kept."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        layers = tomllib.loads(text).get("layers", {})
    except tomllib.TOMLDecodeError as error:
        raise ManifestError(f"{path}: 无法读取的清单 / not a readable manifest ({error})") from None
    changes = []
    for layer_id, entry in layers.items():
        if "file" not in entry:
            continue  # a PostGIS table: its rows are fingerprinted when it is read
        file = (path.parent / entry["file"]).resolve()
        if not file.exists():
            raise ManifestError(f"{path}: 图层 {layer_id} 的文件不存在 / layer {layer_id!r}: {entry['file']} does not exist")
        digest = sha256_file(file)
        if digest != entry.get("sha256"):
            text = _with_hash(text, layer_id, digest, path)
            changes.append(f"{layer_id}: {entry['file']}: {str(entry.get('sha256'))[:12]} → {digest[:12]}")
    if changes:
        write_atomic(path, text)
    return changes


def _entries(path: Path, base: Path):
    """(table or None, manifest entry, comments) for each layer of one file."""
    relative = Path(_relative(path, base))
    common = {"file": str(relative), "vintage": _date(path), "sha256": sha256_file(path),
              "provenance": {"official": False, "sources": [path.name], "note": "fill in: who made it, when, from what"}}
    if path.suffix.lower() in RASTER_SUFFIXES:
        rule, notes = _rule(path.stem)
        yield None, {"title_zh": path.stem, "title_en": path.stem, "kind": Kind.RASTER.value, "rule": rule, **common}, notes
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tables = [str(name) for name, kind in pyogrio.list_layers(path) if kind]
    for table in tables:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            info = pyogrio.read_info(path, layer=table if len(tables) > 1 or path.suffix.lower() == ".gpkg" else None)
        kind = KIND_OF.get(str(info.get("geometry_type", "")).replace(" Z", "").replace(" M", ""))
        name = table if len(tables) > 1 else path.stem
        rule, notes = _rule(name)
        entry = {"title_zh": name, "title_en": name, **({"table": table} if path.suffix.lower() == ".gpkg" else {}),
                 "kind": kind or Kind.POLYGON.value, "rule": rule}
        notes.append(f"{relative}{' · ' + table if len(tables) > 1 else ''}: {info.get('features', 0):,} features, "
                     f"{info.get('geometry_type')}, CRS {info.get('crs') or 'none — give the file one'}")
        if kind is None:
            notes.append(f"kind: {info.get('geometry_type')} is neither polygons nor lines: check it")
        entry.update(_fields(path, table if path.suffix.lower() == ".gpkg" else None, info, notes))
        _roles(entry, notes)
        yield table if len(tables) > 1 else None, {**entry, **common}, notes


def _fields(path: Path, table, info: dict, notes: list) -> dict:
    """Candidate ``name_field`` (text, mostly distinct) and ``class_field`` with ``classes`` (text, 2–12 values)."""
    text = [field for field, kind in zip(info["fields"], info["dtypes"]) if kind == "object"]
    if not text:
        return {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = pyogrio.read_dataframe(path, layer=table, columns=text, read_geometry=False, max_features=100_000)
    found = {}
    counts = {field: frame[field].dropna().astype(str).nunique() for field in text}
    names = [field for field in text if counts[field] >= 0.5 * max(len(frame), 1)]
    classes = [field for field in text if 2 <= counts[field] <= MAX_CLASSES and counts[field] < len(frame)
               and field not in names[:1]]  # values that repeat: classes, not names
    if names:
        found["name_field"] = names[0]
    if classes:
        values = sorted(frame[classes[0]].dropna().astype(str).unique())
        found["class_field"] = classes[0]
        found["classes"] = {value: value for value in values}
        notes.append(f"class_field: {classes[0]} has {len(values)} values; map each to the role its rule reads "
                     "(e.g. permanent / other for farmland)")
    return found


def _roles(entry: dict, notes: list) -> None:
    """Map the class values to the roles of the entry's rule where a value is a role's own title (永久基本农田 →
    permanent); a rule without roles gets no classes."""
    rule = rule_for(entry["rule"])
    if rule is None or "classes" not in entry:
        return
    if not rule.roles:
        del entry["classes"], entry["class_field"]
        return
    values = set(entry["classes"])
    matched = {role: title for role, titles in rule.roles.items() for title in titles if title in values}
    if len(matched) == len(rule.roles):
        entry["classes"] = matched
        notes.append(f"classes: each of {entry['class_field']}'s values is the title of one of {rule.id}'s roles")


def _rule(name: str) -> tuple[str, list[str]]:
    lowered = name.lower()
    for rule, words in RULE_HINTS:
        if any(word in lowered for word in words):
            return rule, [f"rule: guessed from the name {name!r}; check it"]
    return "", [f"rule: not known from the name {name!r}; fill it ({', '.join(rule for rule, _ in RULE_HINTS)}, "
                "or area / tabulate for a declared constraint)"]


def _with_hash(text: str, layer_id: str, digest: str, path: Path) -> str:
    """``text`` with the ``sha256`` of table ``[layers.<layer_id>]`` set to ``digest``."""
    header = re.compile(rf"^\[layers\.(\"{re.escape(layer_id)}\"|{re.escape(layer_id)})\]\s*$", re.MULTILINE)
    start = header.search(text)
    if start is None:
        raise ManifestError(f"{path}: 找不到图层 {layer_id} 的表 / no [layers.{layer_id}] table to stamp; edit it by hand")
    end = re.compile(r"^\[", re.MULTILINE).search(text, start.end())
    stop = end.start() if end else len(text)
    body, count = re.subn(r'^sha256\s*=\s*"[0-9a-f]*"', f'sha256 = "{digest}"', text[start.end():stop], flags=re.MULTILINE)
    if count != 1:
        raise ManifestError(f"{path}: 图层 {layer_id} 无 sha256 行 / layer {layer_id!r} has no sha256 line; add one")
    return text[:start.end()] + body + text[stop:]


def _identifier(name: str, used: set[str]) -> str:
    base = re.sub(r"\W+", "_", name).strip("_").lower() or "layer"
    candidate, number = base, 2
    while candidate in used:
        candidate, number = f"{base}_{number}", number + 1
    used.add(candidate)
    return candidate


def _date(path: Path) -> str:
    return dt.date.fromtimestamp(path.stat().st_mtime).isoformat()


def _relative(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()
