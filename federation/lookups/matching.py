"""The one query on the hot path: every stored hash of a request, in one round trip.

Plain SQL on the driver's own cursor, inside SQLAlchemy's connection (which
still owns pooling and the transaction): for a four-identifier lookup,
SQLAlchemy's statement compilation, expanding-parameter rendering and result
set-up cost three times the query itself (measured in-process: 108 us as a
Core statement, 56 us through ``exec_driver_sql``, 29 us on the cursor). The
few matched rows are typed here instead. The tests count statements at the
driver (``tests/api/test_lookups.py::counted_selects``).

Only entries that can still be shown are returned: ``active`` or
``suspended`` and within their term; retracted, delisted and expired ones
never match. The SQL filters on the hash alone and the state and term are
checked here: with ``state``/``expires_at`` in the WHERE clause, SQLite's
planner (without statistics, as on every fresh embedded database) drove the
join from the entries' state index and scanned every active entry: 65 ms for
one identifier, seconds for a batch. Filtering by hash only leaves the
identifier index as the sole way in; the rows dropped here are few, because
``purge`` deletes the hashes of ended entries.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy.engine import Connection

from ..database import driver_errors

#: Public so that the bench's bare baseline (``bench/baseline.py``) runs exactly this query.
COLUMNS = (
    "SELECT ei.stored_hash, e.id, e.ref, e.member_id, e.category, e.tier, e.state, e.open_disputes, "
    "e.amount, e.currency, e.occurred_at, e.listed_at, e.expires_at, m.effective_trust, m.probation_until, "
    "e.confirmed_at, "
    "w.name, w.weight, "  # warninglists (issue 13): the enabled list marking the identifier, if any
    "ei.protected_until "  # protective registration (protective/flags.py)
)
JOINS = (
    "JOIN entries e ON e.id = ei.entry_id JOIN members m ON m.id = e.member_id "
    "LEFT JOIN warninglists w ON w.id = ei.warninglist_id AND w.enabled"
)

#: PostgreSQL: a join against ``unnest`` of one array parameter. For a long IN list the planner
#: prefers a parallel scan of every identifier (51 ms for 1,000 hashes over 400,000 rows); the
#: join makes it probe the index once per hash (10 ms), and stays that way as the table grows.
_POSTGRESQL = (
    f"{COLUMNS}FROM unnest(CAST(%(hashes)s AS bytea[])) AS q(h) JOIN entry_identifiers ei ON ei.stored_hash = q.h "
    f"{JOINS}"
)

SHOWN_STATES = frozenset({"active", "suspended"})


class MatchRow(NamedTuple):
    stored_hash: bytes
    id: int
    ref: str
    member_id: str
    category: str
    tier: int
    state: str
    open_disputes: int
    amount: Decimal | None
    currency: str | None
    occurred_at: datetime
    listed_at: datetime
    expires_at: datetime
    #: The member's effective trust (``reputation/standing.py``: recomputed by ``federation tick``).
    trust_weight: float
    #: Listed by a member on probation and not confirmed by a reviewer (``reputation``): until
    #: another member corroborates it in the same lookup, it recommends ``review`` at most.
    provisional: bool
    #: The warninglist that marks the matched identifier and what its matches weigh; ``None``: none.
    warninglist: str | None = None
    warninglist_weight: float | None = None
    #: The matched identifier is under a protective registration now (``protective/flags.py``).
    protected: bool = False


@lru_cache(maxsize=1024)
def _sqlite(count: int) -> str:
    """SQLite: an IN list probed through the identifier index, one placeholder per hash."""
    return f"{COLUMNS}FROM entry_identifiers ei {JOINS} WHERE ei.stored_hash IN ({', '.join('?' * count)})"


def _utc(value: datetime | str) -> datetime:
    """Stored as naive UTC (``database.UTCDateTime``): text on SQLite, a naive timestamp on PostgreSQL."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC)


def fetch_matches(connection: Connection, stored_hashes: list[bytes], now: datetime) -> list[MatchRow]:
    postgresql = connection.dialect.name == "postgresql"
    statement = _POSTGRESQL if postgresql else _sqlite(len(stored_hashes))
    with driver_errors(connection, statement):
        cursor = connection.connection.cursor()
        try:
            cursor.execute(statement, {"hashes": stored_hashes} if postgresql else stored_hashes)
            rows = cursor.fetchall()
        finally:
            cursor.close()
    matches = []
    for row in rows:
        if row[6] not in SHOWN_STATES:
            continue
        expires_at = _utc(row[12])
        if expires_at <= now:
            continue
        amount = row[8] if row[8] is None or isinstance(row[8], Decimal) else Decimal(str(row[8]))
        protected = row[18] is not None and _utc(row[18]) > now  # protective registration
        provisional = row[14] is not None and row[15] is None and now < _utc(row[14])  # reputation: probation
        matches.append(
            MatchRow(
                *row[:8],
                amount,
                row[9],
                _utc(row[10]),
                _utc(row[11]),
                expires_at,
                float(row[13]),
                provisional,
                row[16],
                row[17],
                protected,
            )
        )
    return matches
