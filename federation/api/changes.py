"""The change feed and members' webhooks."""

from __future__ import annotations

from flask import current_app

from ..database import utcnow
from ..events.feed import changes_after
from ..extensions import db
from ..webhooks import service as webhooks
from ..webhooks.destinations import webhook_transport
from .auth import current_principal, ensure_self_or_admin, requires
from .parsing import Blueprint
from .schemas.changes import (
    ChangePageSchema,
    ChangeQuerySchema,
    DeliverySchema,
    WebhookInSchema,
    WebhookSchema,
)

blp = Blueprint("changes", __name__, description="What changed on the list, in order; pushed by webhooks.")


@blp.route("/v1/changes")
@requires("query", "submit")
@blp.arguments(ChangeQuerySchema, location="query")
@blp.response(200, ChangePageSchema)
def changes(query):
    """Changes after a cursor, in order, with no gaps: poll with the returned ``next_cursor``.

    Public changes (scope ``query``) and the changes addressed to you (disputes of your entries);
    a member with ``submit`` only reads the latter.
    """
    principal = current_principal()
    found = changes_after(
        db.session, query["after"], query["limit"], reader=principal.member_id, public="query" in principal.scopes
    )
    return {"changes": found, "next_cursor": found[-1].position if found else query["after"]}


@blp.route("/v1/members/<member_id>/webhooks", methods=["POST"])
@requires("query", "submit", "admin")
@blp.arguments(WebhookInSchema)
@blp.response(201, WebhookSchema)
def add_webhook(body, member_id):
    """Receive every change you may read in the feed, signed (see docs/disputes.md#webhooks)."""
    ensure_self_or_admin(current_principal(), member_id)
    webhook = webhooks.add_webhook(
        db.session,
        member_id,
        body["url"],
        now=utcnow(),
        allow_insecure=current_app.config["WEBHOOK_ALLOW_HTTP"],
        transport=webhook_transport(current_app.config),
    )
    return webhook


@blp.route("/v1/members/<member_id>/webhooks")
@requires("query", "submit", "admin")
@blp.response(200, WebhookSchema(many=True))
def list_webhooks(member_id):
    ensure_self_or_admin(current_principal(), member_id)
    return webhooks.webhooks_of(db.session, member_id)


@blp.route("/v1/members/<member_id>/webhooks/<row_id:webhook_id>", methods=["DELETE"])
@requires("query", "submit", "admin")
@blp.response(204)
def remove_webhook(member_id, webhook_id):
    ensure_self_or_admin(current_principal(), member_id)
    webhooks.remove_webhook(db.session, member_id, webhook_id, now=utcnow())


@blp.route("/v1/members/<member_id>/webhooks/<row_id:webhook_id>/deliveries")
@requires("query", "submit", "admin")
@blp.response(200, DeliverySchema(many=True))
def deliveries(member_id, webhook_id):
    """The delivery log, newest first: every attempt with its status code or error."""
    ensure_self_or_admin(current_principal(), member_id)
    return webhooks.deliveries_of(db.session, member_id, webhook_id)
