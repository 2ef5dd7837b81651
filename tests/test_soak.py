"""``make soak`` inside the suite: a bounded run (``SOAK_SECONDS``, 20 s) of ``bench/soak.py``.

Real gunicorn workers on a throw-away PostgreSQL cluster, concurrent SDK
clients, one worker SIGKILLed and one database restart; the soak exits
non-zero if anything acknowledged was lost, stored twice, hung, or answered
with a 5xx other than 503. ``SOAK=0`` skips it (a quick local run); under
``CI=true`` missing PostgreSQL binaries fail it instead of skipping.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.pgcluster import postgres_bindir
from tests.support.processes import ROOT, server_env


def test_the_soak_loses_nothing_acknowledged(tmp_path):
    if os.environ.get("SOAK") == "0":
        pytest.skip("SOAK=0")
    if postgres_bindir() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("the soak needs PostgreSQL's initdb/pg_ctl under CI=true", pytrace=False)
        pytest.skip("PostgreSQL's initdb/pg_ctl are not installed")
    seconds = os.environ.get("SOAK_SECONDS", "20")
    done = subprocess.run(
        [sys.executable, "-m", "bench.soak", "--seconds", seconds],
        cwd=ROOT,
        env=server_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=float(seconds) + 240,
    )
    print(done.stdout)  # the figures, in the test's captured output (-rA or a failure shows them)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "nothing acknowledged was lost" in done.stdout
