"""Access lines name a client by a keyed tag, never by its address (gunicorn and werkzeug)."""

from __future__ import annotations

import logging
from datetime import timedelta
from types import SimpleNamespace

import requests
from gunicorn.config import Config as GunicornConfig

from federation.access_log import KeyedAccessLog, address_tag
from federation.serving import gunicorn_options

ADDRESS = "203.0.113.77"


def test_gunicorn_access_lines_carry_a_keyed_tag_not_the_address(app, tmp_path):
    log_file = tmp_path / "access.log"
    config = GunicornConfig()
    options = gunicorn_options(bind="127.0.0.1:0", workers=1, threads=1)
    config.set("logger_class", options["logger_class"])
    config.set("access_log_format", options["access_log_format"] + " %({x-forwarded-for}i)s")
    config.set("accesslog", str(log_file))
    logger = config.logger_class(config)
    assert isinstance(logger, KeyedAccessLog)
    environ = {
        "REMOTE_ADDR": ADDRESS,
        "REQUEST_METHOD": "POST",
        "RAW_URI": "/v1/appeals",
        "PATH_INFO": "/v1/appeals",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    response = SimpleNamespace(status="202 ACCEPTED", headers=[], sent=10)
    request = SimpleNamespace(headers=[("X-FORWARDED-FOR", "198.51.100.9")])
    logger.access(response, request, environ, timedelta(milliseconds=3))
    for handler in logger.access_log.handlers:
        handler.close()
    line = log_file.read_text()
    tag = address_tag(ADDRESS)
    assert len(tag) == 12 and line.startswith(f'{tag} "POST /v1/appeals" 202')
    assert ADDRESS not in line and "198.51.100.9" not in line


def test_the_development_server_logs_a_tag_not_the_address(live_server, caplog):
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        assert requests.get(f"{live_server}/healthz", timeout=5).status_code in (200, 503)
    lines = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    assert lines and all("127.0.0.1" not in line for line in lines)
    assert any(line.startswith(address_tag("127.0.0.1")) for line in lines)
