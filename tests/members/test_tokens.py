"""Access tokens and the verified-token cache, with an explicit clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from federation.members.signing import SigningKeySet, new_signing_key
from federation.members.tokens import InvalidToken, VerifiedTokenCache, issue_access_token, verify_access_token

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
KEYS = SigningKeySet([new_signing_key()])


def issue(member: str = "acme", scopes=frozenset({"query"}), keys: SigningKeySet = KEYS, now: datetime = NOW) -> str:
    return issue_access_token(keys, issuer="test", member_id=member, scopes=scopes, now=now)[0]


def test_round_trip_and_expiry():
    token = issue(scopes=frozenset({"query", "submit"}))
    claims = verify_access_token(KEYS, token, issuer="test", now=NOW + timedelta(minutes=14))
    assert claims.member_id == "acme" and claims.scopes == {"query", "submit"}
    with pytest.raises(InvalidToken, match="expired"):
        verify_access_token(KEYS, token, issuer="test", now=NOW + timedelta(minutes=15))


def test_other_issuer_and_retired_keys_are_refused():
    token = issue()
    with pytest.raises(InvalidToken):
        verify_access_token(KEYS, token, issuer="someone-else", now=NOW)
    with pytest.raises(InvalidToken):
        verify_access_token(SigningKeySet([new_signing_key()]), token, issuer="test", now=NOW)


def test_rotated_key_set_still_verifies_tokens_of_the_previous_key():
    rotated = SigningKeySet([new_signing_key(), *KEYS.keys])
    assert verify_access_token(rotated, issue(), issuer="test", now=NOW).member_id == "acme"
    assert verify_access_token(rotated, issue(keys=rotated), issuer="test", now=NOW).member_id == "acme"


def test_cache_returns_only_unexpired_entries_and_stays_bounded():
    cache = VerifiedTokenCache(max_size=2)
    tokens = [issue(member=f"m{i}") for i in range(3)]
    for token in tokens:
        cache.put(token, verify_access_token(KEYS, token, issuer="test", now=NOW))
    assert cache.get(tokens[0], NOW) is None  # evicted, least recently used
    assert cache.get(tokens[2], NOW).member_id == "m2"
    assert cache.get(tokens[2], NOW + timedelta(minutes=16)) is None
    assert cache.get(tokens[2], NOW) is None  # an expired entry is dropped, not kept


def test_a_token_names_the_member_key_that_bought_it():
    """``client_kid`` lets a revoked member key end its tokens; tokens without it (older) still verify."""
    bought = issue_access_token(
        KEYS, issuer="test", member_id="acme", scopes=frozenset({"query"}), now=NOW, client_kid="acme-2026"
    )[0]
    assert verify_access_token(KEYS, bought, issuer="test", now=NOW).client_kid == "acme-2026"
    assert verify_access_token(KEYS, issue(), issuer="test", now=NOW).client_kid is None
