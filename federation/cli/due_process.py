"""``federation tick`` and the reviewers' commands for disputes and appeals."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from ..api.appeals import status_page_url
from ..database import utcnow
from ..disputes import appeals, decision_notices, retention
from ..disputes import service as disputes
from ..disputes.deadlines import apply_deadlines
from ..disputes.evidence_files import erase_unneeded
from ..entries import expiry, guard, holds
from ..errors import Forbidden
from ..extensions import db
from ..lookups.sweep_service import refresh_baselines
from ..members.service import get_member
from ..notify import postman
from ..protective import retention as protective_retention
from ..reputation import standing
from ..reputation.formula import ReputationModel
from ..webhooks.destinations import webhook_transport
from ..webhooks.dispatch import deliver_due
from .common import actor, run
from .warninglists import cover_salts


def tick_once() -> str:
    """Everything that happens because time passed, in one transaction per step."""
    settings = current_app.extensions["federation.due_process"]
    report = run(
        lambda: apply_deadlines(
            db.session,
            now=utcnow(),
            deadlines=settings.deadlines,
            identifier_secrets=current_app.extensions["federation.identifiers"],
        )
    )
    purged = run(lambda: expiry.purge(db.session, now=utcnow()))
    guards = run(lambda: guard.purge_guards(db.session, days=_guard_days(), now=utcnow()))
    protections = run(lambda: protective_retention.purge_ended(db.session, now=utcnow()))
    notices = run(
        lambda: decision_notices.due_notices(
            db.session, contact_box=settings.contact_box, status_url=status_page_url(), now=utcnow()
        )
    )
    for message in notices:  # committed first: the contact is erased whether or not the mail gets through
        postman().post(message)
    trust = run(  # reputation: effective trust from each member's record (docs/scoring.md)
        lambda: standing.recompute(db.session, ReputationModel.from_config(current_app.config), now=utcnow())
    )
    forgotten = run(
        lambda: retention.erase_decided_appeals(db.session, days=settings.appeal_retention_days, now=utcnow())
    )
    audited = current_app.extensions["federation.lookups.audit"].recover()  # spools of dead workers
    detector = current_app.extensions["federation.lookups.sweeps"]  # issue 13: members' usual lookup volume
    baselines = run(lambda: refresh_baselines(db.session, detector, utcnow()))
    erased = erase_unneeded(settings.upload_dir, appeals.evidence_in_use(db.session))
    outbox = postman().notifier.prune(utcnow())  # the local outbox holds addresses and codes
    listed = cover_salts()  # a salts file edited by hand, or a rotation the CLI did not see
    db.session.commit()
    sent = deliver_due(
        db.session,
        current_app.extensions["federation.auth"].key_set,
        now=utcnow(),
        transport=webhook_transport(current_app.config),
    )
    return (
        f"disputes warned {report.warned}, unanswered {report.unanswered}, "
        f"review overdue {report.review_overdue}, moot {report.moot}; "
        f"appeals matched {report.appeals_matched}; entries expired {purged.expired}, purged {purged.purged}; "
        f"reinsertion guards ended {guards}; protective registrations ended {protections}; "
        f"decisions sent {len(notices)}; decided appeals erased {forgotten}; "
        f"webhooks delivered {sent.delivered}, retrying {sent.retrying}, failed {sent.failed}; "
        f"audit lines recovered {audited}; evidence files erased {erased}; outbox messages deleted {outbox}; "
        f"member trust changed {trust}; lookup baselines {baselines}; {listed}"
    )


@click.command("tick")
@click.option("--every", type=click.IntRange(min=1), help="repeat every N seconds instead of once")
@with_appcontext
def tick(every: int | None) -> None:
    """Apply deadlines: unanswered disputes suspend entries, appeals get matched, entries expire, members'
    trust follows their record (cron-able)."""
    while True:
        click.echo(f"{utcnow():%Y-%m-%dT%H:%M:%SZ} tick: {tick_once()}")
        if every is None:
            return
        db.session.remove()
        time.sleep(every)


@click.group("disputes")
def disputes_group() -> None:
    """Reviewers: the disputes waiting for a decision, and decisions."""


@disputes_group.command("queue")
@with_appcontext
def dispute_queue() -> None:
    now = utcnow()
    for d in disputes.review_queue(db.session):
        click.echo(
            f"{d.ref}  entry {d.entry.ref}  decide by {d.decide_by:%Y-%m-%d}{_late(d, now)}  answer {d.answer or '-'}"
        )


def _decider(as_member: str | None) -> str:
    """Who decides at the console: the operator itself (``cli:<user>``), or with ``--as`` a reviewer member.

    The operator belongs to no member, so it is never a party to a case (``disputes/fairness.py``):
    it is where a case goes when every reviewer is conflicted. ``--as`` records the decision as an
    active member holding the review role, held to the conflict-of-interest rule like the API.
    """
    if as_member is None:
        return actor()
    member = get_member(db.session, as_member)
    if member.status != "active" or "review" not in member.role_set:
        raise Forbidden(f"{as_member} is not an active member with the review role.", code="not_a_reviewer")
    return member.id


_expedite = click.option(
    "--expedite-reason", help="why to decide before the submitter answered or its answer deadline passed"
)
_as_member = click.option("--as", "as_member", metavar="MEMBER", help="decide as this reviewer member")


@disputes_group.command("decide")
@click.argument("ref")
@click.argument("outcome", type=click.Choice(["upheld", "rejected"]))
@click.option("--reason", required=True)
@_expedite
@_as_member
@with_appcontext
def dispute_decide(ref: str, outcome: str, reason: str, expedite_reason: str | None, as_member: str | None) -> None:
    dispute = run(
        lambda: disputes.decide(
            db.session, _decider(as_member), ref, outcome=outcome, reason=reason, now=utcnow(),
            expedite_reason=expedite_reason,
        )
    )  # fmt: skip
    click.echo(f"{dispute.ref}: {dispute.outcome}; entry {dispute.entry.ref} is {dispute.entry.state}")


@click.group("appeals")
def appeals_group() -> None:
    """Reviewers: open appeals, and decisions."""


@appeals_group.command("queue")
@with_appcontext
def appeal_queue() -> None:
    now, calendar = utcnow(), current_app.extensions["federation.due_process"].deadlines.calendar
    for a in appeals.review_queue(db.session):
        due = f"{calendar.local_date(a.decide_by)} ({calendar.time_zone}){_late(a, now)}"
        click.echo(f"{a.ref}  case {a.case_ref}  {a.state}  decide by {due}  disputes {len(a.disputes)}")


def _late(case, now) -> str:
    return "  OVERDUE" if disputes.overdue(case, now) else ""


@appeals_group.command("decide")
@click.argument("ref")
@click.argument("decision", type=click.Choice(appeals.DECISIONS))
@click.option("--reason", required=True)
@_expedite
@_as_member
@with_appcontext
def appeal_decide(ref: str, decision: str, reason: str, expedite_reason: str | None, as_member: str | None) -> None:
    appeal = run(
        lambda: appeals.decide_appeal(
            db.session, _decider(as_member), ref, decision=decision, reason=reason, now=utcnow(),
            expedite_reason=expedite_reason,
        )
    )  # fmt: skip
    click.echo(f"{appeal.ref}: {appeal.state}")


def _guard_days() -> int:
    return current_app.extensions["federation.entries.policy"].reinsertion_guard_days


@click.group("holds")
def holds_group() -> None:
    """Reviewers: held entries (re-listings under a reinsertion guard), and decisions."""


@holds_group.command("queue")
@with_appcontext
def hold_queue() -> None:
    for case in holds.review_queue(db.session, actor(), guard_days=_guard_days()):
        overturned = ", ".join(g.appeal_ref or g.dispute_ref or g.entry.ref for g in case.guards)
        missing = ", ".join(case.gaps) or "-"
        click.echo(f"{case.hold.entry.ref}  by {case.hold.entry.member_id}  overturned {overturned}  missing {missing}")


@holds_group.command("decide")
@click.argument("ref")
@click.argument("decision", type=click.Choice(holds.DECISIONS))
@click.option("--reason", required=True)
@with_appcontext
def hold_decide(ref: str, decision: str, reason: str) -> None:
    case = run(
        lambda: holds.decide_hold(
            db.session, actor(), ref, decision=decision, reason=reason, now=utcnow(), guard_days=_guard_days()
        )
    )
    click.echo(f"{ref}: hold {case.hold.state}; entry is {case.hold.entry.state}")
