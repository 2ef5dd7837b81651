"""``federation salts add | status | retire`` and ``federation import`` across a rotation."""

from __future__ import annotations

import json

from sqlalchemy import select

from federation.entries.models import Entry
from tests.entries.factories import entry_payload


def test_add_status_and_a_forced_retirement_print_what_they_did(app, db, cli, make_member, salts, tmp_path):
    make_member("shop-a", roles=["submit"])
    old = salts.current_key_id
    row = {**entry_payload(app, "h1"), "identifiers": {"phone": "138 0013 8000"}}
    (tmp_path / "cases.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    assert "created 1" in cli("import", str(tmp_path / "cases.jsonl"), "--member", "shop-a")

    assert f"current salt is now cli-2; still accepted: {old}" in cli("salts", "add", "--key-id", "cli-2")
    assert "salt_key_id_used" in cli("salts", "add", "--key-id", old, ok=False)
    lines = cli("salts", "status").splitlines()
    assert lines[1].split() == ["cli-2", "current", "0", "0", "0"]
    assert lines[2].split() == [old, "accepted", "1", "1", "1"]
    refused = cli("salts", "retire", old, ok=False)
    assert "1 live entries hold identifiers under" in refused and "salt_in_use" in refused

    forced = cli("salts", "retire", old, "--force")
    assert "FORCED: 1 live entries no longer match any lookup" in forced
    assert cli("salts", "status").splitlines()[2].split() == [old, "retired", "1", "1", "0"]
    assert salts.table.retired == {old} and not salts.knows(old)


def test_re_running_an_import_after_a_rotation_re_keys_what_it_listed(app, db, cli, make_member, salts, tmp_path):
    make_member("shop-a", roles=["submit"])
    old = salts.current_key_id
    row = {**entry_payload(app, "h1"), "identifiers": {"phone": "138 0013 8000", "ip": "114.114.114.114"}}
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    cli("import", str(path), "--member", "shop-a")
    cli("salts", "add", "--key-id", "cli-2")

    assert "created 0, already listed 1, rejected 0" in cli("import", str(path), "--member", "shop-a")
    entry = db.session.scalars(select(Entry)).one()
    db.session.refresh(entry)
    held = sorted((i.position, i.type, i.key_id) for i in entry.identifiers)
    assert held == [(p, t, k) for p, t in ((0, "phone"), (1, "ip"), (2, "ip_net")) for k in sorted(("cli-2", old))]
    assert f"retired {old}" in cli("salts", "retire", old)
