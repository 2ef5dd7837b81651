"""Errors on the wire: RFC 9457 problem details, and the handlers that render them.

Domain errors (``federation.errors``) and HTTP-level failures (404, 405, 413, 415,
malformed JSON, schema validation: werkzeug exceptions) both leave the server as
``application/problem+json``::

    {"type": "urn:blacklist-federation:problem:validation_failed",
     "title": "Unprocessable Content", "status": 422,
     "detail": "...", "code": "validation_failed",
     "errors": [{"location": "json", "pointer": "/tier", "detail": "..."}]}

Unexpected exceptions become a bare 500: internals never leak, and the traceback goes
to the log (which never sees raw identifiers, because no raw identifier is kept on any
exception). Nothing here rolls back: a failed request's writes are discarded by the
request boundary (``transactions.py``) before any handler runs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import redis.exceptions
from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException

from ..database import UNAVAILABLE_ERRORS, UNAVAILABLE_RETRY_AFTER, unavailable_reason
from ..errors import PROBLEM_TYPE_PREFIX, FederationError, ServiceUnavailable, flatten_messages

PROBLEM_MEDIA_TYPE = "application/problem+json"

logger = logging.getLogger(__name__)

#: Codes for plain HTTP failures, so clients can switch on ``code`` alone.
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}


def problem_response(
    status: int,
    code: str,
    detail: str | None = None,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail or HTTPStatus(status).description,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    body.update(extra or {})
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MEDIA_TYPE)
    response.headers.extend(dict(headers or {}))
    return response


def problem_from_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    errors = flatten_messages(messages) if isinstance(messages, Mapping) else None
    detail = error.description if status != 422 else "The request has invalid fields; see errors."
    if messages and status == 400 and not errors:
        detail = str(messages)
    if status == 400 and errors and errors[0]["pointer"] == "/":
        detail, errors = errors[0]["detail"], None  # e.g. "Invalid JSON body."
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    return problem_response(status, _HTTP_CODES.get(status, "http_error"), detail, errors=errors, headers=headers)


def handle_federation_error(error: FederationError) -> Response:
    return problem_response(
        error.status, error.code, error.detail, errors=error.errors, headers=error.headers, extra=error.extra
    )


def handle_unexpected_error(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return problem_from_http_exception(error)
    logger.exception("unhandled error")
    return problem_response(500, "internal_error", "The server failed to handle the request.")


def handle_database_unavailable(error: Exception) -> Response:
    """A database outage is the server's temporary state, not a bug: 503, ``Retry-After``, one log line."""
    logger.warning("database unavailable: %s", unavailable_reason(error))
    return handle_federation_error(
        ServiceUnavailable(
            "The database is unavailable; retry shortly.",
            code="database_unavailable",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
        )
    )


#: Redis (the assertion replay store) unreachable: as temporary as a database outage.
REDIS_UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def handle_redis_unavailable(error: Exception) -> Response:
    """Redis (the assertion replay store) down: as temporary as a database outage, and said the same way."""
    logger.warning("redis unavailable: %s", type(error).__name__)
    return handle_federation_error(
        ServiceUnavailable(
            "A service the server depends on is unavailable; retry shortly.",
            code="service_unavailable",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
        )
    )


def register_error_handlers(app: Flask) -> None:
    """HTTP exceptions are handled by :class:`~.problem_api.ProblemApi`; these cover the rest."""
    for kind in UNAVAILABLE_ERRORS:
        app.register_error_handler(kind, handle_database_unavailable)
    for kind in REDIS_UNAVAILABLE_ERRORS:
        app.register_error_handler(kind, handle_redis_unavailable)
    app.register_error_handler(FederationError, handle_federation_error)
    app.register_error_handler(Exception, handle_unexpected_error)
