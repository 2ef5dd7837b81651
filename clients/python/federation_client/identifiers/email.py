"""E-mail addresses: syntax checked by ``email-validator``, then lowercased.

The domain is written in its IDNA ASCII form so ``例子.中国`` and
``xn--fsqu00a.xn--fiqs8s`` match. The local part is lowercased although RFC 5321
lets it be case-sensitive: no large mailbox provider treats it so, and people
type it either way. Provider-specific folding (Gmail dots, ``+tags``) is *not*
applied: it would merge distinct people on providers that do not share it.
Deliverability (DNS) is not checked, so hashing never touches the network.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from ..errors import InvalidIdentifier
from ._text import fold


def normalize_email(raw: str) -> str:
    text = fold("email", raw)
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidIdentifier("email", "email.syntax", "not a valid e-mail address") from None
    return f"{result.local_part.lower()}@{result.ascii_domain.lower()}"
