"""``GET /healthz``: for load balancers and orchestrators, no credentials."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..database import UNAVAILABLE_RETRY_AFTER
from ..errors import ServiceUnavailable
from ..extensions import db
from .parsing import Blueprint

blp = Blueprint("health", __name__, description="Liveness and database reachability.")


@blp.route("/healthz")
@blp.response(200)
def healthz() -> dict[str, str]:
    """Report whether the server can reach its database."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        raise ServiceUnavailable(
            "The database is unreachable.",
            code="database_unavailable",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
        ) from None
    return {"status": "ok", "database": db.engine.dialect.name}
