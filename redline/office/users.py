"""Who may use the service: named users with a role (planner, reviewer, admin), an API token each, a password for
the pages. Kept in the service's database (``redline.office.database``: SQLite or PostgreSQL), beside the checks.

A token is 256 random bits shown once when it is made and stored only as its SHA-256 (a token that long needs no
slow hash: it cannot be guessed); a password is stored as an Argon2id hash (argon2-cffi). Looking a token up by
its digest reveals nothing through timing but whether some token matches.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from redline.errors import InputError
from redline.office.database import Connection, DuplicateKey
from redline.office.database import connect as connect_database

ROLES = ("planner", "reviewer", "admin")
"""A planner submits and sees their own checks; a reviewer sees every check and decides; an admin also manages."""
NAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{1,64}$")
HASHER = PasswordHasher()


@dataclass(frozen=True)
class User:
    name: str
    role: str
    display_name: str
    disabled: bool = False

    @property
    def sees_all(self) -> bool:
        """Reviewers and admins see every check; a planner only their own."""
        return self.role in ("reviewer", "admin")


def connect(where) -> Connection:
    """The database ``where`` (a SQLite file, made owner-only, or a ``postgresql://`` URI) with the users and
    sessions tables made if missing."""
    db = connect_database(where)
    with db.tables("users"):
        _make_tables(db)
    return db


def _make_tables(db: Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, display_name TEXT NOT NULL, role TEXT NOT NULL, "
               "token_sha256 TEXT UNIQUE, password TEXT, disabled INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL)")
    db.execute('CREATE TABLE IF NOT EXISTS sessions (id_sha256 TEXT PRIMARY KEY, "user" TEXT NOT NULL, csrf TEXT NOT NULL, '
               f"expires {db.types['real']} NOT NULL)")


SESSION_SECONDS = 8 * 3600
"""A page session lasts a working day."""


def start_session(db: Connection, user: User) -> tuple[str, str]:
    """A new session for ``user`` (a fresh id at every log-in: a planted id is never taken over) and its CSRF token."""
    session, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = datetime.now(timezone.utc).timestamp()
    with db:
        db.execute("DELETE FROM sessions WHERE expires < ?", (now,))
        db.execute('INSERT INTO sessions (id_sha256, "user", csrf, expires) VALUES (?, ?, ?, ?)',
                   (_digest(session), user.name, csrf, now + SESSION_SECONDS))
    return session, csrf


def by_session(db: Connection, session: str) -> tuple[User, str] | None:
    """The enabled user of an unexpired session and its CSRF token, or None."""
    row = db.execute("SELECT u.name, u.role, u.display_name, s.csrf FROM sessions s JOIN users u ON u.name = s.\"user\" "
                     "WHERE s.id_sha256 = ? AND s.expires > ? AND u.disabled = 0",
                     (_digest(session), datetime.now(timezone.utc).timestamp())).fetchone()
    return (User(*row[:3]), row[3]) if row else None


def end_session(db: Connection, session: str) -> None:
    with db:
        db.execute("DELETE FROM sessions WHERE id_sha256 = ?", (_digest(session),))


def add_user(db: Connection, name: str, role: str, *, display_name: str | None = None) -> str:
    """Make a user; the new API token (returned once, stored as its digest)."""
    if not NAME.match(name):
        raise InputError(f"用户名无效 / {name[:64]!r} is not a user name: 1–64 letters, digits, Chinese, '.', '_' or '-'")
    if role not in ROLES:
        raise InputError(f"未知角色 / unknown role {role[:20]!r}; use one of {', '.join(ROLES)}")
    token = secrets.token_urlsafe(32)
    try:
        with db:
            db.execute("INSERT INTO users (name, display_name, role, token_sha256, created) VALUES (?, ?, ?, ?, ?)",
                       (name, display_name or name, role, _digest(token), datetime.now(timezone.utc).isoformat()))
    except DuplicateKey:
        raise InputError(f"用户已存在 / user {name!r} exists; use `redline users token {name}` for a new token") from None
    return token


def list_users(db: Connection) -> list[User]:
    rows = db.execute("SELECT name, role, display_name, disabled FROM users ORDER BY name").fetchall()
    return [User(name, role, display, bool(disabled)) for name, role, display, disabled in rows]


def has_users(db: Connection) -> bool:
    return db.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None


def disable(db: Connection, name: str) -> None:
    """Disable a user: their token, password and sessions stop working at once (their checks stay)."""
    with db:
        if db.execute("UPDATE users SET disabled = 1, token_sha256 = NULL WHERE name = ?", (name,)).rowcount != 1:
            raise InputError(f"无此用户 / no user {name[:64]!r}")
        db.execute('DELETE FROM sessions WHERE "user" = ?', (name,))


def new_token(db: Connection, name: str) -> str:
    """A new API token for ``name``; the old one is revoked."""
    token = secrets.token_urlsafe(32)
    with db:
        if db.execute("UPDATE users SET token_sha256 = ? WHERE name = ? AND disabled = 0",
                      (_digest(token), name)).rowcount != 1:
            raise InputError(f"无此用户或已停用 / no enabled user {name[:64]!r}")
    return token


def set_password(db: Connection, name: str, password: str) -> None:
    if len(password) < 10:
        raise InputError("密码过短 / the password needs at least 10 characters")
    with db:
        if db.execute("UPDATE users SET password = ? WHERE name = ? AND disabled = 0",
                      (HASHER.hash(password), name)).rowcount != 1:
            raise InputError(f"无此用户或已停用 / no enabled user {name[:64]!r}")


def by_token(db: Connection, token: str) -> User | None:
    """The enabled user whose API token this is, or None."""
    row = db.execute("SELECT name, role, display_name FROM users WHERE token_sha256 = ? AND disabled = 0",
                     (_digest(token),)).fetchone()
    return User(*row) if row else None


def by_password(db: Connection, name: str, password: str) -> User | None:
    """The enabled user ``name`` if ``password`` is theirs, or None (a hash is verified even for an unknown name, so
    the answer takes as long either way)."""
    row = db.execute("SELECT name, role, display_name, password FROM users WHERE name = ? AND disabled = 0",
                     (name,)).fetchone()
    stored = row[3] if row and row[3] else _dummy()
    try:
        HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    return User(*row[:3]) if row and row[3] else None


def by_name(db: Connection, name: str) -> User | None:
    row = db.execute("SELECT name, role, display_name FROM users WHERE name = ? AND disabled = 0", (name,)).fetchone()
    return User(*row) if row else None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@functools.cache
def _dummy() -> str:
    """A hash to verify against when the name is unknown (made on first use, not at import: Argon2 is slow on purpose)."""
    return HASHER.hash(secrets.token_urlsafe(16))
