"""Which matched entries are provisional in this lookup: a probation member's, not yet corroborated.

A listing by a member on probation that no reviewer has confirmed (``MatchRow.provisional``) counts
as ``review`` at most (``actions.recommend``'s ``probation_uncorroborated``) unless another member
corroborates it: another member's live, counted entry on the same identifier (or, for a subject,
on any of its identifiers), read from the rows the lookup already matched; no extra query.

The corroborating entry must not be provisional itself: two fresh members (or one operator's two
fresh accounts) must not be able to lift each other's listings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def uncorroborated(rows: Sequence[Any]) -> frozenset[int]:
    """Ids of the provisional entries among ``rows`` that no other member's established entry backs."""
    if not any(row.provisional for row in rows):  # almost always: one pass, nothing built
        return frozenset()
    established = {row.member_id for row in rows if row.state == "active" and not row.provisional}
    return frozenset(row.id for row in rows if row.provisional and not established - {row.member_id})
