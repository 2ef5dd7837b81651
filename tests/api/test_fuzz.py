"""Schemathesis over every operation of the served OpenAPI document, on both backends.

Schemathesis' engine (what its CLI runs) walks the document the app serves at ``/openapi.json``
through the app's WSGI interface: its examples, its coverage phase (boundary values, wrong types,
missing and duplicate parameters, unexpected methods) and random fuzzing, with schema-valid and
schema-breaking data. Each operation is called with a real token of the scope its ``security``
names (public ones with none). Every answer must be no 5xx and conform to the spec: a documented
status, its content type, its schema and headers.

``FUZZ_EXAMPLES`` sets the random examples per operation: a few inside ``make test`` (a fixed
seed, so the run is repeatable), many more under ``make fuzz`` (a fresh seed each run).
The number of requests made is printed with the result.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from schemathesis.engine import Status, events

from federation.members.models import ROLES

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)


@pytest.fixture
def tokens(make_member, auth) -> dict[str, str]:
    """One member per role, each holding only that scope."""
    return {role: auth.token(make_member(f"fuzz-{role}", roles=[role])) for role in ROLES}


def scope_headers(spec: dict, tokens: dict[str, str]) -> list[dict]:
    """Per operation, a token of the first scope its ``security`` accepts (any member's: query)."""
    configs = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            requirements = operation.get("security") if isinstance(operation, dict) else None
            if not requirements:
                continue
            scopes = [scope for requirement in requirements for names in requirement.values() for scope in names]
            token = tokens[scopes[0] if scopes else "query"]
            configs.append(
                {"include-name": f"{method.upper()} {path}", "headers": {"Authorization": f"Bearer {token}"}}
            )
    return configs


def fuzz_config(spec: dict, tokens: dict[str, str]) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            **({} if "FUZZ_EXAMPLES" in os.environ else {"seed": 20261130}),
            "generation": {"mode": "all", "max-examples": EXAMPLES, "database": "none"},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "operations": scope_headers(spec, tokens),
            "continue-on-failure": True,
            "suppress-health-check": ["all"],
        }
    )


def test_every_operation_answers_by_its_spec_and_never_5xx(app, client, tokens):
    spec = client.get("/openapi.json").get_json()
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app, config=fuzz_config(spec, tokens))
    operations = {f"{m.upper()} {p}" for p, ops in spec["paths"].items() for m in ops if m != "parameters"}
    statuses: Counter[int] = Counter()
    tested: set[str] = set()
    failures: list[str] = []
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for interaction in event.recorder.interactions.values():
                if interaction.response is not None:
                    statuses[interaction.response.status_code] += 1
            if event.status is not Status.SKIP and event.label:
                tested.add(event.label)
            if event.status in (Status.FAILURE, Status.ERROR):
                failures.extend(_failures(event))
        elif isinstance(event, events.NonFatalError | events.FatalError):
            failures.append(f"{getattr(event, 'label', '')}: {event.info if hasattr(event, 'info') else event}")
    print(f"\nfuzzed {statuses.total()} requests over {len(tested)} operations: {dict(sorted(statuses.items()))}")
    assert not failures, "\n\n".join(failures[:30])
    assert tested == operations  # every operation of the API, not a subset
    assert statuses.total() > 0 and not any(status >= 500 for status in statuses)


def _failures(event: events.ScenarioFinished) -> list[str]:
    found = []
    for case_id, checks in event.recorder.checks.items():
        for check in checks:
            if check.failure_info is None:
                continue
            case = event.recorder.cases[case_id].value
            found.append(f"{event.label} [{check.name}]: {check.failure_info.failure}\n  {case.as_curl_command()}")
    return found or [f"{event.label}: {event.status.value}"]
