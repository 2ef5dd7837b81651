"""Locks that make "count, then write if under the limit" atomic across threads and workers.

A limit checked by counting rows and then inserting one holds only if no other transaction
can count between the two. Twenty appeals fired at once from one address otherwise mostly count
the same few rows: 13 of 20 passed a limit of 5 on PostgreSQL before this module.

* PostgreSQL: transaction-level advisory locks (``pg_advisory_xact_lock``), one per name,
  taken in a fixed (sorted) order so two transactions needing overlapping names never
  deadlock, released by the commit or rollback. No table and no row is written for them, so
  a filing about an identifier nobody listed takes the very same locks as one about a
  listed one. Names become 64-bit keys through BLAKE2b; a collision only serialises two
  unrelated filings, it never lets one through.
* SQLite: one writer at a time. The transaction takes the write lock *before* it reads
  (``BEGIN IMMEDIATE``); if it already wrote, the driver opened it then and the lock is held.

Call :func:`hold` first, before the transaction reads or locks anything else: a lock taken
after row locks could close a cycle with a transaction that waits in the other order.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.orm import Session

_ADVISORY = text("SELECT pg_advisory_xact_lock(:key)")


def key(name: str) -> int:
    """The advisory-lock key of ``name``: a signed 64-bit integer, as PostgreSQL wants it."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


def hold(session: Session, *names: str) -> None:
    """Serialise this transaction with every other that holds one of ``names``, until it ends.

    On SQLite every writer is serialised anyway; ``names`` only matter on PostgreSQL, and a
    call without names there locks nothing (the caller locks the rows it needs).
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        for number in sorted({key(name) for name in names}):
            connection.execute(_ADVISORY, {"key": number})
    elif connection.dialect.name == "sqlite" and not connection.connection.driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
