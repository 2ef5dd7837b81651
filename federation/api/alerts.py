"""Admin alerts: sweeps of lookups and listing surges, listed and worked by admins (docs/security.md)."""

from __future__ import annotations

from ..alerts import service as alerts
from ..database import utcnow
from ..extensions import db
from .auth import current_principal, requires
from .parsing import Blueprint
from .schemas.alerts import AlertActionSchema, AlertListSchema, AlertQuerySchema, AlertSchema

blp = Blueprint("alerts", __name__, description="Alerts for admins: lookup sweeps, listing surges.")


@blp.route("/v1/alerts")
@requires("admin")
@blp.arguments(AlertQuerySchema, location="query")
@blp.response(200, AlertListSchema)
def list_alerts(query):
    """Alerts, oldest first: every unresolved one, or those in ``state``."""
    return {"alerts": alerts.list_alerts(db.session, query.get("state"))}


@blp.route("/v1/alerts/<ref>")
@requires("admin")
@blp.response(200, AlertSchema)
def show_alert(ref):
    """One alert, with the figures that raised it and who worked it."""
    return alerts.get_alert(db.session, ref)


@blp.route("/v1/alerts/<ref>:acknowledge", methods=["POST"])
@requires("admin")
@blp.arguments(AlertActionSchema)
@blp.response(200, AlertSchema)
def acknowledge_alert(body, ref):
    """Seen and being looked at; a throttled member stays throttled."""
    return alerts.acknowledge(db.session, ref, actor=current_principal().member_id, reason=body["reason"], now=utcnow())


@blp.route("/v1/alerts/<ref>:resolve", methods=["POST"])
@requires("admin")
@blp.arguments(AlertActionSchema)
@blp.response(200, AlertSchema)
def resolve_alert(body, ref):
    """Closed; for a lookup sweep this also lifts the member's throttle."""
    return alerts.resolve(db.session, ref, actor=current_principal().member_id, reason=body["reason"], now=utcnow())
