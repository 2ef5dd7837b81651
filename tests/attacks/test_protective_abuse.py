"""Abusing protective registration to shield people it never names (issue 13 point 6, docs/disputes.md)."""

from __future__ import annotations

from datetime import UTC, datetime

from federation.entries import salt_rotation
from tests.api.test_protective import action, list_phone, parties, register, verdict  # noqa: F401, F811 - fixture
from tests.entries.factories import entry_payload, hashed_all, hashed_under

OWN_CUSTOMER = "13700137000"  # the number the dishonest member registers, as its "victim"
FRAUDSTER = "13600136000"  # the number it wants shielded, never registered by anyone


def test_a_registration_cannot_be_taught_to_shield_a_number_it_never_named(client, app, db, parties, salts):  # noqa: F811
    """Broken: a protective registration flags the identifiers it was given, and "what a dishonest member can
    gain by shielding a fraudster is bounded ... made visible" (every registration in the reviewers' queue,
    with its member). During a salt rotation the registration "learns" a new salt's hash from any entry that
    holds one of its hashes beside it, and the server cannot check that the two hashes are the same number.
    shop-v registers OWN_CUSTOMER, then lists a case whose phone is OWN_CUSTOMER under the old salt and
    FRAUDSTER under the new one; the registration learns FRAUDSTER's hash. shop-a's honest tier-2 listing of
    FRAUDSTER (a ``ban``) then answers ``review`` / ``protective_registration`` to everyone, and the
    reviewers' queue still shows one registration, of OWN_CUSTOMER."""
    first = salts.current_key_id
    register(client, app, parties["shop-v"], phone=OWN_CUSTOMER)
    salt_rotation.add_salt(db.session, salts, "rot-2", actor="cli:op", now=datetime.now(UTC))
    db.session.commit()
    mixed = {
        "type": "phone",
        "hashes": [
            {"key_id": "rot-2", "hash": hashed_under(app, "rot-2", "phone", FRAUDSTER)[0]["hash"]},
            {"key_id": first, "hash": hashed_under(app, first, "phone", OWN_CUSTOMER)[0]["hash"]},
        ],
    }
    taught = client.post(
        "/v1/entries", json=entry_payload(app, "teach-1", tier=1, identifiers=[mixed]), headers=parties["shop-v"]
    )
    assert taught.status_code in (201, 422), taught.get_json()

    list_phone(
        client, app, parties["shop-a"], "fraud-1", phone=FRAUDSTER, identifiers=hashed_all(app, "phone", FRAUDSTER)
    )
    [identifier] = verdict(client, app, parties["risk-c"], hashed_under(app, "rot-2", "phone", FRAUDSTER))[
        "identifiers"
    ]
    assert identifier["protective_registration"] is False and action(identifier)[0] == "ban", (
        identifier["protective_registration"],
        action(identifier),
    )
