"""One error hierarchy: what went wrong, as services and pure cores say it.

Services raise :class:`FederationError` subclasses, each with a status, a stable
machine ``code``, a human ``detail`` and, for bad input, one :func:`field_error`
per field. No raw identifier is ever kept on an exception, so logging one is safe.

This module imports no web framework: the pure cores (identifier rules, entry rules,
scoring) raise these errors and must stay importable without Flask (a test checks).
Turning an error into RFC 9457 ``application/problem+json`` is the API's business
(``federation/api/problems.py``); a CLI command turns the same error into a message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

#: ``type`` of every problem is this prefix and the error's ``code``.
PROBLEM_TYPE_PREFIX = "urn:blacklist-federation:problem:"


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
