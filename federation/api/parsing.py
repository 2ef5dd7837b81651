"""Request-body parsing shared by every API blueprint.

webargs silently treats a non-JSON body as "missing", which would surface as
a confusing "field required" error. A body in the wrong media type is a 415
instead, and a missing body a 422 naming the body itself.
"""

from __future__ import annotations

from typing import Any

import flask
import marshmallow as ma
from flask_smorest import Blueprint as SmorestBlueprint
from webargs import core
from webargs.flaskparser import FlaskParser, abort

from ..errors import FederationError


class UnsupportedMediaType(FederationError):
    status, code = 415, "unsupported_media_type"


class JsonBodyParser(FlaskParser):
    def load_json(self, req: flask.Request, schema: ma.Schema) -> Any:
        has_body = bool(req.content_length) or bool(req.headers.get("Transfer-Encoding"))
        if has_body and not core.is_json(req.mimetype):
            raise UnsupportedMediaType("Send the request body as application/json.")
        if not has_body:
            abort(422, messages={"json": {"_schema": ["A JSON request body is required."]}})
        return super().load_json(req, schema)


class Blueprint(SmorestBlueprint):
    """Every API blueprint parses bodies with :class:`JsonBodyParser`."""

    ARGUMENTS_PARSER = JsonBodyParser()
