"""The history of a record as each clearance may read it (``records.history``)."""

from __future__ import annotations

import pytest

from dadkhah.core.confidentiality import Level
from dadkhah.records import claims
from dadkhah.records.history import Change, history
from tests.factories import cite, make_person, make_record, make_source

pytestmark = pytest.mark.django_db


def _claim_entries(record, clearance):
    return [e for e in history(record, clearance) if e.object == "claim"]


def test_a_version_naming_a_hidden_record_is_left_out(users):
    src = make_source("src-open")
    event = make_record("event", uid="event-1")
    secret = make_record("place", Level.PROTECTED, uid="place-secret")
    open_place = make_record("place", uid="place-open")
    claims.add_claim(open_place, "name", "Synthetic Open Prison", citations=cite(src))
    place = claims.add_claim(event, "place", secret.uid, citations=cite(src), reason="first")
    place.value, place._change_reason = open_place.uid, "corrected"
    place.save()

    public = _claim_entries(event, Level.PUBLIC)
    assert [(e.action, e.why) for e in public] == [("changed", "corrected")]
    assert Change("value", None, open_place.uid) in public[0].changes
    assert public[0].labels == {"place-open": "Synthetic Open Prison"}
    assert "place-secret" not in repr(history(event, Level.PUBLIC))
    full = _claim_entries(event, Level.PROTECTED)
    assert [(e.action, e.why) for e in full] == [("created", "first"), ("changed", "corrected")]
    assert Change("value", secret.uid, open_place.uid) in full[1].changes


def test_claims_not_shown_have_no_history_and_entries_are_in_order(users):
    src = make_source("src-open")
    hidden_src = make_source("src-hidden", Level.RESTRICTED)
    person = make_person("Synthetic Person", src, uid="person-1")
    claims.add_claim(person, "occupation", "teacher", citations=cite(hidden_src))
    note = claims.add_claim(person, "biography", "A narrative.", citations=cite(src))
    claims.add_citation(note, claims.CitationInput(hidden_src, page="3"))
    claims.set_status(note, "disputed", user=users["reviewer"], reason="one witness only")

    public = history(person, Level.PUBLIC)
    assert [(e.object, e.action) for e in public] == [
        ("record", "created"),
        ("claim", "created"),  # the name
        ("citation", "created"),
        ("claim", "created"),  # the biography
        ("citation", "created"),
        ("claim", "changed"),
    ]
    assert public[-1].who == "test-reviewer" and public[-1].why == "one witness only"
    assert public[-1].changes == [Change("status", "accepted", "disputed")]
    assert {e.source for e in public if e.object == "citation"} == {src}
    restricted = history(person, Level.RESTRICTED)
    assert len(restricted) == len(public) + 3  # the occupation, its citation, the new citation
