"""Who may do what: the user of a request (bearer token, or page session with its CSRF token), the shared token of
shared-token mode, link keys, the checks a planner may see, reviewers and admins, the audit record of each action,
and the throttle on failed log-ins."""

from __future__ import annotations

import hmac
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

from fastapi import Header, HTTPException, Query, Request

from redline.office import audit, users
from redline.office.database import Connection
from redline.service.store import Store

SESSION_COOKIE = "redline_session"
LOGIN_ATTEMPTS, LOGIN_WINDOW_S = 5, 600
"""Failed log-ins allowed for one name from one address within the window; more are answered 429."""


class Access:
    """The access rules of one app over ``store``: its methods are the routes' FastAPI dependencies."""

    def __init__(self, store: Store, db: str | Path, token: str | None):
        self.store, self.db, self.token = store, db, token
        self._office = threading.local()
        self._failures: dict[tuple[str, str], list[float]] = {}

    def office_db(self) -> Connection:
        if getattr(self._office, "db", None) is None:
            self._office.db = users.connect(self.db)
            audit.ensure(self._office.db)
        return self._office.db

    def guarded(self) -> bool:
        """Whether links need keys: a token is set or the office has users."""
        return bool(self.token) or users.has_users(self.office_db())

    def link_key(self, check_id: str) -> str:
        return (self.store.link_key(check_id) or "") if self.guarded() else ""

    def record(self, request: Request, action: str, user: users.User | None, check_id: str | None = None, **detail) -> None:
        if users.has_users(self.office_db()):
            audit.append(self.office_db(), action, user=user.name if user else None, check_id=check_id,
                         client=request.client.host if request.client else None, detail=detail or None)

    def authorised(self, request: Request, authorization: Annotated[str | None, Header()] = None,
                   x_csrf_token: Annotated[str | None, Header()] = None) -> users.User | None:
        """The user of the request's bearer token, or of its page session (a state-changing request from a page also
        carries the session's CSRF token), when the office has users (401 otherwise); with no users, the single
        shared token when one is set (None: single-person mode)."""
        db = self.office_db()
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
                self.record(request, "auth_failed", None, path=request.url.path[:200])
                raise HTTPException(401, "需要登录 / a user's bearer token is needed", headers={"WWW-Authenticate": "Bearer"})
            return user
        if self.token and not hmac.compare_digest((authorization or "").encode(), f"Bearer {self.token}".encode()):
            raise HTTPException(401, "缺少或错误的令牌 / missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})
        return None

    def authorised_for(self, check_id: str, request: Request, authorization: Annotated[str | None, Header()] = None,
                       key: Annotated[str | None, Query(max_length=64)] = None,
                       x_csrf_token: Annotated[str | None, Header()] = None) -> users.User | None:
        """The user (or the check's own link key, what shared links carry) allowed to see the check; a planner's
        request for another planner's check is answered 404, as if it did not exist."""
        if key is not None and self.guarded() and self.store.key_opens(check_id, key):
            return None
        user = self.authorised(request, authorization, x_csrf_token)
        if user is not None and not user.sees_all:
            row = self.store.get(check_id)
            if row is None or row["owner"] != user.name:
                raise HTTPException(404, f"无此检查 / no check {check_id[:64]!r}")
        return user

    def reviewer(self, request: Request, authorization: Annotated[str | None, Header()] = None) -> users.User | None:
        user = self.authorised(request, authorization)
        if user is not None and not user.sees_all:
            raise HTTPException(403, "需要审查员权限 / only a reviewer or an admin may do this")
        return user

    def admin(self, request: Request, authorization: Annotated[str | None, Header()] = None) -> users.User:
        user = self.authorised(request, authorization)
        if user is None or user.role != "admin":
            raise HTTPException(403, "需要管理员权限 / only an admin may read the audit log")
        return user


    def log_in(self, request: Request, name: str, password: str) -> users.User:
        """The user of ``name`` and ``password``; 401 when wrong, 429 after ``LOGIN_ATTEMPTS`` failures for the name from
        the request's address within ``LOGIN_WINDOW_S``. Each failure is recorded."""
        client = request.client.host if request.client else ""
        key = (name.lower(), client)
        now = datetime.now(timezone.utc).timestamp()
        recent = [moment for moment in self._failures.get(key, []) if now - moment < LOGIN_WINDOW_S]
        if len(recent) >= LOGIN_ATTEMPTS:
            wait = int(LOGIN_WINDOW_S - (now - recent[0])) + 1
            raise HTTPException(429, f"登录失败次数过多 / too many failed log-ins; try again in {wait} s",
                                headers={"Retry-After": str(wait)})
        user = users.by_password(self.office_db(), name, password)
        if user is None:
            self._failures[key] = [*recent, now]
            self.record(request, "login_failed", None, name=name[:64])
            raise HTTPException(401, "用户名或密码错误 / wrong name or password")
        self._failures.pop(key, None)
        return user
