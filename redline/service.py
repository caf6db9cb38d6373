"""The HTTP front (FastAPI): planners upload a boundary, get the verdict, the figures and the map.

It wires the library and computes nothing itself: ``check_isolated`` → reports. Layers are loaded once
when the app is made; check processes are forked from it at start-up, share them, run niced and die with
the server (``PR_SET_PDEATHSIG``). Each upload is read and checked in a child of a check process held to
memory and time limits, so a crash or a runaway file costs that upload only; a dead check process is
replaced. The ``Guard`` middleware bounds every request while it is received (size, body time, cross-site
uploads) and ``TimedHttpTools`` closes connections whose headers do not arrive in time. Results are kept
in SQLite under unguessable ids; with a token set, each check's links carry a key derived from the token
(HMAC) so the planner page's map and downloads work. Errors map to statuses in one table, ``ERROR_STATUS``.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import json
import multiprocessing
import os
import re
import secrets
import shutil
import sqlite3
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import orjson
import shapely
from fastapi import Depends, FastAPI, File, Form, Header, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from pydantic import Field as PydanticField
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from redline import __version__
from redline.compare import changes
from redline.errors import CRSError, FormatError, GeometryError, InputError, LimitError, ManifestError, RedlineError
from redline.io import as_project
from redline.io.cleaning import UNSAFE
from redline.io.project import READABLE_SUFFIXES, UNREAD_FORMATS
from redline.isolation import CrashError, TimeLimitError, die_with_parent, isolated, scratch_folder, sweep_scratch
from redline.isolation import Limits as IsolationLimits
from redline.layers import DEFAULT_MANIFEST, LayerSet, load_layers
from redline.model import Options, Report
from redline.office import audit, users
from redline.pipeline import check, check_isolated
from redline.report.assets import DOCS_ASSETS, docs_asset
from redline.report.basis import read_templates
from redline.report.html import map_html
from redline.report.json import compact_json, intrusions_geojson, read_intrusions_geojson

ERROR_STATUS = {TimeLimitError: 504, LimitError: 413, CrashError: 422, GeometryError: 422, CRSError: 422,
                FormatError: 400, InputError: 400, ManifestError: 500, RedlineError: 400}
"""HTTP status of each error redline raises (the most specific class in an error's MRO wins), installed once."""
ERROR_RESPONSES = {status: {"description": description, "content": {"application/json": {"example": {"detail": "…"}}}}
                   for status, description in ((400, "unreadable upload or bad request"), (401, "missing or wrong bearer token"),
                                               (403, "cross-site request refused"), (404, "no check with that id"),
                                               (408, "the request body arrived too slowly"),
                                               (413, "over the size, feature or vertex limit"), (415, "unknown format"),
                                               (422, "invalid geometry, CRS or form field, or a file that crashed the reader"),
                                               (503, "check process restarted or server busy"),
                                               (504, "the check took over the time limit"))}
"""Every error status the API answers, for the OpenAPI document."""


@dataclass(frozen=True)
class Limits:
    """Upload bytes, boundary vertices, seconds and memory per check, seconds to send a request's headers and body."""

    max_bytes: int = 20 * 1024 * 1024
    max_vertices: int = 200_000
    seconds: float = 30.0
    memory_bytes: int = 1024 ** 3
    header_seconds: float = 10.0
    body_seconds: float = 30.0
    connections: int = 512

    @property
    def isolation(self) -> IsolationLimits:
        return IsolationLimits(seconds=self.seconds, memory_bytes=self.memory_bytes)


LINK_DAYS = 30
"""Days a check's link key opens it without the token."""


def _link_secret(path: Path) -> bytes:
    """The install's link-signing secret (256 random bits), made once, readable by its owner only."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        secret = path.read_bytes()
        if len(secret) < 32:
            raise RedlineError(f"{path}: 链接密钥损坏 / the link key file is damaged; delete it (links issued so far stop "
                               "working) and start again") from None
        return secret
    secret = secrets.token_bytes(32)
    with os.fdopen(descriptor, "wb") as out:
        out.write(secret)
        out.flush()
        os.fsync(out.fileno())
    return secret


class Store:
    """Check results in SQLite: report JSON, intrusions GeoJSON, and the map once it was asked for."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():  # made owner-only before SQLite opens it (its -wal and -shm files copy the mode)
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        self._local = threading.local()
        with self._connection() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS checks (id TEXT PRIMARY KEY, created TEXT NOT NULL, "
                       "report TEXT NOT NULL, intrusions TEXT NOT NULL, footprint BLOB NOT NULL, lang TEXT NOT NULL, "
                       "map TEXT, previous TEXT)")
            columns = {column[1] for column in db.execute("PRAGMA table_info(checks)")}
            if "previous" not in columns:  # an older database
                db.execute("ALTER TABLE checks ADD COLUMN previous TEXT")
            if "key_epoch" not in columns:
                db.execute("ALTER TABLE checks ADD COLUMN key_epoch INTEGER NOT NULL DEFAULT 0")
            for column in ("owner", "review", "particulars"):  # who submitted it; the decision; 申请单位/文号/项目代码 (JSON)
                if column not in columns:
                    db.execute(f"ALTER TABLE checks ADD COLUMN {column} TEXT")
            db.execute("CREATE TABLE IF NOT EXISTS documents (check_id TEXT NOT NULL, kind TEXT NOT NULL, lang TEXT NOT NULL, "
                       "content BLOB NOT NULL, sha256 TEXT NOT NULL, made TEXT NOT NULL, PRIMARY KEY (check_id, kind, lang))")
            db.execute("CREATE INDEX IF NOT EXISTS checks_created ON checks (created)")
        for private in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")):
            if private.exists():
                os.chmod(private, 0o600)  # the results are the applicants' data: owner only
        self.secret = _link_secret(Path(f"{self.path}.linkkey"))

    def _connection(self) -> sqlite3.Connection:
        if getattr(self._local, "db", None) is None:
            self._local.db = sqlite3.connect(self.path, timeout=30)
            self._local.db.execute("PRAGMA synchronous=NORMAL")  # WAL: a commit survives a crash of the process
        return self._local.db

    def add(self, report: str, intrusions: str, footprint: bytes, lang: str, previous: str | None = None,
            owner: str | None = None, particulars: dict | None = None) -> str:
        """Keep one result under a new unguessable id (144 random bits); ``previous``: the check it re-runs;
        ``owner``: the user who submitted it (None in single-person mode)."""
        check_id = secrets.token_urlsafe(18)
        with self._connection() as db:
            db.execute("INSERT INTO checks (id, created, report, intrusions, footprint, lang, previous, owner, particulars) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (check_id, datetime.now(timezone.utc).isoformat(), report, intrusions, footprint, lang, previous,
                        owner, json.dumps(particulars or {}, ensure_ascii=False)))
        return check_id

    def keep_document(self, check_id: str, kind: str, lang: str, content: bytes) -> str:
        """Keep a document of record (issued at the decision) as it is; its SHA-256."""
        digest = hashlib.sha256(content).hexdigest()
        with self._connection() as db:
            db.execute("INSERT OR REPLACE INTO documents (check_id, kind, lang, content, sha256, made) VALUES (?, ?, ?, ?, ?, ?)",
                       (check_id, kind, lang, content, digest, datetime.now(timezone.utc).isoformat()))
        return digest

    def document(self, check_id: str, kind: str, lang: str) -> tuple[bytes, str] | None:
        row = self._connection().execute("SELECT content, sha256 FROM documents WHERE check_id = ? AND kind = ? AND "
                                         "lang = ?", (check_id, kind, lang)).fetchone()
        return (bytes(row[0]), row[1]) if row else None

    def set_review(self, check_id: str, review: dict) -> None:
        with self._connection() as db:
            db.execute("UPDATE checks SET review = ? WHERE id = ?", (json.dumps(review, ensure_ascii=False), check_id))

    def find(self, *, verdict: str | None = None, since: str | None = None, q: str | None = None,
             limit: int = 100, owner: str | None = None) -> list[dict]:
        """Past checks, newest first: those with ``verdict``, made at or after ``since`` (ISO 8601), whose project
        name or file holds ``q``."""
        pattern = None if not q else "%" + re.sub(r"([\\%_])", r"\\\1", q) + "%"
        db = self._connection()
        db.row_factory = sqlite3.Row
        rows = db.execute(
            "SELECT id, created, previous, owner, json_extract(review, '$.state') AS state, "
            "json_extract(report, '$.verdict') AS verdict, "
            "json_extract(report, '$.project.name') AS name, json_extract(report, '$.project.file') AS file, "
            "json_extract(report, '$.project.area_m2') AS area_m2, json_extract(report, '$.manifest.sha256') AS manifest "
            "FROM checks WHERE (:verdict IS NULL OR json_extract(report, '$.verdict') = :verdict) "
            "AND (:owner IS NULL OR owner = :owner) "
            "AND (:since IS NULL OR created >= :since) "
            "AND (:q IS NULL OR json_extract(report, '$.project.name') LIKE :q ESCAPE '\\' "
            "OR json_extract(report, '$.project.file') LIKE :q ESCAPE '\\') ORDER BY created DESC LIMIT :limit",
            {"verdict": verdict, "since": since, "q": pattern, "limit": limit, "owner": owner}).fetchall()
        return [dict(row) for row in rows]

    def get(self, check_id: str) -> sqlite3.Row | None:
        db = self._connection()
        db.row_factory = sqlite3.Row
        return db.execute("SELECT * FROM checks WHERE id = ?", (check_id,)).fetchone()

    def link_key(self, check_id: str, *, now: datetime | None = None) -> str | None:
        """The check's link key: its expiry (``LINK_DAYS`` after the check, hex seconds) and an HMAC of the id, the
        expiry and the check's key epoch under the install's own secret (never the API token). None if absent."""
        row = self._connection().execute("SELECT created, key_epoch FROM checks WHERE id = ?", (check_id,)).fetchone()
        if row is None:
            return None
        expires = int(datetime.fromisoformat(row[0]).timestamp()) + LINK_DAYS * 86_400
        mac = hmac.new(self.secret, f"{check_id}|{row[1]}|{expires}".encode(), hashlib.sha256).hexdigest()[:32]
        return f"{expires:x}.{mac}"

    def key_opens(self, check_id: str, key: str) -> bool:
        """Whether ``key`` is the check's link key, unexpired and not revoked (compared in constant time)."""
        expected = self.link_key(check_id)
        if expected is None or not hmac.compare_digest(key.encode(), expected.encode()):
            return False
        return int(expected.split(".")[0], 16) > datetime.now(timezone.utc).timestamp()

    def revoke_key(self, check_id: str) -> bool:
        """Void every link key issued for the check (a new one is issued from now on); False if absent."""
        with self._connection() as db:
            return db.execute("UPDATE checks SET key_epoch = key_epoch + 1 WHERE id = ?", (check_id,)).rowcount == 1

    def set_map(self, check_id: str, page: str) -> None:
        with self._connection() as db:
            db.execute("UPDATE checks SET map = ? WHERE id = ?", (page, check_id))


def create_app(layers: LayerSet, *, db_path: Path, token: str | None = None, limits: Limits = Limits(),
               cdn: bool = False, check_processes: int = 1, allowed_hosts: tuple[str, ...] = ()) -> FastAPI:
    """The FastAPI app over ``layers`` (loaded once), storing results in ``db_path``.

    Checks run in ``check_processes`` processes forked at start-up (they share the loaded layers); each upload
    is read and checked in a child of one of them, held to ``limits`` (``redline.pipeline.check_isolated``),
    so a hostile upload costs that upload only.
    """
    store = Store(db_path)
    sweep_scratch()  # what killed readers of an earlier run left behind
    pool: dict = {}
    read_templates(layers.manifest.review)  # read at start: a mistyped template stops the start, not a download

    def start_pool():
        _CHECK_PROCESS.update(layers=layers, db_path=db_path)
        pool["executor"] = ProcessPoolExecutor(max(1, check_processes), mp_context=multiprocessing.get_context("fork"),
                                               initializer=_start_check_process)
        pool["healthy"] = True

    def stop_pool():
        executor = pool.pop("executor", None)
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
            for child in multiprocessing.active_children():  # check processes (and nothing else this process forks)
                child.kill()

    @asynccontextmanager
    async def lifespan(_app):
        start_pool()
        await asyncio.get_running_loop().run_in_executor(pool["executor"], os.getpid)  # forks every process now
        yield
        stop_pool()

    app = FastAPI(title="redline", version=__version__, lifespan=lifespan, docs_url=None, responses=ERROR_RESPONSES,
                  description="Check project boundaries against protected layers. " + layers.manifest.disclaimer)
    app.add_middleware(Guard, limits=limits, token_required=bool(token),
                       allowed_hosts=frozenset(name.lower() for name in (*LOOPBACK_HOSTS, *allowed_hosts)))
    install_error_statuses(app)

    office = threading.local()

    def office_db() -> sqlite3.Connection:
        if getattr(office, "db", None) is None:
            office.db = users.connect(db_path)
            audit.ensure(office.db)
        return office.db

    def guarded() -> bool:
        """Whether links need keys: a token is set or the office has users."""
        return bool(token) or users.has_users(office_db())

    def link_key(check_id: str) -> str:
        return (store.link_key(check_id) or "") if guarded() else ""

    def record(request: Request, action: str, user: users.User | None, check_id: str | None = None, **detail) -> None:
        if users.has_users(office_db()):
            audit.append(office_db(), action, user=user.name if user else None, check_id=check_id,
                         client=request.client.host if request.client else None, detail=detail or None)

    def authorised(request: Request, authorization: Annotated[str | None, Header()] = None,
                   x_csrf_token: Annotated[str | None, Header()] = None) -> users.User | None:
        """The user of the request's bearer token, or of its page session (a state-changing request from a page also
        carries the session's CSRF token), when the office has users (401 otherwise); with no users, the single
        shared token when one is set (None: single-person mode)."""
        db = office_db()
        if users.has_users(db):
            bearer = (authorization or "")[7:] if (authorization or "").startswith("Bearer ") else ""
            user = users.by_token(db, bearer) if bearer else None
            session = request.cookies.get(SESSION_COOKIE)
            if user is None and not bearer and session:
                found = users.by_session(db, session)
                if found is not None:
                    user, csrf = found
                    if request.method not in ("GET", "HEAD", "OPTIONS") and not hmac.compare_digest(
                            (x_csrf_token or "").encode(), csrf.encode()):
                        raise HTTPException(403, "缺少或错误的 CSRF 令牌 / missing or wrong CSRF token: send the page's "
                                                 "X-CSRF-Token with every change")
            if user is None:
                record(request, "auth_failed", None, path=request.url.path[:200])
                raise HTTPException(401, "需要登录 / a user's bearer token is needed", headers={"WWW-Authenticate": "Bearer"})
            return user
        if token and not hmac.compare_digest((authorization or "").encode(), f"Bearer {token}".encode()):
            raise HTTPException(401, "缺少或错误的令牌 / missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})
        return None

    def authorised_for(check_id: str, request: Request, authorization: Annotated[str | None, Header()] = None,
                       key: Annotated[str | None, Query(max_length=64)] = None,
                       x_csrf_token: Annotated[str | None, Header()] = None) -> users.User | None:
        """The user (or the check's own link key, what shared links carry) allowed to see the check; a planner's
        request for another planner's check is answered 404, as if it did not exist."""
        if key is not None and guarded() and store.key_opens(check_id, key):
            return None
        user = authorised(request, authorization, x_csrf_token)
        if user is not None and not user.sees_all:
            row = store.get(check_id)
            if row is None or row["owner"] != user.name:
                raise HTTPException(404, f"无此检查 / no check {check_id[:64]!r}")
        return user

    def reviewer(request: Request, authorization: Annotated[str | None, Header()] = None) -> users.User | None:
        user = authorised(request, authorization)
        if user is not None and not user.sees_all:
            raise HTTPException(403, "需要审查员权限 / only a reviewer or an admin may do this")
        return user

    def admin(request: Request, authorization: Annotated[str | None, Header()] = None) -> users.User:
        user = authorised(request, authorization)
        if user is None or user.role != "admin":
            raise HTTPException(403, "需要管理员权限 / only an admin may read the audit log")
        return user

    failures: dict[tuple[str, str], list[float]] = {}

    @app.post("/login", responses={401: {"description": "wrong name or password"},
                                   429: {"description": "too many failed log-ins"}})
    def login(credentials: Credentials, request: Request) -> JSONResponse:
        """Log in to the pages with a name and password: an HttpOnly, SameSite=Strict session cookie (a new session at
        every log-in) and the session's CSRF token, which the pages send with every change."""
        client = request.client.host if request.client else ""
        key = (credentials.name.lower(), client)
        now = datetime.now(timezone.utc).timestamp()
        recent = [moment for moment in failures.get(key, []) if now - moment < LOGIN_WINDOW_S]
        if len(recent) >= LOGIN_ATTEMPTS:
            wait = int(LOGIN_WINDOW_S - (now - recent[0])) + 1
            raise HTTPException(429, f"登录失败次数过多 / too many failed log-ins; try again in {wait} s",
                                headers={"Retry-After": str(wait)})
        user = users.by_password(office_db(), credentials.name, credentials.password)
        if user is None:
            failures[key] = [*recent, now]
            record(request, "login_failed", None, name=credentials.name[:64])
            raise HTTPException(401, "用户名或密码错误 / wrong name or password")
        failures.pop(key, None)
        session, csrf = users.start_session(office_db(), user)
        record(request, "login", user)
        answer = JSONResponse({"user": user.name, "display_name": user.display_name, "role": user.role, "csrf": csrf})
        answer.set_cookie(SESSION_COOKIE, session, max_age=users.SESSION_SECONDS, httponly=True, samesite="strict",
                          path="/", secure=request.url.scheme == "https")
        return answer

    @app.post("/logout", status_code=204)
    def logout(request: Request, user: users.User | None = Depends(authorised)) -> Response:
        session = request.cookies.get(SESSION_COOKIE)
        if session:
            users.end_session(office_db(), session)
        record(request, "logout", user)
        answer = Response(status_code=204)
        answer.delete_cookie(SESSION_COOKIE, path="/")
        return answer

    @app.get("/v1/session")
    def who_am_i(request: Request, user: users.User | None = Depends(authorised)) -> JSONResponse:
        """The page's user and its session's CSRF token (what a page reloaded needs), or the mode the service runs in."""
        found = users.by_session(office_db(), request.cookies.get(SESSION_COOKIE, "")) if user else None
        return JSONResponse({"user": user.name if user else None, "display_name": user.display_name if user else None,
                             "role": user.role if user else None, "csrf": found[1] if found else None,
                             "mode": "office" if users.has_users(office_db()) else "token" if token else "single"})

    @app.post("/v1/checks/{check_id}/decision", responses={403: {"description": "not a reviewer"}})
    async def decide(check_id: str, decision: Decision, request: Request,
                     user: users.User | None = Depends(reviewer)) -> JSONResponse:
        """Record a reviewer's decision (approve → 已通过, return → 退回补正, reject → 不予通过), opinion and overrides of
        generated findings, each with its reason. The generated findings stay as they were."""
        row = _row(store, check_id)
        rules = {finding["rule"] for finding in json.loads(row["report"])["findings"]}
        unknown = sorted({override.rule for override in decision.overrides} - rules)
        if unknown:
            raise HTTPException(422, f"无此管控要求 / no finding of rule {unknown[0][:40]!r}; rules: {', '.join(sorted(rules))}")
        now = datetime.now(BEIJING).isoformat(timespec="seconds")
        review = {"state": STATES[decision.decision][0], "state_zh": STATES[decision.decision][1],
                  "decision": decision.decision, "opinion": decision.opinion,
                  "reviewer": user.name if user else None, "reviewer_name": user.display_name if user else None,
                  "at": now, "overrides": [{**override.model_dump(), "reviewer": user.name if user else None, "at": now}
                                           for override in decision.overrides]}
        store.set_review(check_id, review)
        record(request, "decision", user, check_id, decision=decision.decision, opinion=decision.opinion[:500])
        for override in decision.overrides:
            record(request, "override", user, check_id, **override.model_dump())
        review["documents"] = await in_pool(documents_of_record, check_id)  # the documents of record, kept
        store.set_review(check_id, review)
        return JSONResponse(review)

    @app.get("/v1/audit", responses={403: {"description": "not an admin"}})
    def read_audit(request: Request, user: users.User = Depends(admin),
                   who: Annotated[str | None, Query(max_length=64)] = None,
                   check: Annotated[str | None, Query(max_length=64)] = None,
                   since: Annotated[str | None, Query(pattern=ISO_DATE, max_length=40)] = None,
                   limit: Annotated[int, Query(ge=1, le=5000)] = 1000) -> JSONResponse:
        """The audit log (admin only), oldest first: who did what, when (Beijing time), from where, to which check."""
        record(request, "audit_read", user, who=who, check=check)
        return JSONResponse(audit.rows(office_db(), user=who, check_id=check, since=since, limit=limit))

    @app.delete("/v1/checks/{check_id}/key", status_code=204)
    def revoke_link_key(check_id: str, request: Request, user: users.User | None = Depends(authorised_for)) -> Response:
        """Void the check's shared links (its link key); the API token still opens it, and new links get a new key."""
        if not store.revoke_key(check_id):
            raise HTTPException(404, f"无此检查 / no check {check_id[:64]!r}")
        record(request, "link_key_revoked", user, check_id)
        return Response(status_code=204)

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        healthy = pool.get("healthy", False)
        body = {"status": "ok" if healthy else "degraded", "layers": len(layers.layers),
                "unavailable": sorted(layers.problems), "check_processes": max(1, check_processes)}
        return JSONResponse(body, status_code=200 if healthy else 503)

    @app.get("/v1/layers", dependencies=[Depends(authorised)])
    def list_layers() -> list[dict]:
        return [{"id": spec.id, "title_zh": spec.title_zh, "title_en": spec.title_en, "kind": spec.kind,
                 "rule": spec.rule, "vintage": spec.vintage, "sha256": layers.data_sha256(spec),
                 "loaded": spec.id in layers.layers, "totals": getattr(layers.layers.get(spec.id), "totals", None),
                 "provenance": spec.provenance} for spec in layers.manifest.layers.values()]

    @app.post("/v1/checks", status_code=201)
    async def create_check(
        request: Request,
        file: Annotated[UploadFile, File(description="a boundary file in any format redline reads")],
        user: users.User | None = Depends(authorised),
        national_major: Annotated[bool, Form()] = False,
        activity: Annotated[int, Form(ge=1, le=10, description="one of the 10 allowed activities; leave out if none")] = None,
        lang: Annotated[str, Form(pattern="^(zh|en)$")] = "en",
        crs: Annotated[str, Form(max_length=64, description="CRS of a file without one, e.g. EPSG:4527")] = "",
        layer: Annotated[str, Form(max_length=128, description="layer of a file with several")] = "",
        encoding: Annotated[str, Form(pattern="^[A-Za-z0-9_-]{0,20}$",
                                      description="attribute encoding of a file that declares none, e.g. GBK")] = "",
        repair: Annotated[bool, Form(description="repair invalid geometry (the change is reported)")] = False,
        degrees: Annotated[str, Form(pattern="^(|decimal|dms)$", description="how a table's lon/lat are written when "
                                     "the values cannot say: decimal, or dms (packed ddd.mmss)")] = "",
        previous: Annotated[str, Form(max_length=64, description="the check this file answers (a resubmission after "
                                      "退回补正): linked, and what changed is shown")] = "",
        applicant: Annotated[str, Form(max_length=200, description="申请单位, printed in the review documents")] = "",
        reference: Annotated[str, Form(max_length=100, description="文号, printed in the review documents")] = "",
        project_code: Annotated[str, Form(max_length=64, description="项目代码, printed in the review documents")] = "",
    ) -> JSONResponse:
        if previous:  # the check it answers must be one this user may see
            authorised_for(previous, request, request.headers.get("authorization"), None,
                           request.headers.get("x-csrf-token"))
        name = UNSAFE.sub("", file.filename or "upload")[-200:] or "upload"
        suffix = Path(name).suffix.lower()
        if suffix in UNREAD_FORMATS:
            raise HTTPException(415, f"{name}: {UNREAD_FORMATS[suffix][0]} / {UNREAD_FORMATS[suffix][1]}")
        if suffix not in READABLE_SUFFIXES or suffix == ".shp":
            hint = "; zip the .shp with its .shx, .dbf and .prj" if suffix in (".shp", ".shx", ".dbf", ".prj") else ""
            raise HTTPException(415, f"{name}: 不支持的格式 / unknown format {suffix or '(no suffix)'}; send one of "
                                     f"{', '.join(s for s in READABLE_SUFFIXES if s != '.shp')}{hint}")
        data = await file.read(limits.max_bytes + 1)
        if len(data) > limits.max_bytes:
            raise HTTPException(413, f"{name}: 超过上传大小限制 / over the {limits.max_bytes:,}-byte limit for one project")
        folder = Path(scratch_folder("upload"))
        try:
            path = folder / f"upload{suffix}"
            path.write_bytes(data)
            upload = Upload(path, name, Options(national_major=national_major, activity=activity), crs or None,
                            layer or None, lang, limits, encoding or None, repair, degrees or None,
                            owner=user.name if user else None, previous=previous or None,
                            particulars={key: UNSAFE.sub("", value) for key, value in (
                                ("applicant", applicant), ("reference", reference), ("project_code", project_code))
                                if value})
            body = await _checked(upload)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        check_id = json.loads(body)["id"]
        record(request, "submit", user, check_id, file=name)
        if guarded():  # the planner page's links to this check carry its key instead of the token
            body = body[:-1] + "," + compact_json({"key": link_key(check_id)})[1:]
        return Response(body, status_code=201, media_type="application/json")

    waiting = {"count": 0}

    async def in_pool(function, *args):
        """``function(*args, layers=…, store=…)`` in a check process: answered 503 with Retry-After at once when
        ``QUEUE_PER_PROCESS`` jobs per process are already waiting; timed from when it starts, never while it waits."""
        if waiting["count"] >= QUEUE_PER_PROCESS * max(1, check_processes):
            raise HTTPException(503, "服务繁忙，请稍后重试 / the service is busy; try again in a few seconds",
                                headers={"Retry-After": "5"})
        waiting["count"] += 1
        try:
            job = pool["executor"].submit(_in_check_process, function, *args)
            while not (job.running() or job.done()):
                await asyncio.sleep(0.02)
        finally:
            waiting["count"] -= 1
        return await asyncio.wait_for(asyncio.wrap_future(job), timeout=limits.seconds + 10)

    async def _checked(upload: Upload) -> str:
        try:
            return await in_pool(check_upload, upload)
        except asyncio.TimeoutError:
            raise TimeLimitError(f"{upload.filename}: 检查超时 / the check took over {limits.seconds:g} s") from None
        except BrokenProcessPool:  # a check process died: replace them all, so the next upload is checked
            pool["healthy"] = False
            stop_pool()
            start_pool()
            raise HTTPException(503, "检查进程已重启，请重新提交 / a check process died and was replaced; "
                                     "send the file again") from None
        except RedlineError as error:  # the server's temporary names never reach the client
            raise type(error)(for_the_web(str(error), upload)) from None

    @app.get("/v1/checks")
    def list_checks(user: users.User | None = Depends(authorised),
                    verdict: Literal["pass", "review", "violation"] | None = None,
                    since: Annotated[str | None, Query(pattern=ISO_DATE, max_length=40,
                                                       description="only checks made at or after (ISO 8601)")] = None,
                    q: Annotated[str | None, Query(max_length=200, description="text in the project's name or file")] = None,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> JSONResponse:
        """Past checks, newest first, each with the links to its map and review report (carrying its link key when
        the service has a token) and the check it re-ran, if any."""
        try:
            moment = None if since is None else datetime.fromisoformat(since.replace("Z", "+00:00"))
            if moment is not None and moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            moment = moment.astimezone(timezone.utc) if moment else None  # year 1 at +01:00 is before year 1 UTC
        except (ValueError, OverflowError):
            raise HTTPException(422, f"since={since!r}: 不是可用的 ISO 8601 时间 / not a usable ISO 8601 date or time") from None
        found = store.find(verdict=verdict, since=moment.isoformat() if moment else None,
                           q=q, limit=limit, owner=user.name if user is not None and not user.sees_all else None)
        for row in found:
            row["state"] = row["state"] or "pending"
            row["outdated"] = row["manifest"] != layers.manifest.sha256  # checked against other layers
            key = f"?key={link_key(row['id'])}" if guarded() else ""
            base = f"v1/checks/{row['id']}"
            row["links"] = {"report": base + key, "map": f"{base}/map{key}", "pdf": f"{base}/report.pdf{key}",
                            "docx": f"{base}/report.docx{key}"}
        return JSONResponse(found)

    @app.options("/v1/checks", include_in_schema=False)
    def checks_methods() -> Response:
        """Two routes share /v1/checks; Starlette's own 405 would name only the first one's method."""
        return Response(status_code=405, headers={"Allow": "GET, POST"})

    @app.post("/v1/checks/{check_id}/rerun", status_code=201)
    async def rerun_check(check_id: str, request: Request,
                          user: users.User | None = Depends(authorised_for)) -> Response:
        """Check a stored check's boundary again against the layers the service has now, with its declarations;
        the new result is stored beside the earlier one (``previous`` names it), which stays as it was."""
        _row(store, check_id)
        try:
            body = await in_pool(rerun_stored, check_id)
        except asyncio.TimeoutError:
            raise TimeLimitError(f"重新检查超时 / the re-check took over {limits.seconds:g} s") from None
        record(request, "rerun", user, check_id, new=json.loads(body)["id"])
        if guarded():
            body = body[:-1] + "," + compact_json({"key": link_key(json.loads(body)["id"])})[1:]
        return Response(body, status_code=201, media_type="application/json")

    @app.get("/v1/checks/{check_id}/avoided.geojson",
             responses={200: {"content": {"application/geo+json": {}}, "description": "the compliant footprint"},
                        422: {"description": "nothing of the project is left once avoided"}})
    async def get_avoided(check_id: str, request: Request, review: bool = False,
                          user: users.User | None = Depends(authorised_for)) -> Response:
        """The compliant footprint of a stored check (``redline avoid`` on its CGCS2000 footprint, with the layers
        the service has now; with ``review`` the review areas are left out too): a GeoJSON Feature whose properties
        give the area kept and lost per constraint and the verdict of the footprint checked again."""
        _row(store, check_id)
        try:
            body = await in_pool(avoided_stored, check_id, review)
        except asyncio.TimeoutError:
            raise TimeLimitError(f"避让计算超时 / avoiding took over {limits.seconds:g} s") from None
        record(request, "download", user, check_id, document="avoided.geojson", review=review)
        return Response(body, media_type="application/geo+json",
                        headers={"Content-Disposition": f'attachment; filename="redline-{check_id[:8]}-avoided.geojson"'})

    @app.get("/v1/checks/{check_id}")
    def get_check(check_id: str, request: Request,
                  user: users.User | None = Depends(authorised_for)) -> JSONResponse:
        row = _row(store, check_id)
        record(request, "view", user, check_id)
        review = json.loads(row["review"]) if row["review"] else {"state": "pending", "state_zh": "待审"}
        report = json.loads(row["report"])
        earlier = store.get(row["previous"]) if row["previous"] else None
        return JSONResponse({"id": check_id, "owner": row["owner"], "previous": row["previous"],
                             "particulars": _particulars(row), **report,
                             "review": review, **({"changes": changes(json.loads(earlier["report"]), report)}
                                                  if earlier is not None else {})})

    @app.get("/v1/checks/{check_id}/intrusions.geojson")
    def get_intrusions(check_id: str, request: Request, user: users.User | None = Depends(authorised_for)) -> Response:
        record(request, "download", user, check_id, document="intrusions.geojson")
        return Response(_row(store, check_id)["intrusions"], media_type="application/geo+json")

    @app.get("/v1/checks/{check_id}/map", response_class=HTMLResponse)
    def get_map(check_id: str, request: Request, user: users.User | None = Depends(authorised_for)) -> HTMLResponse:
        record(request, "view", user, check_id, part="map")
        row = _row(store, check_id)
        page = row["map"]
        if page is None:
            page = _map_from_stored(row, layers, cdn=cdn)
            store.set_map(check_id, page)
        return html_response(page)

    @app.get("/v1/checks/{check_id}/report.{kind}",
             responses={200: {"content": {media: {} for media in DOCUMENT_TYPES.values()},
                              "description": "the review report (审查报告) as PDF or Word"}})
    async def get_report_document(check_id: str, kind: Literal["pdf", "docx"], request: Request,
                                  lang: Literal["zh", "en"] = "zh",
                                  user: users.User | None = Depends(authorised_for)) -> Response:
        """The review report of a stored check: its documents of record once decided; else made now, in a limited
        child, from its stored figures (without the map sheet when the layers changed since)."""
        _row(store, check_id)
        kept = store.document(check_id, kind, lang)
        name = f"redline-{check_id[:8]}.{kind}"
        if kept is not None:  # the document of record issued at the decision, byte for byte
            record(request, "download", user, check_id, document=kind, of_record=kept[1])
            return Response(kept[0], media_type=DOCUMENT_TYPES[kind],
                            headers={"Content-Disposition": f'attachment; filename="{name}"',
                                     "X-Redline-Document": f"of-record; sha256={kept[1]}"})
        try:
            document, changed = await in_pool(document_of, check_id, kind, lang)
        except asyncio.TimeoutError:
            raise TimeLimitError(f"报告生成超时 / making the document took over {limits.seconds:g} s") from None
        record(request, "download", user, check_id, document=kind)
        if changed:  # its figures as stored; no map sheet drawn from layers other than those it was checked against
            return Response(document, media_type=DOCUMENT_TYPES[kind],
                            headers={"Content-Disposition": f'attachment; filename="{name}"',
                                     "X-Redline-Layers": f"outdated: {', '.join(changed)}"})
        return Response(document, media_type=DOCUMENT_TYPES[kind],
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def planner_page() -> HTMLResponse:
        return html_response((Path(__file__).parent / "report" / "planner.html").read_text(encoding="utf-8"))

    @app.get("/planner.js", include_in_schema=False)
    def planner_script() -> Response:
        return Response((Path(__file__).parent / "report" / "planner.js").read_bytes(), media_type="text/javascript")

    @app.get("/checks", response_class=HTMLResponse, include_in_schema=False)
    def checks_page() -> HTMLResponse:
        """The reviewer's page: past checks, filtered and sorted, each linking to its map and report."""
        return html_response((Path(__file__).parent / "report" / "checks.html").read_text(encoding="utf-8"))

    @app.get("/login.js", include_in_schema=False)
    def login_script() -> Response:
        return Response((Path(__file__).parent / "report" / "login.js").read_bytes(), media_type="text/javascript")

    @app.get("/checks.js", include_in_schema=False)
    def checks_script() -> Response:
        return Response((Path(__file__).parent / "report" / "checks.js").read_bytes(), media_type="text/javascript")

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs() -> HTMLResponse:
        """Swagger UI from the service's own copy (npm swagger-ui-dist): /docs works with no network."""
        from fastapi.openapi.docs import get_swagger_ui_html

        page = get_swagger_ui_html(openapi_url="openapi.json", title="redline API", swagger_js_url="docs/swagger-ui-bundle.js",
                                   swagger_css_url="docs/swagger-ui.css", swagger_favicon_url="docs/favicon-32x32.png")
        return html_response(page.body.decode())

    @app.get("/docs/{name}", include_in_schema=False)
    def docs_file(name: str) -> Response:
        if name not in DOCS_ASSETS:
            raise HTTPException(404, "no such file")
        return Response(docs_asset(name), media_type=DOCS_ASSETS[name], headers={"Cache-Control": "max-age=86400"})

    return app


def install_error_statuses(app: FastAPI) -> None:
    """Answer every ``RedlineError`` with the status ``ERROR_STATUS`` gives its class, and its one-line message."""

    async def handler(_request: Request, error: RedlineError) -> JSONResponse:
        status = next(ERROR_STATUS[cls] for cls in type(error).__mro__ if cls in ERROR_STATUS)
        return JSONResponse({"detail": str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__},
                            status_code=status)

    app.add_exception_handler(RedlineError, handler)


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)
_EXTERNAL = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)=[\"'](https://[^/\"']+)", re.IGNORECASE)


def html_response(page: str) -> HTMLResponse:
    """``page`` with a Content-Security-Policy that runs its own inline scripts (by hash) and nothing else inline."""
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
                      for body in _INLINE_SCRIPT.findall(page))
    origins = " ".join(sorted(set(_EXTERNAL.findall(page))))
    policy = (f"default-src 'none'; script-src 'self' {hashes} {origins}; style-src 'self' 'unsafe-inline' {origins}; "
              f"img-src 'self' data: https:; font-src 'self' data: {origins}; connect-src 'self'; frame-src 'self'; "
              "frame-ancestors 'self'; base-uri 'none'; form-action 'self'")
    return HTMLResponse(page, headers={"Content-Security-Policy": re.sub(r" +", " ", policy)})


class Guard:
    """ASGI middleware in front of every request: size and time limits while receiving, same-origin uploads, nosniff.

    The body is counted as it arrives (``Content-Length`` first): past ``max_bytes`` (plus room for the form's
    other fields) the request is answered 413 and nothing more is read, so nothing past the limit reaches disk;
    a body whose next part takes over ``body_seconds`` is answered 408. Without a token, a POST from another
    site (``Origin`` or ``Sec-Fetch-Site``) is refused: a browser page elsewhere cannot submit in a user's name.
    """

    FORM_ROOM = 64 * 1024

    def __init__(self, app, *, limits: Limits, token_required: bool, allowed_hosts: frozenset[str] = frozenset()):
        self.app, self.limits, self.token_required = app, limits, token_required
        self.allowed_hosts = allowed_hosts or frozenset(LOOPBACK_HOSTS)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        limit = self.limits.max_bytes + self.FORM_ROOM
        refusal = None
        length = headers.get("content-length", "0")
        if _host_name(headers.get("host", "")) not in self.allowed_hosts:
            refusal = (421, "未服务的主机名 / this service does not answer for that host name (Host header); "
                            "the operator lists the names it serves with --allowed-host")
        elif not length.isdigit():
            refusal = (400, "Content-Length 无效 / Content-Length is not a number")
        elif int(length) > limit:
            refusal = (413, f"超过上传大小限制 / the request is over the {self.limits.max_bytes:,}-byte limit "
                            "for one project")
        elif scope["method"] not in ("GET", "HEAD", "OPTIONS") and not self.token_required and _cross_site(headers):
            refusal = (403, "拒绝跨站提交 / cross-site request refused; submit from this service's own page")
        if refusal:
            return await _answer(send, *refusal)
        received = 0

        async def limited_receive():
            nonlocal received
            try:
                message = await asyncio.wait_for(receive(), self.limits.body_seconds)
            except asyncio.TimeoutError:
                raise HTTPException(408, "请求体传输超时 / the request body arrived too slowly") from None
            received += len(message.get("body", b""))
            if received > limit:
                raise HTTPException(413, f"超过上传大小限制 / the request is over the {self.limits.max_bytes:,}-byte "
                                         "limit for one project")
            return message

        async def nosniff_send(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-content-type-options", b"nosniff"),
                                      (b"referrer-policy", b"no-referrer")]
            await send(message)

        await self.app(scope, limited_receive, nosniff_send)


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
"""Host names always served: the machine itself. Any other must be listed (a DNS-rebinding page names its own)."""


def _host_name(host: str) -> str:
    """The name of a Host header without its port ('[::1]:8000' → '::1')."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _cross_site(headers: dict[str, str]) -> bool:
    if headers.get("sec-fetch-site") == "cross-site":
        return True
    origin = headers.get("origin")
    if origin is None:
        return False
    return origin == "null" or urlsplit(origin).netloc.lower() != headers.get("host", "").lower()


async def _answer(send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"), (b"x-content-type-options", b"nosniff")]})
    await send({"type": "http.response.body", "body": body})


class TimedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for each request's headers (slow-loris connections are closed)."""

    header_seconds = Limits.header_seconds

    def connection_made(self, transport):
        super().connection_made(transport)
        self._header_deadline = self.loop.call_later(self.header_seconds, self._headers_too_slow)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(self.header_seconds, self._headers_too_slow)

    def on_headers_complete(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None
        super().on_headers_complete()

    def connection_lost(self, exc) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None
        super().connection_lost(exc)

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()


SETTINGS = {"manifest": "REDLINE_MANIFEST", "db": "REDLINE_DB", "max_bytes": "REDLINE_MAX_BYTES", "cdn": "REDLINE_CDN",
            "token": "REDLINE_TOKEN", "check_processes": "REDLINE_CHECK_PROCESSES", "hosts": "REDLINE_ALLOWED_HOSTS"}
"""Environment variables that configure ``app_from_environment``."""


def app_from_environment() -> FastAPI:
    """The app configured from ``SETTINGS`` environment variables, e.g. for ``uvicorn --factory``."""
    environment = {key: os.environ.get(name) for key, name in SETTINGS.items()}
    limits = Limits(max_bytes=int(environment["max_bytes"] or Limits.max_bytes))
    return create_app(load_layers(environment["manifest"] or DEFAULT_MANIFEST),
                      db_path=Path(environment["db"] or "redline.sqlite"), token=environment["token"] or None,
                      limits=limits, cdn=bool(environment["cdn"]), check_processes=int(environment["check_processes"] or 1),
                      allowed_hosts=tuple(name for name in (environment["hosts"] or "").split(",") if name))


class Override(BaseModel):
    """A reviewer's override of one generated finding: the status it should have, and why (required)."""

    rule: str = PydanticField(max_length=64)
    status: Literal["violation", "review", "pass", "clear"]
    reason: str = PydanticField(min_length=1, max_length=2000)


class Decision(BaseModel):
    """A reviewer's decision on a check: approve (已通过), return for correction (退回补正) or reject (不予通过)."""

    decision: Literal["approve", "return", "reject"]
    opinion: str = PydanticField(default="", max_length=4000)
    overrides: list[Override] = PydanticField(default_factory=list, max_length=50)


QUEUE_PER_PROCESS = 128
"""Jobs that may wait per check process (200 uploads at once from one client are all taken on a 2-core machine)."""


class Credentials(BaseModel):
    name: str = PydanticField(min_length=1, max_length=64)
    password: str = PydanticField(min_length=1, max_length=1024)


SESSION_COOKIE = "redline_session"
LOGIN_ATTEMPTS, LOGIN_WINDOW_S = 5, 600
"""Failed log-ins allowed for one name from one address within the window; more are answered 429."""
STATES = {"approve": ("approved", "已通过"), "return": ("returned", "退回补正"), "reject": ("rejected", "不予通过")}
BEIJING = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Upload:
    """One upload to check: where it was saved, the name the client gave it, and the request's options."""

    path: Path
    filename: str
    options: Options
    crs: str | None
    layer: str | None
    lang: str
    limits: Limits
    encoding: str | None = None
    repair: bool = False
    degrees: str | None = None
    owner: str | None = None
    """The user who submitted it (None in single-person mode)."""
    previous: str | None = None
    """The check this upload answers (a resubmission)."""
    particulars: dict = dataclasses.field(default_factory=dict)
    """申请单位, 文号 and 项目代码 given with the upload, for the review documents."""


CHECK_NICENESS = 19
"""Check processes run this much nicer than the event loop (the most there is: they take the CPU the loop
leaves): under load the loop, which reads requests and writes answers for every connection, must not wait
for the CPU behind checks. Measured with benchmarks/bench_service.py: p95 ≈ 1 s in 6 runs of 6 at 0 and
at 2, 6 of 24 at 5, 1 of 14 at 10; at 19, p95 148–193 ms in 21 runs of 21. On a host shared with other
busy work, the checks get only what that work leaves."""

_CHECK_PROCESS: dict = {}
"""The layers and the database path the check processes inherit when forked; each opens its own store."""


def _start_check_process() -> None:
    """A check process: niced, and killed by the kernel if the server dies."""
    die_with_parent()
    os.nice(CHECK_NICENESS)






def _in_check_process(function, *args):
    """``function(*args, layers=…, store=…)`` in a check process, with the layers it inherited and its own store."""
    if "store" not in _CHECK_PROCESS:
        _CHECK_PROCESS["store"] = Store(_CHECK_PROCESS["db_path"])
    return function(*args, layers=_CHECK_PROCESS["layers"], store=_CHECK_PROCESS["store"])


def outdated_layers(manifest: dict, layers: LayerSet) -> list[str]:
    """The layers a stored check was made against that the service now holds in another vintage."""
    return [layer["id"] for layer in manifest["layers"] if layer["id"] in layers.manifest.layers
            and layers.data_sha256(layers.manifest.layers[layer["id"]]) != layer["sha256"]]


DOCUMENT_LIMITS = IsolationLimits(seconds=60.0, memory_bytes=1024 ** 3)
"""What making one review document may take, in a child of a check process."""




def document_of(check_id: str, kind: str, lang: str, *, layers: LayerSet, store: Store) -> tuple[bytes, list[str]]:
    """A stored check's review document made now, in a child held to ``DOCUMENT_LIMITS`` (a hostile name never keeps
    a worker), from its stored figures; without the map sheet when the layers changed since. The layers changed."""
    from redline.avoid import removed_m2
    from redline.report.basis import read_templates
    from redline.report.filing import review_files

    row = store.get(check_id)
    result = _stored_report(row)
    changed = outdated_layers(result.manifest, layers)
    files = isolated(review_files, result, layers.rules, layers.nearby, (kind,), lang=lang, overview=layers.outline,
                     templates=read_templates(layers.manifest.review),
                     removed_m2=removed_m2(result, layers) if result.intrusions and not changed else None,
                     decision=json.loads(row["review"]) if row["review"] else None, with_sheet=not changed,
                     limits=DOCUMENT_LIMITS, label=f"check {check_id[:8]}", **_particulars(row))
    return files[kind], changed




def documents_of_record(check_id: str, *, layers: LayerSet, store: Store) -> dict:
    """Issue and keep a decided check's PDF and Word (Chinese) as they are at the decision: served from then on byte
    for byte, whatever changes later (layers, templates, code). Their SHA-256 by kind."""
    from redline.avoid import removed_m2
    from redline.report.basis import read_templates
    from redline.report.filing import review_files

    row = store.get(check_id)
    result = _stored_report(row)
    files = isolated(review_files, result, layers.rules, layers.nearby, ("pdf", "docx"), lang="zh", overview=layers.outline,
                     templates=read_templates(layers.manifest.review),
                     removed_m2=removed_m2(result, layers) if result.intrusions else None,
                     decision=json.loads(row["review"]), limits=DOCUMENT_LIMITS, label=f"check {check_id[:8]}",
                     **_particulars(row))
    return {kind: store.keep_document(check_id, kind, "zh", content) for kind, content in files.items()}




def avoided_stored(check_id: str, review: bool, *, layers: LayerSet, store: Store) -> str:
    """The compliant footprint of a stored check as a GeoJSON Feature (lon/lat) with its figures."""
    from redline.avoid import avoid

    row = store.get(check_id)
    earlier = json.loads(row["report"])
    project = as_project(shapely.from_wkb(row["footprint"]), crs="EPSG:4490", name=earlier["project"].get("name"))
    result = avoid(project, layers, options=Options(**earlier["options"]), avoid_review=review)
    properties = {"check": check_id, "name": earlier["project"].get("name"), "area_m2": result.before.project["area_m2"],
                  "kept_m2": result.after.project["area_m2"], "lost_m2": result.lost_m2,
                  "small_parts_m2": result.small_parts_m2, "verdict": result.after.verdict.value,
                  "avoid_review": review}
    return compact_json({"type": "Feature", "properties": properties,
                         "geometry": orjson.Fragment(shapely.to_geojson(result.project.geometry))})


def rerun_stored(check_id: str, *, layers: LayerSet, store: Store) -> str:
    """Check a stored boundary (its CGCS2000 footprint) again with ``layers`` and its declarations; store the result
    with ``previous`` = ``check_id``; the response body: the new report with its id and ``previous``."""
    row = store.get(check_id)
    earlier = json.loads(row["report"])
    result = check(shapely.from_wkb(row["footprint"]), layers, crs="EPSG:4490", options=Options(**earlier["options"]),
                   name=earlier["project"].get("name"))
    report = result.to_dict()
    report["project"]["file"] = earlier["project"]["file"]
    text = compact_json(report)
    new_id = store.add(text, intrusions_geojson(result), shapely.to_wkb(result.footprint), row["lang"], previous=check_id,
                       owner=row["owner"], particulars=_particulars(row))
    return compact_json({"id": new_id, "previous": check_id})[:-1] + "," + text[1:]


def check_upload(upload: Upload, *, layers: LayerSet, store: Store) -> str:
    """Read and check one upload in an isolated child, store the result; the response body: the report with its id."""
    result = check_isolated(upload.path, layers, options=upload.options, limits=upload.limits.isolation,
                            crs=upload.crs, layer=upload.layer, encoding=upload.encoding, repair=upload.repair,
                            degrees=upload.degrees,
                            max_bytes=upload.limits.max_bytes, max_vertices=upload.limits.max_vertices)
    report = result.to_dict()
    report["project"]["file"] = upload.filename
    for note in report["project"]["warnings"]:
        note["where"] = for_the_web(note["where"], upload)
    report["project"]["repairs"] = [for_the_web(text, upload) for text in report["project"]["repairs"]]
    text = compact_json(report)
    check_id = store.add(text, intrusions_geojson(result), shapely.to_wkb(result.footprint), upload.lang,
                         owner=upload.owner, previous=upload.previous, particulars=upload.particulars)
    return compact_json({"id": check_id})[:-1] + "," + text[1:]


ISO_DATE = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"
"""An ISO 8601 date, or date and time (the ``since`` of the checks listing)."""

DOCUMENT_TYPES = {"pdf": "application/pdf",
                  "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}

FORM_FIELDS = {"--crs": "crs", "--layer": "layer", "--encoding": "encoding", "--repair": "repair", "--degrees": "degrees"}
"""CLI options named in messages → the upload form's fields that do the same."""


def for_the_web(message: str, upload: Upload) -> str:
    """``message`` for a web user: the client's file name for the server's temporary one, form fields for CLI options."""
    message = message.replace(str(upload.path), upload.filename)
    message = message.replace(str(upload.path.with_suffix("")), Path(upload.filename).stem)
    return re.sub(r"--(crs|layer|encoding|repair|degrees)\b(?!-)", lambda m: f"the form field '{FORM_FIELDS[m.group(0)]}'",
                  message)


def _row(store: Store, check_id: str) -> sqlite3.Row:
    row = store.get(check_id) if len(check_id) < 64 else None
    if row is None:
        raise HTTPException(404, "no check with that id")
    return row


def _particulars(row: sqlite3.Row) -> dict:
    """The 申请单位, 文号 and 项目代码 stored with a check ({} for a check stored before they were)."""
    return json.loads(row["particulars"]) if row["particulars"] else {}


def _stored_report(row: sqlite3.Row) -> Report:
    """The stored report with its footprint and intrusion pieces (the upload itself is never kept)."""
    return dataclasses.replace(Report.from_dict(json.loads(row["report"])), footprint=shapely.from_wkb(row["footprint"]),
                               intrusions=read_intrusions_geojson(row["intrusions"]))


def _map_from_stored(row: sqlite3.Row, layers: LayerSet, *, cdn: bool) -> str:
    """Rebuild the map from the stored report, intrusions and footprint."""
    result = _stored_report(row)
    return map_html(result, layers.nearby(result.footprint), overview=layers.outline, lang=row["lang"], cdn=cdn)


