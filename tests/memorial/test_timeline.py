"""The memorial timeline: events of 1988 and after, by year, both calendars, with sources;
hidden events, undated events and unpublished victims never appear. Everything is synthetic."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from dadkhah.core.confidentiality import Level
from dadkhah.core.dates import parse_partial_date
from dadkhah.memorial import timeline
from dadkhah.memorial.publication import PublicationInput, publish
from dadkhah.records import claims
from dadkhah.records.models import Event, Place, Source
from tests.factories import cite, make_place, make_record, make_source, make_victim

pytestmark = pytest.mark.django_db

UNPUBLISHED = "Unpublished Victim"


def _event(source: Source, level: Level = Level.PUBLIC, **props: str) -> Event:
    event = make_record("event", level)
    for prop, value in props.items():
        claims.add_claim(event, prop, value, citations=cite(source, page="3"))
    event.refresh_from_db()
    assert isinstance(event, Event)
    return event


@pytest.fixture
def case(users: dict[str, Any]) -> dict[str, Any]:
    public = make_source("src-tl-public", title="Synthetic report on the killings")
    court = make_source("src-tl-court", title="Synthetic judgment")
    secret = make_source("src-tl-secret", Level.RESTRICTED)
    cemetery = make_place("TL Cemetery", "گورستان آزمون", public, "cemetery")
    city = make_place("TL City", "شهر آزمون", public, "city")
    prison = make_place("TL Prison", "زندان آزمون", public, "prison")
    out: dict[str, Any] = {"cemetery": cemetery, "city": city}
    out["decree"] = _event(public, event_type="decree", title="TL decree", date="summer 1988")
    out["trial"] = _event(
        court, event_type="trial", title="TL verdict", date="2022-07-14", place=city.uid
    )
    claims.add_claim(out["trial"], "description", "The court convicted.", citations=cite(public))
    out["graves"] = _event(public, event_type="grave_destruction", date="2009", place=cemetery.uid)
    out["before"] = _event(public, event_type="arrest", title="TL arrests 1985", date="1985")
    out["internal"] = _event(
        public, Level.INTERNAL, event_type="trial", title="TL internal", date="2010"
    )
    out["undated"] = _event(public, event_type="statement", title="TL undated")
    claims.add_claim(out["undated"], "date", "2015", citations=cite(secret))
    # one published victim; one who is not: only the first is named, and an execution that
    # names only the second does not appear
    shown = make_victim(("TL Published Victim", "قربانی منتشرشده"), public, prison=prison,
                        executed="1367/05/10")  # fmt: skip
    hidden = make_victim((UNPUBLISHED, "قربانی منتشرنشده"), public, prison=prison,
                         executed="1367/05/11")  # fmt: skip
    publish(shown, PublicationInput(narrative_en="Synthetic narrative."), users["reviewer"])
    out["shown_execution"] = shown.participations.get().event
    out["hidden_execution"] = hidden.participations.get().event
    claims.create_record(
        "participation", event=out["shown_execution"], person=hidden
    )  # a second victim of the same event, unpublished
    link = out["shown_execution"].participations.get(person=hidden)
    claims.add_claim(link, "role", "victim", citations=cite(public))
    out["shown"] = shown
    return out


def test_years_and_events(case: dict[str, Any]) -> None:
    years = timeline.timeline("en")
    assert [y.year for y in years] == [1988, 2009, 2022]
    assert [y.label for y in years] == ["1988 (1366–1367)", "2009 (1387–1388)", "2022 (1400–1401)"]
    uids = [[e.uid for e in y.events] for y in years]
    assert uids == [
        [case["decree"].uid, case["shown_execution"].uid],
        [case["graves"].uid],
        [case["trial"].uid],
    ]
    decree, execution = years[0].events
    assert decree.date_text == parse_partial_date("summer 1988").both("en")
    assert execution.date_text == parse_partial_date("1367/05/10").both("en")
    assert [v.name for v in execution.victims] == ["TL Published Victim"]
    trial = years[2].events[0]
    assert (trial.title, trial.kind_label, trial.place_name) == ("TL verdict", "Trial", "TL City")
    assert not trial.place_on_map
    assert [s.title for s in trial.sources] == [
        "Synthetic judgment",
        "Synthetic report on the killings",
    ]
    assert trial.sources[0].locator == "p. 3"
    graves = years[1].events[0]
    assert graves.title == "Grave destruction, TL Cemetery" and graves.place_on_map


def test_persian(case: dict[str, Any]) -> None:
    years = timeline.timeline("fa")
    assert years[0].label == "۱۹۸۸ (۱۳۶۶–۱۳۶۷)"
    graves = years[1].events[0]
    assert graves.kind_label == "تخریب گور" and graves.place_name == "گورستان آزمون"
    assert graves.date_text == parse_partial_date("2009").both("fa")
    assert years[0].events[0].title_lang == "en"  # an English title on a Persian page


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_page(case: dict[str, Any], lang: str) -> None:
    page = Client().get(f"/{lang}/timeline/").content.decode()
    for key in ("decree", "trial", "graves", "shown_execution"):
        assert f'id="event-{case[key].uid}"' in page
    for key in ("before", "internal", "undated", "hidden_execution"):
        assert case[key].uid not in page
    for leaked in (UNPUBLISHED, "قربانی منتشرنشده", "TL internal", "TL undated", "TL arrests 1985"):
        assert leaked not in page
    assert f"/{lang}/victims/{case['shown'].uid}/" in page
    assert f"/{lang}/map/#place-{case['cemetery'].uid}" in page
    assert f"#place-{case['city'].uid}" not in page  # a city is not on the map
    assert "Synthetic report on the killings" in page
    assert parse_partial_date("2022-07-14").both(lang) in page


def test_withdrawn_victim_leaves_the_timeline(case: dict[str, Any], users: dict[str, Any]) -> None:
    from dadkhah.memorial.publication import withdraw

    withdraw(case["shown"], users["reviewer"], "test: withdrawn")
    page = Client().get("/en/timeline/").content.decode()
    assert "TL Published Victim" not in page and case["shown_execution"].uid not in page
    assert isinstance(case["cemetery"], Place)
