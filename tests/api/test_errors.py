"""Every failure leaves the server as RFC 9457 problem+json.

A small probe blueprint, registered on a fresh app, gives the shared parser
and error handler a JSON endpoint with a nested schema, a domain error and a
crash to render; the real API's endpoints are tested with their concerns.
"""

from __future__ import annotations

import marshmallow as ma
import pytest
from flask import Flask

from federation.api import api_of
from federation.api.parsing import Blueprint
from federation.errors import PROBLEM_TYPE_PREFIX, Conflict
from tests.conftest import build_app


class ItemSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1))
    count = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1))


class ProbeSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ItemSchema), required=True)


probe = Blueprint("probe", __name__, url_prefix="/probe")


@probe.route("/echo", methods=["POST"])
@probe.arguments(ProbeSchema)
@probe.response(200)
def echo(body):
    return body


@probe.route("/conflict", methods=["POST"])
def conflict():
    raise Conflict("That case is already listed.", code="case_ref_conflict")


@probe.route("/crash")
def crash():
    raise RuntimeError("secret internal detail 13800138000")


@pytest.fixture(scope="module")
def probe_app(tmp_path_factory) -> Flask:
    application = build_app("sqlite://", str(tmp_path_factory.mktemp("probe")), MAX_BODY_BYTES=1024)
    application.config["PROPAGATE_EXCEPTIONS"] = False
    api_of(application).register_blueprint(probe)
    return application


@pytest.fixture
def probe_client(probe_app):
    return probe_app.test_client()


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == PROBLEM_TYPE_PREFIX + code
    assert body["title"] and body["detail"]
    return body


def test_valid_body_passes_through(probe_client):
    response = probe_client.post("/probe/echo", json={"items": [{"name": "a", "count": 2}]})
    assert response.status_code == 200
    assert response.get_json() == {"items": [{"name": "a", "count": 2}]}


def test_field_errors_are_listed_one_per_field_with_json_pointers(probe_client):
    response = probe_client.post("/probe/echo", json={"items": [{"name": "", "count": 0}, {"count": 1}]})
    body = assert_problem(response, 422, "validation_failed")
    pointers = {(error["location"], error["pointer"]) for error in body["errors"]}
    assert pointers == {("json", "/items/0/name"), ("json", "/items/0/count"), ("json", "/items/1/name")}


def test_unknown_fields_are_rejected(probe_client):
    body = assert_problem(probe_client.post("/probe/echo", json={"items": [], "extra": 1}), 422, "validation_failed")
    assert [error["pointer"] for error in body["errors"]] == ["/extra"]


def test_malformed_json_is_a_400(probe_client):
    response = probe_client.post("/probe/echo", data='{"items": [', content_type="application/json")
    body = assert_problem(response, 400, "bad_request")
    assert "Invalid JSON" in body["detail"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_non_json_body_is_a_415(probe_client, content_type):
    response = probe_client.post("/probe/echo", data='{"items": []}', content_type=content_type)
    assert_problem(response, 415, "unsupported_media_type")


def test_missing_body_is_a_422_naming_the_body(probe_client):
    body = assert_problem(probe_client.post("/probe/echo"), 422, "validation_failed")
    assert body["errors"] == [{"location": "json", "pointer": "/", "detail": "A JSON request body is required."}]


def test_oversized_body_is_a_413(probe_client):
    response = probe_client.post("/probe/echo", json={"items": [{"name": "x" * 2000, "count": 1}]})
    assert_problem(response, 413, "payload_too_large")


def test_unknown_path_is_a_404_and_wrong_method_a_405_with_allow(probe_client):
    assert_problem(probe_client.get("/no/such/thing"), 404, "not_found")
    response = probe_client.delete("/probe/echo")
    assert_problem(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_domain_errors_keep_their_code_and_detail(probe_client):
    body = assert_problem(probe_client.post("/probe/conflict"), 409, "case_ref_conflict")
    assert body["detail"] == "That case is already listed."


def test_crashes_are_a_bare_500_that_leaks_nothing(probe_client, caplog):
    response = probe_client.get("/probe/crash")
    body = assert_problem(response, 500, "internal_error")
    assert "secret" not in response.get_data(as_text=True)
    assert "13800138000" not in body["detail"]
    assert any(record.levelname == "ERROR" for record in caplog.records)
