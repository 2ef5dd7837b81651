"""The cap a protective registration puts on the ladder: never more than ``review`` on it alone.

Pure, like ``lookups/actions.py``. A person whose phone or ID card fraudsters used has listings
against that identifier that are, as far as the federation can tell, the fraudsters'; a member
seeing a complaint from the real person must not freeze, ban or report them for it. The match
stays visible (confidence, entries, dates are unchanged): a person looks at the complaint
(``review``), which is the most a listing can ask for when the listed identifier is known to be
shared with an impostor.
"""

from __future__ import annotations

from dataclasses import replace

from ..lookups.actions import Recommendation

RULE = "protective_registration"
#: The ladder's actions above ``review``: the ones a registration caps.
ABOVE_REVIEW = frozenset({"warn_and_freeze", "ban", "refer_to_police"})


def protect(recommendation: Recommendation) -> Recommendation:
    """``review`` (rule ``protective_registration``) instead of anything stronger; weaker stays."""
    if recommendation.action not in ABOVE_REVIEW:
        return recommendation
    return replace(recommendation, action="review", rule=RULE, freeze_until=None)


def for_subject(full: Recommendation, independent: Recommendation | None) -> Recommendation:
    """A subject with a protected identifier: what its *unprotected* identifiers justify on their own
    (``independent``, from the entries they match) when that is above ``review``; else ``full`` capped.

    "Never more than review on that identifier alone": a device and an e-mail that are listed in
    their own right still ban a person who also happens to use a stolen phone; the stolen phone's
    listings neither raise nor lower that.
    """
    if independent is not None and independent.action in ABOVE_REVIEW:
        return independent
    return protect(full)
