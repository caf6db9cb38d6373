"""``redline avoid`` (the part of a boundary that may be built) and ``redline compare`` (方案比选 of alternatives)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from redline.cli import common
from redline.cli.common import EXIT_FLAGGED, EXIT_PASS, fail, tell
from redline.footprint import ensure_in_region
from redline.io import read_project
from redline.io.files import refuse_existing, write_atomic
from redline.io.writers import LONLAT_ONLY, WITHOUT_CRS, write_boundary, writer_for
from redline.isolation import Limits, isolated
from redline.layers import load_layers
from redline.model import Verdict
from redline.pipeline import check
from redline.report.json import report_json
from redline.report.text import avoid_table, compare_table


@click.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The compliant footprint, in the format its suffix names and the input's CRS (e.g. .txt, .geojson).")
@common.manifest_option
@click.option("--avoid-review", is_flag=True, help="Also leave out the areas that need review.")
@click.option("--min-part-m2", type=click.FloatRange(min=0), default=100.0, show_default=True,
              help="Parts smaller than this (m²) are left out.")
@common.reading("crs", "layer", "encoding", "degrees")
@common.lang_option(default="en", show_default=True)
@common.overwrite_option
@common.time_limit_option
@click.pass_context
@common.declarations
def avoid(ctx, project, output, manifest, avoid_review, min_part_m2, options, reading, lang, overwrite, time_limit):
    """Write the part of PROJECT that may be built: its footprint minus every area behind a violation (and,
    with --avoid-review, behind a review), in PROJECT's format CRS, and check it again (report beside it).

    Exit status: 0 the footprint passes, 1 it still needs review, 2 nothing could be kept or written.
    Example: redline avoid data/samples/01_qilihai_road.geojson -o road_avoided.geojson
    """
    import geopandas as gpd

    from redline.avoid import CLEARANCE_M, still_failing
    from redline.avoid import avoid as avoid_areas
    from redline.crs import CGCS2000

    writer_for(output)
    report_path = Path(output).with_suffix(".report.json")
    if not overwrite:
        refuse_existing(report_path)
    layers = load_layers(manifest)
    read = isolated(read_project, project, **reading, limits=Limits(seconds=time_limit), label=project)
    tell(ctx, read.warnings)
    ensure_in_region(read, layers.bounds)
    result = avoid_areas(read, layers, options=options, avoid_review=avoid_review, min_part_m2=min_part_m2,
                         clearance_m=CLEARANCE_M.get(Path(output).suffix.lower(), 0.0))
    frame = result.project.source.to_frame()
    if Path(output).suffix.lower() in LONLAT_ONLY:  # written from the lon/lat footprint, not transformed again
        frame = frame.set_geometry(gpd.GeoSeries([result.project.geometry], crs=CGCS2000))
    written = write_boundary(frame, output, overwrite=overwrite)
    stated = result.project.source_crs.to_wkt() if Path(output).suffix.lower() in WITHOUT_CRS else None
    again = check(output, layers, options=options, crs=stated, limits=Limits(seconds=time_limit))
    left = still_failing(result.before, again, avoid_review=avoid_review)
    if left:
        for path in written:
            path.unlink(missing_ok=True)
        fail(f"{output}: 写出的文件仍有冲突 / the file written still fails {', '.join(left)} (its coordinates' rounding); "
             "nothing was kept; please report it")
    write_atomic(report_path, report_json(again))
    click.echo(avoid_table(result, again, lang=lang))
    sys.exit(EXIT_PASS if again.verdict is Verdict.PASS else EXIT_FLAGGED)


@click.command()
@click.argument("projects", nargs=-1, required=True, type=click.Path(dir_okay=False))
@common.manifest_option
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the comparison (JSON) here.")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False), help="Write the comparison workbook here.")
@click.option("--map", "map_path", type=click.Path(dir_okay=False), help="Write one map of every alternative here.")
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False), help="Write the comparison report (方案比选, PDF) here.")
@common.reading("crs", "encoding", "degrees")
@common.lang_option(default="en", show_default=True)
@common.overwrite_option
@common.particulars
@common.time_limit_option
@common.declarations
def compare(projects, manifest, output, xlsx_path, map_path, pdf_path, reading, lang, overwrite, time_limit, options,
            document):
    """Compare alternative boundaries of one project (方案比选): area, every constraint's status and figure, the
    verdict, and the area each would lose to avoiding its violations.

    Exit status: 0 every alternative passes, 1 some need review or violate, 2 one could not be checked.
    Example: redline compare option_a.geojson option_b.geojson --xlsx compare.xlsx --map compare.html
    """
    from redline.compare import compare as compare_alternatives
    from redline.report.tables import identity, layout, report_hits, table_row, workbook_xlsx

    if not overwrite:
        refuse_existing(output, xlsx_path, map_path, pdf_path)
    if len(projects) < 2:
        fail("至少需要两个方案 / compare needs at least two alternatives")
    layers = load_layers(manifest)
    read = [isolated(read_project, path, **reading, limits=Limits(seconds=time_limit), label=path) for path in projects]
    for project in read:
        ensure_in_region(project, layers.bounds)
    alternatives = compare_alternatives(read, layers, options=options)
    rules = {rule.RULE.id: rule.RULE for rule in layers.rules}
    if output:
        from redline.report.review import recommended

        write_atomic(output, json.dumps({"alternatives": [a.to_dict() for a in alternatives],
                                         "recommended": recommended(alternatives).label}, ensure_ascii=False, indent=2))
    if xlsx_path:
        columns = layout(layers.rules)
        rows = [table_row(a.label, a.report, columns) + (a.kept_m2, a.lost_m2) for a in alternatives]
        hits = [hit for a in alternatives for hit in report_hits(a.label, a.report)]
        write_atomic(xlsx_path, workbook_xlsx((*columns.header, "kept_m2", "lost_m2"), rows, hits, rules,
                                              identities=[identity(a.report, document) for a in alternatives], lang=lang))
    if map_path:
        from redline.report.html import index_html

        entries = [(a.report.to_dict(), a.report.footprint, None, a.label) for a in alternatives]
        write_atomic(map_path, index_html(entries, overview=layers.outline, lang=lang))
    if pdf_path:
        from redline.report.pdf import review_pdf
        from redline.report.review import comparison_document

        write_atomic(pdf_path, review_pdf(comparison_document(alternatives, rules, lang=lang, **document)))
    click.echo(compare_table(alternatives, rules, lang=lang))
    sys.exit(EXIT_PASS if all(a.report.verdict is Verdict.PASS for a in alternatives) else EXIT_FLAGGED)
