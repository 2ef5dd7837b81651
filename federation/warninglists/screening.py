"""What a warninglist does to a listing: refuse it, or mark the identifier so lookups weigh it less.

Called by ``entries.service.submit`` (so by single, batch and file-import
submissions alike) with the stored hashes of the new entry: one indexed query
per submission, never on the lookup path. The comparison is on stored hashes,
so a member that hashed a test number by hand, past the SDK's checks, is
caught the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..entries.models import EntryIdentifier
from ..errors import ValidationFailed, field_error
from .models import Warninglist, WarninglistHash


def screen(session: Session, identifiers: Sequence[tuple[str, EntryIdentifier]]) -> None:
    """Refuse (422, naming the list and each identifier) or mark ``(pointer, identifier)`` pairs.

    Refusals win over down-weighting; of several down-weighting lists, the lightest weight marks.
    """
    hashes = {row.stored_hash for _, row in identifiers}
    if not hashes:
        return
    hits: dict[bytes, list[tuple[int, str, str, float]]] = {}
    for stored_hash, list_id, name, action, weight in session.execute(
        select(WarninglistHash.stored_hash, Warninglist.id, Warninglist.name, Warninglist.action, Warninglist.weight)
        .join(Warninglist, Warninglist.id == WarninglistHash.warninglist_id)
        .where(WarninglistHash.stored_hash.in_(hashes), Warninglist.enabled.is_(True))
    ):
        hits.setdefault(stored_hash, []).append((list_id, name, action, weight))
    if not hits:
        return
    refused = [
        (pointer, name)
        for pointer, row in identifiers
        for _, name, action, _ in sorted(hits.get(row.stored_hash, ()), key=lambda hit: hit[1])
        if action == "refuse"
    ]
    if refused:
        names = ", ".join(repr(name) for name in sorted({name for _, name in refused}))
        raise ValidationFailed(
            f"An identifier is on the warninglist {names}; nothing was listed.",
            code="warninglisted",
            errors=[
                field_error(pointer, f"On the warninglist {name!r}: this value is never listed.", code="warninglisted")
                for pointer, name in dict.fromkeys(refused)  # one identifier: several hashes, one pointer
            ][:100],
        )
    for _, row in identifiers:
        found = hits.get(row.stored_hash)
        if found:
            row.warninglist_id = min(found, key=lambda hit: (hit[3], hit[0]))[0]
