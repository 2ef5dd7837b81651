"""The salt table and its file: a rotation reaches a running worker without a restart."""

from __future__ import annotations

import json

import pytest

from federation.identifiers.secrets import RELOAD_INTERVAL, IdentifierSecrets, SaltTable, load_identifier_secrets

OLD, NEW = "aa" * 32, "bb" * 32


@pytest.fixture
def files(tmp_path):
    salts = tmp_path / "salts.json"
    salts.write_text(json.dumps({"current": "k1", "salts": {"k1": OLD}}))  # the format before lifecycles
    return salts, tmp_path / "pepper.hex"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_an_old_salts_file_reads_as_one_current_salt(files):
    secrets = load_identifier_secrets(*files)
    assert (secrets.current_key_id, secrets.current_salt) == ("k1", bytes.fromhex(OLD))
    assert secrets.table.retired == frozenset() and secrets.table.status("k1") == "current"
    assert "k1" in secrets.accepted_key_ids and "k2" not in secrets.accepted_key_ids


def test_a_rewritten_file_is_read_at_the_next_look_not_before(files):
    secrets, clock = load_identifier_secrets(*files), Clock()
    clock.now = secrets._checked_at  # noqa: SLF001 - start the interval from the load
    view = secrets.accepted_key_ids
    files[0].write_text(json.dumps({"current": "k2", "salts": {"k1": OLD, "k2": NEW}}))
    clock.now += RELOAD_INTERVAL / 2
    assert secrets.refresh(clock=clock) is False and secrets.current_key_id == "k1"
    clock.now += RELOAD_INTERVAL
    assert secrets.refresh(clock=clock) is True
    assert secrets.current_key_id == "k2" and secrets.table.status("k1") == "accepted"
    assert "k2" in view  # a view taken before the rotation follows it
    clock.now += RELOAD_INTERVAL * 2
    assert secrets.refresh(clock=clock) is False  # unchanged: nothing re-read


def test_a_broken_file_keeps_the_salts_in_force(files):
    secrets, clock = load_identifier_secrets(*files), Clock()
    clock.now = secrets._checked_at + RELOAD_INTERVAL * 2  # noqa: SLF001
    files[0].write_text('{"current": "k9", "salts": {"k1": "')  # half written by hand
    assert secrets.refresh(clock=clock) is False and secrets.current_key_id == "k1"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"current": "k2", "salts": {"k1": OLD}}, "has no salt"),
        ({"current": "k1", "salts": {"k1": OLD}, "retired": ["k1"]}, "retired key ids"),
        ({"current": "k1", "salts": {"k1": "ab"}}, "at least 16 bytes"),
    ],
)
def test_inconsistent_tables_are_refused(document, message):
    with pytest.raises(ValueError, match=message):
        SaltTable.from_document(document)


def test_replace_writes_the_file_and_round_trips(files):
    secrets = load_identifier_secrets(*files)
    table = SaltTable("k2", {"k2": bytes.fromhex(NEW)}, frozenset({"k1"}))
    secrets.replace(table)
    assert secrets.table == table
    assert SaltTable.from_document(json.loads(files[0].read_text())) == table
    assert oct(files[0].stat().st_mode & 0o777) == "0o600"
    assert "bb" * 4 not in repr(secrets)


def test_secrets_not_from_a_file_cannot_be_rewritten():
    secrets = IdentifierSecrets(SaltTable("k1", {"k1": bytes.fromhex(OLD)}), b"p" * 32)
    assert secrets.refresh() is False
    with pytest.raises(ValueError, match="not read from a file"):
        secrets.replace(secrets.table)
