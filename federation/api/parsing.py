"""Request-body parsing shared by every API blueprint.

webargs silently treats a non-JSON body as "missing", which would surface as
a confusing "field required" error. A body in the wrong media type is a 415
instead, and a missing body a 422 naming the body itself.
"""

from __future__ import annotations

from typing import Any

import flask
import marshmallow as ma
import orjson
from flask_smorest import Blueprint as SmorestBlueprint
from webargs import core
from webargs.flaskparser import FlaskParser, abort

from ..errors import FederationError, ValidationFailed, field_error

IDEMPOTENCY_HEADER = "Idempotency-Key"


class UnsupportedMediaType(FederationError):
    status, code = 415, "unsupported_media_type"


def _check_json_body(req: flask.Request) -> None:
    has_body = bool(req.content_length) or bool(req.headers.get("Transfer-Encoding"))
    if has_body and not core.is_json(req.mimetype):
        raise UnsupportedMediaType("Send the request body as application/json.")
    if not has_body:
        abort(422, messages={"json": {"_schema": ["A JSON request body is required."]}})


def read_json_body(req: flask.Request) -> Any:
    """The decoded body, with the same 415/422/400 answers as schema-parsed endpoints.

    For hot-path endpoints that validate by hand instead of through a schema.
    """
    _check_json_body(req)
    try:
        return orjson.loads(req.get_data(cache=False))
    except orjson.JSONDecodeError:
        abort(400, messages={"json": ["Invalid JSON body."]})


def idempotency_key(req: flask.Request) -> str | None:
    """The client's ``Idempotency-Key`` header (1 to 128 characters), if it sent one."""
    key = req.headers.get(IDEMPOTENCY_HEADER)
    if key is not None and not 1 <= len(key) <= 128:
        raise ValidationFailed(
            "Idempotency-Key is 1 to 128 characters.",
            errors=[field_error(f"/{IDEMPOTENCY_HEADER}", "1 to 128 characters.", location="headers")],
        )
    return key


class JsonBodyParser(FlaskParser):
    def load_json(self, req: flask.Request, schema: ma.Schema) -> Any:
        _check_json_body(req)
        return super().load_json(req, schema)

    def _raw_load_json(self, req: flask.Request) -> Any:
        """orjson, like :func:`read_json_body`: it refuses nesting deeper than 1,024 with a
        ``JSONDecodeError`` (a 400), where ``json`` would recurse until ``RecursionError`` (a 500)."""
        return orjson.loads(req.get_data(cache=True))


class Blueprint(SmorestBlueprint):
    """Every API blueprint parses bodies with :class:`JsonBodyParser`."""

    ARGUMENTS_PARSER = JsonBodyParser()
