"""Check results in SQLite, and the link keys that open one check without a login."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path

from redline.errors import RedlineError

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


