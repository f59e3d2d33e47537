"""The count: victims known by name per city and prison (published, PUBLIC facts only), the
published estimate (validation, append-only replacement, the counting bridge, the demo's
synthetic estimate), and the figures the record quotes with their sources. Synthetic data."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client

from dadkhah.core.confidentiality import Level
from dadkhah.memorial import count, estimates
from dadkhah.memorial.estimates import EstimateError, EstimateInput, PublishedEstimate
from dadkhah.memorial.publication import PublicationInput, publish
from dadkhah.records import claims
from dadkhah.records.models import Person
from tests.factories import cite, make_person, make_place, make_record, make_source, make_victim

pytestmark = pytest.mark.django_db

STORY = PublicationInput(narrative_en="Synthetic narrative.")


@pytest.fixture
def victims(users: dict[str, Any]) -> dict[str, Any]:
    source = make_source("src-count")
    secret = make_source("src-count-secret", Level.RESTRICTED)
    north = make_place("North Town", "شهر شمالی", source)
    south = make_place("South Town", "شهر جنوبی", source)
    hidden_city = make_place("Hidden Town", "شهر پنهان", source)
    evin = make_place("Count Prison", "زندان شمارش", source, "prison")
    out: dict[str, Any] = {}
    for key, names, city, prison in (
        ("a", ("Count Victim A", "قربانی الف"), north, evin),
        ("b", ("Count Victim B", "قربانی ب"), north, evin),
        ("c", ("Count Victim C", "قربانی ج"), south, None),
        ("d", ("Count Victim D", "قربانی د"), None, evin),
        ("unpublished", ("Count Unpublished", "منتشرنشده"), north, evin),
    ):
        out[key] = make_victim(names, source, city=city, prison=prison, executed="Mordad 1367")
    # D's hometown rests only on a restricted source: D is counted, but not under that town
    claims.add_claim(out["d"], "hometown", hidden_city.uid, citations=cite(secret))
    for key in ("a", "b", "c", "d"):
        publish(out[key], STORY, users["reviewer"])
    out["places"] = {"north": north, "south": south, "hidden": hidden_city, "prison": evin}
    return out


def test_known_by_name(victims: dict[str, Any]) -> None:
    counts = count.known_by_name("en")
    places = victims["places"]
    assert (counts.total, counts.synthetic) == (4, 4)  # the factories make synthetic people
    assert [(r.value, r.label, r.count) for r in counts.by_facet["city"]] == [
        (places["north"].uid, "North Town", 2),
        (places["south"].uid, "South Town", 1),
    ]
    assert counts.unknown == {"city": 1, "prison": 1}
    assert [(r.label, r.count) for r in counts.by_facet["prison"]] == [("Count Prison", 3)]
    fa = count.known_by_name("fa")
    assert [r.label for r in fa.by_facet["city"]] == ["شهر شمالی", "شهر جنوبی"]


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_page_counts(victims: dict[str, Any], lang: str) -> None:
    page = Client().get(f"/{lang}/count/").content.decode()
    digits = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹") if lang == "fa" else None
    total = "4".translate(digits) if digits else "4"
    assert f'<span class="number">{total}</span>' in page
    north = victims["places"]["north"].uid
    assert f"/{lang}/victims/?city={north}" in page
    for leaked in ("Hidden Town", "شهر پنهان", "Count Unpublished", "منتشرنشده"):
        assert leaked not in page
    assert ("No estimate has been published yet." in page) == (lang == "en")


def _input(**kw: Any) -> EstimateInput:
    base = {
        "estimate": 3200.0, "low": 3000.0, "high": 3600.0, "method": "Synthetic method",
        "as_of": datetime.date(2026, 1, 1), "explanation_en": "Plain words.",
        "explanation_fa": "به زبان ساده.", "published_by": "Synthetic Centre", "observed": 2300,
    }  # fmt: skip
    return EstimateInput(**{**base, **kw})


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"low": 3300.0}, "low"),
        ({"high": float("inf")}, "high"),
        ({"explanation_fa": " "}, "explanation_fa"),
        ({"published_by": ""}, "published_by"),
        ({"observed": 5000}, "observed"),
        ({"interval_level": 95}, "interval_level"),
    ],
)
def test_estimate_is_checked(bad: dict[str, Any], field: str) -> None:
    with pytest.raises(EstimateError) as err:
        estimates.publish_estimate(_input(**bad))
    assert err.value.field == field
    assert not PublishedEstimate.objects.exists()


def test_estimate_replaced_not_edited(users: dict[str, Any]) -> None:
    first = estimates.publish_estimate(_input(), users["reviewer"])
    second = estimates.publish_estimate(_input(estimate=3300.0), users["reviewer"])
    first.refresh_from_db()
    assert first.withdrawn_at is not None and second.withdrawn_at is None
    assert estimates.current_estimate() == second
    assert PublishedEstimate.objects.count() == 2
    assert second.history.first().history_user == users["reviewer"]
    assert first.history.count() == 2  # created, then withdrawn


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_page_shows_estimate_beside_the_count(victims: dict[str, Any], lang: str) -> None:
    estimates.publish_estimate(_input(is_synthetic=True))
    page = Client().get(f"/{lang}/count/").content.decode()
    expected = {
        "en": ("3,200", "3,000 to 3,600", "Plain words.", "Synthetic Centre"),
        "fa": ("۳٬۲۰۰", "۳٬۰۰۰ تا ۳٬۶۰۰", "به زبان ساده.", "Synthetic Centre"),
    }[lang]
    for text in expected:
        assert text in page
    assert 'class="synthetic-note"' in page


def test_from_counting_uses_the_counting_explanation() -> None:
    from dadkhah.counting import demo, explain, simple

    table = demo.demo().tables["Region A"]
    chao = simple.chao(table)
    data = estimates.from_counting(
        chao, table.k, as_of=datetime.date(2026, 1, 1), published_by="Synthetic Centre",
        synthetic_note=("Synthetic (en).", "ساختگی (fa)."),
    )  # fmt: skip
    assert (data.estimate, data.low, data.high) == (chao.estimate, *chao.interval)
    assert data.observed == chao.observed and data.is_synthetic
    facts = explain.Facts(
        observed=chao.observed, lists=table.k, estimate=chao.estimate,
        low=chao.interval[0], high=chao.interval[1], method=chao.method,
    )  # fmt: skip
    assert data.explanation_en.startswith(explain.headline(facts, "en"))
    assert data.explanation_fa.startswith(explain.headline(facts, "fa"))
    assert data.explanation_en.endswith("Synthetic (en).")
    assert estimates.publish_estimate(data).is_synthetic


@pytest.mark.slow
def test_demo_estimate_is_the_counting_demo_recommendation() -> None:
    from dadkhah.counting import demo
    from dadkhah.counting.collect import collect

    made = demo.demo()
    published = estimates.publish_demo_estimate()
    assert published is not None and published.is_synthetic
    recommended = next(e for e in collect(made.tables, seed=made.seed).estimates if e.recommended)
    assert (published.estimate, published.low, published.high) == (
        recommended.estimate,
        *recommended.interval,
    )
    assert published.published_by == estimates.DEMO_PUBLISHER
    assert "simulation" in published.explanation_en
    assert estimates.publish_demo_estimate() == published  # once
    assert PublishedEstimate.objects.count() == 1


# ---------------------------------------------------------------------------- figures


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        ("Thousands of political prisoners were executed in 1988.", ["Thousands"]),
        ("believed to hold up to several hundred victims", ["up to several hundred"]),
        ("Some say 30,000 were killed. Others count 4,481 prisoners.", ["30,000", "4,481"]),
        ("about 4500 prisoners died", ["about 4500"]),
        ("the 1988 executions; 1367 victims' families; in 2022", []),
        ("هزاران زندانی سیاسی در سال ۱۳۶۷ اعدام شدند.", ["هزاران"]),
        ("رقم ۳۰٬۰۰۰ نیز گفته شده است.", ["۳۰٬۰۰۰"]),
        ("در ۱۳۶۷ نفر", []),
    ],
)
def test_find_figures(text: str, phrases: list[str]) -> None:
    assert [m.phrase for m in count.find_figures(text)] == phrases


def test_sentence_of_a_figure() -> None:
    (found,) = count.find_figures(
        "The court sat in 2022. It heard that thousands died. Then it rose."
    )
    assert found.sentence == "It heard that thousands died."


def test_record_figures(victims: dict[str, Any]) -> None:
    public = make_source("src-fig-public", title="Synthetic human rights report")
    secret = make_source("src-fig-secret", Level.RESTRICTED)
    event = make_record("event")
    claims.add_claim(event, "event_type", "decree", citations=cite(public))
    claims.add_claim(
        event, "description", "An order under which thousands of prisoners were killed.",
        citations=cite(public, paragraph="2", quote="thousands of prisoners were killed"),
    )  # fmt: skip
    grave = make_record("place")
    claims.add_claim(grave, "name", "Figure Grave", citations=cite(public))
    claims.add_claim(
        grave, "description", "A site said to hold 30,000 dead.", citations=cite(public),
        status="disputed",
    )  # fmt: skip
    claims.add_claim(grave, "name", "Secret Figure", citations=cite(secret))
    claims.add_claim(grave, "description", "Restricted: 99,999 victims.", citations=cite(secret))
    hidden = make_record("event", Level.INTERNAL)
    claims.add_claim(hidden, "description", "Internal: 77,777 victims.", citations=cite(public))
    # a victim's own biography is the victim's page, not the record's figures
    victim: Person = victims["unpublished"]
    claims.add_claim(victim, "biography", "One of 55,555 prisoners.", citations=cite(public))
    bystander = make_person("Figure Witness", public)
    claims.add_claim(bystander, "biography", "Saw hundreds taken.", citations=cite(public))

    found = count.record_figures("en")
    assert [(f.phrase, f.subject_uid, f.quoted, f.disputed) for f in found] == [
        ("30,000", grave.uid, False, True),
        ("thousands", event.uid, True, False),
        ("hundreds", bystander.uid, False, False),
    ]
    assert found[1].sentence == "thousands of prisoners were killed"
    assert [(s.title, s.locator) for s in found[1].sources] == [
        ("Synthetic human rights report", "para. 2")
    ]
    page = Client().get("/en/count/").content.decode()
    assert "thousands of prisoners were killed" in page and "30,000" in page
    for leaked in ("99,999", "77,777", "55,555", "Secret Figure"):
        assert leaked not in page
