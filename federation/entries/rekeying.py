"""Re-keying: a submitter adds, to entries it already listed, the hashes of their identifiers
under salts added since.

After a salt rotation an entry listed under the old salt still matches every
lookup that carries a hash under the old salt (the SDK hashes under every
accepted salt), but not a member hashing by hand with the new salt alone, and
not at all once the old salt is retired. Re-keying closes that gap without the
server ever holding a raw identifier: the member, who still has its case
records, sends each identifier hashed under every accepted salt, and the
server adds the hashes the entry lacks.

A re-key can only widen what an entry already holds, never add an identifier:
each identifier sent must prove itself by a hash equal to one the entry
already stores (same type, same salt, same value); the others are reported as
unmatched and ignored.

What the server cannot prove is that the *new* salt's hash is of the same value:
hashes under two keys cannot be compared. So a new hash is screened like a
listing's: a warninglisted value is refused (422, naming the list) or marked as
the list says, and a hash under a live reinsertion guard is refused (422: a
listing overturned in due process does not come back through a re-key; a new
listing, held for a reviewer, is the way). A protective registration flags the
new rows as it flags any (``protective/flags.py``). The rest is the same trust
as a listing, and audited (``entry:rekeyed``, with the key ids added).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..errors import ValidationFailed, field_error
from ..events.service import record
from ..identifiers.secrets import IdentifierSecrets
from ..warninglists.screening import screen
from .guard import live_guards
from .models import Entry, EntryIdentifier
from .rules import HashedId

#: An ended entry stops matching and its hashes are purged: there is nothing to re-key.
REKEYABLE_STATES = ("active", "suspended", "held")


@dataclass(frozen=True, slots=True)
class RekeyItem:
    ref: str
    #: Flat hashes, grouped per identifier (``HashedId.group``), as ``rules.Submission`` holds them.
    identifiers: tuple[HashedId, ...]


@dataclass(frozen=True, slots=True)
class RekeyResult:
    index: int
    ref: str
    status: str  # rekeyed | unchanged | not_found | ended
    added: int = 0
    #: Indexes of the identifiers sent that matched none the entry holds.
    unmatched: tuple[int, ...] = ()


def rekey(
    session: Session,
    member_id: str,
    items: list[RekeyItem],
    *,
    identifier_secrets: IdentifierSecrets,
    now: datetime,
    guard_days: int,
) -> list[RekeyResult]:
    """Add the missing salts' hashes to the member's own entries; one result per item, in order.

    Nothing is written unless every new hash passes the warninglists and the reinsertion guards.
    """
    _check_key_ids(items, identifier_secrets)
    refs = {item.ref for item in items}
    entries = {
        entry.ref: entry
        for entry in session.scalars(
            select(Entry)
            .where(Entry.member_id == member_id, Entry.ref.in_(refs))
            .options(selectinload(Entry.identifiers))
        )
    }
    results, new_rows = [], []
    for index, item in enumerate(items):
        entry = entries.get(item.ref)  # another member's entry is "not found": its existence is not revealed
        if entry is None or entry.state not in REKEYABLE_STATES:
            results.append(RekeyResult(index, item.ref, "not_found" if entry is None else "ended"))
            continue
        added, unmatched = _rekey_entry(entry, item.identifiers, identifier_secrets)
        new_rows += [(f"/entries/{index}/identifiers/{row.position}", row) for row in added]
        if added:
            record(
                session,
                "entry:rekeyed",
                f"entry:{entry.ref}",
                actor=member_id,
                now=now,
                payload={"ref": entry.ref, "added": len(added), "key_ids": sorted({row.key_id for row in added})},
            )
        results.append(RekeyResult(index, entry.ref, "rekeyed" if added else "unchanged", len(added), unmatched))
    _screen(session, new_rows, guard_days=guard_days, now=now)
    session.flush()
    return results


def _screen(session: Session, rows: list[tuple[str, EntryIdentifier]], *, guard_days: int, now: datetime) -> None:
    """Refuse (422, the request's transaction rolls back) what a listing of the same hashes could not do."""
    screen(session, rows)  # warninglists: refuse, or mark down-weighted
    guarded = {
        value
        for guard in live_guards(session, [row.stored_hash for _, row in rows], days=guard_days, now=now)
        for value in (item.stored_hash for item in guard.hashes)
    }
    refused = [pointer for pointer, row in rows if row.stored_hash in guarded]
    if refused:
        raise ValidationFailed(
            "An identifier is under a reinsertion guard after an upheld dispute or appeal; a re-key cannot "
            "bring it back. List it anew (it is held for a reviewer) if you have new evidence.",
            code="reinsertion_guarded",
            errors=[
                field_error(pointer, "Under a reinsertion guard.", code="reinsertion_guarded") for pointer in refused
            ][:100],
        )


def _check_key_ids(items: list[RekeyItem], identifier_secrets: IdentifierSecrets) -> None:
    errors = [
        field_error(f"/entries/{index}{identifier.at}/key_id", f"Unknown salt key id {identifier.key_id!r}.")
        for index, item in enumerate(items)
        for identifier in item.identifiers
        if not identifier_secrets.knows(identifier.key_id)
    ]
    if errors:
        raise ValidationFailed("Unknown salt key ids; see errors.", errors=errors[:100])


def _rekey_entry(
    entry: Entry, identifiers: tuple[HashedId, ...], identifier_secrets: IdentifierSecrets
) -> tuple[list[EntryIdentifier], tuple[int, ...]]:
    held = {row.stored_hash: row for row in entry.identifiers}
    key_ids_at: dict[int, set[str]] = {}
    for row in entry.identifiers:
        key_ids_at.setdefault(row.position, set()).add(row.key_id)
    groups: dict[int, list[tuple[HashedId, bytes]]] = {}
    for identifier in identifiers:
        stored = identifier_secrets.stored_hash(identifier.key_id, identifier.type, identifier.hash)
        groups.setdefault(identifier.group or 0, []).append((identifier, stored))
    added: list[EntryIdentifier] = []
    unmatched = []
    for group, hashes in sorted(groups.items()):
        proof = next((held[stored] for _, stored in hashes if stored in held), None)
        if proof is None:
            unmatched.append(group)
            continue
        present = key_ids_at[proof.position]
        for identifier, stored in hashes:
            if identifier.key_id in present:
                continue
            row = EntryIdentifier(
                position=proof.position,
                type=proof.type,
                key_id=identifier.key_id,
                stored_hash=stored,
                warninglist_id=proof.warninglist_id,  # the same value: on the same warninglist
            )
            entry.identifiers.append(row)
            present.add(identifier.key_id)
            added.append(row)
    return added, tuple(unmatched)
