"""``redline batch`` (many applications, resumable) and ``redline recheck`` (a finished batch against new layers)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from redline.batch.tables import TABLES
from redline.cli.common import EXIT_FLAGGED, EXIT_PASS, declarations, fail, lang_option, manifest_option, reading
from redline.errors import RedlineError
from redline.io.files import write_atomic
from redline.layers import load_layers
from redline.parameters import cli_spelling
from redline.report.style import VERDICT_WORDS

jobs_option = click.option("-j", "--jobs", default=os.cpu_count() or 1, show_default="all cores", type=click.IntRange(1, 256),
                           help="Worker processes.")


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False), help="Folder of results.")
@manifest_option
@jobs_option
@click.option("--id-field", default="id", show_default=True, help="Column naming each application of a multi-feature file.")
@reading("crs", "encoding", "degrees", "repair", repair="Repair invalid geometry with make_valid (recorded per application).")
@click.option("--dask", "dask_address", metavar="ADDRESS", help="Run on a Dask distributed scheduler (tcp://host:8786).")
@click.option("--maps", is_flag=True, help="Also write OUTPUT/maps/: a map per application and index.html.")
@click.option("--pdf-dir", type=click.Path(file_okay=False), help="Also write each application's review report (PDF) here.")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False), help="Also write the statistics workbook here.")
@lang_option(help="Language: maps default to en, review files to zh.")
@click.option("--reports", is_flag=True, help="Also keep every full report in OUTPUT/reports.jsonl.")
@click.option("--tables", default=",".join(TABLES), show_default=True,
              help=f"Result tables to write, comma-separated from {', '.join(TABLES)} (errors.csv always).")
@declarations
def batch(inputs, outdir, manifest, jobs, id_field, options, reading, dask_address, maps, pdf_dir, xlsx_path, lang, reports,
          tables):
    """Check many applications: a folder of files, or a multi-feature file (one application per feature).

    Writes OUTPUT/results.csv (UTF-8 with BOM), results.gpkg, results.parquet (GeoParquet), errors.csv and
    journal.jsonl (what resuming needs); with --reports every full report (reports.jsonl), with --xlsx the
    statistics workbook, with --maps a map per application, with --pdf-dir a review PDF each. A batch
    that was killed resumes when started again with the same arguments. Exit status: 0 every application
    passed, 1 some need review, violate or could not be checked (see errors.csv), 2 the batch could not run.

    Example: redline batch data/samples -o results/
    """
    from redline.batch import Drawing, ProgressBar, run_batch, write_workbook

    read = {"options": options, "id_field": id_field, **reading}
    chosen = tuple(name.strip() for name in tables.split(",") if name.strip())
    if set(chosen) - set(TABLES):
        fail(f"--tables {tables}: 未知的表 / unknown table; choose from {', '.join(TABLES)}")
    drawing = Drawing(maps=maps, pdf_dir=Path(pdf_dir) if pdf_dir else None, map_lang=lang or "en", pdf_lang=lang or "zh")
    bar = ProgressBar("检查 / checking")
    try:
        summary = run_batch([Path(p) for p in inputs], Path(outdir), manifest=manifest, workers=jobs,
                            progress=bar, dask_address=dask_address, reports=reports, tables=chosen, drawing=drawing,
                            spelling=cli_spelling, **read)
        if xlsx_path:
            rows = write_workbook(Path(outdir), Path(xlsx_path), load_layers(manifest).rules, lang=lang or "zh")
            click.echo(f"{xlsx_path}: 统计表含 {rows:,} 个申请 / {rows:,} applications")
        if maps:
            folder = Path(outdir) / "maps"
            click.echo(f"共 {summary.maps:,} 张地图及索引页 / {summary.maps:,} maps and the index page in {folder}")
        if pdf_dir:
            click.echo(f"共 {summary.pdfs:,} 份审查报告（PDF）/ {summary.pdfs:,} review reports (PDF) in {pdf_dir}")
    except RedlineError as error:
        bar.end()
        fail(error)
    verdicts = sorted(summary.verdicts.items())
    counts_zh = "，".join(f"{VERDICT_WORDS['zh'][verdict]} {count:,}" for verdict, count in verdicts)
    counts = ", ".join(f"{verdict} {count:,}" for verdict, count in verdicts)
    click.echo(f"共 {summary.total:,} 个申请，用时 {summary.seconds:.1f} 秒（上次运行已完成 {summary.resumed:,} 个）："
               f"{counts_zh}，无法检查 {summary.errors:,}；结果在 {outdir} / {summary.total:,} applications in "
               f"{summary.seconds:.1f} s ({summary.resumed:,} from an earlier run): {counts}, errors {summary.errors:,}. "
               f"Results in {outdir}")
    flagged = summary.errors or any(v != "pass" for v in summary.verdicts)
    sys.exit(EXIT_FLAGGED if flagged else EXIT_PASS)


@click.command()
@click.argument("outdir", type=click.Path(file_okay=False, exists=True))
@click.option("-l", "--layers", "manifest", required=True, type=click.Path(dir_okay=False),
              help="The new layer manifest (TOML) to check against.")
@click.option("-o", "--output", "newdir", required=True, type=click.Path(file_okay=False),
              help="Folder of the new results (a batch of its own) and of the changes.")
@jobs_option
@lang_option(default="en", show_default=True)
def recheck(outdir, manifest, newdir, jobs, lang):
    """Check the applications of the finished batch in OUTDIR again with new layers, and list every application
    whose verdict or figures change: NEWDIR/changes.csv (one line per changed figure, before and after, both
    manifests' hashes), changes.json and changes.html (a map of the changed applications).

    Exit status: 0 nothing changed, 1 some results changed, 2 the recheck could not run.
    Example: redline recheck results/ -l layers-2025.toml -o results-2025/
    """
    import geopandas as gpd

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
        fail(error)
    lines = [(c.id, column, before, after, *c.manifests) for c in changes for column, (before, after) in c.columns.items()]
    write_atomic(Path(newdir) / "changes.csv", csv_text(["id", "column", "before", "after", "manifest_before",
                                                         "manifest_after"], lines))
    write_atomic(Path(newdir) / "changes.json", json.dumps([c.to_dict() for c in changes], ensure_ascii=False, indent=1))
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
