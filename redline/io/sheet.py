"""Excel 界址点坐标成果表 (.xlsx through openpyxl, .xls through xlrd): one sheet read as a table of vertices.

Every 勘测定界 report carries one: title rows above the header, merged cells, 边长 rows between the points,
点号/X/Y (or 纵/横坐标, 北/东坐标, 经度/纬度), a 地块/分组 column for several parcels. The sheet's cells are read
as text and handed to ``redline.io.table.read_rows``, so the same layout saved as CSV reads the same. The
first sheet is read unless the caller names one (``layer``).

Untrusted input: an .xlsx is a zip, checked like any (``check_zip``: members, sizes, compression ratio)
before openpyxl opens it, read-only, cached values only (no formulas evaluated), external links not kept; its
XML is parsed through defusedxml (openpyxl uses it when installed). Sheets are read to ``MAX_ROWS`` rows
and ``MAX_COLUMNS`` columns at most.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd

from redline.errors import FormatError, InputError, LimitError
from redline.io.safety import check_zip
from redline.io.table import read_rows

SHEET_SUFFIXES = (".xlsx", ".xls")
MAX_ROWS = 100_000
MAX_COLUMNS = 64
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
"""First bytes of an OLE2 compound file: an .xls workbook."""


def read_sheet(path: Path, *, layer: str | None = None, degrees: str | None = None) -> gpd.GeoDataFrame:
    """Parcels of a coordinate sheet (``layer``: the sheet's name; the first when None), without CRS."""
    with open(path, "rb") as stream:
        head = stream.read(8)
    if path.suffix.lower() == ".xlsx":
        if not head.startswith(b"PK"):
            raise FormatError(f"{path}: 不是 xlsx 工作簿 / the content is not an .xlsx workbook; save it again from Excel")
        check_zip(path)
        names, rows = _xlsx(path, layer)
    else:
        if head != OLE2:
            raise FormatError(f"{path}: 不是 xls 工作簿 / the content is not an .xls workbook; save it again from Excel")
        names, rows = _xls(path, layer)
    return read_rows(rows, Path(f"{path} (工作表 / sheet {names})"), degrees=degrees)


def _chosen(path: Path, sheets: list[str], layer: str | None) -> str:
    if layer is None:
        return sheets[0]
    if layer not in sheets:
        raise InputError(f"{path}: 无此工作表 {layer[:80]!r} / no sheet {layer[:80]!r}; its sheets: {', '.join(sheets)}")
    return layer


def _xlsx(path: Path, layer: str | None) -> tuple[str, list[list]]:
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns of styles and extensions it does not read
            book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as error:  # openpyxl raises many types for a damaged workbook
        raise FormatError(f"{path}: 无法读取的 xlsx / not a readable .xlsx ({type(error).__name__}); save it again") from None
    try:
        name = _chosen(path, book.sheetnames, layer)
        sheet = book[name]
        rows = []
        for row in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            rows.append(list(row))
            if len(rows) > MAX_ROWS:
                raise LimitError(f"{path}: 工作表过大 / sheet {name} has more than {MAX_ROWS:,} rows")
        return name, rows
    finally:
        book.close()


def _xls(path: Path, layer: str | None) -> tuple[str, list[list]]:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except Exception as error:  # xlrd raises many types for a damaged workbook
        raise FormatError(f"{path}: 无法读取的 xls / not a readable .xls ({type(error).__name__}); save it again") from None
    try:
        name = _chosen(path, book.sheet_names(), layer)
        sheet = book.sheet_by_name(name)
        if sheet.nrows > MAX_ROWS:
            raise LimitError(f"{path}: 工作表过大 / sheet {name} has {sheet.nrows:,} rows, over {MAX_ROWS:,}")
        return name, [sheet.row_values(number, 0, min(sheet.ncols, MAX_COLUMNS)) for number in range(sheet.nrows)]
    finally:
        book.release_resources()
