"""Reading a MISP warninglist and expanding it into identifier values: no Flask, no database.

The MISP format (github.com/MISP/misp-warninglists) is one JSON object::

    {"name": "...", "version": 1, "description": "...", "type": "string",
     "matching_attributes": ["phone-number"], "list": ["13800138000", ...]}

plus our extension members, which MISP tools ignore:

* ``federation_action``: ``refuse`` (default; a matching listing is a 422 naming the list) or
  ``downweight`` (accepted, but its matches count ``federation_weight`` as much, 0..1);
* ``federation_local_parts``: for a ``hostname`` list, the mailbox names (``admin``,
  ``postmaster``) that make role addresses ``local@domain`` of every domain listed.

Why these limits: the server only ever sees a keyed hash of a whole identifier, so a list can
only be applied as exact values it can hash itself. ``string`` lists are such values;
``cidr`` lists become every address (small networks) and every /24 or /64 (``ip_net``);
``hostname`` lists become role addresses. ``substring`` and ``regex`` lists, and a
bare domain list (disposable e-mail providers), cannot match a hash and are refused with a
4xx that says so.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import phonenumbers

from federation_client.errors import InvalidIdentifier
from federation_client.identifiers import normalize

ACTIONS = ("refuse", "downweight")
KINDS = ("string", "hostname", "cidr")
UNSUPPORTED_KINDS = ("substring", "regex")
#: MISP attribute types (and our own type names) -> the identifier type a ``string`` value is read as.
ATTRIBUTE_TYPES = {
    "phone-number": "phone",
    "whois-registrant-phone": "phone",
    "phone": "phone",
    "email": "email",
    "email-src": "email",
    "email-dst": "email",
    "target-email": "email",
    "whois-registrant-email": "email",
    "ip-src": "ip",
    "ip-dst": "ip",
    "ip": "ip",
    "ip_net": "ip_net",
    "device": "device",
    "national_id": "national_id",
}
MAX_NAME = 200
MAX_DESCRIPTION = 2000


class WarninglistInvalid(ValueError):
    """A document that is not a usable warninglist; ``errors`` are ``(pointer, detail)`` pairs."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{pointer}: {detail}" for pointer, detail in errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class Limits:
    """How far a ``cidr`` list is expanded, and how big a list may get (``WARNINGLIST_*`` settings)."""

    #: A network up to this many addresses is also hashed address by address (``ip``).
    max_addresses_per_network: int = 65_536
    #: A network up to this many /24s (IPv4) or /64s (IPv6) is hashed as each of them (``ip_net``).
    max_nets_per_network: int = 65_536
    #: Values one list may expand to (per salt).
    max_values: int = 1_000_000


@dataclass(frozen=True, slots=True)
class Warninglist:
    name: str
    version: int
    description: str
    kind: str
    action: str
    weight: float
    types: tuple[str, ...]
    values: tuple[str, ...]
    local_parts: tuple[str, ...] = ()


@dataclass(slots=True)
class Expansion:
    """The ``(type, canonical value)`` pairs of a list, and what could not be hashed and why."""

    values: set[tuple[str, str]] = field(default_factory=set)
    #: ``(index in "list", reason)``: values that do not normalise or networks too large to
    #: enumerate. They are reported, never silently dropped.
    skipped: list[tuple[int, str]] = field(default_factory=list)
    #: Indexes of phone values that are not valid numbers (short service codes such as 10086)
    #: hashed only as written: digits alone and after ``+<country code>``, the strings a member
    #: hashing by hand, without the spec's validation, would have hashed.
    as_written: list[int] = field(default_factory=list)


def parse(document: Any) -> Warninglist:
    """Check a decoded MISP warninglist document; raises :class:`WarninglistInvalid` with every problem."""
    if not isinstance(document, Mapping):
        raise WarninglistInvalid([("/", "A warninglist is a JSON object.")])
    errors: list[tuple[str, str]] = []
    name = document.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        errors.append(("/name", f"Required: a non-empty string of at most {MAX_NAME} characters."))
    version = document.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or not 0 <= version < 2**31:
        errors.append(("/version", "An integer from 0."))
    description = document.get("description", "")
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        errors.append(("/description", f"A string of at most {MAX_DESCRIPTION} characters."))
    kind = document.get("type", "string")
    if kind in UNSUPPORTED_KINDS:
        errors.append(("/type", f"{kind!r} lists cannot be matched against hashed identifiers; use string or cidr."))
    elif kind not in KINDS:
        errors.append(("/type", f"One of {', '.join(KINDS)}."))
    values = document.get("list")
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
        errors.append(("/list", "Required: a non-empty array of non-empty strings."))
    action = document.get("federation_action", "refuse")
    if action not in ACTIONS:
        errors.append(("/federation_action", f"One of {', '.join(ACTIONS)}."))
    weight = document.get("federation_weight", 0.0 if action == "refuse" else 0.2)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 1:
        errors.append(("/federation_weight", "A number from 0 to 1."))
    types = _types(document.get("matching_attributes"), kind, errors)
    local_parts = document.get("federation_local_parts", [])
    if kind == "hostname" and (
        not isinstance(local_parts, list) or not local_parts or not all(isinstance(p, str) and p for p in local_parts)
    ):
        errors.append(
            (
                "/federation_local_parts",
                "A hostname list needs the mailbox names (admin, postmaster, ...) to make addresses of: "
                "e-mail identifiers are hashed whole, so a bare domain can never match one.",
            )
        )
    if errors:
        raise WarninglistInvalid(errors)
    return Warninglist(
        name=name.strip(),
        version=version,
        description=description,
        kind=kind,
        action=action,
        weight=float(weight) if action == "downweight" else 0.0,
        types=types,
        values=tuple(values),
        local_parts=tuple(local_parts) if kind == "hostname" else (),
    )


def _types(attributes: Any, kind: str, errors: list[tuple[str, str]]) -> tuple[str, ...]:
    if kind == "cidr":
        return ("ip", "ip_net")
    if kind == "hostname":
        return ("email",)
    if not isinstance(attributes, list) or not all(isinstance(a, str) for a in attributes):
        errors.append(("/matching_attributes", "Required for a string list: an array of attribute types."))
        return ()
    types = tuple(sorted({ATTRIBUTE_TYPES[a] for a in attributes if a in ATTRIBUTE_TYPES}))
    if not types:
        errors.append(
            (
                "/matching_attributes",
                f"Names no identifier type this federation knows; use any of {', '.join(sorted(ATTRIBUTE_TYPES))}.",
            )
        )
    return types


def expand(warninglist: Warninglist, limits: Limits, *, default_region: str = "CN") -> Expansion:
    """Every ``(type, canonical value)`` the list stands for; raises :class:`WarninglistInvalid` past ``max_values``."""
    expansion = Expansion()
    for index, value in enumerate(warninglist.values):
        if warninglist.kind == "cidr":
            _expand_network(index, value, limits, expansion)
        elif warninglist.kind == "hostname":
            for local in warninglist.local_parts:
                reason = _add_literal(index, "email", f"{local}@{value}", default_region, expansion)
                if reason:
                    expansion.skipped.append((index, reason))
        else:  # a value read under several types is skipped only if no type takes it
            reasons = [_add_literal(index, t, value, default_region, expansion) for t in warninglist.types]
            if "phone" in warninglist.types and not reasons[warninglist.types.index("phone")]:
                _add_hand_written_phone(value, default_region, expansion)
            if all(reasons) and not _add_as_written(index, value, warninglist.types, default_region, expansion):
                expansion.skipped.append((index, "; ".join(r for r in reasons if r)))
        if len(expansion.values) > limits.max_values:
            raise WarninglistInvalid([("/list", f"Expands to more than {limits.max_values} values; split it.")])
    return expansion


def _add_literal(index: int, type_: str, value: str, default_region: str, expansion: Expansion) -> str | None:
    """Add one value read as ``type_``; the reason it is not one, if it is not."""
    try:
        if type_ in ("ip", "ip_net"):  # shared addresses are exactly what a list names: no is_global check
            canonical = _address(value) if type_ == "ip" else str(_net_of(ipaddress.ip_address(_address(value))))
        else:
            canonical = normalize(type_, value, default_region=default_region)
    except (InvalidIdentifier, ValueError) as error:
        return f"not a valid {type_} ({getattr(error, 'code', f'{type_}.syntax')})"
    expansion.values.add((type_, canonical))
    return None


def _add_hand_written_phone(value: str, default_region: str, expansion: Expansion) -> None:
    """A valid number's forms a member hashing by hand may use instead of E.164: the national digits
    (``13800138000``, ``01012345678``), the significant number, and ``<country code><number>`` without
    ``+``. The spec's canonical form is already in; these catch what the SDK would have normalised."""
    number = phonenumbers.parse(value, default_region)
    significant = phonenumbers.national_significant_number(number)
    national = "".join(
        ch for ch in phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL) if ch.isdigit()
    )
    for digits in (significant, national, f"{number.country_code}{significant}"):
        expansion.values.add(("phone", digits))


def _add_as_written(index: int, value: str, types: tuple[str, ...], default_region: str, expansion: Expansion) -> bool:
    """A short service number (``10086``) is no E.164 number, yet a member hashing by hand may hash it."""
    digits = "".join(ch for ch in value if not ch.isspace() and ch != "-")
    if "phone" not in types or not digits.isascii() or not digits.isdigit() or len(digits) > 15:
        return False
    code = phonenumbers.country_code_for_region(default_region)
    expansion.values.update({("phone", digits), ("phone", f"+{code}{digits}")} if code else {("phone", digits)})
    expansion.as_written.append(index)
    return True


def _address(text: str) -> str:
    address = ipaddress.ip_address(text.strip().strip("[]"))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def _net_of(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(f"{address}/{24 if address.version == 4 else 64}", strict=False)


def _expand_network(index: int, value: str, limits: Limits, expansion: Expansion) -> None:
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        expansion.skipped.append((index, "not an IP network (cidr.syntax)"))
        return
    mapped = network.network_address.ipv4_mapped if network.version == 6 else None
    if mapped is not None and network.prefixlen >= 96:  # the spec writes these as IPv4
        network = ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}")
    net_prefix = 24 if network.version == 4 else 64
    covered = False
    # ``ip_net`` only for whole /24s (/64s): a /28 of Wi-Fi egress must not take its neighbours'
    # /24 with it. Addresses are hashed for networks small enough.
    if network.prefixlen <= net_prefix:
        if 2 ** (net_prefix - network.prefixlen) <= limits.max_nets_per_network:
            expansion.values.update(("ip_net", str(net)) for net in network.subnets(new_prefix=net_prefix))
            covered = True
    if network.num_addresses <= limits.max_addresses_per_network:
        expansion.values.update(("ip", str(address)) for address in _addresses(network))
        covered = True
    if not covered:
        expansion.skipped.append((index, "too large to enumerate (FEDERATION_WARNINGLIST_MAX_* limits)"))


def _addresses(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> Iterator[ipaddress._BaseAddress]:
    """Every address, network and broadcast ones included (a listing may carry any of them)."""
    start = int(network.network_address)
    for offset in range(network.num_addresses):
        yield ipaddress.ip_address(start + offset) if network.version == 4 else ipaddress.IPv6Address(start + offset)
