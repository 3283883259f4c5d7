"""The history's database connection: engine set-up and retried transactions (SQLAlchemy 2.x).

On SQLite the engine uses WAL journaling, a busy timeout and ``BEGIN
IMMEDIATE`` (the write lock is taken before reading), so two processes writing
the same file wait for each other; :func:`retry` re-runs a transaction that lost
a unique-constraint race or timed out on a lock. Used by :mod:`.history`.
"""
from __future__ import annotations

import logging
import os
import random
import time
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError

from ..errors import ConfigError, HistoryError
from ..data.io import default_driver, redact_url

__all__ = ["db_message", "make_engine", "retry", "database_identity", "same_database"]

T = TypeVar("T")
_log = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # isolation_level=None: let the "begin" hook below issue BEGIN IMMEDIATE
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout = 30000")
    cur.execute("PRAGMA foreign_keys = ON")
    try:
        cur.execute("PRAGMA journal_mode = WAL")
    except Exception:  # e.g. a read-only folder: the default journal still works
        pass
    cur.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """A SQLAlchemy engine for the history at ``url``; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE."""
    try:
        parsed = default_driver(url)
    except ArgumentError:
        raise ConfigError(f"history url {url!r} is not a database URL; "
                          "use e.g. sqlite:///history.sqlite or postgresql://user:pw@host/db") from None
    try:
        if parsed.get_backend_name() == "sqlite":
            db = parsed.database
            if db and db != ":memory:":
                Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(parsed, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        return sa.create_engine(parsed, pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        raise ConfigError(f"history url {redact_url(url)} needs the database driver {exc.name!r}; "
                          f"install it (e.g. pip install psycopg2-binary for PostgreSQL)") from None
    except (ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise ConfigError(f"history url {redact_url(url)}: {exc}") from None
    except OSError as exc:
        raise HistoryError(f"cannot create the folder of the history database {redact_url(url)}: "
                           f"{exc.strerror}") from None


#: Ports a server listens on when a URL gives none.
_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306, "mssql": 1433, "oracle": 1521}
#: Host names that all mean "this machine" (an empty host is the local socket).
_LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1", "[::1]"}


def database_identity(url: str) -> Optional[tuple]:
    """What identifies the database behind ``url``: backend, host, port and database name.

    The driver, user, password and query options (a schema search path, for example)
    are left out: another schema or another login of the same database is the same
    database. SQLite's is its file, resolved (relative to the working folder, as
    SQLAlchemy opens it; symbolic links followed). None for an in-memory database
    (each one is separate) or a URL that cannot be parsed.

    Parameters
    ----------
    url : str
        A SQLAlchemy database URL.
    """
    try:
        parsed = sa.engine.make_url(str(url))
    except ArgumentError:
        return None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        db = parsed.database or ""
        if db.startswith("file:"):  # URI filename: file:path?mode=...
            db = db[len("file:"):].split("?", 1)[0]
        if not db or db == ":memory:" or "mode=memory" in str(parsed):
            return None
        return ("sqlite", os.path.realpath(os.path.expanduser(db)))
    host = (parsed.host or "").lower()
    host = "localhost" if host in _LOCAL_HOSTS else host
    return (backend, host, parsed.port or _DEFAULT_PORTS.get(backend), parsed.database or "")


def same_database(a: str, b: str) -> bool:
    """Whether two database URLs name the same database (:func:`database_identity`).

    Parameters
    ----------
    a, b : str
        SQLAlchemy database URLs.
    """
    ida, idb = database_identity(a), database_identity(b)
    return ida is not None and ida == idb


def retry(fn: Callable[[], T], what: str, attempts: int = 20) -> T:
    """Run a transaction, retrying on unique-constraint races and lock timeouts."""
    delay = 0.05
    for attempt in range(attempts):
        try:
            return fn()
        except (IntegrityError, OperationalError) as exc:
            locked = isinstance(exc, OperationalError) and "locked" in str(exc).lower()
            if isinstance(exc, OperationalError) and not locked:
                raise HistoryError(f"{what}: {db_message(exc)}") from None
            if attempt == attempts - 1:
                raise HistoryError(f"{what}: gave up after {attempts} attempts ({db_message(exc)})") from None
            _log.debug("%s: retry %d after %s", what, attempt + 1, type(exc).__name__)
            time.sleep(delay * (1 + random.random()))  # jitter: racing writers drift apart
            delay = min(delay * 2, 1.0)
    raise AssertionError("unreachable")


def db_message(exc: DBAPIError) -> str:
    """The first line of the driver's message (no SQL statement, no traceback)."""
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
