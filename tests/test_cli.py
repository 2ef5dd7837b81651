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


def test_reviewers_see_and_decide_holds_from_the_command_line(cli, db, client, app, auth, make_member):
    from tests.api.test_holds import CERTIFIED, decide_dispute
    from tests.api.test_lookups import list_entry
    from tests.entries.factories import entry_payload

    parties = {
        name: auth.headers(make_member(name, roles=roles))
        for name, roles in [("shop-a", ["submit"]), ("shop-b", ["submit"]), ("risk-c", ["query"]),
                            ("fed-review", ["review"])]
    }  # fmt: skip
    decide_dispute(client, parties, list_entry(client, app, parties["shop-a"], "a1"))
    body = {**entry_payload(app, "b1"), "relisting_certification": CERTIFIED}
    held = client.post("/v1/entries", json=body, headers=parties["shop-b"]).get_json()["ref"]
    line = cli("holds", "queue").strip()
    assert line.startswith(f"{held}  by shop-b  overturned D") and line.endswith("missing -")
    assert f"{held}: hold approved; entry is active" in cli("holds", "decide", held, "approve", "--reason", "new logs")
    assert "hold_decided" in cli("holds", "decide", held, "reject", "--reason", "again", ok=False)
    assert "reinsertion guards ended 0" in cli("tick")
