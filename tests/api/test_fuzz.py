"""Schemathesis over every operation of the served OpenAPI document, on both backends.

Schemathesis' engine (what its CLI runs) walks the document the app serves at ``/openapi.json``
through the app's WSGI interface: its examples, its coverage phase (boundary values, wrong types,
missing and duplicate parameters, unexpected methods) and random fuzzing, with schema-valid and
schema-breaking data. Each operation is called with a real token of the scope its ``security``
names (public ones with none). Every answer must be no 5xx and conform to the spec: a documented
status, its content type, its schema and headers.

``FUZZ_EXAMPLES`` sets the random examples per operation: 30 inside ``make test`` (a fixed
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
from tests.api.test_appeals import appeal_body
from tests.entries.factories import entry_payload

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)


@pytest.fixture
def tokens(make_member, auth) -> dict[str, str]:
    """One member per role (``fuzz-<role>``), each holding only that scope."""
    return {role: auth.token(make_member(f"fuzz-{role}", roles=[role])) for role in ROLES}


@pytest.fixture
def refs(app, client, tokens) -> dict[str, str]:
    """Something real behind the ``{ref}`` paths, so the fuzzer reaches past the 404: an entry of
    ``fuzz-submit``, a dispute of it by ``fuzz-query``, and a public appeal."""
    submit, query = ({"Authorization": f"Bearer {tokens[role]}"} for role in ("submit", "query"))
    entry = client.post("/v1/entries", json=entry_payload(app, "fuzz-1"), headers=submit).get_json()["ref"]
    dispute = client.post(
        f"/v1/entries/{entry}/disputes", json={"reason": "Not this customer at all."}, headers=query
    ).get_json()["ref"]
    appeal = client.post("/v1/appeals", json=appeal_body("13900139000")).get_json()["appeal"]
    return {"/v1/entries/": entry, "/v1/disputes/": dispute, "/v1/appeals/": appeal}


def operation_configs(spec: dict, tokens: dict[str, str], refs: dict[str, str]) -> list[dict]:
    """Per operation, a token of the first scope its ``security`` accepts (any member's: query),
    the member's own id for ``{member_id}`` and a real ref for ``{ref}``."""
    configs = []
    for path, operations in spec["paths"].items():
        for method in (m for m in operations if m != "parameters"):
            config: dict = {"include-name": f"{method.upper()} {path}", "parameters": {}}
            requirements = operations[method].get("security")
            if requirements:
                scopes = [scope for requirement in requirements for names in requirement.values() for scope in names]
                role = scopes[0] if scopes else "query"
                config["headers"] = {"Authorization": f"Bearer {tokens[role]}"}
                if "{member_id}" in path:
                    config["parameters"]["path.member_id"] = f"fuzz-{role}"
            for prefix, ref in refs.items():
                if path.startswith(prefix + "{ref}"):
                    config["parameters"]["path.ref"] = ref
            configs.append(config)
    return configs


def fuzz_config(spec: dict, tokens: dict[str, str], refs: dict[str, str]) -> schemathesis.Config:
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
            "operations": operation_configs(spec, tokens, refs),
            "continue-on-failure": True,
            "suppress-health-check": ["all"],
        }
    )


def test_every_operation_answers_by_its_spec_and_never_5xx(app, client, tokens, refs):
    spec = client.get("/openapi.json").get_json()
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app, config=fuzz_config(spec, tokens, refs))
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
