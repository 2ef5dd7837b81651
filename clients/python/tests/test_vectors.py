"""The SDK reproduces every published vector, and the vectors follow the documented bytes."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from vectors import load_vectors, vector_id

from federation_client.identifiers import InvalidIdentifier, hash_all, normalize

DOCUMENT = load_vectors()
SALT = bytes.fromhex(DOCUMENT["salt_hex"])
KEY_ID = DOCUMENT["key_id"]
VECTORS = DOCUMENT["vectors"]


def test_there_are_enough_vectors_of_every_kind():
    assert len(VECTORS) >= 80
    for kind in ("phone", "national_id", "device", "ip", "ip_net", "email"):
        assert sum(v["type"] == kind and "error" not in v for v in VECTORS) >= 5
        assert any(v["type"] == kind and "error" in v for v in VECTORS)


@pytest.mark.parametrize("vector", VECTORS, ids=vector_id)
def test_vector(vector):
    if "error" in vector:
        with pytest.raises(InvalidIdentifier) as caught:
            hash_all(vector["type"], vector["input"], SALT, KEY_ID)
        assert caught.value.code == vector["error"]
        return
    assert normalize(vector["type"], vector["input"]) == vector["normalized"]
    produced = [h.as_dict() for h in hash_all(vector["type"], vector["input"], SALT, KEY_ID)]
    assert produced == [{"type": h["type"], "hash": h["hash"], "key_id": KEY_ID} for h in vector["hashes"]]


@pytest.mark.parametrize("vector", [v for v in VECTORS if "hashes" in v], ids=vector_id)
def test_vector_hashes_follow_the_documented_bytes(vector):
    for expected in vector["hashes"]:
        message = b"bf1\x00" + expected["type"].encode() + b"\x00" + expected["normalized"].encode("utf-8")
        assert hmac.new(SALT, message, hashlib.sha256).hexdigest() == expected["hash"]
