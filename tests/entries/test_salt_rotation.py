"""The operator's salt rotation: add keeps matching, status counts per identifier, retire refuses to strand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from federation.api.schemas.entries import load_submission
from federation.entries import rekeying, salt_rotation, service
from federation.entries.models import EntryIdentifier
from federation.entries.rules import flat_identifiers
from federation.errors import Conflict, NotFound, ValidationFailed
from federation.events.service import history
from tests.entries.factories import entry_payload, hashed, hashed_all

NOW = datetime.now(UTC)


def submit(app, db, case_ref: str, **overrides):
    secrets = app.extensions["federation.identifiers"]
    submission = load_submission(entry_payload(app, case_ref, **overrides))
    policy = app.extensions["federation.entries.policy"]
    entry = service.submit(db.session, "shop-a", submission, policy=policy, identifier_secrets=secrets, now=NOW).entry
    db.session.commit()
    return entry


def rekey(app, db, entry, identifiers):
    item = rekeying.RekeyItem(entry.ref, flat_identifiers(identifiers))
    secrets = app.extensions["federation.identifiers"]
    [result] = rekeying.rekey(db.session, "shop-a", [item], identifier_secrets=secrets, now=NOW, guard_days=180)
    db.session.commit()
    return result


def by_key_id(db, salts):
    return {row.key_id: row for row in salt_rotation.status(db.session, salts, now=NOW)}


@pytest.fixture
def listed(app, db, make_member, salts):
    """Two entries listed under the first salt, then a second salt added."""
    make_member("shop-a", roles=["submit"])
    first = salts.current_key_id
    entries = [submit(app, db, "a1"), submit(app, db, "a2", phone="13900139000")]
    salt_rotation.add_salt(db.session, salts, "rot-2", actor="cli:op", now=NOW)
    db.session.commit()
    return first, entries


def test_adding_keeps_the_old_salt_accepted_and_records_no_secret(db, salts, listed):
    first, _ = listed
    assert salts.current_key_id == "rot-2" and salts.table.status(first) == "accepted"
    [event] = history(db.session, "salt:rot-2")
    assert event.tag == "salt:added" and event.payload == {"key_id": "rot-2", "previous": first}
    assert salts.salts["rot-2"].hex() not in str(event.payload)
    with pytest.raises(Conflict) as caught:
        salt_rotation.add_salt(db.session, salts, first, actor="cli:op", now=NOW)
    assert caught.value.code == "salt_key_id_used"
    with pytest.raises(ValidationFailed):
        salt_rotation.add_salt(db.session, salts, "-bad", actor="cli:op", now=NOW)


def test_status_counts_entries_per_identifier_until_every_identifier_is_rekeyed(app, db, salts, listed):
    first, (a1, a2) = listed
    assert by_key_id(db, salts)[first].lacking_current == 2 and by_key_id(db, salts)["rot-2"].entries == 0
    phone_only = rekey(app, db, a1, hashed_all(app, "phone", "13800138000"))
    assert (phone_only.status, phone_only.added) == ("rekeyed", 1)
    status = by_key_id(db, salts)
    assert (status[first].entries, status[first].lacking_current, status[first].only_here) == (2, 2, 2)  # device
    rekey(app, db, a1, hashed_all(app, "device", "35-209900-176148-1"))
    status = by_key_id(db, salts)
    assert (status[first].lacking_current, status[first].only_here) == (1, 1)
    assert (status["rot-2"].status, status["rot-2"].entries, status["rot-2"].lacking_current) == ("current", 1, 0)


def test_retiring_is_refused_while_an_identifier_depends_on_the_salt_alone(app, db, salts, listed):
    first, (a1, a2) = listed
    with pytest.raises(Conflict) as caught:
        salt_rotation.retire_salt(db.session, salts, first, actor="cli:op", now=NOW)
    assert caught.value.code == "salt_in_use" and "2 live entries" in caught.value.detail
    assert salts.knows(first)
    with pytest.raises(Conflict) as current:
        salt_rotation.retire_salt(db.session, salts, "rot-2", actor="cli:op", now=NOW)
    assert current.value.code == "salt_current"
    with pytest.raises(NotFound):
        salt_rotation.retire_salt(db.session, salts, "nope", actor="cli:op", now=NOW)

    for entry, phone in ((a1, "13800138000"), (a2, "13900139000")):
        rekey(app, db, entry, hashed_all(app, "phone", phone) + hashed_all(app, "device", "35-209900-176148-1"))
    done = salt_rotation.retire_salt(db.session, salts, first, actor="cli:op", now=NOW)
    db.session.commit()
    assert (done.stranded, done.removed_hashes) == (0, 4)
    assert not salts.knows(first) and first in salts.table.retired
    assert {row.key_id for row in db.session.scalars(select(EntryIdentifier))} == {"rot-2"}
    [event] = [e for e in history(db.session, f"salt:{first}") if e.tag == "salt:retired"]
    assert event.payload == {
        "key_id": first,
        "forced": False,
        "stranded": 0,
        "blind_guards": 0,
        "removed_hashes": 4,
    }
    with pytest.raises(Conflict):  # a retired key id never comes back for another salt
        salt_rotation.add_salt(db.session, salts, first, actor="cli:op", now=NOW)


def test_retiring_is_refused_while_a_reinsertion_guard_watches_under_the_salt_alone(app, db, salts, listed):
    """A guard copied from an entry overturned under the old salt must not go blind at retirement."""
    from federation.entries import expiry, guard

    first, (a1, a2) = listed
    guard.add_guard(db.session, a1, cause="upheld", actor="reviewer", now=NOW)
    service.withdraw(db.session, a1, actor="shop-a", reason="overturned", now=NOW)
    expiry.purge_identifiers(db.session, [a1.id], NOW)
    rekey(app, db, a2, hashed_all(app, "phone", "13900139000") + hashed_all(app, "device", "35-209900-176148-1"))
    with pytest.raises(Conflict) as caught:
        salt_rotation.retire_salt(db.session, salts, first, actor="cli:op", now=NOW)
    assert caught.value.code == "salt_guarding" and "1 reinsertion guards" in caught.value.detail
    assert salt_rotation.guards_only_under(db.session, first, {"rot-2"}) == 1
    guard.purge_guards(db.session, days=180, now=NOW + timedelta(days=181))  # the guard's period ends
    assert salt_rotation.guards_only_under(db.session, first, {"rot-2"}) == 0
    done = salt_rotation.retire_salt(db.session, salts, first, actor="cli:op", now=NOW)
    assert (done.stranded, done.blind_guards) == (0, 0)


def test_forcing_says_how_many_it_strands_and_keeps_their_hashes_for_appeals(app, db, salts, listed):
    first, _ = listed
    done = salt_rotation.retire_salt(db.session, salts, first, force=True, actor="cli:op", now=NOW)
    db.session.commit()
    assert (done.stranded, done.removed_hashes) == (2, 0)
    assert db.session.scalar(select(func.count()).select_from(EntryIdentifier)) == 4
    assert by_key_id(db, salts)[first].status == "retired"


def test_ended_and_expired_entries_do_not_hold_a_salt(app, db, salts, listed):
    first, (a1, a2) = listed
    service.retract(db.session, "shop-a", a1.ref, reason="mistake", now=NOW)
    db.session.commit()
    assert by_key_id(db, salts)[first].only_here == 1
    later = a2.expires_at + timedelta(seconds=1)
    assert salt_rotation.status(db.session, salts, now=later)[1].entries == 0  # first is listed after the current


def test_rekey_adds_only_to_identifiers_the_entry_holds(app, db, salts, listed):
    first, (a1, _) = listed
    stranger = rekey(app, db, a1, hashed_all(app, "phone", "13700137000"))
    assert (stranger.status, stranger.added, stranger.unmatched) == ("unchanged", 0, (0,))
    # only the new salt's hash: nothing proves it is the same person, so nothing is added
    alone = rekey(app, db, a1, [{"type": "phone", "hashes": hashed_all(app, "phone", "13800138000")[0]["hashes"][:1]}])
    assert (alone.status, alone.unmatched) == ("unchanged", (0,))
    twice = [rekey(app, db, a1, hashed_all(app, "phone", "13800138000")).status for _ in range(2)]
    assert twice == ["rekeyed", "unchanged"]
    [event] = [e for e in history(db.session, f"entry:{a1.ref}") if e.tag == "entry:rekeyed"]
    assert event.payload == {"ref": a1.ref, "added": 1, "key_ids": ["rot-2"]}
    assert hashed(app, "phone", "13800138000")[0]["hash"] not in str(event.payload)
