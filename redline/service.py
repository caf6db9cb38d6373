"""The HTTP front (FastAPI): planners upload a boundary, get the verdict, the figures and the map.

It wires the library and computes nothing itself: ``read_project`` → ``check`` → reports. Layers are
loaded once when the app is made; check processes are forked from it at start-up and share them. One
event loop takes every request and hands each check to the next free check process (or a thread), so
no connection waits behind a busy process; the check processes run niced, so the loop never waits for
the CPU behind them. Results are kept in an embedded SQLite database under
unguessable ids. Uploads are stored only under server-chosen names in a private temporary folder and
removed after the check. Limits answer with the CLI's messages: 413 too large, 415 unknown format, 400
unreadable, 422 invalid geometry or CRS, 504 over the time limit; 401 without the bearer token when one
is set.
"""

from __future__ import annotations

import asyncio
import functools
import json
import multiprocessing
import os
import secrets
import sqlite3
import tempfile
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

import shapely
from fastapi import Depends, FastAPI, File, Form, Header, HTTPException, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response

from redline.errors import CRSError, GeometryError, LimitError, RedlineError
from redline.io import read_project
from redline.layers import DEFAULT_MANIFEST, LayerSet, load_layers
from redline.model import CheckResult, Options, Report
from redline.pipeline import check
from redline.report.html import map_html
from redline.report.json import compact_json, intrusions_geojson, read_intrusions_geojson

READABLE_SUFFIXES = (".geojson", ".json", ".gpkg", ".parquet", ".zip", ".kml", ".kmz", ".csv", ".txt", ".dxf", ".fgb")
MAP_POLICY = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: https:; "
              "connect-src 'none'; frame-ancestors 'self'")


@dataclass(frozen=True)
class Limits:
    """Upload bytes, boundary vertices and seconds per check."""

    max_bytes: int = 20 * 1024 * 1024
    max_vertices: int = 200_000
    seconds: float = 30.0


class Store:
    """Check results in SQLite: report JSON, intrusions GeoJSON, and the map once it was asked for."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._connection() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS checks (id TEXT PRIMARY KEY, created TEXT NOT NULL, "
                       "report TEXT NOT NULL, intrusions TEXT NOT NULL, footprint BLOB NOT NULL, lang TEXT NOT NULL, "
                       "map TEXT)")

    def _connection(self) -> sqlite3.Connection:
        if getattr(self._local, "db", None) is None:
            self._local.db = sqlite3.connect(self.path, timeout=30)
            self._local.db.execute("PRAGMA synchronous=NORMAL")  # WAL: a commit survives a crash of the process
        return self._local.db

    def add(self, report: str, intrusions: str, footprint: bytes, lang: str) -> str:
        """Keep one result under a new unguessable id (144 random bits)."""
        check_id = secrets.token_urlsafe(18)
        with self._connection() as db:
            db.execute("INSERT INTO checks (id, created, report, intrusions, footprint, lang) VALUES (?, ?, ?, ?, ?, ?)",
                       (check_id, datetime.now(timezone.utc).isoformat(), report, intrusions, footprint, lang))
        return check_id

    def get(self, check_id: str) -> sqlite3.Row | None:
        db = self._connection()
        db.row_factory = sqlite3.Row
        return db.execute("SELECT * FROM checks WHERE id = ?", (check_id,)).fetchone()

    def set_map(self, check_id: str, page: str) -> None:
        with self._connection() as db:
            db.execute("UPDATE checks SET map = ? WHERE id = ?", (page, check_id))


def create_app(layers: LayerSet, *, db_path: Path, token: str | None = None, limits: Limits = Limits(),
               cdn: bool = False, check_processes: int = 0) -> FastAPI:
    """The FastAPI app over ``layers`` (loaded once), storing results in ``db_path``.

    ``check_processes``: run checks in that many worker processes (each loads the layers from the same
    manifest once), else in threads of this process.
    """
    store = Store(db_path)
    uploads = Path(tempfile.mkdtemp(prefix="redline-uploads-"))
    executors: list = []

    @asynccontextmanager
    async def lifespan(_app):
        if check_processes:  # forked now, before serving: they share the layers already loaded here
            _CHECK_PROCESS.update(layers=layers, db_path=db_path)
            executor = ProcessPoolExecutor(check_processes, mp_context=multiprocessing.get_context("fork"),
                                           initializer=os.nice, initargs=(CHECK_NICENESS,))
            await asyncio.get_running_loop().run_in_executor(executor, os.getpid)  # starts every process
            executors.append((executor, _check_in_check_process))
        else:
            executor = ThreadPoolExecutor(4)
            executors.append((executor, functools.partial(check_upload, layers=layers, store=store)))
        yield
        executor.shutdown(cancel_futures=True)

    app = FastAPI(title="redline", version=_version(), lifespan=lifespan, description=(
        "Check project boundaries against protected layers. " + layers.manifest.disclaimer))

    def authorised(authorization: Annotated[str | None, Header()] = None) -> None:
        if token and not secrets.compare_digest(authorization or "", f"Bearer {token}"):
            raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok", "layers": len(layers.layers), "unavailable": sorted(layers.problems)}

    @app.get("/v1/layers", dependencies=[Depends(authorised)])
    def list_layers() -> list[dict]:
        return [{"id": spec.id, "title_zh": spec.title_zh, "title_en": spec.title_en, "kind": spec.kind,
                 "rule": spec.rule, "vintage": spec.vintage, "sha256": layers.data_sha256(spec),
                 "loaded": spec.id in layers.layers, "totals": getattr(layers.layers.get(spec.id), "totals", None),
                 "provenance": spec.provenance} for spec in layers.manifest.layers.values()]

    @app.post("/v1/checks", status_code=201, dependencies=[Depends(authorised)])
    async def create_check(
        file: Annotated[UploadFile, File(description="a boundary file in any format redline reads")],
        national_major: Annotated[bool, Form()] = False,
        activity: Annotated[int | None, Form(ge=1, le=10)] = None,
        lang: Annotated[str, Form(pattern="^(zh|en)$")] = "en",
        crs: Annotated[str | None, Form(max_length=64)] = None,
    ) -> JSONResponse:
        suffix = Path(file.filename or "").suffix.lower()
        if suffix not in READABLE_SUFFIXES:
            raise HTTPException(415, f"{file.filename!s}: unknown format {suffix or '(no suffix)'}; "
                                     f"send one of {', '.join(READABLE_SUFFIXES)}")
        data = await file.read(limits.max_bytes + 1)
        if len(data) > limits.max_bytes:
            raise HTTPException(413, f"{file.filename!s}: over the {limits.max_bytes:,}-byte limit for one project")
        path = uploads / f"{secrets.token_hex(16)}{suffix}"
        path.write_bytes(data)
        options = Options(national_major=national_major, activity=activity)
        upload = Upload(path, file.filename or "upload", options, crs, lang, limits)
        try:
            executor, work = executors[0]
            body = await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(executor, work, upload),
                                          timeout=limits.seconds)
        except asyncio.TimeoutError:
            raise HTTPException(504, f"{file.filename!s}: the check took over {limits.seconds:g} s") from None
        except RedlineError as error:
            raise HTTPException(_status(error), str(error).replace(str(path), file.filename or "upload")) from None
        finally:
            path.unlink(missing_ok=True)
        return Response(body, status_code=201, media_type="application/json")

    @app.get("/v1/checks/{check_id}", dependencies=[Depends(authorised)])
    def get_check(check_id: str) -> JSONResponse:
        row = _row(store, check_id)
        return JSONResponse({"id": check_id, **json.loads(row["report"])})

    @app.get("/v1/checks/{check_id}/intrusions.geojson", dependencies=[Depends(authorised)])
    def get_intrusions(check_id: str) -> Response:
        return Response(_row(store, check_id)["intrusions"], media_type="application/geo+json")

    @app.get("/v1/checks/{check_id}/map", response_class=HTMLResponse, dependencies=[Depends(authorised)])
    def get_map(check_id: str) -> HTMLResponse:
        row = _row(store, check_id)
        page = row["map"]
        if page is None:
            page = _map_from_stored(row, layers, cdn=cdn)
            store.set_map(check_id, page)
        return HTMLResponse(page, headers={"Content-Security-Policy": MAP_POLICY})

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def planner_page() -> HTMLResponse:
        return HTMLResponse((Path(__file__).parent / "report" / "planner.html").read_text(encoding="utf-8"))

    return app


SETTINGS = {"manifest": "REDLINE_MANIFEST", "db": "REDLINE_DB", "max_bytes": "REDLINE_MAX_BYTES", "cdn": "REDLINE_CDN",
            "token": "REDLINE_TOKEN", "check_processes": "REDLINE_CHECK_PROCESSES"}
"""Environment variables that configure ``app_from_environment``."""


def app_from_environment() -> FastAPI:
    """The app configured from ``SETTINGS`` environment variables, e.g. for ``uvicorn --factory``."""
    environment = {key: os.environ.get(name) for key, name in SETTINGS.items()}
    limits = Limits(max_bytes=int(environment["max_bytes"] or Limits.max_bytes))
    return create_app(load_layers(environment["manifest"] or DEFAULT_MANIFEST),
                      db_path=Path(environment["db"] or "redline.sqlite"), token=environment["token"] or None,
                      limits=limits, cdn=bool(environment["cdn"]), check_processes=int(environment["check_processes"] or 0))


@dataclass(frozen=True)
class Upload:
    """One upload to check: where it was saved, the name the client gave it, and the request's options."""

    path: Path
    filename: str
    options: Options
    crs: str | None
    lang: str
    limits: Limits


CHECK_NICENESS = 19
"""Check processes run this much nicer than the event loop (the most there is: they take the CPU the loop
leaves): under load the loop, which reads requests and writes answers for every connection, must not wait
for the CPU behind checks. Measured with benchmarks/bench_service.py: p95 ≈ 1 s in 6 runs of 6 at 0 and
at 2, 6 of 24 at 5, 1 of 14 at 10; at 19, p95 148–193 ms in 21 runs of 21. On a host shared with other
busy work, the checks get only what that work leaves."""

_CHECK_PROCESS: dict = {}
"""The layers and the database path the check processes inherit when forked; each opens its own store."""


def _check_in_check_process(upload: Upload) -> str:
    if "store" not in _CHECK_PROCESS:
        _CHECK_PROCESS["store"] = Store(_CHECK_PROCESS["db_path"])
    return check_upload(upload, layers=_CHECK_PROCESS["layers"], store=_CHECK_PROCESS["store"])


def check_upload(upload: Upload, *, layers: LayerSet, store: Store) -> str:
    """Read, check and store one upload (off the event loop); the response body: the report with its id."""
    project = read_project(upload.path, crs=upload.crs or None, max_bytes=upload.limits.max_bytes,
                           max_vertices=upload.limits.max_vertices)
    result = check(project, layers, options=upload.options)
    report = result.report.to_dict()
    report["project"]["file"] = upload.filename
    text = compact_json(report)
    check_id = store.add(text, intrusions_geojson(result), shapely.to_wkb(result.footprint), upload.lang)
    return compact_json({"id": check_id})[:-1] + "," + text[1:]


def _status(error: RedlineError) -> int:
    """413 over a limit, 422 invalid geometry or CRS, 400 anything else unreadable (415 is decided by suffix)."""
    if isinstance(error, LimitError):
        return 413
    if isinstance(error, (GeometryError, CRSError)):
        return 422
    return 400


def _row(store: Store, check_id: str) -> sqlite3.Row:
    row = store.get(check_id) if len(check_id) < 64 else None
    if row is None:
        raise HTTPException(404, "no check with that id")
    return row


def _map_from_stored(row: sqlite3.Row, layers: LayerSet, *, cdn: bool) -> str:
    """Rebuild the map from the stored report, intrusions and footprint (the upload itself is never kept)."""
    footprint = shapely.from_wkb(row["footprint"])
    result = CheckResult(Report.from_dict(json.loads(row["report"])), footprint, read_intrusions_geojson(row["intrusions"]))
    return map_html(result, layers.nearby(footprint), overview=layers.outline, lang=row["lang"], cdn=cdn)


def _version() -> str:
    from redline.pipeline import REDLINE_VERSION

    return REDLINE_VERSION
