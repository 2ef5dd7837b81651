"""The declarative base and the column types every model shares.

A metadata naming convention gives constraints and indexes stable names, so
migrations written on SQLite and PostgreSQL agree and can be dropped by name.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend.

    SQLite has no time zones: values are stored as naive UTC and come back
    aware, so deadline arithmetic never mixes naive and aware values.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: object, connection_record: object) -> None:
    """Foreign keys on, and WAL so readers never block the writer."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA mmap_size=1073741824")
        cursor.close()


#: Errors that say the database cannot serve right now (down, restarting, a connection cut, the pool
#: exhausted, SQLite locked past its timeout), not that the request is wrong: answered 503 with
#: ``Retry-After`` instead of 500, and logged as one line instead of a traceback.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)
#: Seconds a client is told to wait: a PostgreSQL restart takes one to three (measured by
#: ``tests/test_database_faults.py`` on a throw-away cluster).
UNAVAILABLE_RETRY_AFTER = 3


def unavailable_reason(error: BaseException) -> str:
    """The driver's first line (``connection refused``, ``terminating connection ...``), for a log line.

    Never ``str(error)`` of a SQLAlchemy error: that carries the statement and its parameters.
    """
    return str(getattr(error, "orig", None) or type(error).__name__).strip().splitlines()[0][:200]


@contextmanager
def driver_errors(connection: Connection, statement: str) -> Iterator[None]:
    """Raw driver-cursor work with SQLAlchemy's error semantics.

    A hot path that runs on ``connection.connection.cursor()`` bypasses the
    layer that wraps driver errors and invalidates dead connections: a
    PostgreSQL restart would then surface as a bare ``psycopg.OperationalError``
    (a 500) and leave the dead connection in the pool. Here the driver's error
    becomes the matching SQLAlchemy one, and a disconnect invalidates the
    connection, as ``Connection.execute`` would have done.
    """
    dbapi = connection.dialect.loaded_dbapi
    try:
        yield
    except dbapi.Error as error:
        invalidated = connection.dialect.is_disconnect(error, connection.connection.dbapi_connection, None)
        if invalidated:
            connection.invalidate(error)
        raise sa_exc.DBAPIError.instance(
            statement, None, error, dbapi.Error, connection_invalidated=invalidated, dialect=connection.dialect
        ) from error


def init_engine(engine: Engine) -> None:
    """Per-engine repairs, called once the app's engine exists: SQLite's savepoints (see below).

    Attached to SQLite engines only, not to the ``Engine`` class: any connection event makes
    SQLAlchemy dispatch on every statement of that engine (about 5 µs each, measured), and the
    PostgreSQL lookup path has no use for it.
    """
    if engine.dialect.name == "sqlite" and not event.contains(engine, "savepoint", _sqlite_begin_before_savepoint):
        event.listen(engine, "savepoint", _sqlite_begin_before_savepoint)


def _sqlite_begin_before_savepoint(connection: Connection, name: str | None) -> None:
    """Open the real transaction before a SAVEPOINT, or releasing the savepoint commits.

    pysqlite (legacy transaction control) emits its implicit ``BEGIN`` only before the first
    INSERT/UPDATE/DELETE. A ``SAVEPOINT`` issued before any write therefore *starts* the
    transaction, and SQLite's ``RELEASE`` of that outermost savepoint *commits* it: a batch whose
    first item was added under ``begin_nested`` had that item committed before its event was even
    recorded, and a later failure could not roll it back.

    Not SQLAlchemy's full recipe (driver autocommit plus ``BEGIN`` on every transaction): a
    ``BEGIN`` before a transaction's first read would make SQLite hand concurrent writers a stale
    snapshot they cannot upgrade (``SQLITE_BUSY_SNAPSHOT``, no waiting), and would add a BEGIN to
    every read-only lookup. Here the late ``BEGIN`` stays, and only a savepoint, always taken to
    write, begins first; ``IMMEDIATE`` takes the write lock at once, waiting on the busy timeout.
    """
    if not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
