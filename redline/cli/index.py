"""``redline index``: one overview page of many JSON reports."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from redline.cli.common import fail, lang_option, manifest_option, overwrite_option
from redline.io import read_project
from redline.io.files import write_atomic
from redline.isolation import isolated
from redline.layers import load_layers


@click.command()
@click.argument("reports", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Write the index page here.")
@manifest_option
@lang_option(default="en", show_default=True)
@click.option("--cdn", is_flag=True, help="Link Leaflet from a CDN instead of inlining it.")
@overwrite_option
def index(reports, output, manifest, lang, cdn, overwrite):
    """Write an overview page of many JSON REPORTS: a map coloured by verdict and a sortable table.

    Each row links to the map beside its report (same name, .html). The footprints are read again from
    the project files the reports name.

    Example: redline index maps/*.json -o maps/index.html
    """
    from redline.report.html import index_html

    layer_set = load_layers(manifest)
    entries = []
    for path in sorted(reports):
        try:
            report = json.loads(Path(path).read_text(encoding="utf-8"))
            crs = report["project"]["crs"] if report["project"]["crs"].startswith("EPSG:") else None
            file = report["project"]["file"]
        except (KeyError, ValueError, AttributeError) as error:
            fail(f"{path}: 不是 redline 报告 / is not a redline JSON report ({type(error).__name__}: {error})")
        footprint = isolated(read_project, file, crs=crs, label=file).geometry
        page = Path(path).with_suffix(".html")
        link = os.path.relpath(page, Path(output).parent) if page.exists() else None
        entries.append((report, footprint, link, Path(path).stem))
    write_atomic(output, index_html(entries, overview=layer_set.outline, lang=lang, cdn=cdn), overwrite=overwrite)
    click.echo(f"{output}: {len(entries)} 项检查 / {len(entries)} checks")
