"""In front of every request: allowed host names, size and time limits while receiving, cross-site refusals, and
uvicorn's protocol with a deadline for the headers."""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlsplit

from fastapi import HTTPException
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from redline.service.config import Limits


class Guard:
    """ASGI middleware in front of every request: size and time limits while receiving, same-origin uploads, nosniff.

    The body is counted as it arrives (``Content-Length`` first): past ``max_bytes`` (plus room for the form's
    other fields) the request is answered 413 and nothing more is read, so nothing past the limit reaches disk;
    a body whose next part takes over ``body_seconds``, or that falls behind ``min_body_rate`` once
    ``body_grace_seconds`` have passed, is answered 408; a client address with ``bodies_per_client`` bodies still
    arriving after ``SLOW_BODY_S`` is answered 429 for another (many quick uploads at once are not limited).
    Without a token, a POST from another site (``Origin`` or ``Sec-Fetch-Site``) is refused: a browser page
    elsewhere cannot submit in a user's name.
    """

    FORM_ROOM = 64 * 1024

    def __init__(self, app, *, limits: Limits, token_required: bool, allowed_hosts: frozenset[str] = frozenset()):
        self.app, self.limits, self.token_required = app, limits, token_required
        self.allowed_hosts = allowed_hosts or frozenset(LOOPBACK_HOSTS)
        self.arriving: dict[str, dict[object, float]] = {}
        """Bodies being received, by client address: when each began."""

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
        client = (scope.get("client") or ("", 0))[0]
        has_body = (length.isdigit() and int(length) > 0) or "chunked" in headers.get("transfer-encoding", "").lower()
        here = self.arriving.get(client, {})
        now = time.monotonic()
        if not refusal and has_body and sum(now - since > SLOW_BODY_S for since in here.values()) >= \
                self.limits.bodies_per_client:
            refusal = (429, f"同一地址同时上传过多 / {self.limits.bodies_per_client} uploads from this address are "
                            "still arriving; wait for them and try again")
        if refusal:
            return await _answer(send, *refusal)
        received, started, body = 0, now, object()
        if has_body:
            here = self.arriving.setdefault(client, here)
            here[body] = started

        def arrived() -> None:
            if here.pop(body, None) is not None and not here:
                self.arriving.pop(client, None)

        async def limited_receive():
            nonlocal received
            wait = self.limits.body_seconds
            if body in here:  # the bytes so far buy time at the minimum rate, after the grace period
                due = started + self.limits.body_grace_seconds + received / self.limits.min_body_rate
                wait = min(wait, max(due - time.monotonic(), 0.05))
            try:
                message = await asyncio.wait_for(receive(), wait)
            except asyncio.TimeoutError:
                raise HTTPException(408, f"请求体传输过慢 / the request body arrived too slowly (under "
                                         f"{self.limits.min_body_rate / 1024:g} KiB/s, or nothing for "
                                         f"{self.limits.body_seconds:g} s)") from None
            received += len(message.get("body", b""))
            if received > limit:
                raise HTTPException(413, f"超过上传大小限制 / the request is over the {self.limits.max_bytes:,}-byte "
                                         "limit for one project")
            if not message.get("more_body", False):
                arrived()
            return message

        async def nosniff_send(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-content-type-options", b"nosniff"),
                                      (b"referrer-policy", b"no-referrer")]
            await send(message)

        try:
            await self.app(scope, limited_receive, nosniff_send)
        finally:
            arrived()


SLOW_BODY_S = 1.0
"""A body still arriving after this long counts against its client's ``bodies_per_client``."""
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


