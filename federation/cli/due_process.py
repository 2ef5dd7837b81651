"""``federation tick`` and the reviewers' commands for disputes and appeals."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from ..database import utcnow
from ..disputes import appeals
from ..disputes import service as disputes
from ..disputes.deadlines import apply_deadlines
from ..disputes.evidence_files import erase_unneeded
from ..entries import expiry
from ..extensions import db
from ..webhooks.dispatch import deliver_due
from .common import actor, run


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
    audited = current_app.extensions["federation.lookups.audit"].recover()  # spools of dead workers
    erased = erase_unneeded(settings.upload_dir, appeals.evidence_in_use(db.session))
    db.session.commit()
    sent = deliver_due(db.session, current_app.extensions["federation.auth"].key_set, now=utcnow())
    return (
        f"disputes unanswered {report.unanswered}, review overdue {report.review_overdue}, moot {report.moot}; "
        f"appeals matched {report.appeals_matched}; entries expired {purged.expired}, purged {purged.purged}; "
        f"webhooks delivered {sent.delivered}, retrying {sent.retrying}, failed {sent.failed}; "
        f"audit lines recovered {audited}; evidence files erased {erased}"
    )


@click.command("tick")
@click.option("--every", type=click.IntRange(min=1), help="repeat every N seconds instead of once")
@with_appcontext
def tick(every: int | None) -> None:
    """Apply deadlines: unanswered disputes suspend entries, appeals get matched, entries expire (cron-able)."""
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


@disputes_group.command("decide")
@click.argument("ref")
@click.argument("outcome", type=click.Choice(["upheld", "rejected"]))
@click.option("--reason", required=True)
@with_appcontext
def dispute_decide(ref: str, outcome: str, reason: str) -> None:
    dispute = run(lambda: disputes.decide(db.session, actor(), ref, outcome=outcome, reason=reason, now=utcnow()))
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
        click.echo(f"{a.ref}  {a.state}  decide by {due}  cases {len(a.disputes)}")


def _late(case, now) -> str:
    return "  OVERDUE" if disputes.overdue(case, now) else ""


@appeals_group.command("decide")
@click.argument("ref")
@click.argument("decision", type=click.Choice(appeals.DECISIONS))
@click.option("--reason", required=True)
@with_appcontext
def appeal_decide(ref: str, decision: str, reason: str) -> None:
    appeal = run(
        lambda: appeals.decide_appeal(db.session, actor(), ref, decision=decision, reason=reason, now=utcnow())
    )
    click.echo(f"{appeal.ref}: {appeal.state}")
