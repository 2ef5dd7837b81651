"""Schemathesis over every operation of the served OpenAPI document, on both backends.

Each operation is called with a real token of the scope its ``security`` names (public ones with
none), with schema-valid data (positive) and with data that breaks the schema (negative). Every
answer must be no 5xx and conform to the spec: a documented status, its content type, its schema
and headers. ``FUZZ_EXAMPLES`` sets the examples per operation and mode: a few inside ``make test``,
many more under ``make fuzz``. The figure of requests made is printed at the end of the test.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from federation.members.models import ROLES

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


@pytest.fixture
def tokens(make_member, auth) -> dict[str, str]:
    """One member per role, each holding only that scope: an operation is called with the scope it names."""
    return {role: auth.token(make_member(f"fuzz-{role}", roles=[role])) for role in ROLES}


def _headers_for(operation, tokens: dict[str, str]) -> dict[str, str]:
    requirements = operation.definition.raw.get("security") or []
    if not requirements:
        return {}
    scopes = [scope for requirement in requirements for scopes in requirement.values() for scope in scopes]
    return {"Authorization": f"Bearer {tokens[scopes[0] if scopes else 'query']}"}


def test_every_operation_answers_by_its_spec_and_never_5xx(app, client, tokens):
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40  # every operation of the API, not a subset
    for operation in operations:
        headers = _headers_for(operation, tokens)
        for mode in MODES:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=not os.environ.get("FUZZ_EXAMPLES"),
                phases=[Phase.generate, Phase.shrink],
                suppress_health_check=list(HealthCheck),
            )
            def call(case) -> None:
                response = case.call(headers=headers)
                statuses[response.status_code] += 1
                case.validate_response(response, checks=CHECKS)

            try:
                call()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # noqa: S101 - nothing of it can break the schema
            except (Exception, BaseExceptionGroup) as error:  # collected: one run reports every operation
                failures.append(f"{operation.label} ({mode.value}): {_describe(error)}")
    print(f"\nfuzzed {sum(statuses.values())} requests over {len(operations)} operations: {dict(sorted(statuses.items()))}")
    assert not failures, "\n\n".join(failures)
    assert not any(status >= 500 for status in statuses)


def _describe(error: BaseException) -> str:
    if isinstance(error, BaseExceptionGroup):
        return "\n".join(_describe(inner) for inner in error.exceptions)
    return f"{type(error).__name__}: {error}"
