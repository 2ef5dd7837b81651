"""Rules the vectors do not pin down: salts, key ids, options and error hygiene."""

from __future__ import annotations

import traceback
from datetime import date

import pytest

from federation_client.errors import FederationClientError
from federation_client.identifiers import (
    HASH_PATTERN,
    InvalidIdentifier,
    hash_all,
    hash_identifier,
    hash_normalized,
    normalize,
)
from federation_client.identifiers.device import luhn_check_digit
from federation_client.identifiers.national_id import check_character

SALT = bytes(range(32))


def test_hash_is_lowercase_hex_and_depends_on_salt_type_and_value():
    base = hash_identifier("phone", "13800138000", SALT, "k1")
    assert HASH_PATTERN.fullmatch(base.hash)
    assert base.key_id == "k1"
    assert hash_identifier("phone", "13800138000", SALT[::-1], "k1").hash != base.hash
    assert hash_identifier("phone", "13900138000", SALT, "k1").hash != base.hash
    # one string read as two types must not collide: the type is part of the message
    assert hash_normalized("device", "zhang@qq.com", SALT) != hash_normalized("email", "zhang@qq.com", SALT)


def test_key_id_travels_with_the_hash_but_does_not_change_it():
    assert hash_identifier("ip", "8.8.8.8", SALT, "a").hash == hash_identifier("ip", "8.8.8.8", SALT, "b").hash


@pytest.mark.parametrize("salt", [b"", b"short", bytes(15), "not-bytes"])
def test_short_or_textual_salts_are_refused(salt):
    with pytest.raises(ValueError, match="salt"):
        hash_identifier("phone", "13800138000", salt, "k1")


@pytest.mark.parametrize("key_id", ["", "-starts-with-dash", "has space", "x" * 33, "slash/inside"])
def test_malformed_key_ids_are_refused(key_id):
    with pytest.raises(ValueError, match="key_id"):
        hash_identifier("phone", "13800138000", SALT, key_id)


def test_ip_yields_its_network_and_other_types_only_themselves():
    assert [h.type for h in hash_all("ip", "2408:8000:1010:1::8", SALT, "k")] == ["ip", "ip_net"]
    assert hash_all("ip", "2408:8000:1010:1::9", SALT, "k")[1] == hash_all("ip", "2408:8000:1010:1::8", SALT, "k")[1]
    assert [h.type for h in hash_all("phone", "13800138000", SALT, "k")] == ["phone"]


def test_default_region_reads_national_numbers():
    assert normalize("phone", "020 7946 0958", default_region="GB") == "+442079460958"
    assert normalize("phone", "020 7946 0958") == "+862079460958"  # Guangzhou under the CN default
    assert normalize("phone", "+44 20 7946 0958") == "+442079460958"  # an explicit country wins


def test_birth_date_in_the_future_depends_on_today():
    assert normalize("national_id", "110105202401010014", today=date(2024, 1, 1)) == "110105202401010014"
    with pytest.raises(InvalidIdentifier, match="birth"):
        normalize("national_id", "110105202401010014", today=date(2023, 12, 31))


@pytest.mark.parametrize(
    ("first17", "expected"),
    [("11010519491231002", "X"), ("44030420000229123", "6"), ("51010719781025003", "9")],
)
def test_check_character_matches_hand_computation(first17, expected):
    assert check_character(first17) == expected


@pytest.mark.parametrize(
    ("payload", "digit"), [("35209900176148", "1"), ("49015420323751", "8"), ("0000000000000", "0")]
)
def test_luhn_check_digit(payload, digit):
    assert luhn_check_digit(payload) == digit


@pytest.mark.parametrize(
    ("type_", "raw"),
    [
        ("phone", "13800138"),
        ("national_id", "110105194912310021"),
        ("ip", "10.1.2.3"),
        ("email", "raw@@x.cn"),
        ("device", "352099001761482"),
    ],
)
def test_errors_never_carry_the_raw_value(type_, raw):
    with pytest.raises(InvalidIdentifier) as caught:
        normalize(type_, raw)
    error = caught.value
    assert isinstance(error, FederationClientError) and isinstance(error, ValueError)
    assert error.type == type_
    logged = "".join(traceback.format_exception(error))  # what logger.exception would write
    assert raw not in logged


@pytest.mark.parametrize("raw", [None, 13800138000, b"13800138000"])
def test_non_text_values_are_refused(raw):
    with pytest.raises(InvalidIdentifier) as caught:
        normalize("phone", raw)
    assert caught.value.code == "phone.not_text"
