"""Entries: members list confirmed offenders, read and retract their own."""

from __future__ import annotations

from flask import Flask, current_app, request

from ..database import utcnow
from ..entries import rekeying
from ..entries import service as entries
from ..entries.rules import Policy
from ..errors import ValidationFailed, field_error
from ..extensions import db
from .auth import current_principal, requires
from .parsing import Blueprint, idempotency_key
from .schemas.entries import (
    BatchResultSchema,
    BatchSchema,
    EntryPageSchema,
    EntryQuerySchema,
    EntrySchema,
    RekeyResultSchema,
    RekeySchema,
    RetractSchema,
    SubmissionSchema,
    load_batch_items,
)

# Full paths rather than a url_prefix: Flask would join a prefix and ":batch" with a slash.
blp = Blueprint("entries", __name__, description="Listing confirmed offenders.")


def init_entries(app: Flask) -> None:
    """The submission policy is read from configuration once, not per request; the accepted salt
    key ids are a live view, so a salt rotation needs no restart."""
    secrets = app.extensions["federation.identifiers"]
    app.extensions["federation.entries.policy"] = Policy.from_config(app.config, secrets.accepted_key_ids)


def _context() -> dict:
    return {
        "policy": current_app.extensions["federation.entries.policy"],
        "identifier_secrets": current_app.extensions["federation.identifiers"],
        "now": utcnow(),
    }


@blp.route("/v1/entries", methods=["POST"])
@requires("submit")
@blp.arguments(SubmissionSchema)
@blp.response(201, EntrySchema)
@blp.alt_response(200, schema=EntrySchema, description="An identical earlier submission: the existing entry.")
def submit(submission):
    """List a confirmed offender. Idempotent by case_ref (or Idempotency-Key)."""
    key = idempotency_key(request)
    if submission.case_ref is None and key is None:
        raise ValidationFailed(
            "Give a case_ref or an Idempotency-Key header.",
            errors=[field_error("/case_ref", "Required without an Idempotency-Key.")],
        )
    outcome = entries.submit(db.session, current_principal().member_id, submission, idempotency_key=key, **_context())
    return outcome.entry, 201 if outcome.created else 200


@blp.route("/v1/entries:batch", methods=["POST"])
@requires("submit")
@blp.arguments(BatchSchema)
@blp.response(200, BatchResultSchema)
def submit_batch(body):
    """Up to 1,000 entries, each accepted or rejected on its own; accepted ones are durable on return."""
    results = entries.submit_batch(
        db.session, current_principal().member_id, load_batch_items(body["entries"]), **_context()
    )
    counts = {status: sum(r.status == status for r in results) for status in ("created", "existing")}
    return {**counts, "rejected": len(results) - sum(counts.values()), "results": results}


@blp.route("/v1/entries:rekey", methods=["POST"])
@requires("submit")
@blp.arguments(RekeySchema)
@blp.response(200, RekeyResultSchema)
def rekey(body):
    """Add hashes under newer salts to your entries' identifiers, so they match whichever salt a lookup uses."""
    results = rekeying.rekey(
        db.session,
        current_principal().member_id,
        body["entries"],
        identifier_secrets=current_app.extensions["federation.identifiers"],
        now=utcnow(),
        guard_days=current_app.extensions["federation.entries.policy"].reinsertion_guard_days,
    )
    return {"rekeyed": sum(r.status == "rekeyed" for r in results), "results": results}


@blp.route("/v1/entries", methods=["GET"])
@requires("submit")
@blp.arguments(EntryQuerySchema, location="query")
@blp.response(200, EntryPageSchema)
def list_entries(query):
    """Your own entries, newest first, a page at a time (``next_cursor``)."""
    page, next_cursor = entries.list_own_entries(db.session, current_principal().member_id, **query)
    return {"entries": page, "next_cursor": next_cursor}


@blp.route("/v1/entries/<ref>", methods=["GET"])
@requires("submit")
@blp.response(200, EntrySchema)
def show_entry(ref):
    """One of your own entries (another member's is 404)."""
    return entries.get_own_entry(db.session, current_principal().member_id, ref)


@blp.route("/v1/entries/<ref>/retract", methods=["POST"])
@requires("submit")
@blp.arguments(RetractSchema)
@blp.response(200, EntrySchema)
def retract(body, ref):
    """Withdraw your entry: it stops matching at once, and every member is told."""
    entry = entries.retract(db.session, current_principal().member_id, ref, reason=body["reason"], now=utcnow())
    return entry
