"""The ``federation`` operator commands, run through Click against the real database."""

from __future__ import annotations

import json

from federation.events.service import history
from federation.members.models import Member
from federation_client.keys import load_private_key, write_key_pair
from tests.conftest import Identity


def test_member_lifecycle(cli, db):
    assert "acme\tpending\tquery,submit" in cli("members", "add", "acme", "--name", "ACME", "--roles", "query,submit")
    assert "acme\tactive" in cli("members", "activate", "acme")
    assert "acme\tsuspended" in cli("members", "suspend", "acme", "--reason", "chargebacks")
    assert db.session.get(Member, "acme").status == "suspended"
    tags = [event.tag for event in history(db.session, "member:acme")]
    assert tags == ["member:added", "member:activated", "member:suspended"]
    assert history(db.session, "member:acme")[-1].payload == {"from": "active", "reason": "chargebacks"}
    assert history(db.session, "member:acme")[0].actor.startswith("cli:")
    assert json.loads(cli("members", "show", "acme"))["status"] == "suspended"
    assert cli("members", "list").splitlines()[0].startswith("acme\tsuspended")


def test_errors_exit_non_zero_without_writing(cli, db):
    cli("members", "add", "acme", "--name", "ACME")
    assert "member_exists" in cli("members", "add", "acme", "--name", "Again", ok=False)
    assert "Unknown roles" in cli("members", "add", "beta", "--name", "B", "--roles", "query,god", ok=False)
    assert db.session.get(Member, "beta") is None


def test_keys_add_list_revoke_from_a_keygen_file(cli, tmp_path):
    cli("members", "add", "acme", "--name", "ACME", "--activate")
    write_key_pair(tmp_path / "acme", kid="acme-2026")
    assert cli("keys", "add", "acme", str(tmp_path / "acme" / "public-jwk.json")).startswith("acme-2026\tEdDSA")
    assert "acme-2026\tEdDSA\tactive\t" in cli("keys", "list", "acme")
    assert "revoked" in cli("keys", "revoke", "acme", "acme-2026")  # operators may revoke the last key
    assert "acme-2026\tEdDSA\trevoked" in cli("keys", "list", "acme")
    refused = cli("keys", "add", "acme", str(tmp_path / "acme" / "private-key.pem"), ok=False)
    assert "private key" in refused


def test_demo_is_idempotent_and_its_key_authenticates(cli, app, auth, db):
    cli("demo")
    cli("demo")
    assert db.session.get(Member, "demo-platform").role_set == {"query", "submit", "review", "admin"}
    key = load_private_key(f"{app.instance_path}/demo/private-key.pem")
    assert auth.token(Identity("demo-platform", key, "demo-key-1"))


def test_signing_keys_rotate_and_retire(cli, app):
    before = json.loads(cli("signing-keys", "show"))["keys"]
    rotated = json.loads(cli("signing-keys", "rotate"))["keys"]
    assert len(rotated) == len(before) + 1 and rotated[1:] == before
    assert len(json.loads(cli("signing-keys", "retire"))["keys"]) == 1
