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


# ------------------------------------------------------------------ what a viewer may see


def test_a_claim_naming_a_hidden_record_is_not_shown_at_all(sources):
    """The same rule as for a claim whose every source is hidden: no blank, no uid."""
    body = make_record("body", uid="body-open")
    secret_place = make_record("place", Level.PROTECTED, uid="place-secret")
    secret_parent = make_record("body", Level.RESTRICTED, uid="body-secret")
    open_place = make_record("place", uid="place-open")
    claims.add_claim(open_place, "name", "Synthetic Open Prison", citations=cite(sources[0]))
    claims.add_claim(body, "seat", secret_place.uid, citations=cite(sources[0]))
    claims.add_claim(body, "seat", open_place.uid, citations=cite(sources[1]))
    claims.add_claim(body, "parent", {"ref": secret_parent.uid}, citations=cite(sources[0]))

    public = claims.claim_groups(body, Level.PUBLIC)
    assert [(g.spec.name, [c.text for c in g.claims]) for g in public] == [
        ("seat", ["Synthetic Open Prison"])
    ]
    (seat,) = public
    assert not seat.conflict  # the hidden seat does not even count as a second value
    assert seat.claims[0].target == open_place
    everything = {g.spec.name: g for g in claims.claim_groups(body, Level.PROTECTED)}
    assert everything["seat"].conflict and len(everything["parent"].claims) == 1

    hidden_uid = body.claims().get(prop="parent").uid
    assert claims.visible_claim(hidden_uid, Level.INTERNAL) is None
    assert claims.visible_claim(hidden_uid, Level.RESTRICTED) is not None
    shown = claims.shown_claims(body.claims(), Level.PUBLIC)
    assert [s.claim.value for s in shown] == [open_place.uid]


def test_posts_and_participations_are_as_visible_as_what_they_join(sources):
    person = make_person("Synthetic Person", sources[0])
    secret_body = make_record("body", Level.RESTRICTED)
    open_body = make_record("body")
    hidden_post = make_record("post", person=person, body=secret_body)
    open_post = make_record("post", person=person, body=open_body)
    for post in (hidden_post, open_post):
        claims.add_claim(post, "role", "member", citations=cite(sources[0]))
    secret_event = make_record("event", Level.INTERNAL)
    part = make_record("participation", event=secret_event, person=person)
    claims.add_claim(part, "role", "victim", citations=cite(sources[0]))

    from dadkhah.records.models import Participation, Post

    assert list(claims.visible_records(Post, Level.PUBLIC)) == [open_post]
    assert set(claims.visible_records(Post, Level.RESTRICTED)) == {open_post, hidden_post}
    assert not claims.visible_records(Participation, Level.PUBLIC).exists()
    assert list(claims.visible_records(person.participations.all(), Level.INTERNAL)) == [part]
    # The claims of a record the viewer may not see are not shown either.
    assert claims.claim_groups(hidden_post, Level.PUBLIC) == []
    assert claims.visible_claim(hidden_post.claims().get().uid, Level.PUBLIC) is None
    assert claims.person_roles(person, Level.PUBLIC) == []
    assert claims.person_roles(person, Level.INTERNAL) == ["victim"]


def test_writers_cannot_name_records_above_their_clearance(sources):
    event = make_record("event")
    secret = make_record("place", Level.PROTECTED, uid="place-secret")
    refusals = []
    for uid in ("place-secret", "place-missing"):
        with pytest.raises(RecordError) as caught:
            claims.add_claim(
                event, "place", uid, citations=cite(sources[0]), clearance=Level.RESTRICTED
            )
        refusals.append((caught.value.field, str(caught.value).replace(uid, "X")))
    assert refusals[0] == refusals[1] == ("place", "Place: no place with id 'X'")
    claims.add_claim(event, "place", secret.uid, citations=cite(sources[0]))  # no clearance given
    person = make_record("person", Level.PROTECTED, uid="person-secret")
    with pytest.raises(RecordError, match="no person with id 'person-secret'"):
        claims.create_record(
            "post", clearance=Level.RESTRICTED, person=person.uid, body=make_record("body").uid
        )
