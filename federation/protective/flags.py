"""How a protective registration reaches the lookup hot path without a database round trip.

The flag is kept on the matched rows themselves: ``entry_identifiers.protected_until`` is set on
every row of an identifier (all its salts) that a registration covers, so the one matching query
(``lookups/matching.py``) reads it as one more column. The alternative, an in-memory set of
protected stored hashes per worker, would need invalidation across workers on every registration
and withdrawal; the column costs nothing on the hot path (measured: within noise on the matching
query) and is exact the moment the registering transaction commits.

The flag is per row, on the row's own hash: a row is flagged when a registration holds exactly
that stored hash. Not per identifier group: an entry that carries a registered number under one
salt and another number under a new salt (nothing can check that two hashes under two salts are
of one value) would otherwise shield the other number, and teaching the registration that hash
would let any member extend a victim's shield to a fraudster (``tests/attacks/test_protective_abuse.py``).
So a registration covers the salts it was made under, and a lookup hashed under every accepted
salt (the SDK's) finds it through any of them; after the old salt is retired, the holder
registers again (``docs/disputes.md``).

The column is kept right at three moments:

* a registration is made, confirmed or withdrawn: :func:`reflag` recomputes the rows holding its
  hashes from every active registration (the latest expiry wins; none: NULL);
* an entry identifier row is added (a submission, a batch, an import, a re-key): a
  ``before_flush`` listener flags it if a registration holds its hash (:func:`_flag_new_identifiers`);
* an expiry needs nothing: the matching query compares ``protected_until`` with the clock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from ..entries.models import EntryIdentifier
from .models import ProtectiveRegistration, ProtectiveRegistrationHash


def reflag(session: Session, stored_hashes: Collection[bytes]) -> int:
    """Recompute the flag of every entry identifier holding one of ``stored_hashes``; returns how many are flagged."""
    if not stored_hashes:
        return 0
    session.flush()
    rows = session.execute(
        select(EntryIdentifier.id, EntryIdentifier.stored_hash, EntryIdentifier.protected_until).where(
            EntryIdentifier.stored_hash.in_(list(stored_hashes))
        )
    ).all()
    covering = _covering(session, {row.stored_hash for row in rows})
    changes: dict[datetime | None, list[int]] = defaultdict(list)
    flagged = 0
    for row in rows:
        until = _until(covering, (row.stored_hash,))
        flagged += until is not None
        if row.protected_until != until:
            changes[until].append(row.id)
    for until, ids in changes.items():
        session.execute(update(EntryIdentifier).where(EntryIdentifier.id.in_(ids)).values(protected_until=until))
    return flagged


def _covering(session: Session, stored_hashes: Collection[bytes]) -> dict[bytes, list[tuple[int, datetime]]]:
    """Active registrations holding each hash: ``{hash: [(registration id, expires_at)]}``."""
    found: dict[bytes, list[tuple[int, datetime]]] = defaultdict(list)
    if not stored_hashes:
        return found
    for stored_hash, registration_id, expires_at in session.execute(
        select(ProtectiveRegistrationHash.stored_hash, ProtectiveRegistration.id, ProtectiveRegistration.expires_at)
        .join(ProtectiveRegistration, ProtectiveRegistration.id == ProtectiveRegistrationHash.registration_id)
        .where(ProtectiveRegistration.state == "active", ProtectiveRegistrationHash.stored_hash.in_(stored_hashes))
    ):
        found[stored_hash].append((registration_id, expires_at))
    return found


def _until(covering: dict[bytes, list[tuple[int, datetime]]], hashes: Iterable[bytes]) -> datetime | None:
    expiries = [expires_at for value in hashes for _, expires_at in covering.get(value, ())]
    return max(expiries) if expiries else None


def _flag_new_identifiers(session: Session, _flush_context: object, _instances: object) -> None:
    """Flag identifier rows about to be inserted whose own hash a registration holds.

    One indexed query per flush that inserts identifier rows (a submission or a batch), none
    otherwise; the lookup path never flushes.
    """
    new = [obj for obj in session.new if isinstance(obj, EntryIdentifier)]
    if not new:
        return
    with session.no_autoflush:
        covering = _covering(session, {row.stored_hash for row in new})
        for row in new:
            until = _until(covering, (row.stored_hash,))
            if until is not None:
                row.protected_until = until


def init_protective_flags() -> None:
    """Listen on every session (the API's, the CLI's, the tick's): rows are added by all of them."""
    if not event.contains(Session, "before_flush", _flag_new_identifiers):
        event.listen(Session, "before_flush", _flag_new_identifiers)
