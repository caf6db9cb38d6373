"""``redline layers``: list a manifest's layers, publish them to PostGIS, compare two vintages, draft and stamp
a manifest of a bureau's own layers."""

from __future__ import annotations

from pathlib import Path

import click

from redline.cli.common import fail, lang_option, manifest_option, overwrite_option
from redline.crs import SQUARE_METRES_PER_MU
from redline.io.files import refuse_existing, write_atomic
from redline.io.postgis import describe_database
from redline.layers import VectorLayer, load_layers, publish_layers
from redline.model import Kind
from redline.rules import rule_for


@click.group(invoke_without_command=True)
@manifest_option
@click.option("--publish", "database", metavar="DATABASE",
              help="Copy the vector layers into this PostGIS database (libpq URI) and write a manifest using them to -o.")
@click.option("--schema", default="redline", show_default=True, help="Schema of the published tables.")
@click.option("--diff", nargs=2, type=click.Path(dir_okay=False), metavar="OLD.toml NEW.toml",
              help="What changed between two manifests' layers; -o writes the differences as GeoJSON.")
@lang_option(default="en", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="The manifest written by --publish; the GeoJSON of differences with --diff.")
@overwrite_option
@click.pass_context
def layers(ctx, manifest, database, schema, diff, lang, output, overwrite):
    """List the manifest's layers with their totals (red line km², farmland 万亩, natural coast km).

    With --publish, first copy the vector layers into PostGIS tables SCHEMA.<layer id> (GiST-indexed)
    and write a manifest that reads them; the listing then comes from the database.

    With --diff OLD.toml NEW.toml, say instead what changed between the two vintages, layer by layer.

    Examples: redline layers -l data/tianjin/layers.toml;
    redline layers --publish postgresql://user@host/gis -o pg-layers.toml;
    redline layers --diff layers-2024.toml layers-2025.toml -o changes.geojson

    Bring your own layers with `redline layers init FOLDER -o layers.toml`; after an intended change to a file,
    `redline layers stamp layers.toml` records its new hash.
    """
    if ctx.invoked_subcommand:
        return
    if diff:
        from redline.diff import diff_layers
        from redline.report.json import diff_geojson
        from redline.report.text import diff_table

        if not overwrite:
            refuse_existing(output)
        changes = diff_layers(load_layers(diff[0]), load_layers(diff[1]))
        if output:
            write_atomic(output, diff_geojson(changes))
        click.echo(diff_table(changes, lang=lang))
        return
    if database and not output:
        fail(click.UsageError("--publish 须同时给出 -o 新清单 / --publish needs -o NEW_MANIFEST.toml"))
    if database:
        manifest = publish_layers(manifest, database, output, schema=schema, overwrite=overwrite)
        click.echo(f"矢量图层已发布到 {describe_database(database)} 的 {schema} 模式，清单 {output} / published the "
                   f"vector layers to {describe_database(database)} schema {schema}; manifest {output}", err=True)
    layer_set = load_layers(manifest)
    click.echo(f"{layer_set.manifest.title_zh} / {layer_set.manifest.title_en} — {layer_set.manifest.path}")
    for spec in layer_set.manifest.layers.values():
        layer = layer_set.layers.get(spec.id)
        if layer is None:
            click.echo(f"  {spec.id:<24} 未加载 / NOT LOADED: {layer_set.problems[spec.id]}")
            continue
        click.echo(f"  {spec.id:<24} {spec.title_zh}  ({spec.kind}, {spec.vintage})  {_totals(layer)}")
    click.echo(layer_set.manifest.disclaimer)


@layers.command("init")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The draft manifest to write.")
@overwrite_option
def layers_init(folder, output, overwrite):
    """Write a draft manifest for a FOLDER of layer files: kinds, CRS, candidate name and class fields with their
    values, hashes and vintages, each rule guessed from the name only where it says it (with a comment).

    Example: redline layers init official_layers/ -o official_layers/layers.toml
    """
    from redline.layers.draft import draft_manifest

    if not overwrite:
        refuse_existing(output)
    write_atomic(output, draft_manifest(Path(folder), manifest_path=Path(output)))
    click.echo(f"{output}: 清单草稿已写出，请逐项核对并填写 rule / draft manifest written: check every entry and fill each "
               "empty rule")


@layers.command("stamp")
@click.argument("manifest_file", type=click.Path(exists=True, dir_okay=False))
def layers_stamp(manifest_file):
    """Record the SHA-256 of each layer file changed on purpose since MANIFEST_FILE was written, listing each change.

    Example: redline layers stamp data/tianjin/layers.toml
    """
    from redline.layers.draft import stamp_manifest

    changes = stamp_manifest(Path(manifest_file))
    for change in changes:
        click.echo(f"已记录 / recorded {change}")
    if not changes:
        click.echo(f"{manifest_file}: 无变化 / no layer file changed")


def _totals(layer) -> str:
    if not isinstance(layer, VectorLayer):
        return f"{layer.classes.shape[1]}×{layer.classes.shape[0]} cells"
    count = f"{len(layer.frame)} features"
    rule = rule_for(layer.spec.rule)
    unit = rule.totals if rule else "km2"
    if unit == "km" or layer.spec.kind == Kind.LINE:
        return count + ", " + ", ".join(f"{role or 'all'} {metres / 1000:,.2f} km" for role, metres in layer.totals.items())
    if unit == "mu":
        parts = [f"{role} {m2 / SQUARE_METRES_PER_MU / 10_000:,.2f} 万亩" for role, m2 in layer.totals.items()]
        parts.append(f"all {sum(layer.totals.values()) / SQUARE_METRES_PER_MU / 10_000:,.2f} 万亩")
        return count + ", " + ", ".join(parts)
    return count + ", " + ", ".join(f"{role or 'all'} {m2 / 1e6:,.2f} km²" for role, m2 in layer.totals.items())
