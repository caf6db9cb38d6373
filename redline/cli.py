"""The command line: ``redline check`` and ``redline layers``. It wires the library; it computes nothing."""

from __future__ import annotations

import functools
import json
import logging
import os
import sqlite3
import sys
import warnings
from contextlib import closing
from pathlib import Path

import click
import numpy as np
import shapely

from redline.batch.tables import TABLES
from redline.crs import SQUARE_METRES_PER_MU, parse_crs
from redline.errors import CRSError, RedlineError, RedlineWarning
from redline.io import ensure_in_region, read_project
from redline.io.degrees import DEGREES
from redline.io.files import write_atomic
from redline.io.postgis import describe_database
from redline.io.writers import LONLAT_ONLY, WITHOUT_CRS, write_boundary, writer_for
from redline.isolation import Limits, isolated
from redline.layers import DEFAULT_MANIFEST, VectorLayer, load_layers, publish_layers
from redline.model import Options, Verdict
from redline.pipeline import check_isolated
from redline.report.json import intrusions_geojson, report_json
from redline.report.style import VERDICT_WORDS
from redline.report.text import avoid_table, compare_table, summary
from redline.rules import rule_for

EXIT_PASS, EXIT_FLAGGED, EXIT_ERROR = 0, 1, 2
log = logging.getLogger("redline.cli")


class RedlineGroup(click.Group):
    """The command group; any failure that is not a finding leaves with one line on stderr and exit status 2.

    Exit status 1 means "violation or review"; an unreadable path, a full disk or a bug must never look like it.
    """

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except RedlineError as error:
            _fail(error)
        except KeyboardInterrupt:  # click would say "Aborted!" with exit status 1, which means "violation or review"
            click.echo("", err=True)
            _fail("已中断 / interrupted (Ctrl-C); nothing more was written")
        except OSError as error:  # unreadable or unwritable path, full disk, read-only file system
            where = f"{error.filename}: " if error.filename else ""
            _fail(f"{where}路径不可读写或磁盘已满 / {error.strerror or error}; check the path, its permissions and "
                  "the free space")
        except Exception as error:  # noqa: BLE001 - a bug: one line, exit 2, the traceback with -v
            log.debug("internal error", exc_info=True)
            first = str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
            _fail(f"内部错误，未完成检查 / internal error ({type(error).__name__}: {first}); nothing was checked, "
                  "please report it")

time_limit_option = click.option("--time-limit", type=click.FloatRange(min=0.1), default=Limits.seconds, show_default=True,
                                 help="Seconds one input may take to read and check; it is stopped after that (exit 2).")
DECLARATION_OPTIONS = (
    click.option("--national-major", is_flag=True,
                 help="Declare a national major project (国家重大项目); in a batch, for applications that do not say."),
    click.option("--activity", type=click.IntRange(1, 10), help="Declare one of the 10 allowed red-line activities."),
    click.option("--setback-m", type=click.FloatRange(min=0), default=200.0, show_default=True,
                 help="Coastal setback (m) within which natural coast counts as taken."),
    click.option("--search-m", type=click.FloatRange(min=0), default=2000.0, show_default=True,
                 help="Radius (m) within which an absent constraint reports its nearest feature."),
)


def declarations(command):
    """Add ``DECLARATION_OPTIONS`` to ``command``, which receives them as one ``options`` (``Options``)."""
    @functools.wraps(command)
    def with_options(*args, national_major, activity, setback_m, search_m, **kwargs):
        options = Options(national_major=national_major, activity=activity, setback_m=setback_m, search_m=search_m)
        return command(*args, options=options, **kwargs)
    for option in reversed(DECLARATION_OPTIONS):
        with_options = option(with_options)
    return with_options




DOCUMENT_OPTIONS = (
    click.option("--applicant", help="Applicant (申请单位) printed in the review documents."),
    click.option("--reference", help="Reference number (文号) printed in the review documents."),
    click.option("--project-code", help="Project code (项目代码, e.g. from the investment project platform) printed in "
                                        "the review documents."),
)


def document_options(command):
    """Add ``DOCUMENT_OPTIONS`` to ``command``, which receives them as one ``document`` dict (``review_files``' keywords)."""
    @functools.wraps(command)
    def with_document(*args, applicant, reference, project_code, **kwargs):
        return command(*args, document={"applicant": applicant, "reference": reference, "project_code": project_code},
                       **kwargs)
    for option in reversed(DOCUMENT_OPTIONS):
        with_document = option(with_document)
    return with_document


degrees_option = click.option("--degrees", type=click.Choice(DEGREES),
                              help="How a table's lon/lat are written when the values cannot say: decimal degrees, "
                                   "or dms (packed ddd.mmss, 117.2530 = 117°25′30″).")
manifest_option = click.option("-l", "--layers", "manifest", type=click.Path(dir_okay=False), default=str(DEFAULT_MANIFEST),
                               show_default="the shipped Tianjin demo manifest", help="Layer manifest (TOML).")


@click.group(cls=RedlineGroup)
@click.option("-v", "--verbose", count=True, help="More log output on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.version_option(package_name="redline")
@click.pass_context
def main(ctx, verbose: int, quiet: bool) -> None:
    """redline: check project boundaries against protected layers (red line, farmland, coast, sea, …)."""
    level = logging.ERROR if quiet else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    warnings.simplefilter("ignore", RedlineWarning)  # corrections come back in the project and are told by _tell
    ctx.obj = {"quiet": quiet}


@main.command()
@click.argument("project", type=click.Path())
@manifest_option
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the JSON report here.")
@click.option("--geojson", type=click.Path(dir_okay=False), help="Write the intrusion pieces (GeoJSON) here.")
@click.option("--map", "map_path", type=click.Path(dir_okay=False), help="Write the HTML map here.")
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False), help="Write the review report (审查报告, PDF) here.")
@click.option("--docx", "docx_path", type=click.Path(dir_okay=False), help="Write the review report as Word here.")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False), help="Write the statistics workbook here.")
@click.option("--sheet", "sheet_path", type=click.Path(dir_okay=False), help="Write the map sheet (图件, PNG) here.")
@document_options
@click.option("--lang", type=click.Choice(["zh", "en"]),
              help="Language: summary and map default to en, the review documents to zh.")
@click.option("--crs", help="CRS of the boundary, for files without one or with a wrong one (e.g. EPSG:4527).")
@click.option("--layer", "source_layer", help="Layer to read from a multi-layer file.")
@click.option("--encoding", help="Attribute encoding of files that do not declare it (e.g. GBK).")
@degrees_option
@click.option("--repair", is_flag=True, help="Repair invalid geometry with make_valid (the change is reported).")
@click.option("--cdn", is_flag=True, help="Link Leaflet from a CDN instead of inlining it (smaller map, needs network).")
@click.option("--overwrite", is_flag=True, help="Replace output files that exist.")
@time_limit_option
@click.pass_context
@declarations
def check(ctx, project, manifest, output, geojson, map_path, pdf_path, docx_path, xlsx_path, sheet_path, document,
          lang, options, crs, source_layer, encoding, degrees, repair, cdn, overwrite, time_limit):
    """Check one PROJECT boundary file against every rule.

    Exit status: 0 pass, 1 violation or review needed, 2 could not check.

    Example: redline check data/samples/01_qilihai_road.geojson -o report.json --map map.html --pdf report.pdf
    """
    documents = {"pdf": pdf_path, "docx": docx_path, "xlsx": xlsx_path, "png": sheet_path}
    try:
        for path in (output, geojson, map_path, *documents.values()):
            if path and not overwrite and Path(path).exists():
                raise RedlineError(f"{path} 已存在 / exists; pass --overwrite to replace it")
        layers = load_layers(manifest)
        result = check_isolated(project, layers, options=options, crs=crs, layer=source_layer, encoding=encoding,
                                degrees=degrees, repair=repair, limits=Limits(seconds=time_limit))
        if output:
            write_atomic(output, report_json(result))
        if geojson:
            write_atomic(geojson, intrusions_geojson(result))
        if map_path:
            from redline.report.html import map_html  # folium costs 0.2 s to import: only when a map is asked for

            page = map_html(result, layers.nearby(result.footprint), overview=layers.outline, lang=lang or "en", cdn=cdn)
            write_atomic(map_path, page)
        _write_documents(result, layers, documents, lang=lang or "zh", time_limit=time_limit, **document)
    except RedlineError as error:
        _fail(error)
    _tell(ctx, result.project.get("warnings", []))
    click.echo(summary(result, lang=lang or "en"))
    sys.exit(EXIT_PASS if result.verdict is Verdict.PASS else EXIT_FLAGGED)


def _write_documents(report, layers, paths: dict, *, lang: str, applicant, reference, project_code=None,
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


@main.command()
@click.argument("saved", type=click.Path(dir_okay=False, exists=True))
@click.option("--project", type=click.Path(dir_okay=False),
              help="The project file checked (default: the path the report names, from here or beside SAVED).")
@manifest_option
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False), help="Write the review report (审查报告, PDF) here.")
@click.option("--docx", "docx_path", type=click.Path(dir_okay=False), help="Write the review report as Word here.")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False), help="Write the statistics workbook here.")
@click.option("--sheet", "sheet_path", type=click.Path(dir_okay=False), help="Write the map sheet (图件, PNG) here.")
@document_options
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language of the documents.")
@click.option("--crs", help="CRS the check was given for the project (when it needed one).")
@click.option("--overwrite", is_flag=True, help="Replace output files that exist.")
@time_limit_option
def report(saved, project, manifest, pdf_path, docx_path, xlsx_path, sheet_path, document, lang, crs, overwrite,
           time_limit):
    """Write the review documents of a SAVED JSON report (from check -o), with the same layers: its figures, time
    and number as saved; the project file is checked again only to draw the map (it must be the same file and give
    the same figures).

    Example: redline report report.json --pdf report.pdf --docx report.docx
    """
    from redline.model import Report
    from redline.pipeline import with_geometry

    documents = {"pdf": pdf_path, "docx": docx_path, "xlsx": xlsx_path, "png": sheet_path}
    if not any(documents.values()):
        _fail("未指定输出 / nothing to write: pass --pdf, --docx, --xlsx or --sheet")
    for path in documents.values():
        if path and not overwrite and Path(path).exists():
            _fail(f"{path} 已存在 / exists; pass --overwrite to replace it")
    try:
        stored = Report.from_dict(json.loads(Path(saved).read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError) as error:
        _fail(f"{saved}: 不是 redline 报告 / is not a redline JSON report ({type(error).__name__}: {error})")
    named = Path(stored.project["file"])
    path = project or next((str(p) for p in (named, Path(saved).parent / named.name) if p.is_file()), None)
    if path is None:
        _fail(f"{saved}: 找不到所检查的文件 {named} / the project file it names is not found; pass --project FILE")
    layers = load_layers(manifest)
    restored = with_geometry(stored, layers, path, crs=crs, limits=Limits(seconds=time_limit))
    _write_documents(restored, layers, documents, lang=lang, time_limit=time_limit, **document)
    click.echo(f"{saved}: 已写出 / written: {', '.join(p for p in documents.values() if p)}")


@main.command()
@click.argument("source", type=click.Path())
@click.argument("target", type=click.Path(dir_okay=False))
@click.option("--to-crs", help="CRS of TARGET (default: SOURCE's); a .txt needs a Gauss-Krüger CRS, e.g. EPSG:4527.")
@click.option("--crs", help="CRS of SOURCE, for files without one (or gcj02 / bd09 for web-map drawings).")
@click.option("--layer", "source_layer", help="Layer to read from a multi-layer SOURCE.")
@click.option("--encoding", help="Attribute encoding of SOURCE (e.g. GBK).")
@degrees_option
@click.option("--repair", is_flag=True, help="Repair invalid geometry with make_valid.")
@click.option("--overwrite", is_flag=True, help="Replace TARGET if it exists.")
@click.pass_context
def convert(ctx, source, target, to_crs, crs, source_layer, encoding, degrees, repair, overwrite):
    """Convert a boundary file to the format TARGET's suffix names: the land-submission TXT (.txt), GeoJSON,
    GeoPackage, Shapefile (.shp, or .zip of its parts), KML/KMZ, DXF (layer 红线), GeoParquet, FlatGeobuf
    or a CSV of vertices.

    Vertices are transformed one by one (no densifying), as a surveyor's conversion would.
    Example: redline convert project.geojson project.txt --to-crs EPSG:4527
    """
    writer_for(target)  # an unknown format is refused before anything is read
    target_crs = parse_crs(to_crs) if to_crs else None
    project = isolated(read_project, source, crs=crs, layer=source_layer, encoding=encoding, degrees=degrees, repair=repair,
                       label=source)
    _tell(ctx, project.warnings)
    frame = project.source.to_frame() if target_crs is None else project.source.to_frame().to_crs(target_crs)
    coordinates = shapely.get_coordinates(frame.geometry.values)
    if not np.isfinite(coordinates).all():
        _fail(CRSError(f"{source}: 换算到 {frame.crs.to_string()} 后坐标为无穷 / the coordinates become infinite in "
                       f"{frame.crs.to_string()}: the boundary lies outside that CRS's area; choose the CRS of its zone"))
    written = write_boundary(frame, target, overwrite=overwrite)
    click.echo(f"{target}: {len(frame)} 个地块，坐标系 {frame.crs.to_string()} / {len(frame)} parcel(s) in "
               f"{frame.crs.to_string()} ({', '.join(p.name for p in written)})")


@main.command()
@click.argument("project", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The compliant footprint, in the format its suffix names and the input's CRS (e.g. .txt, .geojson).")
@manifest_option
@click.option("--avoid-review", is_flag=True, help="Also leave out the areas that need review.")
@click.option("--min-part-m2", type=click.FloatRange(min=0), default=100.0, show_default=True,
              help="Parts smaller than this (m²) are left out.")
@click.option("--crs", help="CRS of PROJECT, for files without one.")
@click.option("--layer", "source_layer", help="Layer to read from a multi-layer PROJECT.")
@click.option("--encoding", help="Attribute encoding of PROJECT (e.g. GBK).")
@degrees_option
@click.option("--lang", type=click.Choice(["zh", "en"]), default="en", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT and its report if they exist.")
@time_limit_option
@click.pass_context
@declarations
def avoid(ctx, project, output, manifest, avoid_review, min_part_m2, options, crs,
          source_layer, encoding, degrees, lang, overwrite, time_limit):
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
    if report_path.exists() and not overwrite:
        _fail(f"{report_path} 已存在 / exists; pass --overwrite to replace it")
    layers = load_layers(manifest)
    read = isolated(read_project, project, crs=crs, layer=source_layer, encoding=encoding, degrees=degrees,
                    limits=Limits(seconds=time_limit), label=project)
    _tell(ctx, read.warnings)
    ensure_in_region(read, layers.bounds)
    result = avoid_areas(read, layers, options=options, avoid_review=avoid_review, min_part_m2=min_part_m2,
                         clearance_m=CLEARANCE_M.get(Path(output).suffix.lower(), 0.0))
    frame = result.project.source.to_frame()
    if Path(output).suffix.lower() in LONLAT_ONLY:  # written from the lon/lat footprint, not transformed again
        frame = frame.set_geometry(gpd.GeoSeries([result.project.geometry], crs=CGCS2000))
    written = write_boundary(frame, output, overwrite=overwrite)
    stated = result.project.source_crs.to_wkt() if Path(output).suffix.lower() in WITHOUT_CRS else None
    again = check_isolated(output, layers, options=options, crs=stated, limits=Limits(seconds=time_limit))
    left = still_failing(result.before, again, avoid_review=avoid_review)
    if left:
        for path in written:
            path.unlink(missing_ok=True)
        _fail(f"{output}: 写出的文件仍有冲突 / the file written still fails {', '.join(left)} (its coordinates' rounding); "
              "nothing was kept; please report it")
    write_atomic(report_path, report_json(again))
    click.echo(avoid_table(result, again, lang=lang))
    sys.exit(EXIT_PASS if again.verdict is Verdict.PASS else EXIT_FLAGGED)


@main.command()
@click.argument("projects", nargs=-1, required=True, type=click.Path(dir_okay=False))
@manifest_option
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the comparison (JSON) here.")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False), help="Write the comparison workbook here.")
@click.option("--map", "map_path", type=click.Path(dir_okay=False), help="Write one map of every alternative here.")
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False), help="Write the comparison report (方案比选, PDF) here.")
@click.option("--crs", help="CRS of alternatives without one.")
@click.option("--encoding", help="Attribute encoding of alternatives that do not declare it (e.g. GBK).")
@degrees_option
@click.option("--lang", type=click.Choice(["zh", "en"]), default="en", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace output files that exist.")
@document_options
@time_limit_option
@declarations
def compare(projects, manifest, output, xlsx_path, map_path, pdf_path, crs, encoding, degrees, lang, overwrite, time_limit,
            options, document):
    """Compare alternative boundaries of one project (方案比选): area, every constraint's status and figure, the
    verdict, and the area each would lose to avoiding its violations.

    Exit status: 0 every alternative passes, 1 some need review or violate, 2 one could not be checked.
    Example: redline compare option_a.geojson option_b.geojson --xlsx compare.xlsx --map compare.html
    """
    from redline.compare import compare as compare_alternatives
    from redline.report.tables import layout, report_hits, table_row, workbook_xlsx

    for path in (output, xlsx_path, map_path, pdf_path):
        if path and not overwrite and Path(path).exists():
            _fail(f"{path} 已存在 / exists; pass --overwrite to replace it")
    if len(projects) < 2:
        _fail("至少需要两个方案 / compare needs at least two alternatives")
    layers = load_layers(manifest)
    read = [isolated(read_project, path, crs=crs, encoding=encoding, degrees=degrees, limits=Limits(seconds=time_limit),
                     label=path)
            for path in projects]
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
        write_atomic(xlsx_path, workbook_xlsx((*columns.header, "kept_m2", "lost_m2"), rows, hits, rules, lang=lang))
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


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False), help="Folder of results.")
@manifest_option
@click.option("-j", "--jobs", default=os.cpu_count() or 1, show_default="all cores", type=click.IntRange(1, 256),
              help="Worker processes.")
@click.option("--id-field", default="id", show_default=True, help="Column naming each application of a multi-feature file.")
@click.option("--crs", help="CRS of inputs without one (e.g. EPSG:4527).")
@click.option("--encoding", help="Attribute encoding of inputs that do not declare it (e.g. GBK).")
@degrees_option
@click.option("--repair", is_flag=True, help="Repair invalid geometry with make_valid (recorded per application).")
@click.option("--dask", "dask_address", metavar="ADDRESS", help="Run on a Dask distributed scheduler (tcp://host:8786).")
@click.option("--maps", is_flag=True, help="Also write OUTPUT/maps/: a map per application and index.html.")
@click.option("--pdf-dir", type=click.Path(file_okay=False), help="Also write each application's review report (PDF) here.")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False), help="Also write the statistics workbook here.")
@click.option("--lang", type=click.Choice(["zh", "en"]), help="Language: maps default to en, review files to zh.")
@click.option("--reports", is_flag=True, help="Also keep every full report in OUTPUT/reports.jsonl.")
@click.option("--tables", default=",".join(TABLES), show_default=True,
              help=f"Result tables to write, comma-separated from {', '.join(TABLES)} (errors.csv always).")
@declarations
def batch(inputs, outdir, manifest, jobs, id_field, options, crs, encoding, degrees, repair,
          dask_address, maps, pdf_dir, xlsx_path, lang, reports, tables):
    """Check many applications: a folder of files, or a multi-feature file (one application per feature).

    Writes OUTPUT/results.csv (UTF-8 with BOM), results.gpkg, results.parquet (GeoParquet), errors.csv and
    journal.jsonl (what resuming needs); with --reports every full report (reports.jsonl), with --xlsx the
    statistics workbook, with --maps a map per application, with --pdf-dir a review PDF each. A batch
    that was killed resumes when started again with the same arguments. Exit status: 0 every application
    passed, 1 some need review, violate or could not be checked (see errors.csv), 2 the batch could not run.

    Example: redline batch data/samples -o results/
    """
    from redline.batch import ProgressBar, run_batch, write_maps, write_review_files, write_workbook

    read = {"options": options, "id_field": id_field, "crs": crs, "encoding": encoding, "degrees": degrees, "repair": repair}
    chosen = tuple(name.strip() for name in tables.split(",") if name.strip())
    if set(chosen) - set(TABLES):
        _fail(f"--tables {tables}: 未知的表 / unknown table; choose from {', '.join(TABLES)}")
    bar = ProgressBar("检查 / checking")
    try:
        summary = run_batch([Path(p) for p in inputs], Path(outdir), manifest=manifest, workers=jobs,
                            progress=bar, dask_address=dask_address, reports=reports, tables=chosen, **read)
        if xlsx_path:
            rows = write_workbook(Path(outdir), Path(xlsx_path), load_layers(manifest).rules, lang=lang or "zh")
            click.echo(f"{xlsx_path}: 统计表含 {rows:,} 个申请 / {rows:,} applications")
        if maps:
            bar = ProgressBar("地图 / maps")
            written = write_maps(Path(outdir), manifest, lang=lang or "en", progress=bar, workers=jobs, **read)
            click.echo(f"已写出 {written:,} 张地图及索引页 / {written:,} maps and the index page in {Path(outdir) / 'maps'}")
        if pdf_dir:
            bar = ProgressBar("审查报告 / review reports")
            written = write_review_files(Path(outdir), Path(pdf_dir), manifest, lang=lang or "zh", progress=bar,
                                         workers=jobs, **read)
            click.echo(f"已写出 {written:,} 份审查报告（PDF）/ {written:,} review reports (PDF) in {pdf_dir}")
    except RedlineError as error:
        bar.end()
        _fail(error)
    verdicts = sorted(summary.verdicts.items())
    counts_zh = "，".join(f"{VERDICT_WORDS['zh'][verdict]} {count:,}" for verdict, count in verdicts)
    counts = ", ".join(f"{verdict} {count:,}" for verdict, count in verdicts)
    click.echo(f"共 {summary.total:,} 个申请，用时 {summary.seconds:.1f} 秒（上次运行已完成 {summary.resumed:,} 个）："
               f"{counts_zh}，无法检查 {summary.errors:,}；结果在 {outdir} / {summary.total:,} applications in "
               f"{summary.seconds:.1f} s ({summary.resumed:,} from an earlier run): {counts}, errors {summary.errors:,}. "
               f"Results in {outdir}")
    flagged = summary.errors or any(v != "pass" for v in summary.verdicts)
    sys.exit(EXIT_FLAGGED if flagged else EXIT_PASS)


@main.command()
@click.argument("outdir", type=click.Path(file_okay=False, exists=True))
@click.option("-l", "--layers", "manifest", required=True, type=click.Path(dir_okay=False),
              help="The new layer manifest (TOML) to check against.")
@click.option("-o", "--output", "newdir", required=True, type=click.Path(file_okay=False),
              help="Folder of the new results (a batch of its own) and of the changes.")
@click.option("-j", "--jobs", default=os.cpu_count() or 1, show_default="all cores", type=click.IntRange(1, 256))
@click.option("--lang", type=click.Choice(["zh", "en"]), default="en", show_default=True)
def recheck(outdir, manifest, newdir, jobs, lang):
    """Check the applications of the finished batch in OUTDIR again with new layers, and list every application
    whose verdict or figures change: NEWDIR/changes.csv (one line per changed figure, before and after, both
    manifests' hashes), changes.json and changes.html (a map of the changed applications).

    Exit status: 0 nothing changed, 1 some results changed, 2 the recheck could not run.
    Example: redline recheck results/ -l layers-2025.toml -o results-2025/
    """
    from redline.batch import ProgressBar
    from redline.batch.recheck import changed_reports
    from redline.batch.recheck import recheck as recheck_batch
    from redline.report.html import index_html
    from redline.report.tables import csv_text

    bar = ProgressBar("复核 / rechecking")
    try:
        changes, summary = recheck_batch(Path(outdir), Path(newdir), manifest, workers=jobs, progress=bar)
    except RedlineError as error:
        bar.end()
        _fail(error)
    lines = [(c.id, column, before, after, *c.manifests) for c in changes for column, (before, after) in c.columns.items()]
    write_atomic(Path(newdir) / "changes.csv", csv_text(["id", "column", "before", "after", "manifest_before",
                                                         "manifest_after"], lines))
    write_atomic(Path(newdir) / "changes.json", json.dumps([c.to_dict() for c in changes], ensure_ascii=False, indent=1))
    import geopandas as gpd

    reports = changed_reports(Path(newdir), changes)
    footprints = dict(zip(*[gpd.read_parquet(Path(newdir) / "results.parquet")[c] for c in ("id", "geometry")]))
    entries = [(reports[c.id], footprints.get(c.id), None, c.id) for c in changes if c.id in reports]
    layer_set = load_layers(manifest)
    write_atomic(Path(newdir) / "changes.html", index_html(entries, overview=layer_set.outline, lang=lang))
    verdicts = sum(1 for c in changes if "verdict" in c.columns)
    click.echo(f"复核 {summary.total:,} 个申请：{len(changes):,} 个结果有变化（其中结论变化 {verdicts:,} 个） / "
               f"{summary.total:,} applications checked again: {len(changes):,} changed ({verdicts:,} of them in their "
               f"verdict). {Path(newdir) / 'changes.csv'}")
    for change in changes[:20]:
        figures = ", ".join(column for column in change.columns if column != "verdict")
        verdict = "{} → {}; ".format(*change.verdicts) if "verdict" in change.columns else ""
        click.echo(f"  {change.id}: {verdict}{figures}")
    sys.exit(EXIT_FLAGGED if changes else EXIT_PASS)


@main.command()
@click.argument("reports", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Write the index page here.")
@manifest_option
@click.option("--lang", type=click.Choice(["zh", "en"]), default="en", show_default=True)
@click.option("--cdn", is_flag=True, help="Link Leaflet from a CDN instead of inlining it.")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
def index(reports, output, manifest, lang, cdn, overwrite):
    """Write an overview page of many JSON REPORTS: a map coloured by verdict and a sortable table.

    Each row links to the map beside its report (same name, .html). The footprints are read again from
    the project files the reports name.

    Example: redline index maps/*.json -o maps/index.html
    """
    from redline.report.html import index_html

    try:
        layer_set = load_layers(manifest)
        entries = []
        for path in sorted(reports):
            report = json.loads(Path(path).read_text(encoding="utf-8"))
            crs = report["project"]["crs"] if report["project"]["crs"].startswith("EPSG:") else None
            footprint = isolated(read_project, report["project"]["file"], crs=crs, label=report["project"]["file"]).geometry
            page = Path(path).with_suffix(".html")
            link = os.path.relpath(page, Path(output).parent) if page.exists() else None
            entries.append((report, footprint, link, Path(path).stem))
        write_atomic(output, index_html(entries, overview=layer_set.outline, lang=lang, cdn=cdn), overwrite=overwrite)
    except (RedlineError, OSError, KeyError, ValueError) as error:
        _fail(error)
    click.echo(f"{output}: {len(entries)} 项检查 / {len(entries)} checks")


@main.command()
@manifest_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback unless told otherwise).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--db", envvar="REDLINE_DB", default="redline.sqlite", show_default=True, type=click.Path(dir_okay=False),
              help="SQLite database of results (also from REDLINE_DB).")
@click.option("--max-bytes", default=20 * 1024 * 1024, show_default=True, help="Upload size limit.")
@click.option("--cdn", is_flag=True, help="Maps link Leaflet from a CDN instead of inlining it.")
@click.option("--workers", default=os.cpu_count() or 1, show_default="the cores", type=click.IntRange(1, 64),
              help="Check processes, forked with the layers loaded (use the number of cores).")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="A host name the service answers for besides 127.0.0.1, localhost and the bound address (repeat it; "
                   "other Host headers get 421, against DNS rebinding).")
def serve(manifest, host, port, db, max_bytes, cdn, workers, allowed_hosts):
    """Serve the planner's page and the HTTP API (FastAPI on uvicorn); REDLINE_TOKEN sets a bearer token.

    One event loop takes every request; with --workers N each check goes to the next free of N processes.

    Example: redline serve --port 8000 --db results.sqlite --workers 2   (then open http://127.0.0.1:8000/)
    """
    import uvicorn

    from redline.service import SETTINGS, Limits, TimedHttpTools, app_from_environment

    os.environ.update({SETTINGS["manifest"]: str(Path(manifest).resolve()), SETTINGS["db"]: str(Path(db).resolve()),
                       SETTINGS["max_bytes"]: str(max_bytes), SETTINGS["cdn"]: "1" if cdn else "",
                       SETTINGS["check_processes"]: str(workers),
                       SETTINGS["hosts"]: ",".join(name for name in (host, *allowed_hosts) if name not in ("0.0.0.0", "::"))})
    from redline.office import users

    with closing(users.connect(Path(db))) as office:
        named = users.list_users(office)
    if named:
        mode = (f"多用户模式 / office mode: {len(named)} user(s); every route but /healthz needs a user's token; "
                "checks are visible to their planner, reviewers and admins")
    elif os.environ.get(SETTINGS["token"]):
        mode = "共享令牌模式 / shared-token mode: one bearer token (REDLINE_TOKEN) for everyone"
    else:
        mode = "单人模式 / single-person mode: no users and no token, anyone who reaches the port may use it"
        if host not in ("127.0.0.1", "localhost", "::1"):
            _fail(f"单人模式只能绑定本机 / single-person mode binds 127.0.0.1 only (asked for {host}): add users with "
                  "`redline users add NAME --role …` or set REDLINE_TOKEN first")
    try:
        app = app_from_environment()  # fails here, once, with a clear message if the layers cannot be loaded
    except RedlineError as error:
        _fail(error)
    click.echo(f"redline: 监听 / listening on http://{host}:{port}/ · {mode}", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", http=TimedHttpTools, timeout_keep_alive=5,
                limit_concurrency=Limits.connections, timeout_graceful_shutdown=3)


db_option = click.option("--db", envvar="REDLINE_DB", default="redline.sqlite", show_default=True,
                         type=click.Path(dir_okay=False), help="The service's database (also from REDLINE_DB).")


@main.group()
def users():
    """The review office's users: planners submit, reviewers decide, admins manage and read the audit log.

    Example: redline users add zhang --role reviewer --display-name 张三 --db results.sqlite
    """


def _change_users(db, event: str, name: str, change):
    """``change(office)`` on the users of ``db``, recorded as ``event`` in the audit log; one line and exit 2 on failure."""
    from redline.office import audit as office_audit
    from redline.office import users as office_users

    with closing(office_users.connect(Path(db))) as office:
        try:
            result = change(office)
        except RedlineError as error:
            _fail(error)
        office_audit.append(office, event, user="cli", detail={"name": name})
    return result


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["planner", "reviewer", "admin"]))
@click.option("--display-name", help="The name documents and pages show (e.g. 张三).")
@db_option
def users_add(name, role, display_name, db):
    """Add a user; prints their API token, once, as the last word (only its digest is kept)."""
    from redline.office.users import add_user

    token = _change_users(db, "user_added", name, lambda office: add_user(office, name, role, display_name=display_name))
    click.echo(f"用户 / user {name} ({role}) 的令牌 / token: {token}")


@users.command("list")
@db_option
def users_list(db):
    """List the users: name, role, display name, whether disabled."""
    from redline.office import users as office_users

    with closing(office_users.connect(Path(db))) as office:
        for user in office_users.list_users(office):
            click.echo(f"{user.name}\t{user.role}\t{user.display_name}\t{'disabled' if user.disabled else 'active'}")


@users.command("disable")
@click.argument("name")
@db_option
def users_disable(name, db):
    """Disable a user: their token and password stop working at once; their checks stay."""
    from redline.office.users import disable

    _change_users(db, "user_disabled", name, lambda office: disable(office, name))
    click.echo(f"用户 / user {name}: 已停用 / disabled")


@users.command("token")
@click.argument("name")
@db_option
def users_token(name, db):
    """Give a user a new API token (printed once, as the last word); the old one stops working."""
    from redline.office.users import new_token

    token = _change_users(db, "token_renewed", name, lambda office: new_token(office, name))
    click.echo(f"用户 / user {name} 的新令牌 / new token: {token}")


@users.command("passwd")
@click.argument("name")
@click.password_option(help="The new password (asked twice when not given).")
@db_option
def users_passwd(name, password, db):
    """Set a user's password for the pages (stored as an Argon2id hash)."""
    from redline.office.users import set_password

    _change_users(db, "password_set", name, lambda office: set_password(office, name, password))
    click.echo(f"用户 / user {name}: 密码已设置 / password set")


@main.group()
def audit():
    """The audit log of the review office.

    Example: redline audit verify --db results.sqlite
    """


@audit.command("verify")
@db_option
def audit_verify(db):
    """Check the audit log's hash chain: exit 0 when intact, 1 naming the first row edited, deleted or reordered."""
    from redline.office import audit as office_audit

    if not Path(db).exists():
        _fail(f"{db}: 数据库不存在 / no such database")
    with closing(sqlite3.connect(f"file:{Path(db).resolve()}?mode=ro", uri=True)) as office:
        broken = office_audit.verify(office)
        count = office.execute("SELECT count(*) FROM audit").fetchone()[0]
    if broken is None:
        click.echo(f"{db}: 审计日志完整 / the audit log is intact ({count:,} rows)")
        return
    click.echo(f"{db}: 审计日志自第 {broken} 行起被改动 / the audit log was altered at row {broken} (edited, deleted or "
               "reordered)", err=True)
    sys.exit(1)


@main.group(invoke_without_command=True)
@manifest_option
@click.option("--publish", "database", metavar="DATABASE",
              help="Copy the vector layers into this PostGIS database (libpq URI) and write a manifest using them to -o.")
@click.option("--schema", default="redline", show_default=True, help="Schema of the published tables.")
@click.option("--diff", nargs=2, type=click.Path(dir_okay=False), metavar="OLD.toml NEW.toml",
              help="What changed between two manifests' layers; -o writes the differences as GeoJSON.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="en", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="The manifest written by --publish; the GeoJSON of differences with --diff.")
@click.option("--overwrite", is_flag=True, help="Replace an existing -o file.")
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

        if output and not overwrite and Path(output).exists():
            _fail(f"{output} 已存在 / exists; pass --overwrite to replace it")
        changes = diff_layers(load_layers(diff[0]), load_layers(diff[1]))
        if output:
            write_atomic(output, diff_geojson(changes))
        click.echo(diff_table(changes, lang=lang))
        return
    if database and not output:
        _fail(click.UsageError("--publish needs -o NEW_MANIFEST.toml"))
    try:
        if database:
            manifest = publish_layers(manifest, database, output, schema=schema, overwrite=overwrite)
            click.echo(f"矢量图层已发布到 {describe_database(database)} 的 {schema} 模式，清单 {output} / published the "
                       f"vector layers to {describe_database(database)} schema {schema}; manifest {output}", err=True)
        layer_set = load_layers(manifest)
    except RedlineError as error:
        _fail(error)
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
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
def layers_init(folder, output, overwrite):
    """Write a draft manifest for a FOLDER of layer files: kinds, CRS, candidate name and class fields with their
    values, hashes and vintages, each rule guessed from the name only where it says it (with a comment).

    Example: redline layers init official_layers/ -o official_layers/layers.toml
    """
    from redline.layers.draft import draft_manifest

    if not overwrite and Path(output).exists():
        _fail(f"{output} 已存在 / exists; pass --overwrite to replace it")
    try:
        write_atomic(output, draft_manifest(Path(folder), manifest_path=Path(output)))
    except RedlineError as error:
        _fail(error)
    click.echo(f"{output}: 清单草稿已写出，请逐项核对并填写 rule / draft manifest written: check every entry and fill each "
               "empty rule")


@layers.command("stamp")
@click.argument("manifest_file", type=click.Path(exists=True, dir_okay=False))
def layers_stamp(manifest_file):
    """Record the SHA-256 of each layer file changed on purpose since MANIFEST_FILE was written, listing each change.

    Example: redline layers stamp data/tianjin/layers.toml
    """
    from redline.layers.draft import stamp_manifest

    try:
        changes = stamp_manifest(Path(manifest_file))
    except RedlineError as error:
        _fail(error)
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
    if unit == "km" or layer.spec.kind == "line":
        return count + ", " + ", ".join(f"{role or 'all'} {metres / 1000:,.2f} km" for role, metres in layer.totals.items())
    if unit == "mu":
        parts = [f"{role} {m2 / SQUARE_METRES_PER_MU / 10_000:,.2f} 万亩" for role, m2 in layer.totals.items()]
        parts.append(f"all {sum(layer.totals.values()) / SQUARE_METRES_PER_MU / 10_000:,.2f} 万亩")
        return count + ", " + ", ".join(parts)
    return count + ", " + ", ".join(f"{role or 'all'} {m2 / 1e6:,.2f} km²" for role, m2 in layer.totals.items())


def _tell(ctx, corrections) -> None:
    """Each correction made reading an input, one line on stderr (none with -q)."""
    if not ctx.find_root().obj.get("quiet"):
        for note in corrections:
            click.echo(f"redline: 注意 / note: {note['where']}: {note['zh']} / {note['en']}", err=True)


def _fail(error: Exception | str):
    text = str(error).strip()
    click.echo(f"redline: {text.splitlines()[0] if text else repr(error)}", err=True)
    sys.exit(EXIT_ERROR)


if __name__ == "__main__":
    main()
