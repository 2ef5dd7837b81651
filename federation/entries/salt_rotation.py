"""The operator's side of a salt rotation: add a salt, watch re-keying, retire the old salt.

The rule this module keeps: **a rotation never silently stops matching.**
Adding a salt only adds (the previous one stays accepted, so every hash
members already send still matches). Retiring a salt is the only step that
can make a listing unfindable, so it is refused while any live entry holds an
identifier under that salt alone; the operator can override with ``force``,
and is told how many entries it strands.

Counting is done per identifier, not per entry: an entry whose phone was
re-keyed but whose device was not still depends on the old salt for its
device.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, aliased

from ..errors import Conflict, NotFound, ValidationFailed, field_error
from ..events.service import record
from ..identifiers import KEY_ID_PATTERN
from ..identifiers.secrets import IdentifierSecrets, SaltTable, new_salt
from .models import Entry, EntryIdentifier, ReinsertionGuard, ReinsertionGuardHash
from .rekeying import REKEYABLE_STATES


@dataclass(frozen=True, slots=True)
class KeyIdStatus:
    key_id: str
    status: str  # current | accepted | retired
    #: Live (active or suspended, within term) entries holding at least one identifier under it.
    entries: int
    #: Of those, entries with an identifier held under it but not under the current salt: to re-key.
    lacking_current: int
    #: Entries with an identifier held under this salt and no other accepted one: retiring it strands them.
    only_here: int


@dataclass(frozen=True, slots=True)
class Retirement:
    key_id: str
    stranded: int
    removed_hashes: int
    #: Reinsertion guards that watched the person only under this salt (forced retirements only).
    blind_guards: int = 0


def add_salt(
    session: Session, identifier_secrets: IdentifierSecrets, key_id: str | None = None, *, actor: str, now: datetime
) -> SaltTable:
    """A new current salt; the previous current one stays accepted. Takes effect in every worker within a second."""
    table = identifier_secrets.table
    key_id = key_id or now.strftime("%Y-%m-%d")
    if not KEY_ID_PATTERN.fullmatch(key_id):
        raise ValidationFailed(
            "Not a valid key id.", errors=[field_error("/key_id", "1-32 of A-Z a-z 0-9 . _ -, starting alphanumeric.")]
        )
    if key_id in table.salts or key_id in table.retired:
        raise Conflict(f"Key id {key_id!r} is or was in use: a key id never names two salts.", code="salt_key_id_used")
    record(
        session,
        "salt:added",
        f"salt:{key_id}",
        actor=actor,
        now=now,
        payload={"key_id": key_id, "previous": table.current_key_id},
    )
    session.flush()
    identifier_secrets.replace(SaltTable(key_id, {**table.salts, key_id: new_salt()}, table.retired))
    return identifier_secrets.table


def status(session: Session, identifier_secrets: IdentifierSecrets, *, now: datetime) -> list[KeyIdStatus]:
    """Per key id held by live entries (and every accepted one): how far re-keying has come."""
    table = identifier_secrets.table
    entries: dict[str, set[int]] = defaultdict(set)
    lacking: dict[str, set[int]] = defaultdict(set)
    only: dict[str, set[int]] = defaultdict(set)
    for entry_id, key_ids in _live_identifier_key_ids(session, now):
        accepted = key_ids & table.salts.keys()
        for key_id in key_ids:
            entries[key_id].add(entry_id)
            if table.current_key_id not in key_ids:
                lacking[key_id].add(entry_id)
            if accepted == {key_id}:
                only[key_id].add(entry_id)
    known = [table.current_key_id, *sorted(set(table.salts) - {table.current_key_id})]
    others = sorted(set(entries) - set(table.salts))
    return [
        KeyIdStatus(
            key_id,
            table.status(key_id) if key_id in table.salts else "retired",
            len(entries[key_id]),
            len(lacking[key_id]),
            len(only[key_id]),
        )
        for key_id in known + others
    ]


def retire_salt(
    session: Session,
    identifier_secrets: IdentifierSecrets,
    key_id: str,
    *,
    force: bool = False,
    actor: str,
    now: datetime,
) -> Retirement:
    """Stop accepting a salt. Refused while live entries hold an identifier under it alone, unless forced.

    Hashes under the retired salt that another accepted salt covers are
    deleted (nothing can match them any more). Those of stranded identifiers
    (``force``) are kept: an appeal filed before the retirement carries hashes
    under it and can still find, and delist, the entry; they go when the
    entry ends and is purged.
    """
    table = identifier_secrets.table
    if key_id == table.current_key_id:
        raise Conflict("The current salt cannot be retired: add a new one first.", code="salt_current")
    if key_id not in table.salts:
        raise NotFound(f"No accepted salt {key_id!r}.", code="salt_not_found")
    stranded = next((s.only_here for s in status(session, identifier_secrets, now=now) if s.key_id == key_id), 0)
    if stranded and not force:
        raise Conflict(
            f"{stranded} live entries hold identifiers under {key_id!r} alone and would stop matching: "
            "have their submitters re-key them first (federation salts status), or force the retirement.",
            code="salt_in_use",
        )
    blind = guards_only_under(session, key_id, set(table.salts) - {key_id})
    if blind and not force:
        raise Conflict(
            f"{blind} reinsertion guards watch identifiers under {key_id!r} alone: after retirement a "
            "re-listing hashed under the other salts would pass them. Wait until they end "
            "(FEDERATION_REINSERTION_GUARD_DAYS after their decision), or force the retirement.",
            code="salt_guarding",
        )
    removed = _delete_covered(session, key_id, set(table.salts) - {key_id})
    record(
        session,
        "salt:retired",
        f"salt:{key_id}",
        actor=actor,
        now=now,
        payload={
            "key_id": key_id,
            "forced": bool(stranded or blind),
            "stranded": stranded,
            "blind_guards": blind,
            "removed_hashes": removed,
        },
    )
    session.flush()
    salts = {kid: salt for kid, salt in table.salts.items() if kid != key_id}
    identifier_secrets.replace(SaltTable(table.current_key_id, salts, table.retired | {key_id}))
    return Retirement(key_id, stranded, removed, blind)


def guards_only_under(session: Session, key_id: str, remaining: set[str]) -> int:
    """Guards not yet ended that hold hashes under ``key_id`` and under none of ``remaining``.

    An overturned entry's hashes carry their key id; an appellant's (``key_id`` NULL) were made
    under the salts of their day and are not counted as covering anything: the check errs on the
    side of keeping the guard's promise.
    """
    rows = session.execute(
        select(ReinsertionGuardHash.guard_id, ReinsertionGuardHash.key_id)
        .join(ReinsertionGuard, ReinsertionGuard.id == ReinsertionGuardHash.guard_id)
        .where(ReinsertionGuard.purged_at.is_(None), ReinsertionGuardHash.key_id.is_not(None))
    )
    key_ids: dict[int, set[str]] = defaultdict(set)
    for guard_id, hashed_under in rows:
        key_ids[guard_id].add(hashed_under)
    return sum(1 for held in key_ids.values() if key_id in held and not held & remaining)


def _live_identifier_key_ids(session: Session, now: datetime) -> Iterable[tuple[int, frozenset[str]]]:
    """``(entry id, key ids)`` for each identifier of each entry that can still match."""
    rows = session.execute(
        select(EntryIdentifier.entry_id, EntryIdentifier.position, EntryIdentifier.key_id)
        .join(Entry, Entry.id == EntryIdentifier.entry_id)
        .where(Entry.state.in_(REKEYABLE_STATES), Entry.expires_at > now)
        .execution_options(yield_per=5000)
    )
    groups: dict[tuple[int, int], set[str]] = defaultdict(set)
    for entry_id, position, key_id in rows:
        groups[(entry_id, position)].add(key_id)
    return [(entry_id, frozenset(key_ids)) for (entry_id, _), key_ids in groups.items()]


def _delete_covered(session: Session, key_id: str, remaining: set[str]) -> int:
    """Delete the hashes under ``key_id`` whose identifier is also held under a salt that stays accepted."""
    other = aliased(EntryIdentifier)
    covered = (
        select(other.id)
        .where(
            other.entry_id == EntryIdentifier.entry_id,
            other.position == EntryIdentifier.position,
            other.key_id.in_(remaining),
        )
        .exists()
    )
    result = session.execute(
        delete(EntryIdentifier).where(EntryIdentifier.key_id == key_id, covered),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount
