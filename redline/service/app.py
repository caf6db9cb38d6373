"""The service's routes: uploads and checks, their documents and maps, decisions, log-in, the audit log and the pages."""

from __future__ import annotations

import asyncio
import io
import json
import multiprocessing
import os
import shutil
import zipfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response

from redline import __version__
from redline.compare import changes
from redline.errors import RedlineError
from redline.io.cleaning import UNSAFE
from redline.io.files import UNSAFE_IN_NAMES
from redline.io.formats import MULTIPART_FORMATS
from redline.isolation import TimeLimitError, scratch_folder, sweep_scratch
from redline.layers import DEFAULT_MANIFEST, LayerSet, load_layers
from redline.model import Options
from redline.office import audit, users
from redline.parameters import DECLARATIONS, PARTICULARS, READING
from redline.report.assets import DOCS_ASSETS, docs_asset
from redline.report.basis import read_templates
from redline.report.documents import DOCUMENTS, OF_RECORD
from redline.report.json import compact_json
from redline.service.access import SESSION_COOKIE, Access
from redline.service.answers import ERROR_RESPONSES, html_response, install_error_statuses
from redline.service.config import Config, config_from_environment
from redline.service.forms import (
    ISO_DATE,
    LEDGER_ROWS,
    STATES,
    Credentials,
    Decision,
    client_of,
    form_fields,
    form_html,
    listing_filters,
    uploaded_parts,
)
from redline.service.guard import LOOPBACK_HOSTS, Guard
from redline.service.jobs import (
    CHECK_PROCESS,
    Upload,
    avoided_stored,
    check_upload,
    document_of,
    documents_of_record,
    for_the_web,
    in_check_process,
    ledger_of,
    map_from_stored,
    particulars_of,
    rerun_stored,
    start_check_process,
)
from redline.service.queue import FairQueue
from redline.service.store import Store

PAGES = Path(__file__).parent.parent / "report"
"""The planner's and the reviewer's pages and their scripts."""
PAGE_SCRIPTS = ("planner", "checks", "login", "lang")
"""The scripts of the pages: the planner's, the reviewer's, the log-in box and the language switch."""
UPLOAD_CHUNK = 1024 * 1024
"""Bytes of an upload copied at a time to its scratch folder."""


def create_app(layers: LayerSet, config: Config) -> FastAPI:
    """The FastAPI app over ``layers`` (loaded once), storing results in ``config.db``.

    Checks run in ``config.check_processes`` processes forked at start-up (they share the loaded layers); each
    upload is read and checked in a child of one of them, held to ``config.limits``
    (``redline.pipeline.check`` with limits), so a hostile upload costs that upload only.
    """
    db, token, limits, cdn, check_processes = (config.db, config.token, config.limits, config.cdn,
                                                    config.check_processes)
    store = Store(db)
    sweep_scratch()  # what killed readers of an earlier run left behind
    pool: dict = {}
    read_templates(layers.manifest.review)  # read at start: a mistyped template stops the start, not a download
    planner = (PAGES / "planner.html").read_text(encoding="utf-8")  # its fields: the declared parameters, made once
    for group, parameters in (("declarations", DECLARATIONS), ("reading", READING), ("particulars", PARTICULARS)):
        planner = planner.replace(f"<!-- {group} -->", form_html(parameters))
    planner = planner.replace("<!-- parts -->", " ".join(suffix for found in MULTIPART_FORMATS.values()  # sent together
                                                         for suffix in (*found.suffixes, *found.parts)))

    def start_pool():
        CHECK_PROCESS.update(layers=layers, db=db)
        pool["executor"] = ProcessPoolExecutor(max(1, check_processes), mp_context=multiprocessing.get_context("fork"),
                                               initializer=start_check_process, initargs=(os.getpid(),))
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
                       allowed_hosts=frozenset(name.lower() for name in (*LOOPBACK_HOSTS, *config.allowed_hosts)))
    install_error_statuses(app)

    access = Access(store, db, token)

    @app.post("/login", responses={401: {"description": "wrong name or password"},
                                   429: {"description": "too many failed log-ins"}})
    def login(credentials: Credentials, request: Request) -> JSONResponse:
        """Log in to the pages with a name and password: an HttpOnly, SameSite=Strict session cookie (a new session at
        every log-in) and the session's CSRF token, which the pages send with every change."""
        user = access.log_in(request, credentials.name, credentials.password)
        session, csrf = users.start_session(access.office_db(), user)
        access.record(request, "login", user)
        answer = JSONResponse({"user": user.name, "display_name": user.display_name, "role": user.role, "csrf": csrf})
        answer.set_cookie(SESSION_COOKIE, session, max_age=users.SESSION_SECONDS, httponly=True, samesite="strict",
                          path="/", secure=request.url.scheme == "https")
        return answer

    @app.post("/logout", status_code=204)
    def logout(request: Request, user: users.User | None = Depends(access.authorised)) -> Response:
        session = request.cookies.get(SESSION_COOKIE)
        if session:
            users.end_session(access.office_db(), session)
        access.record(request, "logout", user)
        answer = Response(status_code=204)
        answer.delete_cookie(SESSION_COOKIE, path="/")
        return answer

    @app.get("/v1/session")
    def who_am_i(request: Request, user: users.User | None = Depends(access.authorised)) -> JSONResponse:
        """The page's user and its session's CSRF token (what a page reloaded needs), or the mode the service runs in."""
        found = users.by_session(access.office_db(), request.cookies.get(SESSION_COOKIE, "")) if user else None
        return JSONResponse({"user": user.name if user else None, "display_name": user.display_name if user else None,
                             "role": user.role if user else None, "csrf": found[1] if found else None,
                             "mode": "office" if users.has_users(access.office_db()) else "token" if token else "single"})

    @app.post("/v1/checks/{check_id}/decision", responses={403: {"description": "not a reviewer"}})
    async def decide(check_id: str, decision: Decision, request: Request,
                     user: users.User | None = Depends(access.reviewer)) -> JSONResponse:
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
        access.record(request, "decision", user, check_id, decision=decision.decision, opinion=decision.opinion[:500])
        for override in decision.overrides:
            access.record(request, "override", user, check_id, **override.model_dump())
        review["documents"] = await in_pool(documents_of_record, check_id, client=client_of(request),  # kept as issued
                                            doing=("存档文件生成", "issuing the documents of record"))
        store.set_review(check_id, review)
        return JSONResponse(review)

    @app.get("/v1/audit", responses={403: {"description": "not an admin"}})
    def read_audit(request: Request, user: users.User = Depends(access.admin),
                   who: Annotated[str | None, Query(max_length=64)] = None,
                   check: Annotated[str | None, Query(max_length=64)] = None,
                   since: Annotated[str | None, Query(pattern=ISO_DATE, max_length=40)] = None,
                   limit: Annotated[int, Query(ge=1, le=5000)] = 1000) -> JSONResponse:
        """The audit log (admin only), oldest first: who did what, when (Beijing time), from where, to which check."""
        access.record(request, "audit_read", user, who=who, check=check)
        return JSONResponse(audit.rows(access.office_db(), user=who, check_id=check, since=since, limit=limit))

    @app.delete("/v1/checks/{check_id}/key", status_code=204)
    def revoke_link_key(check_id: str, request: Request, user: users.User | None = Depends(access.authorised_for)) -> Response:
        """Void the check's shared links (its link key); the API token still opens it, and new links get a new key."""
        if not store.revoke_key(check_id):
            raise HTTPException(404, f"无此检查 / no check {check_id[:64]!r}")
        access.record(request, "link_key_revoked", user, check_id)
        return Response(status_code=204)

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        healthy = pool.get("healthy", False)
        body = {"status": "ok" if healthy else "degraded", "layers": len(layers.layers),
                "unavailable": sorted(layers.problems), "check_processes": max(1, check_processes)}
        return JSONResponse(body, status_code=200 if healthy else 503)

    @app.get("/v1/layers", dependencies=[Depends(access.authorised)])
    def list_layers() -> list[dict]:
        return [{"id": spec.id, "title_zh": spec.title_zh, "title_en": spec.title_en, "kind": spec.kind,
                 "rule": spec.rule, "vintage": spec.vintage, "sha256": layers.data_sha256(spec),
                 "loaded": spec.id in layers.layers, "totals": getattr(layers.layers.get(spec.id), "totals", None),
                 "provenance": spec.provenance} for spec in layers.manifest.layers.values()]

    @app.post("/v1/checks", status_code=201)
    @form_fields((*READING, *DECLARATIONS, *PARTICULARS))
    async def create_check(
        request: Request,
        file: Annotated[list[UploadFile], File(description="a boundary file in any format redline reads, or a shapefile's "
                                                "parts (.shp, .shx, .dbf, .prj, .cpg) as several files of one name")],
        user: users.User | None = Depends(access.authorised),
        lang: Annotated[str, Form(pattern="^(zh|en)$")] = "en",
        previous: Annotated[str, Form(max_length=64, description="the check this file answers (a resubmission after "
                                      "退回补正): linked, and what changed is shown")] = "",
        **fields,
    ) -> JSONResponse:
        if previous:  # the check it answers must be one this user may see
            access.authorised_for(previous, request, request.headers.get("authorization"), None,
                                  request.headers.get("x-csrf-token"))
        name, suffix, parts = uploaded_parts(file)
        folder = Path(scratch_folder("upload"))
        try:
            path = folder / f"upload{suffix}"
            budget = limits.max_bytes
            for part, part_suffix in parts:  # under server-chosen names: upload.shp, upload.shx, …
                budget -= await _saved(part, folder / f"upload{part_suffix}", name, budget)
            upload = Upload(path, name, Options(**{p.name: fields[p.name] for p in DECLARATIONS}),
                            {p.name: fields[p.name] for p in READING if fields[p.name]}, lang, limits,
                            owner=user.name if user else None, previous=previous or None,
                            particulars={p.name: UNSAFE.sub("", fields[p.name]) for p in PARTICULARS if fields[p.name]})
            body = await _checked(upload, client_of(request))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        access.record(request, "submit", user, json.loads(body)["id"], file=name)
        return created(body)

    def created(body: str) -> Response:
        """201 with a new check's report; its link key added when links need one (the planner page's links to it
        carry the key instead of the token)."""
        if access.guarded():
            body = body[:-1] + "," + compact_json({"key": access.link_key(json.loads(body)["id"])})[1:]
        return Response(body, status_code=201, media_type="application/json")

    async def _saved(file: UploadFile, path: Path, name: str, budget: int) -> int:
        """The upload copied to ``path`` a megabyte at a time (the form parser keeps it on disk past one megabyte):
        no body is ever held whole in the server, and past ``budget`` (what is left of ``max_bytes`` for the project's
        files) it is 413; the bytes written."""
        written = 0
        with open(path, "wb") as out:
            while chunk := await file.read(UPLOAD_CHUNK):
                written += len(chunk)
                if written > budget:
                    raise HTTPException(413, f"{name}: 超过上传大小限制 / over the {limits.max_bytes:,}-byte limit for "
                                             "one project")
                out.write(chunk)
        return written

    queue = FairQueue(SLOTS_PER_PROCESS * max(1, check_processes), QUEUE_PER_PROCESS * max(1, check_processes))

    async def in_pool(function, *args, client: str, doing: tuple[str, str] = ("检查", "the check")):
        """``function(*args, layers=…, store=…)`` in a check process, when ``client`` (an address) has its turn
        (``redline.service.queue.FairQueue``: 503 with Retry-After at once when ``QUEUE_PER_PROCESS`` jobs per process
        already wait); timed once it holds a slot, never while it waits for its turn (behind at most one job in its
        process: ``SLOTS_PER_PROCESS``), and a ``TimeLimitError`` naming what it was ``doing`` (zh, en) past that."""
        async with queue.turn(client):
            job = pool["executor"].submit(in_check_process, function, *args)
            try:
                return await asyncio.wait_for(asyncio.wrap_future(job), timeout=SLOTS_PER_PROCESS * limits.seconds + 10)
            except asyncio.TimeoutError:
                raise TimeLimitError(f"{doing[0]}超时 / {doing[1]} took over {limits.seconds:g} s") from None

    async def _checked(upload: Upload, client: str) -> str:
        try:
            return await in_pool(check_upload, upload, client=client, doing=(f"{upload.filename}: 检查", "the check"))
        except BrokenProcessPool:  # a check process died: replace them all, so the next upload is checked
            pool["healthy"] = False
            stop_pool()
            start_pool()
            raise HTTPException(503, "检查进程已重启，请重新提交 / a check process died and was replaced; "
                                     "send the file again") from None
        except RedlineError as error:  # the server's temporary names never reach the client
            raise type(error)(for_the_web(str(error), upload)) from None

    @app.get("/v1/checks")
    def list_checks(request: Request, user: users.User | None = Depends(access.authorised),
                    filters: dict = Depends(listing_filters),
                    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                    offset: Annotated[int, Query(ge=0, le=10_000_000, description="skip this many")] = 0) -> JSONResponse:
        """Past checks, newest first, a page at a time (``limit`` from ``offset``; ``X-Total-Count`` says how many
        match, ``Link`` names the next and previous pages), each with the links to its map and review report (carrying
        its link key when the service has a token) and the check it re-ran, if any."""
        filters = {**filters, "owner": user.name if user is not None and not user.sees_all else None}
        found = store.find(**filters, limit=limit, offset=offset)
        for row in found:
            row["state"] = row["state"] or "pending"
            row["outdated"] = row["manifest"] != layers.manifest.sha256  # checked against other layers
            key = f"?key={access.link_key(row['id'])}" if access.guarded() else ""
            base = f"v1/checks/{row['id']}"
            row["links"] = {"report": base + key, "map": f"{base}/map{key}",
                            **{kind: f"{base}/report.{kind}{key}" for kind in OF_RECORD}}
        total = store.count(**filters)
        pages = [(rel, start) for rel, start in (("next", offset + limit), ("prev", max(offset - limit, 0)))
                 if (rel == "next" and start < total) or (rel == "prev" and offset > 0)]
        links = ", ".join(f'<{request.url.include_query_params(offset=start, limit=limit)}>; rel="{rel}"' for rel, start in pages)
        return JSONResponse(found, headers={"X-Total-Count": str(total), **({"Link": links} if links else {})})

    @app.get("/v1/checks.xlsx", responses={200: {"content": {XLSX: {}}, "description": "the 台账 workbook"}})
    async def export_checks(request: Request, user: users.User | None = Depends(access.authorised),
                            filters: dict = Depends(listing_filters),
                            limit: Annotated[int, Query(ge=1, le=LEDGER_ROWS)] = LEDGER_ROWS) -> Response:
        """The past checks the listing shows with the same filters (newest first, at most ``limit``) as the 台账
        workbook a reviewer files: each check's project particulars, submission time (Beijing), review state, verdict
        and every constraint's status and figure, and a sheet of the features hit."""
        filters = {**filters, "owner": user.name if user is not None and not user.sees_all else None}
        book = await in_pool(ledger_of, {**filters, "limit": limit}, client=client_of(request), doing=("台账", "the ledger"))
        access.record(request, "download", user, part="ledger", count=min(store.count(**filters), limit))
        stamp = datetime.now(BEIJING).strftime("%Y%m%d-%H%M")
        return Response(book, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="redline-{stamp}.xlsx"'})

    @app.options("/v1/checks", include_in_schema=False)
    def checks_methods() -> Response:
        """Two routes share /v1/checks; Starlette's own 405 would name only the first one's method."""
        return Response(status_code=405, headers={"Allow": "GET, POST"})

    @app.post("/v1/checks/{check_id}/rerun", status_code=201)
    async def rerun_check(check_id: str, request: Request,
                          user: users.User | None = Depends(access.authorised_for)) -> Response:
        """Check a stored check's boundary again against the layers the service has now, with its declarations;
        the new result is stored beside the earlier one (``previous`` names it), which stays as it was."""
        _row(store, check_id)
        body = await in_pool(rerun_stored, check_id, client=client_of(request), doing=("重新检查", "the re-check"))
        access.record(request, "rerun", user, check_id, new=json.loads(body)["id"])
        return created(body)

    @app.get("/v1/checks/{check_id}/avoided.geojson",
             responses={200: {"content": {"application/geo+json": {}}, "description": "the compliant footprint"},
                        422: {"description": "nothing of the project is left once avoided"}})
    async def get_avoided(check_id: str, request: Request, review: bool = False,
                          user: users.User | None = Depends(access.authorised_for)) -> Response:
        """The compliant footprint of a stored check (``redline avoid`` on its CGCS2000 footprint, with the layers
        the service has now; with ``review`` the review areas are left out too): a GeoJSON Feature whose properties
        give the area kept and lost per constraint and the verdict of the footprint checked again."""
        _row(store, check_id)
        body = await in_pool(avoided_stored, check_id, review, client=client_of(request), doing=("避让计算", "avoiding"))
        access.record(request, "download", user, check_id, document="avoided.geojson", review=review)
        return Response(body, media_type="application/geo+json",
                        headers={"Content-Disposition": f'attachment; filename="redline-{check_id[:8]}-avoided.geojson"'})

    @app.get("/v1/checks/{check_id}")
    def get_check(check_id: str, request: Request,
                  user: users.User | None = Depends(access.authorised_for)) -> JSONResponse:
        row = _row(store, check_id)
        access.record(request, "view", user, check_id)
        review = json.loads(row["review"]) if row["review"] else {"state": "pending", "state_zh": "待审"}
        report = json.loads(row["report"])
        earlier = store.get(row["previous"]) if row["previous"] else None
        return JSONResponse({"id": check_id, "owner": row["owner"], "previous": row["previous"],
                             "particulars": particulars_of(row), **report,
                             "review": review, **({"changes": changes(json.loads(earlier["report"]), report)}
                                                  if earlier is not None else {})})

    @app.get("/v1/checks/{check_id}/intrusions.geojson")
    def get_intrusions(check_id: str, request: Request, user: users.User | None = Depends(access.authorised_for)) -> Response:
        access.record(request, "download", user, check_id, document="intrusions.geojson")
        return Response(_row(store, check_id)["intrusions"], media_type="application/geo+json")

    @app.get("/v1/checks/{check_id}/map", response_class=HTMLResponse)
    def get_map(check_id: str, request: Request, user: users.User | None = Depends(access.authorised_for)) -> HTMLResponse:
        access.record(request, "view", user, check_id, part="map")
        row = _row(store, check_id)
        page = row["map"]
        if page is None:
            page = map_from_stored(row, layers, cdn=cdn)
            store.set_map(check_id, page)
        return html_response(page)

    async def review_document(check_id: str, kind: str, lang: str, request: Request,
                              user: users.User | None) -> tuple[bytes, dict]:
        """A stored check's review file and the headers that say what it is: its document of record once decided (byte
        for byte), else made now in a limited child from its stored figures (without the map sheet when the layers
        changed since); the download recorded."""
        kept = store.document(check_id, kind, lang)
        if kept is not None:
            access.record(request, "download", user, check_id, document=kind, of_record=kept[1])
            return kept[0], {"X-Redline-Document": f"of-record; sha256={kept[1]}"}
        document, changed = await in_pool(document_of, check_id, kind, lang, client=client_of(request),
                                          doing=("报告生成", "making the document"))
        access.record(request, "download", user, check_id, document=kind)
        return document, ({"X-Redline-Layers": f"outdated: {', '.join(changed)}"} if changed else {})

    @app.get("/v1/checks/{check_id}/report.{kind}",
             responses={200: {"content": {media: {} for media in (DOCUMENTS[kind].media_type for kind in OF_RECORD)},
                              "description": "the review report (审查报告) as PDF or Word"}})
    async def get_report_document(check_id: str, kind: Literal[OF_RECORD], request: Request,
                                  lang: Literal["zh", "en"] = "zh",
                                  user: users.User | None = Depends(access.authorised_for)) -> Response:
        """The review report of a stored check: its documents of record once decided; else made now, in a limited
        child, from its stored figures (without the map sheet when the layers changed since)."""
        _row(store, check_id)
        document, headers = await review_document(check_id, kind, lang, request, user)
        return Response(document, media_type=DOCUMENTS[kind].media_type,
                        headers={"Content-Disposition": f'attachment; filename="redline-{check_id[:8]}.{kind}"', **headers})

    @app.get("/v1/checks.zip", responses={200: {"content": {"application/zip": {}},
                                                "description": "the review reports of several checks"}})
    async def export_documents(request: Request, id: Annotated[list[str], Query(description="the checks (at most 20)")],
                               kind: Literal[OF_RECORD] = "pdf", lang: Literal["zh", "en"] = "zh",
                               user: users.User | None = Depends(access.authorised)) -> Response:
        """The review reports of several checks one may see (``id`` repeated, at most 20) in one zip, each named by its
        project: the documents of record of decided ones, the others made now (a planner's several projects)."""
        if not 1 <= len(id) <= ZIP_CHECKS or any(len(one) > 64 for one in id):
            raise HTTPException(422, f"id: 1 至 {ZIP_CHECKS} 个检查编号 / 1 to {ZIP_CHECKS} check ids")
        buffer, names = io.BytesIO(), set()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for check_id in dict.fromkeys(id):
                access.authorised_for(check_id, request, request.headers.get("authorization"), None,
                                      request.headers.get("x-csrf-token"))  # another planner's: 404, as if absent
                row = _row(store, check_id)
                document, _ = await review_document(check_id, kind, lang, request, user)
                report = json.loads(row["report"])["project"]
                stem = UNSAFE_IN_NAMES.sub("_", str(report.get("name") or Path(report["file"]).stem))[:80] or check_id[:8]
                name = f"{stem}.{kind}" if f"{stem}.{kind}" not in names else f"{stem}-{check_id[:8]}.{kind}"
                names.add(name)
                archive.writestr(name, document)
        stamp = datetime.now(BEIJING).strftime("%Y%m%d-%H%M")
        return Response(buffer.getvalue(), media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="redline-{stamp}.zip"'})

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def planner_page() -> HTMLResponse:
        return html_response(planner)

    @app.get("/checks", response_class=HTMLResponse, include_in_schema=False)
    def checks_page() -> HTMLResponse:
        """The reviewer's page: past checks, filtered and sorted, each linking to its map and report."""
        return html_response((PAGES / "checks.html").read_text(encoding="utf-8"))

    @app.get("/{name}.js", include_in_schema=False)
    def page_script(name: Literal[PAGE_SCRIPTS]) -> Response:
        """The pages' own scripts (the pages run no inline script)."""
        return Response((PAGES / f"{name}.js").read_bytes(), media_type="text/javascript")

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
            raise HTTPException(404, "无此文件 / no such file")
        return Response(docs_asset(name), media_type=DOCS_ASSETS[name], headers={"Cache-Control": "max-age=86400"})

    return app



def app_from_environment() -> FastAPI:
    """The app configured from the ``SETTINGS`` environment variables, for ``uvicorn --factory``."""
    manifest, config = config_from_environment()
    return create_app(load_layers(manifest or DEFAULT_MANIFEST), config)


QUEUE_PER_PROCESS = 128
"""Jobs that may wait per check process (200 uploads at once from one client are all taken on a 2-core machine)."""
SLOTS_PER_PROCESS = 2
"""Jobs handed to each check process at once: one running and the next ready, so a process never idles between
jobs (one slot each cost 10 % of the throughput, ``benchmarks/bench_service.py``); the turns by client are taken
among the jobs waiting for a slot."""


BEIJING = ZoneInfo("Asia/Shanghai")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP_CHECKS = 20
"""At most this many checks' review files in one zip (each may have to be made, in turn)."""


def _row(store: Store, check_id: str) -> dict:
    row = store.get(check_id) if len(check_id) < 64 else None
    if row is None:
        raise HTTPException(404, "无此检查 / no check with that id")
    return row


