"""``redline check`` (one boundary file against every rule) and ``redline report`` (the documents of a saved check)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from redline import pipeline
from redline.cli.common import (
    EXIT_FLAGGED,
    EXIT_PASS,
    declarations,
    document_paths,
    fail,
    lang_option,
    manifest_option,
    overwrite_option,
    particulars,
    reading,
    tell,
    time_limit_option,
)
from redline.io.files import refuse_existing, write_atomic
from redline.isolation import Limits, isolated
from redline.layers import load_layers
from redline.model import Verdict
from redline.report.documents import DOCUMENTS, FORMATS
from redline.report.json import intrusions_geojson, report_json
from redline.report.text import summary


@click.command()
@click.argument("project", type=click.Path())
@manifest_option
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the JSON report here.")
@click.option("--geojson", type=click.Path(dir_okay=False), help="Write the intrusion pieces (GeoJSON) here.")
@click.option("--map", "map_path", type=click.Path(dir_okay=False), help="Write the HTML map here.")
@document_paths(*FORMATS)
@particulars
@lang_option(help="Language of the summary and map (default en) and of the review documents (default zh).")
@reading("crs", "layer", "encoding", "degrees", "repair")
@click.option("--cdn", is_flag=True, help="Link Leaflet from a CDN instead of inlining it (smaller map, needs network).")
@overwrite_option
@time_limit_option
@click.pass_context
@declarations
def check(ctx, project, manifest, output, geojson, map_path, documents, document, lang, options, reading, cdn, overwrite,
          time_limit):
    """Check one PROJECT boundary file against every rule.

    Exit status: 0 pass, 1 violation or review needed, 2 could not check.

    Example: redline check data/samples/01_qilihai_road.geojson -o report.json --map map.html --pdf report.pdf
    """
    if not overwrite:
        refuse_existing(output, geojson, map_path, *documents.values())
    layers = load_layers(manifest)
    result = pipeline.check(project, layers, options=options, **reading, limits=Limits(seconds=time_limit))
    if output:
        write_atomic(output, report_json(result))
    if geojson:
        write_atomic(geojson, intrusions_geojson(result))
    if map_path:
        from redline.report.html import map_html  # folium costs 0.2 s to import: only when a map is asked for

        page = map_html(result, layers.nearby(result.footprint), overview=layers.outline, lang=lang or "en", cdn=cdn,
                        rules=layers.rules)
        write_atomic(map_path, page)
    write_documents(result, layers, documents, lang=lang or "zh", time_limit=time_limit, **document)
    tell(ctx, result.project.get("warnings", []))
    click.echo(summary(result, lang=lang or "en"))
    sys.exit(EXIT_PASS if result.verdict is Verdict.PASS else EXIT_FLAGGED)


def write_documents(report, layers, paths: dict, *, lang: str, applicant, reference, project_code=None,
                    time_limit: float = Limits.seconds) -> None:
    """Write each review document of ``paths`` (format → path or None) for ``report``, made in a child held to the
    time limit (a hostile name must not keep a document rendering for ever)."""
    wanted = {kind: path for kind, path in paths.items() if path}
    if not wanted:
        return
    from redline.avoid import removed_m2
    from redline.report.basis import read_templates
    from redline.report.filing import review_files  # matplotlib and fpdf2: only when a document is asked for

    files = isolated(review_files, report, layers.rules, layers.nearby, tuple(wanted), lang=lang, applicant=applicant,
                     overview=layers.outline,
                     reference=reference, project_code=project_code, templates=read_templates(layers.manifest.review),
                     removed_m2=removed_m2(report, layers) if report.intrusions else None,
                     limits=Limits(seconds=time_limit), label="the review documents")
    for kind, path in wanted.items():
        write_atomic(path, files[kind])


@click.command()
@click.argument("saved", type=click.Path(dir_okay=False, exists=True))
@click.option("--project", type=click.Path(dir_okay=False),
              help="The project file checked (default: the path the report names, from here or beside SAVED).")
@manifest_option
@document_paths(*FORMATS)
@particulars
@lang_option(default="zh", show_default=True, help="Language of the documents.")
@reading("crs", crs="CRS the check was given for the project (when it needed one).")
@overwrite_option
@time_limit_option
def report(saved, project, manifest, documents, document, lang, reading, overwrite, time_limit):
    """Write the review documents of a SAVED JSON report (from check -o), with the same layers: its figures, time
    and number as saved; the project file is checked again only to draw the map (it must be the same file and give
    the same figures).

    Example: redline report report.json --pdf report.pdf --docx report.docx
    """
    from redline.model import Report
    from redline.pipeline import with_geometry

    if not any(documents.values()):
        fail(f"未指定输出 / nothing to write: pass {', '.join('--' + DOCUMENTS[kind].name for kind in documents)}")
    if not overwrite:
        refuse_existing(*documents.values())
    try:
        stored = Report.from_dict(json.loads(Path(saved).read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError) as error:
        fail(f"{saved}: 不是 redline 报告 / is not a redline JSON report ({type(error).__name__}: {error})")
    named = Path(stored.project["file"])
    path = project or next((str(p) for p in (named, Path(saved).parent / named.name) if p.is_file()), None)
    if path is None:
        fail(f"{saved}: 找不到所检查的文件 {named} / the project file it names is not found; pass --project FILE")
    layers = load_layers(manifest)
    restored = with_geometry(stored, layers, path, **reading, limits=Limits(seconds=time_limit))
    write_documents(restored, layers, documents, lang=lang, time_limit=time_limit, **document)
    click.echo(f"{saved}: 已写出 / written: {', '.join(p for p in documents.values() if p)}")
