"""flask-smorest's ``Api`` with its error handler swapped for problem+json.

``handle_http_exception`` is flask-smorest's documented override point; it is
registered for every ``HTTPException`` of the app, the API's or not. The
OpenAPI document describes the same shape through ``ERROR_SCHEMA``.
"""

from __future__ import annotations

import marshmallow as ma
from flask import Response
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from .problems import problem_from_http_exception


class FieldErrorSchema(ma.Schema):
    location = ma.fields.String(metadata={"description": "json, query, headers, ..."})
    pointer = ma.fields.String(metadata={"description": "JSON Pointer to the offending field"})
    detail = ma.fields.String()


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, plus a stable machine ``code``."""

    type = ma.fields.String()
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()
    code = ma.fields.String()
    errors = ma.fields.List(ma.fields.Nested(FieldErrorSchema))


class ProblemApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: HTTPException) -> Response:
        return problem_from_http_exception(error)
