"""The staff UI and the public pages, through Django's test client.

Marker strings are planted in everything a visitor may not see: records, claims,
citations and sources above the public level, public claims whose only sources are
hidden, and public joins (posts, participations, references) that point at hidden
records. Every hidden thing's identifier carries its marker too, so a leaked link is
caught as surely as a leaked name.
"""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from dadkhah.core.confidentiality import Level
from dadkhah.records import claims
from dadkhah.records.claims import CitationInput
from dadkhah.records.models import Claim, Event, Participation, Person
from tests.factories import cite, make_record, make_source

pytestmark = pytest.mark.django_db

HIDDEN = (Level.INTERNAL, Level.RESTRICTED, Level.PROTECTED)


def mark(level: Level) -> str:
    return f"MARKER-{level.label.upper()}-zq7x"  # "zq7x": never in a hex uid


MARKERS = [mark(level) for level in HIDDEN]
KINDS = ("person", "body", "place", "post", "event", "participation", "source")
# A text property of each kind, to carry a hidden claim's marker.
TEXT_PROP = {
    "person": "occupation",
    "body": "description",
    "place": "description",
    "event": "description",
}


class TextById(HTMLParser):
    """The text inside the element with a given id, or other attribute (stdlib only)."""

    VOID = {"input", "br", "img", "meta", "link", "hr", "source", "wbr", "area", "col"}

    def __init__(self, wanted: str, attr: str = "id") -> None:
        super().__init__()
        self.wanted, self.attr, self.depth, self.parts = wanted, attr, 0, []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        if self.depth:
            self.depth += 1
        elif dict(attrs).get(self.attr) == self.wanted:
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in self.VOID:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def text_of(html: str, element_id: str, attr: str = "id") -> str:
    parser = TextById(element_id, attr)
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def _name(record: Any, text: str, source: Any, **kw: Any) -> None:
    claims.add_claim(record, "name", text, citations=cite(source), **kw)


@pytest.fixture
def world(users: dict[str, Any]) -> dict[str, Any]:
    """Public records with hidden claims, citations and joins; hidden records of every kind."""
    pub = make_source("src-public", title="Synthetic public source")
    hidden_src = {
        lv: make_source(
            f"{mark(lv)}-src", level=lv, title=f"{mark(lv)} title", citation=f"{mark(lv)} cit"
        )
        for lv in HIDDEN
    }
    person = make_record("person", uid="person-public")
    _name(person, "Synthetic Public Person", pub)
    claims.add_claim(
        person, "name", {"text": "شخص ساختگی عمومی", "script": "fa"}, citations=cite(pub)
    )
    body = make_record("body", uid="body-public")
    _name(body, "Synthetic Public Commission", pub)
    place = make_record("place", uid="place-public")
    _name(place, "Synthetic Public Prison", pub)
    post = make_record("post", uid="post-public", person=person, body=body)
    claims.add_claim(post, "role", "member", citations=cite(pub))
    event = make_record("event", uid="event-public")
    claims.add_claim(event, "event_type", "execution", citations=cite(pub))
    claims.add_claim(event, "date", "Mordad 1367", citations=cite(pub))
    claims.add_claim(event, "place", place.uid, citations=cite(pub))
    part = make_record("participation", uid="participation-public", event=event, person=person)
    claims.add_claim(part, "role", "victim", citations=cite(pub))
    public = {"person": person, "body": body, "place": place, "post": post, "event": event}
    public["participation"] = part

    for lv in HIDDEN:
        m = mark(lv)
        # Hidden claims on public records, and hidden sources cited by public claims.
        for kind, prop in TEXT_PROP.items():
            claims.add_claim(
                public[kind],
                prop,
                f"{m} {kind} claim",
                citations=cite(pub),
                confidentiality=lv,
                uid=f"{m}-claim-{kind}",
            )
        for record in public.values():
            first = record.claims().order_by("id").first()
            claims.add_citation(first, CitationInput(hidden_src[lv], page="9", quote=f"{m} quote"))
        # A public claim whose only source is hidden.
        claims.add_claim(
            person, "occupation", f"{m} only-hidden-source", citations=cite(hidden_src[lv])
        )
        # Hidden records of every kind.
        hp = make_record("person", lv, uid=f"{m}-person")
        _name(hp, f"{m} person", pub)
        hb = make_record("body", lv, uid=f"{m}-body")
        _name(hb, f"{m} body", pub)
        hpl = make_record("place", lv, uid=f"{m}-place")
        _name(hpl, f"{m} place", pub)
        he = make_record("event", lv, uid=f"{m}-event")
        claims.add_claim(he, "title", f"{m} event", citations=cite(pub))
        hpost = make_record("post", lv, uid=f"{m}-post", person=person, body=body)
        claims.add_claim(hpost, "role", f"{m} role", citations=cite(pub))
        hpart = make_record("participation", lv, uid=f"{m}-part", event=event, person=person)
        claims.add_claim(hpart, "role", "witness", citations=cite(pub))
        # Public joins that point at hidden records.
        jpost = make_record("post", uid=f"{m}-public-post", person=person, body=hb)
        claims.add_claim(jpost, "role", f"{m} joined role", citations=cite(pub))
        make_record("participation", uid=f"{m}-public-part", event=event, person=hp)
        ev = make_record("event", uid=f"event-public-{lv.label}")
        claims.add_claim(ev, "event_type", "burial", citations=cite(pub))
        claims.add_claim(ev, "place", hpl.uid, citations=cite(pub))
    return {"public": public, "source": pub, "users": users}


def client_for(world: dict[str, Any], role: str | None) -> Client:
    client = Client()
    if role:
        client.force_login(world["users"][role])
    return client


# ------------------------------------------------------------------ anonymous visitors


def test_anonymous_crawl_never_meets_a_marker(world):
    """Follow every link an anonymous visitor can reach, from the home page and each list."""
    client = Client()
    seeds = ["/", *(f"/records/?kind={k}" for k in KINDS)]
    seeds += [f"/records/?kind={k}&q=MARKER" for k in KINDS]
    seen: set[str] = set()
    queue = deque(seeds)
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url, follow=True)  # "/" sends visitors to the memorial
        assert response.status_code == 200, url
        html = response.content.decode()
        for marker in (*MARKERS, "zq7x"):
            assert marker not in html, f"{marker} leaked on {url}"
        for href in re.findall(r'href="(/[^"#]*)"', html):
            href = href.replace("&amp;", "&")
            if not href.startswith(("/accounts/", "/admin/", "/api/", "/static/")):
                queue.append(href)
    reached = {u for u in seen if u.startswith("/records/") and "?" not in u}
    for record in world["public"].values():
        assert record.get_absolute_url() in reached
    assert "/records/source/src-public/" in reached
    assert "/records/event/event-public-restricted/" in reached


HIDDEN_PATHS = [
    "person/{m}-person",
    "body/{m}-body",
    "place/{m}-place",
    "event/{m}-event",
    "post/{m}-post",
    "participation/{m}-part",
    "post/{m}-public-post",
    "participation/{m}-public-part",
    "source/{m}-src",
]


def test_hidden_pages_are_404_for_anonymous(world):
    """The answer is the same as for an identifier that does not exist."""
    client = Client()
    for level in HIDDEN:
        for path in HIDDEN_PATHS:
            url = "/records/" + path.format(m=mark(level)) + "/"
            missing = url.replace(mark(level), "no-such-thing")
            hidden, absent = client.get(url), client.get(missing)
            assert hidden.status_code == absent.status_code == 404, url
            assert hidden.content.decode().replace(url, "") == absent.content.decode().replace(
                missing, ""
            )


def test_history_and_writes_need_staff(world):
    client = Client()
    history = client.get("/records/person/person-public/history/")
    assert history.status_code == 302 and history["Location"].startswith("/accounts/login/")
    add = client.post("/records/person/person-public/claims/", {"prop": "occupation"})
    assert add.status_code == 302 and add["Location"].startswith("/accounts/login/")
    # Same answer for a hidden record: a redirect reveals nothing.
    hidden = client.post(f"/records/person/{mark(Level.PROTECTED)}-person/claims/", {})
    assert hidden.status_code == 302
    assert client.get("/records/person/new/").status_code == 302


# ------------------------------------------------------------------ declarative page checks

PUBLIC_ONLY = ("Synthetic Public Person", "شخص ساختگی عمومی")
INTERNAL_M, RESTRICTED_M, PROTECTED_M = MARKERS
PAGES: list[tuple[str, str | None, tuple[str, ...], tuple[str, ...]]] = [
    ("/en/", None, ('lang="en"',), (*MARKERS, "Recent changes")),  # "/" sends visitors here
    ("/records/person/person-public/", None, PUBLIC_ONLY, MARKERS),
    (
        "/records/person/person-public/",
        "reviewer",
        (*PUBLIC_ONLY, INTERNAL_M),
        (RESTRICTED_M, PROTECTED_M, "Add a claim"),
    ),
    (
        "/records/person/person-public/",
        "investigator",
        (INTERNAL_M, RESTRICTED_M, "Add a claim"),
        (PROTECTED_M,),
    ),
    ("/records/person/person-public/", "administrator", MARKERS, ()),
    ("/records/event/event-public/", None, ("Synthetic Public Person", "Victim"), MARKERS),
    (
        "/records/event/event-public/",
        "reviewer",
        ("Witness", INTERNAL_M),
        (RESTRICTED_M, PROTECTED_M),
    ),
    ("/records/event/event-public-restricted/", None, ("Burial",), (*MARKERS, "Place")),
    ("/records/event/event-public-restricted/", "investigator", (RESTRICTED_M,), (PROTECTED_M,)),
    ("/records/body/body-public/", None, ("Synthetic Public Person", "member"), MARKERS),
    ("/records/source/src-public/", None, ("Synthetic public source", "Mordad 1367 ("), MARKERS),
    ("/records/source/src-public/", "reviewer", (INTERNAL_M,), (RESTRICTED_M, PROTECTED_M)),
    ("/records/?kind=person", "reviewer", (f"{INTERNAL_M} person",), (RESTRICTED_M, PROTECTED_M)),
    ("/records/?kind=source", "investigator", (f"{RESTRICTED_M} title",), (PROTECTED_M,)),
    ("/records/?kind=post", "administrator", (f"{PROTECTED_M} role",), ()),
    (
        "/records/person/person-public/history/",
        "reviewer",
        ("test-", "Synthetic Public"),
        (RESTRICTED_M, PROTECTED_M),
    ),
    (
        "/records/person/person-public/history/",
        "investigator",
        (f"{RESTRICTED_M} only-hidden-source",),
        (PROTECTED_M,),
    ),
    (
        "/records/event/event-public-restricted/history/",
        "reviewer",
        ("Burial",),
        (RESTRICTED_M, PROTECTED_M),
    ),
    (
        "/records/event/event-public/history/",
        "investigator",
        (RESTRICTED_M, "Mordad 1367 ("),
        (PROTECTED_M,),
    ),
    ("/", "reviewer", ("Recent changes",), (RESTRICTED_M, PROTECTED_M)),
    (f"/records/person/{INTERNAL_M}-person/", "reviewer", (f"{INTERNAL_M} person",), ()),
]


def test_pages(world):
    """Each page, as each role, shows what it must and nothing it must not."""
    problems = []
    for url, role, must, must_not in PAGES:
        response = client_for(world, role).get(url)
        if response.status_code != 200:
            problems.append(f"{url} as {role}: status {response.status_code}")
            continue
        html = response.content.decode()
        problems += [f"{url} as {role}: {t!r} missing" for t in must if t not in html]
        problems += [f"{url} as {role}: {t!r} shown" for t in must_not if t in html]
    assert not problems, "\n".join(problems)


def test_staff_get_404_above_their_clearance(world):
    for role, url in [
        ("reviewer", f"/records/person/{RESTRICTED_M}-person/"),
        ("reviewer", f"/records/post/{RESTRICTED_M}-public-post/"),
        ("investigator", f"/records/person/{PROTECTED_M}-person/"),
        ("investigator", f"/records/source/{PROTECTED_M}-src/"),
        ("investigator", f"/records/person/{PROTECTED_M}-person/history/"),
    ]:
        assert client_for(world, role).get(url).status_code == 404, (role, url)


def test_roles_that_may_not_edit_get_403(world):
    reviewer = client_for(world, "reviewer")
    assert reviewer.get("/records/person/new/").status_code == 403
    assert reviewer.get("/records/source/new/").status_code == 403
    assert reviewer.post("/records/person/person-public/claims/", {}).status_code == 403


# ------------------------------------------------------------------ data entry


def _person_post(source_uid: str, **over: str) -> dict[str, str]:
    data = {
        "names-TOTAL_FORMS": "2",
        "names-INITIAL_FORMS": "0",
        "names-MIN_NUM_FORMS": "0",
        "names-MAX_NUM_FORMS": "30",
        "names-0-text": "مهدی ساختگی",
        "names-0-script": "",
        "names-0-kind": "full",
        "names-1-text": "Mahdi Sakhtegi",
        "names-1-script": "latn",
        "names-1-kind": "full",
        "father_name": "Hossein",
        "gender": "male",
        "birth_date": "Mordad 1340",
        "hometown": "",
        "affiliation": "",
        "confidentiality": "0",
        "is_synthetic": "on",
        "source": source_uid,
        "page": "12",
        "quote": "born in Mordad 1340",
        "confidence": "high",
        "reason": "entered from synthetic list 7",
    }
    data.update(over)
    return data


def test_quick_entry_creates_a_person_with_names_and_sources(world):
    client = client_for(world, "investigator")
    assert client.get("/records/person/new/").status_code == 200
    response = client.post("/records/person/new/", _person_post("src-public"))
    assert response.status_code == 302
    person = Person.objects.get(label="Mahdi Sakhtegi")
    assert person.label_fa == "مهدی ساختگی" and person.is_synthetic
    assert response["Location"] == person.get_absolute_url()
    by_prop = {}
    for claim in person.claims():
        by_prop.setdefault(claim.prop, []).append(claim)
        (citation,) = claim.citations.all()
        assert (citation.source.uid, citation.page, citation.confidence) == (
            "src-public",
            "12",
            "high",
        )
    assert sorted(c.value["script"] for c in by_prop["name"]) == ["fa", "latn"]
    assert by_prop["father_name"][0].value["text"] == "Hossein"
    (born,) = by_prop["birth_date"]
    assert (born.value["calendar"], born.value["start"]) == ("solar_hijri", "1961-07-23")

    page = client.get(person.get_absolute_url()).content.decode()
    assert "Mordad 1340 (23 July – 22 August 1961)" in page
    assert '<span lang="fa" dir="rtl">مهدی ساختگی</span>' in page
    assert "SYNTHETIC — invented for the demo, not a real person" in page

    history = client.get(person.get_absolute_url() + "history/").content.decode()
    assert "test-investigator" in history
    assert "entered from synthetic list 7" in history
    assert "UTC" in history and "Date of birth" in history


def test_bad_date_rerenders_with_the_error_by_the_field_and_saves_nothing(world):
    client = client_for(world, "investigator")
    before = (Person.objects.count(), Claim.objects.count())
    response = client.post(
        "/records/person/new/", _person_post("src-public", birth_date="1367/07/31")
    )
    assert response.status_code == 400
    html = response.content.decode()
    block = text_of(html, "field-birth_date")
    assert "day 31 of Mehr 1367 does not exist" in block
    assert "does not exist" not in text_of(html, "field-father_name")
    assert 'value="Mahdi Sakhtegi"' in html  # what was typed is kept
    assert (Person.objects.count(), Claim.objects.count()) == before


def test_quick_entry_refuses_claims_without_a_source(world):
    client = client_for(world, "investigator")
    before = Person.objects.count()
    response = client.post("/records/person/new/", _person_post(""))
    assert response.status_code == 400
    assert "needs at least one citation" in text_of(response.content.decode(), "field-source")
    assert Person.objects.count() == before


def test_add_another_name_row_keeps_what_was_typed(world):
    client = client_for(world, "investigator")
    response = client.post("/records/person/new/", _person_post("src-public", more="names"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="names-2-text"' in html and 'value="Mahdi Sakhtegi"' in html
    assert "errorlist" not in html
    assert not Person.objects.filter(label="Mahdi Sakhtegi").exists()


def test_event_form_creates_an_event_with_two_participants(world):
    pub = world["source"]
    victim = make_record("person", uid="person-victim")
    _name(victim, "Synthetic Victim", pub)
    official = make_record("person", uid="person-official")
    _name(official, "Synthetic Official", pub)
    client = client_for(world, "investigator")
    assert client.get("/records/event/new/").status_code == 200
    data = {
        "event_type": "execution",
        "title": "",
        "date": "۱۳۶۷/۰۵/۱۰",
        "place": "place-public",
        "participants-TOTAL_FORMS": "3",
        "participants-INITIAL_FORMS": "0",
        "participants-MIN_NUM_FORMS": "0",
        "participants-MAX_NUM_FORMS": "100",
        "participants-0-person": "person-victim",
        "participants-0-role": "victim",
        "participants-0-mode": "",
        "participants-1-person": "person-official",
        "participants-1-role": "perpetrator",
        "participants-1-mode": "carried_out",
        "participants-2-person": "",
        "participants-2-role": "",
        "participants-2-mode": "",
        "confidentiality": "0",
        "is_synthetic": "on",
        "source": pub.uid,
        "page": "3",
        "quote": "",
        "confidence": "medium",
        "reason": "synthetic test event",
    }
    response = client.post("/records/event/new/", data)
    assert response.status_code == 302
    event = Event.objects.get(uid=response["Location"].split("/")[-2])
    parts = Participation.objects.filter(event=event).order_by("role")
    assert [(p.person.uid, p.role, p.mode) for p in parts] == [
        ("person-official", "perpetrator", "carried_out"),
        ("person-victim", "victim", ""),
    ]
    assert event.place.uid == "place-public" and event.date_start.isoformat() == "1988-08-01"
    page = Client().get(event.get_absolute_url()).content.decode()
    assert "Synthetic Victim" in page and "Synthetic Official" in page
    assert "Perpetrator (carried out)" in page
    victim_page = Client().get("/records/person/person-victim/").content.decode()
    assert event.get_absolute_url() in victim_page and "Roles:" in victim_page


def test_event_form_refuses_a_mode_for_a_victim(world):
    client = client_for(world, "investigator")
    before = Event.objects.count()
    data = {
        "event_type": "execution",
        "participants-TOTAL_FORMS": "1",
        "participants-INITIAL_FORMS": "0",
        "participants-0-person": "person-public",
        "participants-0-role": "victim",
        "participants-0-mode": "ordered",
        "confidentiality": "1",
        "source": "src-public",
        "confidence": "medium",
    }
    response = client.post("/records/event/new/", data)
    assert response.status_code == 400
    assert "for perpetrators only" in text_of(
        response.content.decode(), "field-participants-0-mode"
    )
    assert Event.objects.count() == before


def test_source_and_generic_record_forms(world):
    client = client_for(world, "investigator")
    response = client.post(
        "/records/source/new/",
        {
            "kind": "testimony",
            "title": "Synthetic testimony 12",
            "citation": "Synthetic testimony, recorded for tests.",
            "reliability": "C",
            "published": "Aban 1390",
            "confidentiality": "1",
            "reason": "new synthetic source",
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Synthetic testimony 12" in page and "Aban 1390 (" in page
    response = client.post(
        "/records/place/new/",
        {
            "prop": "name",
            "value": "Synthetic Cemetery",
            "confidentiality": "0",
            "is_synthetic": "on",
            "source": "src-public",
            "confidence": "low",
        },
    )
    assert response.status_code == 302
    assert "Synthetic Cemetery" in Client().get(response["Location"]).content.decode()
    response = client.post(
        "/records/post/new/",
        {
            "person": "person-public",
            "body": "body-public",
            "prop": "start_date",
            "value": "1367/13",
            "confidentiality": "0",
            "source": "src-public",
            "confidence": "low",
        },
    )
    assert response.status_code == 400
    assert "13" in text_of(response.content.decode(), "field-value")


# ------------------------------------------------------------------ claims on the record page


def test_conflict_is_shown_side_by_side(world):
    pub, person = world["source"], world["public"]["person"]
    other = make_source("src-other", title="Synthetic second source")
    claims.add_claim(person, "birth_date", "1340", citations=cite(pub))
    claims.add_claim(person, "birth_date", "1342", citations=cite(other), status="disputed")
    html = Client().get(person.get_absolute_url()).content.decode()
    box = text_of(html, "conflict-birth_date")
    assert "Conflicting values" in box
    section = text_of(html, "claims")
    assert "1340 (21 March 1961 – 20 March 1962)" in section
    assert "1342 (21 March 1963 – 20 March 1964)" in section
    assert "Synthetic second source" in section and "Disputed" in section


def test_add_claim_inline_with_htmx_and_errors_by_the_field(world):
    client = client_for(world, "investigator")
    url = "/records/person/person-public/claims/"
    base = {
        "status": "accepted",
        "confidentiality": "",
        "source": "src-public",
        "confidence": "low",
    }
    count = Claim.objects.count()
    bad = client.post(
        url, {**base, "prop": "birth_date", "value": "1367/07/31"}, HTTP_HX_REQUEST="true"
    )
    assert bad.status_code == 200  # htmx swaps only successful answers
    assert "does not exist" in text_of(bad.content.decode(), "field-value")
    assert Claim.objects.count() == count
    plain = client.post(url, {**base, "prop": "birth_date", "value": "1367/07/31"})
    assert plain.status_code == 400 and "does not exist" in text_of(
        plain.content.decode(), "field-value"
    )
    good = client.post(
        url,
        {**base, "prop": "birth_date", "value": "1340/05/12", "reason": "r1"},
        HTTP_HX_REQUEST="true",
    )
    assert good.status_code == 200
    html = good.content.decode()
    assert 'id="claims"' in html and 'hx-swap-oob="true"' in html
    assert "12 Mordad 1340" in text_of(html, "claims")
    no_js = client.post(url, {**base, "prop": "gender", "value": "female"})
    assert no_js.status_code == 302 and "#claim-" in no_js["Location"]


def test_value_field_follows_the_property(world):
    client = client_for(world, "investigator")
    html = client.get("/records/value-field/person/?prop=gender").content.decode()
    assert "<select" in html and 'value="female"' in html
    html = client.get("/records/value-field/person/?prop=birth_date").content.decode()
    assert "<select" not in html and "Mordad 1367" in html


def test_reviewer_disputes_a_claim_with_a_reason(world):
    person = world["public"]["person"]
    claim = person.claims().filter(prop="name").order_by("id").first()
    client = client_for(world, "reviewer")
    url = f"/records/claims/{claim.uid}/status/"
    prefix = f"status-{claim.uid}"
    refused = client.post(url, {f"{prefix}-status": "disputed", f"{prefix}-reason": " "})
    assert refused.status_code == 400
    assert "say why" in text_of(refused.content.decode(), f"field-{prefix}-reason")
    claim.refresh_from_db()
    assert claim.status == "accepted"
    done = client.post(
        url, {f"{prefix}-status": "disputed", f"{prefix}-reason": "spelling differs"}
    )
    assert done.status_code == 302
    claim.refresh_from_db()
    assert claim.status == "disputed"
    history = client.get(person.get_absolute_url() + "history/").content.decode()
    assert "spelling differs" in history and "test-reviewer" in history
    assert "accepted" in history and "disputed" in history
    # Only editors cite; reviewers may not.
    assert client.post(f"/records/claims/{claim.uid}/citations/", {}).status_code == 403


def test_add_citation_to_a_claim(world):
    claim = world["public"]["body"].claims().filter(prop="name").first()
    other = make_source("src-third", title="Synthetic third source")
    client = client_for(world, "investigator")
    prefix = f"cite-{claim.uid}"
    response = client.post(
        f"/records/claims/{claim.uid}/citations/",
        {f"{prefix}-source": other.uid, f"{prefix}-page": "44", f"{prefix}-confidence": "high"},
    )
    assert response.status_code == 302
    assert claim.citations.filter(source=other, page="44").exists()


def test_synthetic_banner_and_badges(world):
    html = Client().get("/records/person/person-public/").content.decode()
    assert "SYNTHETIC — invented for the demo, not a real person" in html
    listing = Client().get("/records/?kind=person").content.decode()
    assert 'class="badge synthetic">Synthetic<' in listing


def test_admin_shows_records_and_their_history(world):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("test-superuser", password="x" * 20)
    client = Client()
    client.force_login(admin)
    person = world["public"]["person"]
    for url in [
        "/admin/records/person/",
        f"/admin/records/person/{person.pk}/change/",
        "/admin/records/claim/",
        "/admin/records/source/",
        "/admin/records/event/",
    ]:
        assert client.get(url).status_code == 200, url
    history = client.get(f"/admin/records/person/{person.pk}/history/")
    assert history.status_code == 200
    claim = person.claims().first()
    claim_history = client.get(f"/admin/records/claim/{claim.pk}/history/").content.decode()
    assert "new claim" in claim_history  # the change reason, kept by the rules


def test_every_form_needs_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["users"]["investigator"])
    claim = world["public"]["person"].claims().first()
    for url in [
        "/records/person/new/",
        "/records/event/new/",
        "/records/source/new/",
        "/records/place/new/",
        "/records/person/person-public/claims/",
        f"/records/claims/{claim.uid}/citations/",
        f"/records/claims/{claim.uid}/status/",
    ]:
        assert client.post(url, {}).status_code == 403, url
    page = client.get("/records/person/person-public/").content.decode()
    forms = page.count('method="post"')
    assert forms > 3 and page.count('name="csrfmiddlewaretoken"') == forms


# ------------------------------------------------------------------ the researcher's example


class PostForms(HTMLParser):
    """The fields of each POST form on a page, with what a browser would send untouched."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, dict[str, Any]] = {}
        self.form: dict[str, Any] | None = None
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self.form = {"fields": set(), "values": {}, "options": {}, "chosen": set()}
            self.forms[a.get("action") or ""] = self.form
            return
        if self.form is None:
            return
        name, values = a.get("name"), self.form["values"]
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            self.form["fields"].add(name)
            if a.get("type") not in ("checkbox", "radio"):
                values[name] = a.get("value") or ""
            elif "checked" in a:
                values[name] = a.get("value") or "on"
        elif tag == "select" and name:
            self.select = name
            self.form["fields"].add(name)
            self.form["options"][name] = []
        elif tag == "option" and self.select:
            value = a.get("value") or ""
            self.form["options"][self.select].append(value)
            if self.select not in values or (
                "selected" in a and self.select not in self.form["chosen"]
            ):
                values[self.select] = value
                if "selected" in a:
                    self.form["chosen"].add(self.select)
        elif tag == "textarea" and name:
            self.textarea = name
            self.form["fields"].add(name)
            values[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.form is not None and self.textarea:
            text = self.form["values"][self.textarea]
            self.form["values"][self.textarea] = text.removeprefix("\n")  # as browsers do
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.form is not None and self.textarea:
            self.form["values"][self.textarea] += data


def submit(client: Client, page: str, action: str, data: dict[str, str], status: int = 302) -> Any:
    """Fill in the form that posts to ``action`` on ``page`` and send it, as a browser would.

    Only fields the page renders may be filled in, and a select only with one of its
    options; everything else goes as rendered (hidden fields and the CSRF token included).
    """
    parser = PostForms()
    parser.feed(client.get(page).content.decode())
    form = parser.forms[action]
    assert not set(data) - form["fields"], f"{action} has no field {set(data) - form['fields']}"
    for name, value in data.items():
        if name in form["options"]:
            assert value in form["options"][name], f"{name}: {value!r} is not a choice"
    response = client.post(action, form["values"] | data)
    assert response.status_code == status, response.content.decode()[:2000]
    return response


def _claim_uid(response: Any) -> str:
    return response["Location"].split("#claim-")[1]


def _new_claim(client: Client, record_url: str, data: dict[str, str]) -> str:
    """Add a claim with the form on the record page; the claim's uid."""
    return _claim_uid(submit(client, record_url, f"{record_url}claims/", data))


def _cite(client: Client, record_url: str, claim_uid: str, source_uid: str, **more: str) -> None:
    prefix = f"cite-{claim_uid}"
    data = {f"{prefix}-source": source_uid} | {f"{prefix}-{k}": v for k, v in more.items()}
    response = submit(client, record_url, f"/records/claims/{claim_uid}/citations/", data)
    assert response["Location"].endswith(f"#claim-{claim_uid}")


def _record_url(response: Any) -> str:
    url = response["Location"]
    assert url.startswith("/records/") and url.endswith("/")
    return url


def test_researchers_example_through_the_forms(users, tmp_path):
    from click.testing import CliRunner

    from dadkhah.cli import main
    from tests.factories import dump, wipe

    investigator = Client(enforce_csrf_checks=True)
    investigator.force_login(users["investigator"])
    public = {"confidentiality": "0", "is_synthetic": "on"}

    # Three sources.
    sources, titles = [], []
    for i in (1, 2, 3):
        titles.append(f"Synthetic report {i}")
        response = submit(
            investigator,
            "/records/source/new/",
            "/records/source/new/",
            public
            | {
                "kind": "publication",
                "title": titles[-1],
                "citation": f"Synthetic report {i}, for tests only.",
                "reliability": "B",
                "published": "1367/06",
                "reason": "sources for the example",
            },
        )
        sources.append(_record_url(response).split("/")[-2])

    def first_claim(kind: str, **data: str) -> str:
        url = f"/records/{kind}/new/"
        return _record_url(submit(investigator, url, url, public | data))

    # The body, the prison with its location, the member (two scripts), the post.
    body = first_claim("body", prop="name", value="Death Commission of Tehran", source=sources[0])
    prison = first_claim("place", prop="name", value="Gohardasht Prison", source=sources[1])
    _new_claim(
        investigator,
        prison,
        {"prop": "location", "value": "35.8208, 50.9914", "source": sources[1]},
    )

    def person(latin: str, persian: str, source: str) -> str:
        data = public | {
            "names-0-text": persian,
            "names-0-script": "fa",
            "names-1-text": latin,
            "names-1-script": "latn",
            "source": source,
            "reason": "entered from the synthetic reports",
        }
        url = "/records/person/new/"
        return _record_url(submit(investigator, url, url, data))

    member = person("Synthetic Member", "عضو ساختگی", sources[0])
    victim = person("Synthetic Victim", "قربانی ساختگی", sources[1])
    # The new-post form asks for a first claim: the start date that report 1 gives.
    post = first_claim(
        "post",
        person=member.split("/")[-2],
        body=body.split("/")[-2],
        prop="start_date",
        value="Mordad 1367",
        source=sources[0],
        reason="seat on the commission",
    )
    (mordad,) = re.findall(r'id="claim-([^"]+)"', investigator.get(post).content.decode())
    _cite(investigator, post, mordad, sources[1], page="7")

    # The role, cited by all three reports; the other start date, from report 3.
    role = _new_claim(
        investigator,
        post,
        {"prop": "role", "value": "member", "source": sources[0], "page": "11"},
    )
    _cite(investigator, post, role, sources[1], page="12", quote="quoted passage 2")
    _cite(investigator, post, role, sources[2], page="13", confidence="high")
    tir = _new_claim(
        investigator,
        post,
        {"prop": "start_date", "value": "Tir 1367", "source": sources[2], "confidence": "low"},
    )

    # A reviewer disputes the Tir date, and must say why.
    reviewer = Client(enforce_csrf_checks=True)
    reviewer.force_login(users["reviewer"])
    reason = "report 3 dates the appointment a month early; reports 1 and 2 agree on Mordad"
    status_url = f"/records/claims/{tir}/status/"
    refused = submit(reviewer, post, status_url, {f"status-{tir}-status": "disputed"}, 400)
    assert "say why" in text_of(refused.content.decode(), f"field-status-{tir}-reason")
    submit(
        reviewer,
        post,
        status_url,
        {f"status-{tir}-status": "disputed", f"status-{tir}-reason": reason},
    )

    # The execution at Gohardasht, with the (synthetic) victim.
    prison_uid, victim_uid = prison.split("/")[-2], victim.split("/")[-2]
    event = _record_url(
        submit(
            investigator,
            "/records/event/new/",
            "/records/event/new/",
            public
            | {
                "event_type": "execution",
                "date": "Mordad 1367",
                "place": prison_uid,
                "participants-0-person": victim_uid,
                "participants-0-role": "victim",
                "source": sources[1],
                "page": "21",
            },
        )
    )

    # What the public sees on the post page.
    html = Client().get(post).content.decode()
    assert "member, Death Commission of Tehran" in text_of(html, "record-header")
    role_html = re.search(rf'<article[^>]*id="claim-{role}".*?</article>', html, re.S)
    assert role_html is not None and ">member<" in role_html.group(0)
    cited = re.findall(r'href="/records/source/([^/"]+)/"', role_html.group(0))
    assert cited == sources  # three citations, one of each report
    box = text_of(html, "conflict-start_date", attr="aria-labelledby")
    assert "Conflicting values" in box
    both = {
        mordad: ("Mordad 1367 (23 July – 22 August 1988)", titles[:2], "Accepted"),
        tir: ("Tir 1367 (22 June – 22 July 1988)", titles[2:], "Disputed"),
    }
    for uid, (when, cited_titles, status) in both.items():
        claim = text_of(html, f"claim-{uid}")
        assert claim in box
        assert when in claim and status in claim, claim
        assert [t for t in titles if t in claim] == cited_titles, claim
    assert "low confidence" in text_of(html, f"claim-{tir}")

    page = Client().get(event).content.decode()
    participants = text_of(page, "Participants", attr="aria-label")
    assert "Synthetic Victim" in participants and "Victim" in participants
    assert "Gohardasht Prison" in page and "Mordad 1367 (23 July – 22 August 1988)" in page
    assert "Roles: Victim" in " ".join(
        text_of(Client().get(victim).content.decode(), "record-header").split()
    )

    history = reviewer.get(f"{post}history/").content.decode()
    assert reason in history and "test-reviewer" in history
    assert "seat on the commission" in history and "test-investigator" in history

    # The same case comes out of the export and back into an empty database.
    before, claims_before = dump(), text_of(html, "claims")
    assert len(before["claim"]) == 14 and len(before["source"]) == 3
    path = tmp_path / "case.jsonl"
    runner = CliRunner()
    args = ["export", "case", "--format", "jsonl", "--level", "protected", "--out", str(path)]
    args += ["--reason", "round trip test"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    wipe()
    assert dump() == {kind: {} for kind in before}
    result = runner.invoke(main, ["import", "case", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert dump() == before
    assert text_of(Client().get(post).content.decode(), "claims") == claims_before
