"""The server's signing-key file: generated once, private, rotatable."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor

from federation.members.signing import load_or_create, read_key_set, rotate


def test_first_start_generates_a_private_file_and_later_starts_reuse_it(tmp_path):
    path = tmp_path / "keys" / "signing-keys.json"
    first = load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create(path).current.kid == first.current.kid
    assert set(first.jwks()["keys"][0]) == {"kty", "crv", "x", "kid", "alg", "use"}


def test_racing_workers_end_up_with_one_key(tmp_path):
    path = tmp_path / "signing-keys.json"
    with ThreadPoolExecutor(8) as pool:
        kids = set(pool.map(lambda _: load_or_create(path).current.kid, range(16)))
    assert len(kids) == 1 and read_key_set(path).current.kid in kids


def test_rotate_then_retire(tmp_path):
    path = tmp_path / "signing-keys.json"
    original = load_or_create(path).current.kid
    rotated = rotate(path)
    assert [key.kid for key in rotated.keys][1:] == [original]
    retired = rotate(path, retire=True)
    assert [key.kid for key in retired.keys] == [rotated.current.kid]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
