"""Client-assertion rules with an explicit clock: no sleeping, exact boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from federation.members.assertions import AssertionKey, InvalidClient, verify_client_assertion
from federation_client.keys import generate_key
from tests.conftest import sign_assertion

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
URL = "https://federation.example/v1/oauth/token"
KEY = generate_key()
KEYS = {"acme": [AssertionKey("k1", "EdDSA", KEY.public_key())]}


def verify(token: str, now: datetime = NOW):
    return verify_client_assertion(token, token_url=URL, now=now, keys_for=lambda mid: KEYS.get(mid, []))


def assertion(**claims) -> str:
    base = {"iat": int(NOW.timestamp()), "exp": int((NOW + timedelta(minutes=5)).timestamp())}
    return sign_assertion(KEY, "k1", "acme", URL, **{**base, **claims})


def at(delta: timedelta) -> int:
    return int((NOW + delta).timestamp())


def test_valid_assertion_names_member_key_and_expiry():
    verified = verify(assertion(jti="j1"))
    assert (verified.member_id, verified.kid, verified.jti) == ("acme", "k1", "j1")
    assert verified.expires_at == NOW + timedelta(minutes=5)


def test_kid_may_be_omitted_when_a_key_of_that_algorithm_matches():
    token = sign_assertion(KEY, None, "acme", URL, iat=at(timedelta(0)), exp=at(timedelta(minutes=5)))
    assert verify(token).kid == "k1"


@pytest.mark.parametrize(
    ("exp", "accepted"),
    [
        (timedelta(minutes=60), True),
        (timedelta(minutes=61), True),  # within the 60 s clock-skew allowance
        (timedelta(minutes=62), False),
        (timedelta(seconds=-30), True),  # just expired, within skew
        (timedelta(seconds=-90), False),
    ],
)
def test_lifetime_boundaries(exp, accepted):
    token = assertion(exp=at(exp), iat=at(timedelta(seconds=-1)))
    if accepted:
        verify(token)
    else:
        with pytest.raises(InvalidClient):
            verify(token)


def test_iat_and_nbf_in_the_future_beyond_skew_are_refused():
    with pytest.raises(InvalidClient, match="iat"):
        verify(assertion(iat=at(timedelta(minutes=2))))
    with pytest.raises(InvalidClient, match="nbf"):
        verify(assertion(nbf=at(timedelta(minutes=2))))
    verify(assertion(iat=at(timedelta(seconds=30)), nbf=at(timedelta(seconds=30))))


def test_the_same_token_expires_as_the_clock_moves():
    token = assertion()
    verify(token)
    with pytest.raises(InvalidClient, match="expired"):
        verify(token, now=NOW + timedelta(minutes=7))


@pytest.mark.parametrize("claims", [{"sub": "other"}, {"iss": None}, {"jti": ""}, {"jti": "x" * 256}, {"exp": "soon"}])
def test_malformed_claims_are_refused(claims):
    with pytest.raises(InvalidClient):
        verify(assertion(**claims))


def test_es256_token_cannot_be_checked_against_an_eddsa_key():
    other = generate_key("ES256")
    with pytest.raises(InvalidClient):
        verify(sign_assertion(other, "k1", "acme", URL, iat=at(timedelta(0)), exp=at(timedelta(minutes=5))))
