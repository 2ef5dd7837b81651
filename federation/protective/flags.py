"""How a protective registration reaches the lookup hot path without a database round trip.

The flag is kept on the matched rows themselves: ``entry_identifiers.protected_until`` is set on
every row of an identifier (all its salts) that a registration covers, so the one matching query
(``lookups/matching.py``) reads it as one more column. The alternative, an in-memory set of
protected stored hashes per worker, would need invalidation across workers on every registration
and withdrawal; the column costs nothing on the hot path (measured: within noise on the matching
query) and is exact the moment the registering transaction commits.

The column is kept right at three moments:

* a registration is made, confirmed or withdrawn: :func:`reflag` recomputes the rows holding its
  hashes from every active registration (the latest expiry wins; none: NULL);
* an entry identifier row is added (a submission, a batch, an import, a re-key after a salt
  rotation): a ``before_flush`` listener flags it if a registration covers any hash of its
  identifier (:func:`_flag_new_identifiers`);
* an expiry needs nothing: the matching query compares ``protected_until`` with the clock.

Both paths also *teach* the registration: when an identifier it covers is held under a salt it has
no hash for (an entry re-keyed after a rotation, or submitted under old and new salts), the
registration copies that stored hash. The proof is the same as a re-key's (the entry holds a hash
the registration already had, at the same identifier), so a registration follows salt rotations
without its holder sending anything again.
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
    positions = set(
        session.execute(
            select(EntryIdentifier.entry_id, EntryIdentifier.position).where(
                EntryIdentifier.stored_hash.in_(list(stored_hashes))
            )
        ).all()
    )
    if not positions:
        return 0
    rows = [
        row
        for row in session.execute(
            select(
                EntryIdentifier.id,
                EntryIdentifier.entry_id,
                EntryIdentifier.position,
                EntryIdentifier.stored_hash,
                EntryIdentifier.key_id,
                EntryIdentifier.protected_until,
            ).where(EntryIdentifier.entry_id.in_({entry_id for entry_id, _ in positions}))
        )
        if (row.entry_id, row.position) in positions
    ]
    groups: dict[tuple[int, int], list] = defaultdict(list)
    for row in rows:
        groups[(row.entry_id, row.position)].append(row)
    covering = _covering(session, {row.stored_hash for row in rows})
    changes: dict[datetime | None, list[int]] = defaultdict(list)
    held: dict[int, set[bytes]] = {}
    flagged = 0
    for group in groups.values():
        until = _until(covering, (row.stored_hash for row in group))
        flagged += until is not None
        for row in group:
            if row.protected_until != until:
                changes[until].append(row.id)
        _learn(session, covering, [(row.stored_hash, row.key_id) for row in group], held)
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


def _learn(
    session: Session,
    covering: dict[bytes, list[tuple[int, datetime]]],
    group: list[tuple[bytes, str | None]],
    held: dict[int, set[bytes]],
) -> None:
    """Give each registration covering this identifier the hashes of it under salts it lacks.

    ``held``: each registration's hashes, read once per call and kept up to date here, so two
    listings of one identifier in one batch teach it once.
    """
    registrations = {registration_id for value, _ in group for registration_id, _ in covering.get(value, ())}
    for registration_id in sorted(registrations):
        if registration_id not in held:
            held[registration_id] = set(
                session.scalars(
                    select(ProtectiveRegistrationHash.stored_hash).where(
                        ProtectiveRegistrationHash.registration_id == registration_id
                    )
                )
            )
        known = held[registration_id]
        for value, key_id in group:
            if value not in known:
                known.add(value)
                session.add(
                    ProtectiveRegistrationHash(registration_id=registration_id, stored_hash=value, key_id=key_id)
                )


def _flag_new_identifiers(session: Session, _flush_context: object, _instances: object) -> None:
    """Flag identifier rows about to be inserted when a registration covers their identifier.

    One indexed query per flush that inserts identifier rows (a submission or a batch), none
    otherwise; the lookup path never flushes.
    """
    new = [obj for obj in session.new if isinstance(obj, EntryIdentifier)]
    if not new:
        return
    with session.no_autoflush:
        groups: dict[tuple[int, int], list[EntryIdentifier]] = {}
        for row in new:
            key = (id(row.entry), row.position)
            if key in groups:
                continue
            siblings = row.entry.identifiers if row.entry is not None else [row]
            groups[key] = [other for other in siblings if other.position == row.position]
        covering = _covering(session, {row.stored_hash for group in groups.values() for row in group})
        if not covering:
            return
        held: dict[int, set[bytes]] = {}
        for group in groups.values():
            until = _until(covering, (row.stored_hash for row in group))
            if until is None:
                continue
            for row in group:
                row.protected_until = until
            _learn(session, covering, [(row.stored_hash, row.key_id) for row in group], held)


def init_protective_flags() -> None:
    """Listen on every session (the API's, the CLI's, the tick's): rows are added by all of them."""
    if not event.contains(Session, "before_flush", _flag_new_identifiers):
        event.listen(Session, "before_flush", _flag_new_identifiers)
