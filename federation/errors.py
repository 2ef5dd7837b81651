"""One error hierarchy, one wire shape: RFC 9457 problem details.

Services raise :class:`FederationError` subclasses, each with a stable
machine ``code``; HTTP-level failures (404, 405, 413, 415, malformed JSON,
schema validation) arrive as werkzeug exceptions. Both leave the server
through :func:`problem_response` as ``application/problem+json``::

    {"type": "urn:blacklist-federation:problem:validation_failed",
     "title": "Unprocessable Content", "status": 422,
     "detail": "...", "code": "validation_failed",
     "errors": [{"location": "json", "pointer": "/tier", "detail": "..."}]}

Unexpected exceptions become a bare 500: internals never leak, and the
traceback goes to the log (which never sees raw identifiers, because no raw
identifier is kept on any exception).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, json
from werkzeug.exceptions import HTTPException

PROBLEM_TYPE_PREFIX = "urn:blacklist-federation:problem:"
PROBLEM_MEDIA_TYPE = "application/problem+json"

logger = logging.getLogger(__name__)


def field_error(pointer: str, detail: str, location: str = "json", *, code: str | None = None) -> dict[str, str]:
    """One ``errors`` item of a problem: where (JSON Pointer into ``location``) and what.

    ``code``, when given, is a stable machine word for the problem (``phone.invalid``): clients
    and the public pages explain it in their own words instead of showing ``detail``.
    """
    item = {"location": location, "pointer": pointer, "detail": detail}
    if code:
        item["code"] = code
    return item


class FederationError(Exception):
    """Base of every domain error: a status, a stable code and a human detail."""

    status = 500
    code = "internal_error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(detail or HTTPStatus(self.status).phrase)
        self.detail = detail
        self.errors = errors
        self.headers = dict(headers or {})
        #: Extension members merged into the problem body (e.g. OAuth's ``error``).
        self.extra: dict[str, Any] = {}
        if code:
            self.code = code


class BadRequest(FederationError):
    status, code = 400, "bad_request"


class Unauthorized(FederationError):
    status, code = 401, "unauthorized"


class Forbidden(FederationError):
    status, code = 403, "forbidden"


class NotFound(FederationError):
    status, code = 404, "not_found"


class Conflict(FederationError):
    status, code = 409, "conflict"


class ValidationFailed(FederationError):
    status, code = 422, "validation_failed"


class TooManyRequests(FederationError):
    status, code = 429, "too_many_requests"


class ServiceUnavailable(FederationError):
    status, code = 503, "service_unavailable"


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


def flatten_messages(messages: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Turn webargs/marshmallow nested messages into one entry per field.

    ``{"json": {"items": {0: {"hash": ["bad"]}}}}`` becomes
    ``[{"location": "json", "pointer": "/items/0/hash", "detail": "bad"}]``.
    """
    flat: list[dict[str, Any]] = []
    for location, tree in messages.items():
        for pointer, detail in _walk(tree, ""):
            flat.append(field_error(pointer or "/", detail, location))
    return flat


def _walk(tree: Any, prefix: str) -> Iterable[tuple[str, str]]:
    if isinstance(tree, Mapping):
        for key, sub in tree.items():
            step = "" if key == "_schema" else "/" + str(key).replace("~", "~0").replace("/", "~1")
            yield from _walk(sub, prefix + step)
    elif isinstance(tree, list | tuple):
        for item in tree:
            yield from _walk(item, prefix)
    else:
        yield prefix, str(tree)


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


def roll_back_failed_request() -> None:
    """Roll the database session back before any error response.

    Every error path calls this, so nothing a failed request wrote can ride
    along with a later commit on the same session. The rollback itself is
    registered by :func:`register_error_handlers`.
    """
    rollback = current_app.extensions.get("federation.rollback")
    if rollback is not None:
        rollback()


def handle_database_unavailable(error: Exception) -> Response:
    """A database outage is the server's temporary state, not a bug: 503, ``Retry-After``, one log line."""
    from .database import UNAVAILABLE_RETRY_AFTER, unavailable_reason

    logger.warning("database unavailable: %s", unavailable_reason(error))
    return handle_federation_error(
        ServiceUnavailable(
            "The database is unavailable; retry shortly.",
            code="database_unavailable",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
        )
    )


def register_error_handlers(app: Flask, *, rollback: Callable[[], None]) -> None:
    """HTTP exceptions are handled by :class:`ProblemApi`; these cover the rest."""
    from .database import UNAVAILABLE_ERRORS

    app.extensions["federation.rollback"] = rollback

    def database_unavailable(error: Exception) -> Response:
        roll_back_failed_request()
        return handle_database_unavailable(error)

    for kind in UNAVAILABLE_ERRORS:
        app.register_error_handler(kind, database_unavailable)

    def federation_error(error: FederationError) -> Response:
        roll_back_failed_request()
        return handle_federation_error(error)

    def unexpected_error(error: Exception) -> Response:
        roll_back_failed_request()
        return handle_unexpected_error(error)

    app.register_error_handler(FederationError, federation_error)
    app.register_error_handler(Exception, unexpected_error)
