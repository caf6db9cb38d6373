"""How the service answers: each redline error's HTTP status, the OpenAPI error responses, and HTML pages with
their Content-Security-Policy."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from redline.errors import CRSError, FormatError, GeometryError, InputError, LimitError, ManifestError, RedlineError
from redline.isolation import CrashError, TimeLimitError

ERROR_STATUS = {TimeLimitError: 504, LimitError: 413, CrashError: 422, GeometryError: 422, CRSError: 422,
                FormatError: 400, InputError: 400, ManifestError: 500, RedlineError: 400}
"""HTTP status of each error redline raises (the most specific class in an error's MRO wins), installed once."""
ERROR_RESPONSES = {status: {"description": description, "content": {"application/json": {"example": {"detail": "…"}}}}
                   for status, description in ((400, "unreadable upload or bad request"), (401, "missing or wrong bearer token"),
                                               (403, "cross-site request refused"), (404, "no check with that id"),
                                               (408, "the request body arrived too slowly"),
                                               (413, "over the size, feature or vertex limit"), (415, "unknown format"),
                                               (429, "too many slow uploads from one address, or failed log-ins"),
                                               (422, "invalid geometry, CRS or form field, or a file that crashed the reader"),
                                               (503, "check process restarted or server busy"),
                                               (504, "the check took over the time limit"))}
"""Every error status the API answers, for the OpenAPI document."""

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


