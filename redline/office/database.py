"""Where the service keeps its records (checks, documents of record, users, sessions, the audit chain): one SQLite
file, the embedded default, or a PostgreSQL database named by a libpq URI (``postgresql://…``), which several
``redline serve`` processes or machines behind a proxy share.

``connect(where)`` gives a ``Connection`` with one surface for both. SQL is written once, in the subset both speak:
``?`` and ``:name`` placeholders (rewritten for psycopg), ``INSERT … ON CONFLICT``, identifiers that are keywords
in PostgreSQL quoted (``"user"``), ``BLOB`` and ``REAL`` spelled by ``Connection.types``. ``with connection:`` is a
transaction; ``connection.exclusive(table)`` one that no other writer of ``table`` interleaves with (the audit
chain's appends).
"""

from __future__ import annotations

import os
import re
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from redline.errors import RedlineError

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(where: str | Path) -> bool:
    """Whether ``where`` names a PostgreSQL database (a libpq URI) rather than a SQLite file."""
    return str(where).startswith(POSTGRES_SCHEMES)


def display(where: str | Path) -> str:
    """``where`` for messages and logs: a URI without its password."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", str(where))


class DuplicateKey(Exception):
    """A row with that key is there already (SQLite's or psycopg's integrity error, as one)."""


class Connection:
    """A connection to the SQLite file or the PostgreSQL database ``where``, in autocommit mode: each statement stands
    alone unless it runs inside ``with connection:`` (one transaction, rolled back on an error)."""

    def __init__(self, where: str | Path, *, read_only: bool = False):
        self.where = where
        self.postgres = is_postgres(where)
        if self.postgres:
            self.raw, self._integrity = _postgres(str(where))
            if read_only:
                self.raw.execute("SET default_transaction_read_only = on")
            self.types = {"blob": "BYTEA", "real": "DOUBLE PRECISION"}
            return
        path = Path(where)
        if read_only:
            if not path.is_file():
                raise RedlineError(f"{path}: 数据库不存在 / no such database")
            self.raw = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, isolation_level=None)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():  # owner-only before SQLite opens it (its -wal and -shm files copy the mode)
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            self.raw = sqlite3.connect(path, timeout=30, isolation_level=None)
            self.raw.execute("PRAGMA journal_mode=WAL")
            self.raw.execute("PRAGMA synchronous=NORMAL")  # WAL: a commit survives a crash of the process
        self.types = {"blob": "BLOB", "real": "REAL"}
        self._integrity = sqlite3.IntegrityError

    _depth = 0
    made: frozenset[str] = frozenset()
    """The tables ``tables`` made (or found) on this connection."""

    def execute(self, sql: str, parameters=()):
        """Run one statement; the cursor (``fetchone``, ``fetchall``, ``rowcount``; rows are tuples). A duplicate key
        raises ``DuplicateKey``."""
        try:
            if self.postgres:
                return self.raw.execute(_for_psycopg(sql), parameters)
            return self.raw.execute(sql, parameters)
        except self._integrity as error:
            raise DuplicateKey(str(error)) from None

    def one(self, sql: str, parameters=()) -> dict | None:
        """The first row as a mapping of column name to value, or None."""
        rows = self.all(sql, parameters, limit=1)
        return rows[0] if rows else None

    def all(self, sql: str, parameters=(), *, limit: int | None = None) -> list[dict]:
        """The rows as mappings of column name to value."""
        cursor = self.execute(sql, parameters)
        names = [column[0] for column in cursor.description]
        rows = cursor.fetchmany(limit) if limit is not None else cursor.fetchall()
        return [dict(zip(names, row)) for row in rows]

    def __enter__(self):
        if self._depth == 0:
            if self.postgres:
                self._transaction = self.raw.transaction()
                self._transaction.__enter__()
            else:
                self.raw.execute("BEGIN IMMEDIATE")
        self._depth += 1
        return self

    def __exit__(self, kind, error, trace):
        self._depth -= 1
        if self._depth:
            return False
        if self.postgres:
            return self._transaction.__exit__(kind, error, trace)
        self.raw.execute("ROLLBACK" if kind else "COMMIT")
        return False

    @contextmanager
    def exclusive(self, table: str):
        """A transaction that no other writer of ``table`` runs beside (SQLite: every write waits for it; PostgreSQL:
        the table locked against other writers until it ends), so a row appended in it follows the last one."""
        with self:
            if self.postgres:
                self.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
            yield self

    @contextmanager
    def tables(self, name: str):
        """Make the tables of ``name`` once per connection: yields True the first time, in a transaction in which no
        other server makes them beside this one (PostgreSQL: an advisory lock; two servers starting together)."""
        if name in self.made:
            yield False
            return
        with self:
            if self.postgres:
                self.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (f"redline:{name}",))
            yield True
        self.made = self.made | {name}

    def columns(self, table: str) -> set[str]:
        """The names of ``table``'s columns (to add those an older database lacks)."""
        if self.postgres:
            return {row[0] for row in self.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = ?", (table,)).fetchall()}
        return {row[1] for row in self.execute(f"PRAGMA table_info({table})").fetchall()}

    def close(self) -> None:
        self.raw.close()


def connect(where: str | Path, *, read_only: bool = False) -> Connection:
    """A connection to ``where``: a SQLite file (made owner-only if new) or a ``postgresql://`` URI; with
    ``read_only`` one that cannot change it (and a SQLite file must exist)."""
    return Connection(where, read_only=read_only)


def _postgres(uri: str):
    try:
        import psycopg
    except ImportError:
        raise RedlineError("PostgreSQL 需要 psycopg / a PostgreSQL database needs psycopg: "
                           "pip install 'redline[postgis]'") from None
    try:
        return psycopg.connect(uri, autocommit=True, connect_timeout=10), psycopg.IntegrityError
    except psycopg.OperationalError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise RedlineError(f"无法连接数据库 / cannot connect to {display(uri)}: {first}") from None


_PLACEHOLDERS = re.compile(r"'(?:[^']|'')*'|\?|(?<!:):([A-Za-z_]\w*)|%")


def _for_psycopg(sql: str) -> str:
    """``sql`` with ``?`` → ``%s``, ``:name`` → ``%(name)s`` and a literal ``%`` doubled; quoted text untouched."""
    def replace(match: re.Match) -> str:
        text = match.group(0)
        if text.startswith("'"):
            return text.replace("%", "%%")
        if text == "?":
            return "%s"
        if text == "%":
            return "%%"
        return f"%({match.group(1)})s"
    return _PLACEHOLDERS.sub(replace, sql)
