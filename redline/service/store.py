"""Check results in the service's database (SQLite or PostgreSQL), and the link keys that open one check without a
login."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from contextlib import closing
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

from redline.errors import RedlineError
from redline.office.database import Connection, connect, is_postgres

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
    """Check results in the service's database (``redline.office.database``: a SQLite file or PostgreSQL): report
    JSON, intrusions GeoJSON, the footprint, the map once it was asked for, and the documents of record."""

    def __init__(self, where: str | Path):
        self.where = where if is_postgres(where) else Path(where)
        self._local = threading.local()
        # on a connection of its own, closed here: none is held open across the fork of the check processes
        with closing(connect(self.where)) as db, db.tables("checks"):
            self._prepare(db)

    def _prepare(self, db: Connection) -> None:
        """Make the tables (and the columns an older database lacks), and read or make the link secret."""
        blob = db.types["blob"]
        db.execute("CREATE TABLE IF NOT EXISTS checks (id TEXT PRIMARY KEY, created TEXT NOT NULL, "
                   f"report TEXT NOT NULL, intrusions TEXT NOT NULL, footprint {blob} NOT NULL, lang TEXT NOT NULL, "
                   "map TEXT, previous TEXT, key_epoch INTEGER NOT NULL DEFAULT 0, owner TEXT, review TEXT, particulars TEXT)")
        columns = db.columns("checks")
        for column, kind in (("previous", "TEXT"), ("key_epoch", "INTEGER NOT NULL DEFAULT 0"), ("owner", "TEXT"),
                             ("review", "TEXT"), ("particulars", "TEXT")):  # an older database lacks them
            if column not in columns:  # who submitted it; the decision; 申请单位/文号/项目代码 (JSON)
                db.execute(f"ALTER TABLE checks ADD COLUMN {column} {kind}")
        db.execute("CREATE TABLE IF NOT EXISTS documents (check_id TEXT NOT NULL, kind TEXT NOT NULL, lang TEXT NOT NULL, "
                   f"content {blob} NOT NULL, sha256 TEXT NOT NULL, made TEXT NOT NULL, PRIMARY KEY (check_id, kind, lang))")
        db.execute("CREATE INDEX IF NOT EXISTS checks_created ON checks (created)")
        if db.postgres:  # shared by every server on the database: the link secret lives in it
            db.execute(f"CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value {blob} NOT NULL)")
            db.execute("INSERT INTO secrets (name, value) VALUES ('links', ?) ON CONFLICT (name) DO NOTHING",
                       (secrets.token_bytes(32),))
            self.secret = bytes(db.execute("SELECT value FROM secrets WHERE name = 'links'").fetchone()[0])
        else:
            for private in (self.where, Path(f"{self.where}-wal"), Path(f"{self.where}-shm")):
                if private.exists():
                    os.chmod(private, 0o600)  # the results are the applicants' data: owner only
            self.secret = _link_secret(Path(f"{self.where}.linkkey"))

    def _connection(self) -> Connection:
        if getattr(self._local, "db", None) is None:
            self._local.db = connect(self.where)
        return self._local.db

    def add(self, report: str, intrusions: str, footprint: bytes, lang: str, previous: str | None = None,
            owner: str | None = None, particulars: dict | None = None) -> str:
        """Keep one result under a new unguessable id (144 random bits); ``previous``: the check it re-runs;
        ``owner``: the user who submitted it (None in single-person mode)."""
        check_id = secrets.token_urlsafe(18)
        self._connection().execute(
            "INSERT INTO checks (id, created, report, intrusions, footprint, lang, previous, owner, particulars) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (check_id, datetime.now(timezone.utc).isoformat(), report, intrusions, footprint, lang, previous, owner,
             json.dumps(particulars or {}, ensure_ascii=False)))
        return check_id

    def keep_document(self, check_id: str, kind: str, lang: str, content: bytes) -> str:
        """Keep a document of record (issued at the decision) as it is; its SHA-256."""
        digest = hashlib.sha256(content).hexdigest()
        self._connection().execute(
            "INSERT INTO documents (check_id, kind, lang, content, sha256, made) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (check_id, kind, lang) DO UPDATE SET content = excluded.content, sha256 = excluded.sha256, "
            "made = excluded.made", (check_id, kind, lang, content, digest, datetime.now(timezone.utc).isoformat()))
        return digest

    def document(self, check_id: str, kind: str, lang: str) -> tuple[bytes, str] | None:
        row = self._connection().one("SELECT content, sha256 FROM documents WHERE check_id = ? AND kind = ? AND lang = ?",
                                     (check_id, kind, lang))
        return (bytes(row["content"]), row["sha256"]) if row else None

    def set_review(self, check_id: str, review: dict) -> None:
        self._connection().execute("UPDATE checks SET review = ? WHERE id = ?",
                                   (json.dumps(review, ensure_ascii=False), check_id))

    def find(self, *, verdict: str | None = None, since: str | None = None, q: str | None = None,
             ids: tuple[str, ...] = (), limit: int = 100, offset: int = 0, owner: str | None = None,
             full: bool = False) -> list[dict]:
        """Past checks, newest first: those with ``verdict``, made at or after ``since`` (ISO 8601), whose project
        name or file holds ``q``, among ``ids`` if any are given, from the ``offset``-th; with ``full`` each one's
        report and particulars as well."""
        db = self._connection()
        field = partial(_json_field, db)
        where, parameters = self._where(verdict=verdict, since=since, q=q, ids=ids, owner=owner)
        return db.all(
            f"SELECT id, created, previous, owner, {field('review', 'state')} AS state, "
            f"{field('report', 'verdict')} AS verdict, {field('report', 'project', 'name')} AS name, "
            f"{field('report', 'project', 'file')} AS file, {field('report', 'project', 'area_m2', number=True)} AS area_m2, "
            f"{field('report', 'manifest', 'sha256')} AS manifest{', report, particulars' if full else ''} "
            f"FROM checks WHERE {where} ORDER BY created DESC, id LIMIT :limit OFFSET :offset",
            {**parameters, "limit": limit, "offset": offset})

    def count(self, *, verdict: str | None = None, since: str | None = None, q: str | None = None,
              ids: tuple[str, ...] = (), owner: str | None = None) -> int:
        """How many checks ``find`` would list with these filters and no limit."""
        where, parameters = self._where(verdict=verdict, since=since, q=q, ids=ids, owner=owner)
        return self._connection().execute(f"SELECT count(*) FROM checks WHERE {where}", parameters).fetchone()[0]

    def _where(self, *, verdict, since, q, ids, owner) -> tuple[str, dict]:
        """The filters of ``find`` and ``count`` as SQL and its parameters (``q`` is text, not a pattern)."""
        field = partial(_json_field, self._connection())
        pattern = None if not q else "%" + re.sub(r"([\\%_])", r"\\\1", q) + "%"
        return (f"(CAST(:verdict AS TEXT) IS NULL OR {field('report', 'verdict')} = :verdict) "
                "AND (CAST(:owner AS TEXT) IS NULL OR owner = :owner) "
                "AND (CAST(:since AS TEXT) IS NULL OR created >= :since) "
                f"AND (CAST(:q AS TEXT) IS NULL OR {field('report', 'project', 'name')} LIKE :q ESCAPE '\\' "
                f"OR {field('report', 'project', 'file')} LIKE :q ESCAPE '\\')"
                + (f" AND id IN ({', '.join(f':id{number}' for number in range(len(ids)))})" if ids else ""),
                {"verdict": verdict, "since": since, "q": pattern, "owner": owner,
                 **{f"id{number}": value for number, value in enumerate(ids)}})

    def get(self, check_id: str) -> dict | None:
        return self._connection().one("SELECT * FROM checks WHERE id = ?", (check_id,))

    def link_key(self, check_id: str, *, now: datetime | None = None) -> str | None:
        """The check's link key: its expiry (``LINK_DAYS`` after the check, hex seconds) and an HMAC of the id, the
        expiry and the check's key epoch under the install's own secret (never the API token). None if absent."""
        row = self._connection().one("SELECT created, key_epoch FROM checks WHERE id = ?", (check_id,))
        if row is None:
            return None
        expires = int(datetime.fromisoformat(row["created"]).timestamp()) + LINK_DAYS * 86_400
        mac = hmac.new(self.secret, f"{check_id}|{row['key_epoch']}|{expires}".encode(), hashlib.sha256).hexdigest()[:32]
        return f"{expires:x}.{mac}"

    def key_opens(self, check_id: str, key: str) -> bool:
        """Whether ``key`` is the check's link key, unexpired and not revoked (compared in constant time)."""
        expected = self.link_key(check_id)
        if expected is None or not hmac.compare_digest(key.encode(), expected.encode()):
            return False
        return int(expected.split(".")[0], 16) > datetime.now(timezone.utc).timestamp()

    def revoke_key(self, check_id: str) -> bool:
        """Void every link key issued for the check (a new one is issued from now on); False if absent."""
        return self._connection().execute("UPDATE checks SET key_epoch = key_epoch + 1 WHERE id = ?",
                                          (check_id,)).rowcount == 1

    def set_map(self, check_id: str, page: str) -> None:
        self._connection().execute("UPDATE checks SET map = ? WHERE id = ?", (page, check_id))


def _json_field(db: Connection, column: str, *path: str, number: bool = False) -> str:
    """SQL for one field of a JSON text column, in the database's dialect (a number as a number)."""
    if db.postgres:
        text = f"(CAST({column} AS JSONB) #>> '{{{','.join(path)}}}')"
        return f"CAST({text} AS DOUBLE PRECISION)" if number else text
    return f"json_extract({column}, '$.{'.'.join(path)}')"
