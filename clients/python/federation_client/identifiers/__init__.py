"""The identifier spec: one implementation, used by members and the server.

Raw identifiers never leave a member. A member normalises each one (so every
spelling of the same phone, ID card, device, address or mailbox becomes one
string) and hashes it with the federation salt; only the hash travels.
``docs/identifiers.md`` is the published specification and
``clients/test-vectors/identifiers.json`` the vectors any other implementation
can be checked against.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from ..errors import InvalidIdentifier
from .device import normalize_device
from .email import normalize_email
from .hashing import (
    HASH_PATTERN,
    KEY_ID_PATTERN,
    SPEC_VERSION,
    HashedIdentifier,
    IdentifierHashes,
    check_salt,
    keyed_hash,
    message_bytes,
)
from .ip import network_of, normalize_ip, normalize_ip_net
from .national_id import normalize_national_id
from .phone import DEFAULT_REGION, normalize_phone

__all__ = [
    "DEFAULT_REGION",
    "DERIVED_TYPES",
    "HASH_PATTERN",
    "IDENTIFIER_TYPES",
    "KEY_ID_PATTERN",
    "PRIMARY_TYPES",
    "SPEC_VERSION",
    "HashedIdentifier",
    "IdentifierHashes",
    "InvalidIdentifier",
    "derived",
    "hash_all",
    "hash_all_salts",
    "hash_identifier",
    "hash_normalized",
    "message_bytes",
    "normalize",
]

#: Types a member collects from people.
PRIMARY_TYPES = ("phone", "national_id", "device", "ip", "email")
#: Types computed from another identifier, never collected on their own.
DERIVED_TYPES = ("ip_net",)
IDENTIFIER_TYPES = PRIMARY_TYPES + DERIVED_TYPES


def normalize(type_: str, raw: str, *, default_region: str = DEFAULT_REGION, today: date | None = None) -> str:
    """The canonical text of ``raw`` read as ``type_``; raises :class:`InvalidIdentifier`."""
    rules: dict[str, Callable[[str], str]] = {
        "phone": lambda value: normalize_phone(value, default_region),
        "national_id": lambda value: normalize_national_id(value, today),
        "device": normalize_device,
        "ip": normalize_ip,
        "ip_net": normalize_ip_net,
        "email": normalize_email,
    }
    rule = rules.get(type_)
    if rule is None:
        raise InvalidIdentifier(str(type_), "type.unknown", f"type must be one of {', '.join(IDENTIFIER_TYPES)}")
    return rule(raw)


def derived(type_: str, normalized: str) -> list[tuple[str, str]]:
    """Weaker identifiers implied by a normalised one (an address's network)."""
    if type_ == "ip":
        return [("ip_net", network_of(normalized))]
    return []


def hash_normalized(type_: str, normalized: str, salt: bytes) -> str:
    """The hex hash of an already-normalised value (see :mod:`.hashing` for the bytes)."""
    return keyed_hash(type_, normalized, salt)


def hash_identifier(
    type_: str, raw: str, salt: bytes, key_id: str, *, default_region: str = DEFAULT_REGION
) -> HashedIdentifier:
    """Normalise ``raw`` and hash it: the one call a member needs per identifier."""
    check_salt(salt, key_id)
    value = normalize(type_, raw, default_region=default_region)
    return HashedIdentifier(type_, keyed_hash(type_, value, salt), key_id)


def hash_all(
    type_: str, raw: str, salt: bytes, key_id: str, *, default_region: str = DEFAULT_REGION
) -> list[HashedIdentifier]:
    """The identifier's hash followed by the hashes of what it implies (``ip`` -> ``ip_net``)."""
    check_salt(salt, key_id)
    value = normalize(type_, raw, default_region=default_region)
    pairs = [(type_, value), *derived(type_, value)]
    return [HashedIdentifier(kind, keyed_hash(kind, text, salt), key_id) for kind, text in pairs]


def hash_all_salts(
    type_: str, raw: str, salts: Iterable[tuple[str, bytes]], *, default_region: str = DEFAULT_REGION
) -> list[IdentifierHashes]:
    """Like :func:`hash_all`, under each ``(key_id, salt)`` (current first): normalised once, one item per
    identifier. What a member sends during a salt rotation, so a listing matches whichever salt it used."""
    salts = list(salts)
    if not salts:
        raise ValueError("no salt to hash with")
    for key_id, salt in salts:
        check_salt(salt, key_id)
    value = normalize(type_, raw, default_region=default_region)
    pairs = [(type_, value), *derived(type_, value)]
    return [
        IdentifierHashes(
            kind, tuple(HashedIdentifier(kind, keyed_hash(kind, text, salt), key_id) for key_id, salt in salts)
        )
        for kind, text in pairs
    ]
