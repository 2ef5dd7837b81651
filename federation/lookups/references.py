"""A lookup's purpose and the member's own reference for it (issue 13: purpose-bound lookups).

A lookup says why it is made: ``complaint_intake`` (a complaint arrived and the
platform checks the complainant) or ``order_screening`` (an order is screened
before it is accepted), and names the member's own record of that event, the
complaint or order id, as ``reference``. The reference is audited with the
lookup (``lookup_records.reference``), so a member's lookups can be traced back
to real complaints and orders during an audit, and a sweep has to invent a
reference for every request.

A reference is the *member's* identifier of its own record, never a person's:
1 to 64 characters of letters, digits and ``. _ - : / #``, and refused (422) when it
reads as a phone number (CN rules), a national id or an IP address. An e-mail
address cannot pass the character set. Checking costs microseconds, and only for
references with enough digits to be a number at all.

No Flask, no database.
"""

from __future__ import annotations

import ipaddress
import re

from federation_client.identifiers import InvalidIdentifier, normalize

#: ``account_review`` (before issue 13) carried no reference and is no longer accepted.
PURPOSES = ("complaint_intake", "order_screening")
MAX_REFERENCE_LENGTH = 64
REFERENCE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,63}$")  # anchored for the OpenAPI pattern
_DIGITS = re.compile(r"\d")
_NO_LETTERS = re.compile(r"[^A-Za-z]+")
#: Identifier types a reference must not read as; ``device`` is left out (any text is a fingerprint).
_PERSONAL_TYPES = ("phone", "national_id")


def reference_problem(reference: object) -> str | None:
    """Why ``reference`` is not acceptable, or None."""
    if not isinstance(reference, str) or not REFERENCE_PATTERN.fullmatch(reference):
        return (
            f"Your own complaint or order id: 1 to {MAX_REFERENCE_LENGTH} letters, digits or . _ - : / # "
            "(starting with a letter or digit)."
        )
    if looks_personal(reference):
        return "This reads as a personal identifier (phone number, national id or IP address); send your own id."
    return None


def looks_personal(reference: str) -> bool:
    """Whether the reference normalises as one of a person's identifiers, or carries one inside it.

    Inside: a national id (``ID11010519491231002X``), an IP address (``IP-203.0.113.9``) or a mobile
    number as one unbroken run of digits (``TEL13800138000``, ``+86`` included). Only whole digit
    runs are read as numbers, so a long order number is never split into a "phone" at random.
    """
    if ("." in reference or ":" in reference) and _is_address(reference):
        return True
    if _carries_identifier(reference):
        return True
    if len(_DIGITS.findall(reference)) < 7:  # no phone number or national id has fewer digits
        return False
    # Letters are not read as a phone keypad's ("CMP-2026-000123" is not +86 267...): a reference with
    # letters is only checked as a national id (17 digits and a check character).
    if _NO_LETTERS.fullmatch(reference):
        return any(_is(type_, reference) for type_ in _PERSONAL_TYPES)
    return _is("national_id", reference)


_EMBEDDED_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])")
_EMBEDDED_IPV4 = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])")
_EMBEDDED_IPV6 = re.compile(r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}")
_DIGIT_RUN = re.compile(r"\d+")


def _carries_identifier(reference: str) -> bool:
    if any(_is("national_id", found) for found in _EMBEDDED_ID.findall(reference)):
        return True
    if any(_is_address(found) for found in _EMBEDDED_IPV4.findall(reference)):
        return True
    if any(found.count(":") >= 2 and _is_address(found) for found in _EMBEDDED_IPV6.findall(reference)):
        return True
    return any(
        (len(run) == 11 and run[0] == "1" or len(run) == 13 and run.startswith("861"))
        and _is("phone", "+86" + run[-11:])
        for run in _DIGIT_RUN.findall(reference)
    )


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is(type_: str, text: str) -> bool:
    try:
        normalize(type_, text)
    except (InvalidIdentifier, ValueError):
        return False
    return True
