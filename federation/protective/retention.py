"""Ended protective registrations forget the person: ``federation tick`` deletes their hashes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from ..events.service import record
from . import flags
from .models import ProtectiveRegistration, ProtectiveRegistrationHash
from .service import status


def purge_ended(session: Session, *, now: datetime, actor: str = "system:tick") -> int:
    """Delete the hashes of registrations withdrawn or past their review date (``federation tick``).

    Data minimisation: a registration no longer in force has no reason to keep a person's
    identifiers, even hashed. The row stays as history; flags it set are recomputed.
    """
    ended = list(
        session.scalars(
            select(ProtectiveRegistration).where(
                ProtectiveRegistration.purged_at.is_(None),
                or_(ProtectiveRegistration.state == "withdrawn", ProtectiveRegistration.expires_at <= now),
            )
        )
    )
    if not ended:
        return 0
    hashes = [item.stored_hash for registration in ended for item in registration.hashes]
    session.execute(
        delete(ProtectiveRegistrationHash).where(
            ProtectiveRegistrationHash.registration_id.in_([registration.id for registration in ended])
        )
    )
    for registration in ended:
        registration.purged_at = now
        session.expire(registration, ["hashes"])
        record(
            session, "protection:ended", f"protection:{registration.ref}", actor=actor, now=now,
            payload={"ref": registration.ref, "state": status(registration, now)},
        )  # fmt: skip
    flags.reflag(session, hashes)
    return len(ended)
