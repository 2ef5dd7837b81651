"""``federation-client hash`` run as members' engineers run it: a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from vectors import VECTORS_PATH, load_vectors

# The console script installed beside this interpreter (PATH may not include the venv).
CLI = str(Path(sys.executable).with_name("federation-client"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=60, check=False)


def test_hash_reproduces_the_vectors_including_derived_networks():
    vector = next(v for v in load_vectors()["vectors"] if v["type"] == "ip" and "hashes" in v)
    result = run("hash", "--type", "ip", "--salt-file", str(VECTORS_PATH), vector["input"])
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(line["type"], line["hash"]) for line in lines] == [(h["type"], h["hash"]) for h in vector["hashes"]]
    assert all(line["key_id"] == "test-2026" for line in lines)
    assert all("normalized" not in line for line in lines)


def test_bare_hex_salt_needs_a_key_id(tmp_path):
    salt_file = tmp_path / "salt.hex"
    salt_file.write_text(load_vectors()["salt_hex"] + "\n")
    refused = run("hash", "--type", "phone", "--salt-file", str(salt_file), "13800138000")
    assert refused.returncode == 2 and "key_id" in refused.stderr
    accepted = run(
        "hash", "--type", "phone", "--salt-file", str(salt_file), "--key-id", "test-2026", "--explain", "138 0013 8000"
    )
    assert accepted.returncode == 0
    assert json.loads(accepted.stdout)["normalized"] == "+8613800138000"


def test_invalid_values_are_reported_without_stopping_the_rest():
    result = run(
        "hash", "--type", "national_id", "--salt-file", str(VECTORS_PATH), "110105194912310021", "11010519491231002X"
    )
    assert result.returncode == 1
    assert "national_id.checksum" in result.stderr
    assert "110105194912310021" not in result.stderr
    assert len(result.stdout.splitlines()) == 1


def test_module_entry_point_matches_console_script():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "federation_client.cli",
            "hash",
            "--type",
            "email",
            "--salt-file",
            str(VECTORS_PATH),
            "Foo.Bar@Example.COM",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert json.loads(result.stdout) == json.loads(
        run("hash", "--type", "email", "--salt-file", str(VECTORS_PATH), "foo.bar@example.com").stdout
    )
