"""Properties over generated inputs: normalising is idempotent, and every
re-spelling of one phone, ID card or address hashes the same."""

from __future__ import annotations

import ipaddress
from datetime import date, timedelta

import phonenumbers
from hypothesis import assume, given
from hypothesis import strategies as st

from federation_client.identifiers import IDENTIFIER_TYPES, InvalidIdentifier, hash_identifier, normalize
from federation_client.identifiers.national_id import PROVINCE_CODES, check_character

SALT = b"property-test-salt-32-bytes-long"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

mainland_mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True).filter(
    lambda digits: phonenumbers.is_valid_number(phonenumbers.parse(digits, "CN"))
)


@st.composite
def respelled_mobile(draw: st.DrawFn, digits: str) -> str:
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "0086", "(+86)", "+86-"]))
    groups = [digits[:3], digits[3:7], digits[7:]]
    separator = draw(st.sampled_from(["", " ", "-"]))
    text = prefix + separator.join(groups)
    if draw(st.booleans()):
        text = text.translate(FULL_WIDTH)
    return draw(st.sampled_from(["", " ", "\t"])) + text + draw(st.sampled_from(["", " "]))


@given(mainland_mobiles, st.data())
def test_every_spelling_of_a_mobile_hashes_the_same(digits, data):
    spelling = data.draw(respelled_mobile(digits))
    assert hash_identifier("phone", spelling, SALT, "k") == hash_identifier("phone", digits, SALT, "k")


@st.composite
def resident_ids(draw: st.DrawFn) -> tuple[str, date, str]:
    region = draw(st.sampled_from(sorted(PROVINCE_CODES)))
    rest = draw(st.integers(min_value=0, max_value=9999))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date.today() - timedelta(days=1)))
    sequence = draw(st.integers(min_value=0, max_value=999))
    body = f"{region:02d}{rest:04d}{born:%Y%m%d}{sequence:03d}"
    return body + check_character(body), born, body


@given(resident_ids(), st.sampled_from(["", " ", "-"]), st.booleans())
def test_every_spelling_of_an_id_hashes_the_same(generated, separator, lower):
    number, born, body = generated
    spelled = separator.join([number[:6], number[6:14], number[14:]])
    spelled = spelled.lower() if lower else spelled
    assert normalize("national_id", spelled) == number
    if 1900 <= born.year <= 1999:  # legacy 15-digit cards exist only for births in the 1900s
        legacy = body[:6] + body[8:17]
        assert hash_identifier("national_id", legacy, SALT, "k") == hash_identifier("national_id", number, SALT, "k")


#: First octets of public unicast space, so generated addresses are rarely filtered out.
PUBLIC_FIRST_OCTETS = [1, 8, 14, 36, 42, 58, 61, 101, 110, 114, 117, 120, 125, 140, 175, 180, 183, 202, 211, 218, 223]


@given(st.sampled_from(PUBLIC_FIRST_OCTETS), st.integers(min_value=0, max_value=2**24 - 1))
def test_ipv4_and_its_mapped_ipv6_form_hash_the_same(first_octet, rest):
    address = ipaddress.IPv4Address((first_octet << 24) | rest)
    assume(address.is_global)
    mapped = f"::ffff:{address}"
    assert hash_identifier("ip", mapped, SALT, "k") == hash_identifier("ip", str(address), SALT, "k")


@given(st.integers(min_value=0x2400 << 112, max_value=(0x2C00 << 112) - 1), st.booleans())
def test_ipv6_spellings_hash_the_same(value, upper):
    address = ipaddress.IPv6Address(value)  # 2400::/6 and up: regional registries' unicast space
    assume(address.is_global and address.ipv4_mapped is None)
    exploded = address.exploded.upper() if upper else address.exploded
    assert hash_identifier("ip", f"[{exploded}]", SALT, "k") == hash_identifier("ip", str(address), SALT, "k")


@given(st.sampled_from(IDENTIFIER_TYPES), st.text(max_size=60))
def test_normalising_is_idempotent_and_never_crashes(type_, raw):
    try:
        once = normalize(type_, raw)
    except InvalidIdentifier:
        return
    assert normalize(type_, once) == once


@given(st.emails())
def test_email_normalising_is_idempotent(address):
    try:
        once = normalize("email", address)
    except InvalidIdentifier:
        return
    assert normalize("email", once) == once
    assert normalize("email", address.upper()) == once
