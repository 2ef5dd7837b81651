"""Importing, listing and removing warninglists; keeping them under every salt; marking entries.

Plain functions over a session, the identifier secrets, the settings and a
clock; they record their event and flush, the request or CLI boundary commits.
What a list does at submission and lookup is in ``screening.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from federation_client.identifiers.hashing import message_bytes

from ..entries.models import EntryIdentifier
from ..errors import NotFound, ValidationFailed, field_error
from ..events.service import record
from ..identifiers.secrets import IdentifierSecrets
from . import misp
from .models import Warninglist, WarninglistHash
from .store import DocumentStore

_log = logging.getLogger(__name__)
_POSTGRESQL_COPY = "COPY warninglist_hashes (warninglist_id, key_id, stored_hash) FROM STDIN"
_SQLITE_INSERT = "INSERT INTO warninglist_hashes (warninglist_id, key_id, stored_hash) VALUES (?, ?, ?)"
DEFAULT_LISTS = Path(__file__).resolve().parent / "default"


@dataclass(frozen=True, slots=True)
class Settings:
    limits: misp.Limits
    default_region: str
    store: DocumentStore

    @classmethod
    def from_config(cls, config: Any, instance_path: str, pepper: bytes) -> Settings:
        return cls(
            limits=misp.Limits(
                max_addresses_per_network=int(config["WARNINGLIST_MAX_ADDRESSES_PER_NETWORK"]),
                max_nets_per_network=int(config["WARNINGLIST_MAX_NETS_PER_NETWORK"]),
                max_values=int(config["WARNINGLIST_MAX_VALUES"]),
            ),
            default_region=config["DEFAULT_REGION"],
            store=DocumentStore(Path(config.get("WARNINGLISTS_DIR") or Path(instance_path) / "warninglists"), pepper),
        )


@dataclass(frozen=True, slots=True)
class Imported:
    warninglist: Warninglist
    created: bool
    #: ``(index in "list", reason)`` of the values that could not be hashed.
    skipped: list[tuple[int, str]] = field(default_factory=list)
    #: Entry identifiers already listed that the list now marks.
    marked: int = 0


def import_list(
    session: Session,
    document: Any,
    *,
    identifier_secrets: IdentifierSecrets,
    settings: Settings,
    actor: str,
    now: datetime,
) -> Imported:
    """Add a list, or replace the one of the same name; hash it under every accepted salt and mark
    the entry identifiers already listed that it names."""
    parsed, expansion = _read(document, settings)
    found = session.scalars(select(Warninglist).where(Warninglist.name == parsed.name)).first()
    created = found is None
    warninglist = found or Warninglist(name=parsed.name, created_at=now, enabled=True)
    if found is not None:
        _unmark(session, found.id)
        session.execute(delete(WarninglistHash).where(WarninglistHash.warninglist_id == found.id))
    warninglist.version, warninglist.description, warninglist.kind = parsed.version, parsed.description, parsed.kind
    warninglist.action, warninglist.weight, warninglist.types = parsed.action, parsed.weight, list(parsed.types)
    warninglist.listed_values, warninglist.hashed_values = len(parsed.values), len(expansion.values)
    warninglist.skipped_values = len({index for index, _ in expansion.skipped})
    warninglist.sha256 = hashlib.sha256(_canonical(document).encode()).hexdigest()
    warninglist.key_ids, warninglist.updated_at = sorted(identifier_secrets.salts), now
    session.add(warninglist)
    session.flush()
    _insert_hashes(session, warninglist.id, expansion.values, identifier_secrets, identifier_secrets.salts)
    settings.store.save(warninglist.sha256, document)
    marked = mark_listed(session, warninglist)
    for index, reason in expansion.skipped:  # the values are public list data, but say only where they are
        _log.warning("warninglist %r: value %d not hashed: %s", parsed.name, index, reason)
    record(
        session,
        "warninglist:imported",
        f"warninglist:{warninglist.id}",
        actor=actor,
        now=now,
        payload={
            "name": warninglist.name,
            "version": warninglist.version,
            "action": warninglist.action,
            "weight": warninglist.weight,
            "hashed_values": warninglist.hashed_values,
            "skipped_values": warninglist.skipped_values,
            "marked_identifiers": marked,
            "replaced": not created,
        },
    )
    session.flush()
    return Imported(warninglist, created, expansion.skipped, marked)


def import_defaults(
    session: Session, *, identifier_secrets: IdentifierSecrets, settings: Settings, actor: str, now: datetime
) -> list[Imported]:
    """The lists that ship with the project (``federation/warninglists/default``), each replacing its
    earlier import; a list already imported from the same document is left as it is."""
    done = []
    for path in sorted(DEFAULT_LISTS.glob("*.json")):
        document = json.loads(path.read_text("utf-8"))
        found = session.scalars(select(Warninglist).where(Warninglist.name == document.get("name"))).first()
        if found is not None and found.sha256 == hashlib.sha256(_canonical(document).encode()).hexdigest():
            continue
        done.append(
            import_list(
                session, document, identifier_secrets=identifier_secrets, settings=settings, actor=actor, now=now
            )
        )
    return done


def _read(document: Any, settings: Settings) -> tuple[misp.Warninglist, misp.Expansion]:
    try:
        parsed = misp.parse(document)
        expansion = misp.expand(parsed, settings.limits, default_region=settings.default_region)
    except misp.WarninglistInvalid as error:
        raise ValidationFailed(
            "Not a usable MISP warninglist; see errors.",
            code="warninglist_invalid",
            errors=[field_error(pointer, detail) for pointer, detail in error.errors],
        ) from None
    if not expansion.values:
        raise ValidationFailed(
            "None of the list's values is an identifier this federation can hash.",
            code="warninglist_invalid",
            errors=[field_error(f"/list/{index}", reason) for index, reason in expansion.skipped[:100]],
        )
    return parsed, expansion


def _canonical(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, sort_keys=True)


def _insert_hashes(
    session: Session,
    list_id: int,
    values: Iterable[tuple[str, str]],
    identifier_secrets: IdentifierSecrets,
    salts: dict[str, bytes],
) -> None:
    """Each value as entries store it: the member's hash (``bf1``) under each salt, then peppered.

    Written at the driver: the default network list is ~220,000 rows a salt, which took 36 s
    through the ORM's bulk insert on PostgreSQL (one pipelined statement a row) and takes about
    a second with ``COPY``; SQLite's ``executemany`` is fast as it is.
    """
    stored_hash = identifier_secrets.stored_hash
    rows = (
        (list_id, key_id, stored_hash(key_id, type_, _member_hash(salt, type_, canonical)))
        for type_, canonical in values
        for key_id, salt in salts.items()
    )
    connection = session.connection()
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(_POSTGRESQL_COPY) as copy:
            for row in rows:
                copy.write_row(row)
        return
    cursor = driver.cursor()
    try:
        cursor.executemany(_SQLITE_INSERT, rows)
    finally:
        cursor.close()


def _member_hash(salt: bytes, type_: str, canonical: str) -> str:
    """``hash_normalized`` (the spec's bytes), in one C call: it runs once per value and salt."""
    return hmac.digest(salt, message_bytes(type_, canonical), "sha256").hex()


def mark_listed(session: Session, warninglist: Warninglist) -> int:
    """Mark the entry identifiers the list names (unless a list weighing them less already does)."""
    if not warninglist.enabled:
        return 0
    on_list = select(WarninglistHash.stored_hash).where(WarninglistHash.warninglist_id == warninglist.id)
    lighter = select(Warninglist.id).where(Warninglist.weight <= warninglist.weight, Warninglist.id != warninglist.id)
    result = session.execute(
        update(EntryIdentifier)
        .where(
            EntryIdentifier.stored_hash.in_(on_list),
            or_(EntryIdentifier.warninglist_id.is_(None), EntryIdentifier.warninglist_id.not_in(lighter)),
        )
        .values(warninglist_id=warninglist.id)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def _unmark(session: Session, list_id: int) -> None:
    session.execute(
        update(EntryIdentifier)
        .where(EntryIdentifier.warninglist_id == list_id)
        .values(warninglist_id=None)
        .execution_options(synchronize_session=False)
    )


def list_all(session: Session) -> list[Warninglist]:
    return list(session.scalars(select(Warninglist).order_by(Warninglist.name)))


def get(session: Session, list_id: int) -> Warninglist:
    warninglist = session.get(Warninglist, list_id)
    if warninglist is None:
        raise NotFound(f"No warninglist {list_id}.", code="warninglist_not_found")
    return warninglist


def by_name(session: Session, name: str) -> Warninglist:
    warninglist = session.scalars(select(Warninglist).where(Warninglist.name == name)).first()
    if warninglist is None:
        raise NotFound(f"No warninglist named {name!r}.", code="warninglist_not_found")
    return warninglist


def remove(session: Session, warninglist: Warninglist, *, settings: Settings, actor: str, now: datetime) -> None:
    """Delete a list, its hashes and its marks: what it refused may be listed again, what it
    down-weighted counts in full."""
    list_id, name, sha256 = warninglist.id, warninglist.name, warninglist.sha256
    _unmark(session, list_id)
    session.execute(delete(WarninglistHash).where(WarninglistHash.warninglist_id == list_id))
    session.delete(warninglist)
    record(session, "warninglist:removed", f"warninglist:{list_id}", actor=actor, now=now, payload={"name": name})
    session.flush()
    settings.store.delete(sha256)


def set_enabled(session: Session, warninglist: Warninglist, enabled: bool, *, actor: str, now: datetime) -> Warninglist:
    """A disabled list refuses nothing and weighs nothing (lookups ignore its marks); enabling it
    marks what was listed in between."""
    if warninglist.enabled == enabled:
        return warninglist
    warninglist.enabled, warninglist.updated_at = enabled, now
    session.flush()
    marked = mark_listed(session, warninglist) if enabled else 0
    record(
        session,
        "warninglist:enabled" if enabled else "warninglist:disabled",
        f"warninglist:{warninglist.id}",
        actor=actor,
        now=now,
        payload={"name": warninglist.name, "marked_identifiers": marked},
    )
    session.flush()
    return warninglist


@dataclass(frozen=True, slots=True)
class Coverage:
    #: Lists newly hashed under a salt, and lists that could not be (their document is missing).
    covered: list[str]
    uncovered: list[str]
    #: Hashes under salts no longer accepted, deleted.
    dropped: int


def cover_salts(
    session: Session, *, identifier_secrets: IdentifierSecrets, settings: Settings, actor: str, now: datetime
) -> Coverage:
    """Make every list's hashes exactly those under the accepted salts: after ``federation salts
    add|retire`` and on every ``federation tick`` (a salts file edited by hand)."""
    accepted = identifier_secrets.salts
    covered, uncovered, dropped = [], [], 0
    for warninglist in list_all(session):
        stale = sorted(set(warninglist.key_ids) - accepted.keys())
        if stale:
            dropped += (
                session.execute(
                    delete(WarninglistHash).where(
                        WarninglistHash.warninglist_id == warninglist.id, WarninglistHash.key_id.in_(stale)
                    )
                ).rowcount
                or 0
            )
        missing = {key_id: salt for key_id, salt in accepted.items() if key_id not in warninglist.key_ids}
        if missing:
            document = settings.store.load(warninglist.sha256)
            if document is None:
                _log.warning("warninglist %r: document missing, not hashed under %s", warninglist.name, sorted(missing))
                uncovered.append(warninglist.name)
                missing = {}
            else:
                _, expansion = _read(document, settings)
                _insert_hashes(session, warninglist.id, expansion.values, identifier_secrets, missing)
                covered.append(warninglist.name)
        if stale or missing:
            warninglist.key_ids = sorted((set(warninglist.key_ids) - set(stale)) | missing.keys())
            warninglist.updated_at = now
            session.flush()
            marked = mark_listed(session, warninglist)
            record(
                session,
                "warninglist:rekeyed",
                f"warninglist:{warninglist.id}",
                actor=actor,
                now=now,
                payload={"name": warninglist.name, "key_ids": warninglist.key_ids, "marked_identifiers": marked},
            )
    session.flush()
    return Coverage(covered, uncovered, dropped)
