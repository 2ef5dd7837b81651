"""Wiring the sweep detector into an app, and the baselines ``federation tick`` recomputes.

The detector (``sweep_detector``) never touches the database on a lookup's normal path; only a
detected sweep writes (its alert, in a transaction of its own, so the 429 that follows does not
roll it back). Baselines come from the members' audited lookups (``lookup_records``), read here by
``federation tick`` and cached in the detector's store.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..alerts import service as alerts
from ..members.models import Member
from .models import LookupRecord
from .sweep_detector import SweepDetector
from .sweep_store import store_for
from .sweeps import Finding, FlushRule, SweepRules, baseline_from_daily

#: Days of a member's lookup history its baseline is taken from.
BASELINE_DAYS = 30
ACTOR = "system:sweep-detector"


def init_sweep_detector(app: Flask) -> None:
    from ..extensions import db

    with app.app_context():
        engine = db.engine

    def raise_sweep_alert(member_id: str, finding: Finding, now: datetime) -> None:
        with Session(engine) as session:
            alerts.raise_alert(session, "lookup_sweep", member_id, details=finding.details(), actor=ACTOR, now=now)
            session.commit()

    detector = SweepDetector(
        store_for(app.config), SweepRules.from_config(app.config), raise_sweep_alert, FlushRule.from_config(app.config)
    )
    app.extensions["federation.lookups.sweeps"] = detector

    def lift_on_resolve(kind: str, member_id: str) -> None:
        if (
            kind == "lookup_sweep"
            and current_app
            and current_app.extensions.get("federation.lookups.sweeps") is detector
        ):
            detector.lift(member_id)

    alerts.resolved.connect(lift_on_resolve, weak=False)


def sweep_detector() -> SweepDetector:
    return current_app.extensions["federation.lookups.sweeps"]


def baselines(session: Session, now: datetime) -> dict[str, float]:
    """Each active member's usual hourly lookup volume (``sweeps.baseline_from_daily``).

    From its busiest day in the last ``BASELINE_DAYS`` days, or its declared daily volume when
    members declare one (``Member.declared_daily_lookups``, if the column exists) and it is larger.
    """
    day = func.date(LookupRecord.created_at)
    rows = session.execute(
        select(LookupRecord.member_id, day, func.sum(LookupRecord.identifiers))
        .where(LookupRecord.created_at >= now - timedelta(days=BASELINE_DAYS))
        .group_by(LookupRecord.member_id, day)
    ).all()
    daily: dict[str, list[int]] = defaultdict(list)
    for member_id, _day, identifiers in rows:
        daily[member_id].append(int(identifiers or 0))
    declared_column: Any = getattr(Member, "declared_daily_lookups", None)
    declared: dict[str, int | None] = {}
    if declared_column is not None:
        declared = dict(session.execute(select(Member.id, declared_column).where(Member.status == "active")).all())
    return {
        member_id: baseline_from_daily(daily.get(member_id, []), declared.get(member_id))
        for member_id in set(daily) | set(declared)
    }


def refresh_baselines(session: Session, detector: SweepDetector, now: datetime) -> int:
    """Recompute and cache every member's baseline; how many were written."""
    found = baselines(session, now)
    if found:
        detector.store.set_baselines(found)
    return len(found)
