"""The researcher's example from the foundation issue, at the level of the record rules."""

from __future__ import annotations

import pytest

from dadkhah.core.confidentiality import Level
from dadkhah.records import claims
from dadkhah.records.claims import CitationInput, RecordError
from dadkhah.records.models import Claim
from tests.factories import cite, make_person, make_record, make_source

pytestmark = pytest.mark.django_db


@pytest.fixture
def sources():
    return [make_source(f"src-{i}") for i in (1, 2, 3)]


def test_membership_with_three_sources_and_a_conflicting_start(sources, users):
    member = make_person("Synthetic Member", sources[0])
    commission = make_record("body")
    claims.add_claim(commission, "name", "Death Commission of Tehran", citations=cite(sources[0]))
    post = make_record("post", person=member, body=commission)
    claims.add_claim(
        post,
        "role",
        "member",
        citations=[
            CitationInput(s, page=str(i), quote="a quoted passage") for i, s in enumerate(sources)
        ],
    )
    claims.add_claim(
        post, "start_date", "Mordad 1367", citations=cite(sources[0]) + cite(sources[1])
    )
    claims.add_claim(
        post,
        "start_date",
        "Tir 1367",
        citations=cite(sources[2], confidence="low"),
        status="disputed",
    )

    groups = {g.spec.name: g for g in claims.claim_groups(post, Level.PUBLIC)}
    assert len(groups["role"].claims[0].citations) == 3
    assert groups["start_date"].conflict
    shown = {c.text for c in groups["start_date"].claims}
    assert shown == {"Mordad 1367 (23 July – 22 August 1988)", "Tir 1367 (22 June – 22 July 1988)"}
    post.refresh_from_db()
    # The accepted, better-sourced claim wins the projection; the other stays visible.
    assert post.start.isoformat() == "1988-07-23"
    assert post.label == "member, Death Commission of Tehran"
    assert claims.person_roles(member, Level.PUBLIC) == []  # body has no type yet
    claims.add_claim(commission, "body_type", "death_commission", citations=cite(sources[0]))
    assert claims.person_roles(member, Level.PUBLIC) == ["perpetrator"]


def test_victim_executed_in_mordad_1367(sources):
    victim = make_person("Synthetic Victim", sources[0])
    prison = make_record("place")
    claims.add_claim(prison, "name", "Gohardasht Prison", citations=cite(sources[0]))
    claims.add_claim(prison, "place_type", "prison", citations=cite(sources[0]))
    claims.add_claim(prison, "location", "35.8208, 50.9914", citations=cite(sources[0]))
    execution = make_record("event")
    claims.add_claim(execution, "event_type", "execution", citations=cite(sources[1]))
    claims.add_claim(execution, "date", "مرداد ۱۳۶۷", citations=cite(sources[1]))
    claims.add_claim(execution, "place", prison.uid, citations=cite(sources[1]))
    part = make_record("participation", event=execution, person=victim)
    claims.add_claim(part, "role", "victim", citations=cite(sources[1]))
    execution.refresh_from_db()
    prison.refresh_from_db()
    assert (execution.event_type, execution.place_id) == ("execution", prison.pk)
    assert (execution.date_start.isoformat(), execution.date_end.isoformat()) == (
        "1988-07-23",
        "1988-08-22",
    )
    assert execution.label == "Execution, Gohardasht Prison, مرداد ۱۳۶۷"
    assert (prison.latitude, prison.longitude) == (35.8208, 50.9914)
    assert claims.person_roles(victim, Level.PUBLIC) == ["victim"]


def test_a_claim_needs_a_citation_a_known_property_and_a_valid_value(sources):
    person = make_record("person")
    with pytest.raises(RecordError, match="at least one citation"):
        claims.add_claim(person, "name", "X", citations=[])
    with pytest.raises(RecordError, match="no property 'shoe_size'"):
        claims.add_claim(person, "shoe_size", "42", citations=cite(sources[0]))
    with pytest.raises(RecordError, match="unknown gender term 'f'"):
        claims.add_claim(person, "gender", "f", citations=cite(sources[0]))
    with pytest.raises(RecordError, match="Mehr has 30 days"):
        claims.add_claim(person, "birth_date", "1340/07/31", citations=cite(sources[0]))
    with pytest.raises(RecordError, match="no place with id 'nowhere'"):
        claims.add_claim(person, "hometown", "nowhere", citations=cite(sources[0]))
    with pytest.raises(RecordError, match="no source with id 'missing'"):
        claims.add_claim(person, "name", "X", citations=cite("missing"))
    assert Claim.objects.count() == 0  # every refusal left nothing behind


def test_a_post_cannot_end_before_it_starts(sources):
    post = make_record("post", person=make_record("person"), body=make_record("body"))
    claims.add_claim(post, "start_date", "1367/05/01", citations=cite(sources[0]))
    with pytest.raises(RecordError, match="end .* before it starts"):
        claims.add_claim(post, "end_date", "1367/04", citations=cite(sources[0]))
    claims.add_claim(post, "end_date", "1367/06", citations=cite(sources[0]))


def test_history_keeps_who_when_and_why(sources, users):
    person = make_person("Synthetic Person", sources[0])
    claim = person.claims().get(prop="name")
    claims.set_status(
        claim, "disputed", user=users["reviewer"], reason="source 2 gives another spelling"
    )
    with pytest.raises(RecordError, match="say why"):
        claims.set_status(claim, "rejected", user=users["reviewer"], reason=" ")
    history = list(claim.history.order_by("history_date"))
    assert [h.status for h in history] == ["accepted", "disputed"]
    assert history[-1].history_user == users["reviewer"]
    assert history[-1].history_change_reason == "source 2 gives another spelling"


def test_projection_never_uses_claims_above_the_record_level(sources):
    person = make_person("Public Name", sources[0], level=Level.PUBLIC)
    secret = make_source("src-secret", level=Level.PROTECTED)
    claims.add_claim(
        person,
        "name",
        {"text": "Protected Alias", "kind": "alias"},
        citations=cite(secret),
        confidentiality=Level.PROTECTED,
    )
    person.refresh_from_db()
    assert person.label == "Public Name"
    public = {c.text for g in claims.claim_groups(person, Level.PUBLIC) for c in g.claims}
    assert public == {"Public Name"}
    admin = {c.text for g in claims.claim_groups(person, Level.PROTECTED) for c in g.claims}
    assert admin == {"Public Name", "Protected Alias"}


def test_a_claim_whose_only_source_is_hidden_is_not_shown(sources):
    person = make_person("Synthetic Person", sources[0])
    hidden = make_source("src-internal", level=Level.INTERNAL)
    claims.add_claim(person, "occupation", "teacher", citations=cite(hidden))
    public = {g.spec.name for g in claims.claim_groups(person, Level.PUBLIC)}
    assert public == {"name"}
    assert "occupation" in {g.spec.name for g in claims.claim_groups(person, Level.INTERNAL)}


def test_full_names_label_the_record_before_aliases_and_scripts_do_not_conflict(sources):
    person = make_person("Synthetic Full Name", sources[0])
    claims.add_claim(
        person,
        "name",
        {"text": "Synthetic Alias", "kind": "alias"},
        citations=cite(sources[1], confidence="high"),
    )
    claims.add_claim(person, "name", "نام کامل ساختگی", citations=cite(sources[1]))
    claims.add_claim(person, "father_name", "Synthetic Father", citations=cite(sources[0]))
    claims.add_claim(person, "father_name", "پدر ساختگی", citations=cite(sources[0]))
    person.refresh_from_db()
    assert (person.label, person.label_fa) == ("Synthetic Full Name", "نام کامل ساختگی")
    groups = {g.spec.name: g for g in claims.claim_groups(person, Level.PUBLIC)}
    assert not groups["father_name"].conflict
    claims.add_claim(person, "father_name", "Another Father", citations=cite(sources[2]))
    groups = {g.spec.name: g for g in claims.claim_groups(person, Level.PUBLIC)}
    assert groups["father_name"].conflict
