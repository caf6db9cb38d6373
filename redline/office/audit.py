"""The audit log: every event of the review office — log-ins and failed ones, submissions, views, downloads,
decisions and overrides, re-runs, user changes — appended with who, when (Beijing time), from where and which
check, each row hash-chained to the one before, so an edited, deleted or reordered row is found by ``verify``.

Rows are appended inside one exclusive transaction (``redline.office.database.Connection.exclusive``): two
processes or servers sharing the database, SQLite or PostgreSQL, never chain onto the same row.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from redline.office.database import Connection

BEIJING = ZoneInfo("Asia/Shanghai")
GENESIS = "0" * 64
FIELDS = ("seq", "at", "user", "action", "check_id", "client", "detail")


def ensure(db: Connection) -> None:
    """Make the audit table if missing (once per connection)."""
    with db.tables("audit") as first:
        if first:
            _make_table(db)


def _make_table(db: Connection) -> None:
    db.execute('CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, "user" TEXT, action TEXT NOT NULL, '
               "check_id TEXT, client TEXT, detail TEXT, previous TEXT NOT NULL, hash TEXT NOT NULL)")


def append(db: Connection, action: str, *, user: str | None = None, check_id: str | None = None,
           client: str | None = None, detail: dict | None = None) -> None:
    """Append one event, chained to the last row."""
    ensure(db)
    with db.exclusive("audit"):
        last = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        seq, previous = (last[0] + 1, last[1]) if last else (1, GENESIS)
        row = (seq, datetime.now(BEIJING).isoformat(timespec="seconds"), user, action, check_id, client,
               json.dumps(detail or {}, ensure_ascii=False, sort_keys=True))
        db.execute('INSERT INTO audit (seq, at, "user", action, check_id, client, detail, previous, hash) '
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (*row, previous, _hash(previous, row)))


def rows(db: Connection, *, user: str | None = None, check_id: str | None = None, since: str | None = None,
         limit: int = 1000) -> list[dict]:
    """Events, oldest first, filtered by user, check and time (ISO 8601, compared as Beijing time)."""
    ensure(db)
    found = db.execute(
        'SELECT seq, at, "user", action, check_id, client, detail, hash FROM audit WHERE (CAST(:user AS TEXT) IS NULL '
        'OR "user" = :user) AND (CAST(:check AS TEXT) IS NULL OR check_id = :check) '
        "AND (CAST(:since AS TEXT) IS NULL OR at >= :since) ORDER BY seq LIMIT :limit",
        {"user": user, "check": check_id, "since": since, "limit": limit}).fetchall()
    return [{**dict(zip((*FIELDS, "hash"), row)), "detail": json.loads(row[6])} for row in found]


def verify(db: Connection) -> int | None:
    """The sequence number of the first row that was edited, deleted, inserted or reordered; None when intact (or
    when nothing was ever recorded). Reads only: ``db`` may be read-only."""
    if not db.columns("audit"):
        return None
    previous, expected = GENESIS, 1
    for row in db.execute('SELECT seq, at, "user", action, check_id, client, detail, previous, hash FROM audit ORDER BY seq'):
        if row[0] != expected or row[7] != previous or row[8] != _hash(previous, row[:7]):
            return row[0] if row[0] == expected or row[0] < expected else expected
        previous, expected = row[8], expected + 1
    return None


def _hash(previous: str, row) -> str:
    return hashlib.sha256(json.dumps([previous, *row], ensure_ascii=False).encode()).hexdigest()
