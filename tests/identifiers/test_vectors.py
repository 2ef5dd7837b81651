"""The server runs every published vector through its own import path.

``federation.identifiers`` must be the SDK's implementation, not a copy: the
identity check fails the day someone forks the rules into the server.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import federation_client.identifiers as sdk
from federation import identifiers

DOCUMENT = json.loads(
    (Path(__file__).resolve().parents[2] / "clients" / "test-vectors" / "identifiers.json").read_text("utf-8")
)
SALT = bytes.fromhex(DOCUMENT["salt_hex"])


def test_server_uses_the_sdk_implementation():
    assert identifiers.normalize is sdk.normalize
    assert identifiers.hash_all is sdk.hash_all


@pytest.mark.parametrize("vector", DOCUMENT["vectors"], ids=lambda v: f"{v['type']}:{v['input'][:30]!r}")
def test_vector(vector):
    if "error" in vector:
        with pytest.raises(identifiers.InvalidIdentifier) as caught:
            identifiers.hash_all(vector["type"], vector["input"], SALT, DOCUMENT["key_id"])
        assert caught.value.code == vector["error"]
    else:
        hashed = identifiers.hash_all(vector["type"], vector["input"], SALT, DOCUMENT["key_id"])
        assert [(h.type, h.hash) for h in hashed] == [(h["type"], h["hash"]) for h in vector["hashes"]]


@pytest.mark.parametrize("vector", [v for v in DOCUMENT["vectors"] if "error" not in v][:20], ids=lambda v: v["type"])
def test_under_several_salts_each_hash_is_the_vectors(vector):
    other = bytes(range(32))
    [*grouped] = identifiers.hash_all_salts(
        vector["type"], vector["input"], [(DOCUMENT["key_id"], SALT), ("k2", other)]
    )
    assert [(g.type, g.hash, g.key_id) for g in grouped] == [
        (h["type"], h["hash"], DOCUMENT["key_id"]) for h in vector["hashes"]
    ]
    assert [g.hashes[1] for g in grouped] == identifiers.hash_all(vector["type"], vector["input"], other, "k2")
    assert grouped[0].as_dict()["hashes"][1] == {"key_id": "k2", "hash": grouped[0].hashes[1].hash}
