"""Attacks on the sweep detector (issue 13 point 2, docs/security.md section 9).

Promise: "a sweep of random phone hashes by one member is stopped within 5,000 lookups".
"""

from __future__ import annotations

import pytest

from tests.api.test_lookups import list_entry
from tests.api.test_sweeps import random_phones
from tests.entries.factories import hashed

PLANTED = "13912345678"


@pytest.fixture
def parties(client, auth, make_member):
    return {
        name: auth.headers(make_member(name, roles=roles))
        for name, roles in [("shop-a", ["submit"]), ("sweeper", ["query"]), ("fed-admin", ["admin"])]
    }


def big_member(client, admin, member_id: str, declared: int = 100_000) -> None:
    """An admitted member with a large declared volume (a big platform): a budget of 200,000 a day."""
    changed = client.post(
        f"/v1/members/{member_id}/lookup-budget",
        json={"declared_daily_lookups": declared, "reason": "Large platform, onboarding."},
        headers=admin,
    )
    assert changed.status_code == 200, changed.get_json()


def sweep_lookup(client, headers, identifiers):
    return client.post(
        "/v1/lookups",
        json={"purpose": "order_screening", "reference": "ORD-1", "identifiers": identifiers},
        headers=headers,
    )


def test_padding_each_batch_with_one_known_listed_hash_repeated_evades_the_detector(client, app, parties):
    """Broken: "a sweep of random phone hashes by one member is stopped within 5,000 lookups".

    A lookup may repeat the same identifier, and every copy counts as a hit for the detector. A
    sweeper that knows a single listed hash (one it found, or one its own shop listed) puts it 20
    times in each 1,000-identifier batch: the hit ratio is 2 %, above rule (a)'s 1 % and not below
    rule (b)'s 2 %, so 10 batches (9,800 random phone hashes) are all answered and no alert is raised.
    """
    list_entry(client, app, parties["shop-a"], "planted", phone=PLANTED)
    big_member(client, parties["fed-admin"], "sweeper")
    known = hashed(app, "phone", PLANTED)[0]
    sweep = random_phones(app, 9800, seed=11)
    answered_random = 0
    for start in range(0, len(sweep), 980):
        response = sweep_lookup(client, parties["sweeper"], [known] * 20 + sweep[start : start + 980])
        if response.status_code != 200:
            break
        answered_random += 980
    alerts = client.get("/v1/alerts", headers=parties["fed-admin"]).get_json()["alerts"]
    assert answered_random < 5000, f"{answered_random} random phone hashes answered, alerts: {alerts}"
    assert alerts, "no lookup_sweep alert raised"


def test_one_listed_hash_repeated_a_thousand_times_buys_no_hit_ratio(client, app, parties):
    """The answer reports every index that matched (``hits: 1000``: a batch may carry one customer
    twice), but the detector counts that identifier once (``lookups/novelty.py``): 980 fresh random
    hashes beside it are 980 identifiers and one hit, and the sweep is stopped before 5,000."""
    list_entry(client, app, parties["shop-a"], "planted", phone=PLANTED)
    known = hashed(app, "phone", PLANTED)[0]
    sweep = random_phones(app, 9800, seed=13)
    answered_random = 0
    for start in range(0, len(sweep), 980):
        response = sweep_lookup(client, parties["sweeper"], [known] * 20 + sweep[start : start + 980])
        if response.status_code == 429:
            break
        answered_random += 980
    assert answered_random < 5000, f"{answered_random} random hashes answered"


def test_padding_with_the_sweepers_own_distinct_listings_evades_the_detector(client, app, auth, make_member, parties):
    """Broken: "a sweep of random phone hashes by one member is stopped within 5,000 lookups". Even without
    repeating a hash, a member that also lists counts its *own* entries as hits: it lists 20 of its own
    customers and puts them in every 1,000-identifier batch (2 % hits), and 9,800 random phone hashes are
    answered with no alert. Rejecting duplicates alone would not close the evasion."""
    shop = auth.headers(make_member("shop-sweeper", roles=["submit", "query"]))
    big_member(client, parties["fed-admin"], "shop-sweeper")
    own = [f"1391000{i:04d}" for i in range(20)]
    for i, phone in enumerate(own):
        list_entry(client, app, shop, f"own-{i}", phone=phone)
    padding = [hashed(app, "phone", phone)[0] for phone in own]
    sweep = random_phones(app, 9800, seed=12)
    answered_random = 0
    for start in range(0, len(sweep), 980):
        response = sweep_lookup(client, shop, padding + sweep[start : start + 980])
        if response.status_code != 200:
            break
        answered_random += 980
    alerts = client.get("/v1/alerts", headers=parties["fed-admin"]).get_json()["alerts"]
    assert answered_random < 5000, f"{answered_random} random phone hashes answered, alerts: {alerts}"
