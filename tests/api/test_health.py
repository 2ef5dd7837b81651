from __future__ import annotations

from sqlalchemy.engine import make_url


def test_healthz_reports_the_database(client, app):
    response = client.get("/healthz")
    assert response.status_code == 200
    backend = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    assert response.get_json() == {"status": "ok", "database": backend}


def test_openapi_document_describes_problem_details(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    assert "/healthz" in spec["paths"]
    assert set(spec["components"]["schemas"]["Problem"]["properties"]) >= {"type", "title", "status", "detail", "code"}
