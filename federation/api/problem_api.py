"""flask-smorest's ``Api`` with its error handler swapped for problem+json.

``handle_http_exception`` is flask-smorest's documented override point; it is
registered for every ``HTTPException`` of the app, the API's or not. The
OpenAPI document describes the same shape: every error response is
``application/problem+json`` with :class:`ProblemSchema`, and each operation
lists the statuses it can answer (:class:`ErrorResponsesPlugin`), so a
schema-driven fuzzer (tests/api/test_fuzz.py) can hold every answer to the spec.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import marshmallow as ma
from apispec import BasePlugin
from flask import Response
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from .problems import PROBLEM_MEDIA_TYPE, problem_from_http_exception
from .schemas.fields import MAX_ID

#: Paths no rate limit applies to (``ratelimits.EXEMPT_ENDPOINTS``).
_NOT_RATE_LIMITED = frozenset({"/healthz"})
#: Methods that carry a body: malformed (400), too large (413), wrong media type (415), and may conflict (409).
_WRITES = frozenset({"post", "put", "patch", "delete"})


class FieldErrorSchema(ma.Schema):
    location = ma.fields.String(metadata={"description": "json, query, headers, ..."})
    pointer = ma.fields.String(metadata={"description": "JSON Pointer to the offending field"})
    detail = ma.fields.String()
    code = ma.fields.String(metadata={"description": "A stable machine word for the problem, e.g. phone.invalid"})


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, plus a stable machine ``code``; extension members may follow
    (the token endpoint adds RFC 6749's ``error`` and ``error_description``)."""

    class Meta:
        unknown = ma.INCLUDE

    type = ma.fields.String()
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()
    code = ma.fields.String()
    errors = ma.fields.List(ma.fields.Nested(FieldErrorSchema))


class RowIdConverter(IntegerConverter):
    """``<row_id:name>``: a path id that fits a BIGINT; a larger one is a 404, not a database overflow."""

    def __init__(self, url_map: Any) -> None:
        super().__init__(url_map, min=0, max=MAX_ID)


class ErrorResponsesPlugin(BasePlugin):
    """Document the error statuses each operation can answer, beside its own ``alt_response``s.

    Every operation: 400; with a body: 413, 415, 422 and (writes) 409; with path parameters: 404;
    with ``security``: 401 and 403; everywhere but ``/healthz``: 429 (the rate limits of
    ``api/ratelimits.py``). Anything else (405, 503) falls to ``default``, also problem+json.
    """

    def operation_helper(self, path: str | None = None, operations: dict | None = None, **_: Any) -> None:
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            for status in _error_statuses(method, path or "", operation):
                if status not in responses and str(status) not in responses:
                    responses[str(status)] = HTTPStatus(status).name


def _error_statuses(method: str, path: str, operation: dict[str, Any]) -> list[int]:
    statuses = [400]
    if method in _WRITES:
        statuses += [409, 413, 415, 422]
    elif operation.get("parameters"):
        statuses.append(422)
    if "{" in path:
        statuses.append(404)
    if operation.get("security"):
        statuses += [401, 403]
    if path not in _NOT_RATE_LIMITED:
        statuses.append(429)
    return sorted(statuses)


class ProblemApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app=None, *, spec_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        spec_kwargs = {**(spec_kwargs or {})}
        spec_kwargs["extra_plugins"] = [*spec_kwargs.get("extra_plugins", ()), ErrorResponsesPlugin()]
        super().__init__(app, spec_kwargs=spec_kwargs, **kwargs)

    def init_app(self, app, **kwargs: Any) -> None:
        app.url_map.converters["row_id"] = RowIdConverter
        super().init_app(app, **kwargs)
        self.register_converter(RowIdConverter, lambda _: {"type": "integer", "minimum": 0, "maximum": MAX_ID})

    def _register_responses(self) -> None:
        """flask-smorest's per-status response components, as problem+json rather than JSON."""
        for status in HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Any other error, as RFC 9457 problem details.", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MEDIA_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)

    def handle_http_exception(self, error: HTTPException) -> Response:
        return problem_from_http_exception(error)
