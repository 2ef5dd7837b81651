"""The error hierarchy and the pure cores that raise it import no web framework.

The imports run in a fresh interpreter: in the test process Flask is long loaded.
"""

from __future__ import annotations

import subprocess
import sys

#: ``federation.errors`` and pure cores that raise its errors (identifier, entry and lookup rules).
PURE = [
    "federation.errors",
    "federation.identifiers",
    "federation.identifiers.secrets",
    "federation.entries.rules",
    "federation.lookups.requests",
    "federation.lookups.scoring",
    "federation.disputes.calendar",
    "federation.disputes.fairness",
    "federation.members.tokens",
]
WEB = ("flask", "werkzeug", "flask_smorest", "webargs", "marshmallow")


def modules_loaded_by(*modules: str) -> set[str]:
    probe = f"import sys, {', '.join(modules)}; print('\\n'.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)  # noqa: S603
    return set(done.stdout.split())


def web_modules(loaded: set[str]) -> list[str]:
    return sorted(name for name in loaded if name.split(".")[0] in WEB)


def test_importing_the_pure_cores_imports_no_web_framework():
    loaded = modules_loaded_by(*PURE)
    assert set(PURE) <= loaded
    assert web_modules(loaded) == [], {module: web_modules(modules_loaded_by(module))[:3] for module in PURE}


def test_the_probe_sees_a_web_framework_when_one_is_imported():
    assert "flask" in web_modules(modules_loaded_by("federation.errors", "federation.api.problems"))
