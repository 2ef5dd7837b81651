"""Request-body parsing shared by every API blueprint.

webargs silently treats a non-JSON body as "missing", which would surface as
a confusing "field required" error. A body in the wrong media type is a 415
instead, and a missing body a 422 naming the body itself. JSON is decoded by
orjson (nesting beyond 1,024 levels is a 400, not a ``RecursionError``), and
U+0000 anywhere in a request is a 422 before any handler runs.
"""

from __future__ import annotations

import re
from typing import Any

import flask
import marshmallow as ma
import orjson
from flask_smorest import Blueprint as SmorestBlueprint
from webargs import core
from webargs.flaskparser import FlaskParser, abort

from ..errors import FederationError, ValidationFailed, field_error

IDEMPOTENCY_HEADER = "Idempotency-Key"
#: ``\u0000`` in JSON text, unless its backslash is itself escaped (``\\u0000`` is six characters).
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


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


def refuse_nul(req: flask.Request) -> None:
    """No field has a use for U+0000, and PostgreSQL cannot store it in text (a 500 on the one
    backend, stored on the other): refuse it anywhere in the path, query, headers or body, before
    anything is parsed. The body scan is one C-level search of bytes when no NUL is there."""
    where = None
    environ = req.environ
    query = environ.get("QUERY_STRING", "")
    if "\x00" in environ.get("PATH_INFO", ""):
        where = "path"
    elif ("%00" in query or "\x00" in query) and any(
        "\x00" in key or "\x00" in value for key, value in req.args.items(multi=True)
    ):
        where = "query"
    elif any("\x00" in value for key, value in environ.items() if key.startswith("HTTP_") and isinstance(value, str)):
        where = "headers"  # read from the WSGI environ: the request's parsed views cost more on the hot path
    elif req.content_length or req.headers.get("Transfer-Encoding"):
        if core.is_json(req.mimetype):
            data = req.get_data(cache=True)
            where = "json" if b"\\u0000" in data and _NUL_ESCAPE.search(data) else None
        elif req.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            values = [value for _, value in req.form.items(multi=True)]
            if any("\x00" in value or _NUL_ESCAPE.search(value.encode()) for value in values):
                where = "form"
    if where is not None:
        raise ValidationFailed(
            "Text may not contain NUL (U+0000) characters.",
            errors=[field_error("/", "Contains U+0000.", location=where)],
        )


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.before_request(lambda: refuse_nul(flask.request))
