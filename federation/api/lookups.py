"""``POST /v1/lookups``: the hot path; ``GET /v1/lookups/stats``; ``GET /v1/rules/current``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import orjson
from flask import Flask, Response, current_app, request

from ..config import redis_for
from ..database import utcnow
from ..extensions import db
from ..lookups import joint_rules
from ..lookups import service as lookups
from ..lookups.actions import Ladder
from ..lookups.audit import AuditSpool
from ..lookups.budget import budget_for, rate_limit_headers
from ..lookups.requests import parse_lookup
from ..lookups.scoring import ScoringModel
from ..lookups.sweep_service import sweep_detector
from .auth import current_principal, public, requires
from .parsing import Blueprint, read_json_body
from .schemas.lookups import LookupRequestSchema, LookupResultSchema, RulesSchema, StatsQuerySchema

blp = Blueprint("lookups", __name__, description="Matching identifiers against the federation's list.")


def init_lookups(app: Flask) -> None:
    """Scoring model and ladder are read from configuration once, not per request."""
    with app.app_context():
        spool = AuditSpool(
            db.engine, Path(app.config.get("AUDIT_SPOOL_DIR") or Path(app.instance_path) / "audit-spool")
        )
        app.extensions["federation.lookups.audit"] = spool
        # PostgreSQL: autocommit spares the BEGIN and COMMIT round trips of a read. SQLite's driver
        # begins no transaction for a SELECT anyway, and switching its isolation level costs a PRAGMA.
        postgresql = db.engine.dialect.name == "postgresql"
        read_engine = db.engine.execution_options(isolation_level="AUTOCOMMIT") if postgresql else db.engine
        app.extensions["federation.lookups.read_engine"] = read_engine
    app.extensions["federation.lookups"] = lookups.LookupContext(
        model=ScoringModel.from_config(app.config),
        ladder=Ladder.from_config(app.config),
        identifier_secrets=app.extensions["federation.identifiers"],
        budget=budget_for(app.config, redis_for(app.config)),
        write_audit=spool.write,
    )


@blp.route("/v1/lookups", methods=["POST"])
@requires("query")
@blp.doc(requestBody={"content": {"application/json": {"schema": LookupRequestSchema}}})
@blp.response(200, LookupResultSchema)
@blp.alt_response(429, response="TOO_MANY_REQUESTS")
def lookup():
    """Match up to 1,000 identifiers; confidence, factors and the recommended action per identifier and subject."""
    principal, now = current_principal(), utcnow()
    sweeps = sweep_detector()  # issue 13: a member throttled for sweeping is refused before matching
    sweeps.check(principal.member_id, now)
    query = parse_lookup(read_json_body(request))
    context = current_app.extensions["federation.lookups"]
    # Charged before matching, all or nothing: a refusal (429) matches nothing and writes no audit row.
    allowance = context.budget.policy.allowance(principal.declared_daily_lookups, principal.daily_lookup_quota)
    usage = context.budget.charge(principal.member_id, len(query.items), allowance, now)
    # Core, not the ORM session: nothing here is an object. The lookup only reads (the audit row
    # goes to the audit writer), on the read engine.
    with current_app.extensions["federation.lookups.read_engine"].connect() as connection:
        outcome = lookups.lookup(connection, principal.member_id, query, context=context, now=now)
        connection.commit()
    # Issue 13: on a sweep, 429 and the answer is withheld.
    sweeps.observe_lookup(principal.member_id, outcome.identifier_keys, outcome.others_hit_keys, now)
    response = Response(orjson.dumps(outcome.answer), mimetype="application/json")  # dicts: no schema dump
    response.headers.update(rate_limit_headers(allowance, usage, now))
    return response


@blp.route("/v1/lookups/stats")
@requires("query")
@blp.arguments(StatsQuerySchema, location="query")
@blp.response(200)
def stats(query):
    """Your own lookup usage over the last ``days`` days, per day and purpose."""
    current_app.extensions["federation.lookups.audit"].flush()  # this worker's latest lookups too
    since = utcnow() - timedelta(days=query["days"])
    return lookups.usage_stats(db.session, current_principal().member_id, since)


@blp.route("/v1/rules/current")
@public
@blp.response(200, RulesSchema)
def current_rules():
    """The joint rules in force (规则公示), in zh-CN and en, with the ladder's parameters."""
    rules = joint_rules.current(db.session, utcnow())
    rules.ladder = joint_rules.ladder_terms(current_app.config)
    return rules
