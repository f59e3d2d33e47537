"""Dossiers assembled from the demo case: what each kind contains, what each clearance sees,
and what is said when data is missing."""

from __future__ import annotations

import pytest

from dadkhah.core.confidentiality import Level
from dadkhah.dossiers.assemble import assemble, content_hash, content_json
from dadkhah.dossiers.parts import DossierError
from dadkhah.records import claims
from tests.factories import cite, make_person, make_record, make_source

PM = "person-mostafa-pour-mohammadi"
BAHRAM = "person-syn-bahram-sadeghpour"
KAMRAN = "person-syn-kamran-rostami"
PARVIN = "person-syn-parvin-alizadeh"


def test_perpetrator_dossier_has_posts_events_seats_and_sourced_claims(demo, db):
    d = assemble("person", PM, Level.PUBLIC)
    assert d.kind == "perpetrator" and not d.synthetic
    names = [v.text for f in d.identity if f.prop == "name" for v in f.values]
    assert "Mostafa Pour-Mohammadi" in names and "مصطفی پورمحمدی" in names
    roles = [p.role for p in d.posts]
    assert "Minister of Justice" in roles
    starts = [p.start.start for p in d.posts if p.start]
    assert starts == sorted(starts)  # a timeline, oldest first
    justice = next(p for p in d.posts if p.role == "Minister of Justice")
    assert "2013" in justice.start.text and "1392" in justice.start.text  # both calendars
    (event,) = [e for e in d.events if e.ref.uid == "event-commission-evin-1988"]
    assert (event.role, event.mode) == ("perpetrator", "sentenced")
    assert event.mode_label_fa == "حکم داد"
    commission = [s for s in d.seats if s.body.uid == "body-death-commission-tehran"]
    assert {s.person.label for s in commission} >= {"Ebrahim Raisi", "Mostafa Pour-Mohammadi"}
    assert [s.focus for s in commission if s.person.uid == PM] == [True]
    keys = {s.key for s in d.sources}
    for section in d.claims:
        for group in section.groups:
            for claim in group.claims:
                assert claim.citations and {c.source for c in claim.citations} <= keys
    assert d.claim_count >= 10
    assert content_hash(d) == content_hash(assemble("person", PM, Level.PUBLIC))
    assert content_hash(d).startswith("sha256:") and len(content_json(d)) > 1000


def test_clearance_decides_what_is_included(demo, db):
    def hometowns(level: Level) -> list[str]:
        d = assemble("person", PARVIN, level, kind="family")
        return [v.text for f in d.identity if f.prop == "hometown" for v in f.values]

    assert hometowns(Level.PUBLIC) == []
    assert hometowns(Level.RESTRICTED) == ["Tehran"]
    with pytest.raises(DossierError, match="no person with id 'person-syn-witness-w1'"):
        assemble("person", "person-syn-witness-w1", Level.RESTRICTED)


def test_family_file_says_what_is_not_known_and_where_to_look(demo, db):
    d = assemble("person", BAHRAM, Level.PUBLIC)
    assert d.kind == "family" and d.synthetic and d.subject.synthetic
    unknown = " ".join(n.en for n in d.unknown)
    assert "burial place of Bahram Sadeghpour is not known" in unknown
    assert "disagree on: date of birth" in unknown
    assert any("محل دفن" in n.fa for n in d.unknown)
    (grave,) = [g for g in d.graves if g.ref.uid == "place-khavaran-cemetery"]
    assert "Others executed at the same prison" in grave.basis.en
    assert any("Damaged" in s and "2021" in s for s in grave.statuses)
    father = next(f for f in d.identity if f.prop == "father_name")
    assert {v.status for v in father.values} == {"accepted", "rejected"}


def test_family_file_with_a_recorded_burial_and_a_disputed_date(demo, db):
    d = assemble("person", KAMRAN, Level.PUBLIC)
    assert d.graves[0].ref.uid == "place-khavaran-cemetery"
    assert d.graves[0].basis.en == "A source records the burial here."
    unknown = " ".join(n.en for n in d.unknown)
    assert "exact grave is not known" in unknown
    assert "disagree on the date of death" in unknown


def test_incident_dossier_lists_victims_and_says_no_estimate_is_stored(demo, db):
    d = assemble("event", "event-commission-gohardasht-1988", Level.PUBLIC)
    assert d.kind == "incident"
    victims = {v.person.uid: v.relation for v in d.victims}
    assert victims["person-syn-bahram-sadeghpour"] == "within"
    assert victims["person-syn-davood-moradi"] == "within"  # Mordad lies in July–September
    assert d.counts is not None and d.counts.named_victims == len(victims)
    assert d.counts.estimate is None and "No estimate" in d.counts.note.en
    perpetrators = {p.person.label for p in d.participants if p.role == "perpetrator"}
    assert "Ebrahim Raisi" in perpetrators
    assert all(p.lat is not None for p in d.places)
    narrow = assemble("event", "event-executions-gohardasht-1988", Level.PUBLIC)
    victims = {v.person.uid: v.relation for v in narrow.victims}
    assert victims["person-syn-bahram-sadeghpour"] == "within"  # 1 August 1988
    assert victims["person-syn-davood-moradi"] == "overlaps"  # only "Mordad 1367" is known
    assert "person-syn-kamran-rostami" not in victims  # 1 September 1988: after


def test_place_between_two_dates_and_a_commission(demo, db):
    d = assemble("place", "place-evin-prison", Level.PUBLIC, date_from="1367/04", date_to="1367/06")
    assert {e.ref.uid for e in d.events} >= {"event-commission-evin-1988"}
    assert d.period is not None and "1367" in d.period.en
    body = assemble("body", "body-death-commission-tehran", Level.PUBLIC)
    assert len(body.seats) >= 4 and body.victims
    with pytest.raises(DossierError, match="--from 'Brumaire'"):
        assemble("place", "place-evin-prison", Level.PUBLIC, date_from="Brumaire")
    with pytest.raises(DossierError, match="give a place"):
        assemble("person", PM, Level.PUBLIC, date_from="1988")


def test_missing_data_is_stated_not_a_failure(demo, db):
    source = make_source("src-dossier-test")
    person = make_person("Synthetic Nobody", source)
    d = assemble("person", person.uid, Level.PUBLIC, kind="perpetrator")
    said = [n.en for n in d.missing]
    assert "No posts are recorded for this person." in said
    assert "No events are linked to this person." in said
    place = make_record("place")
    claims.add_claim(place, "name", "Synthetic Nowhere", citations=cite(source))
    event = make_record("event")
    claims.add_claim(event, "event_type", "execution", citations=cite(source))
    claims.add_claim(event, "place", place.uid, citations=cite(source))
    d = assemble("event", event.uid, Level.PUBLIC)
    said = [n.en for n in d.missing]
    assert "No victims are known by name for this incident in the record." in said
    assert "No coordinates are recorded for Synthetic Nowhere; it is not on the map." in said
    assert "Some events have no recorded date; they are not on the timeline." in said
    family = assemble("person", person.uid, Level.PUBLIC, kind="family")
    assert "The date of death is not known." in [n.en for n in family.unknown]


def test_unknown_ids_and_kinds_are_refused(demo, db):
    with pytest.raises(DossierError, match="no person with id 'person-nobody'"):
        assemble("person", "person-nobody", Level.PROTECTED)
    with pytest.raises(DossierError, match="not a family one"):
        assemble("event", "event-commission-evin-1988", Level.PUBLIC, kind="family")
    with pytest.raises(DossierError, match="not 'post'"):
        assemble("post", "post-raisi-death-commission", Level.PUBLIC)
