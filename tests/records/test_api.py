"""The REST API of the case record: the researcher's example, visibility, auth, docs."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from dadkhah.accounts.models import ApiToken
from dadkhah.core.confidentiality import Level
from dadkhah.records import claims
from dadkhah.records.api import PLURALS
from dadkhah.records.models import RECORD_MODELS, Citation, Claim, Source
from dadkhah.records.schemas import MAX_CLAIMS
from tests.factories import cite, make_person, make_record, make_source

pytestmark = pytest.mark.django_db


def bearer(user: Any, days: int = 90) -> dict[str, str]:
    _, token = ApiToken.issue(user, "test", days)
    return {"Authorization": f"Bearer {token}"}


def post(client: Client, url: str, data: dict[str, Any], headers: dict[str, str] | None = None):
    return client.post(url, data, content_type="application/json", headers=headers or {})


def created(client: Client, url: str, data: dict[str, Any], headers: dict[str, str]) -> Any:
    response = post(client, url, data, headers)
    assert response.status_code == 201, response.content
    return response.json()


def by_prop(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {group["prop"]: group for group in record["claims"]}


# The researcher's example ----------------------------------------------------------------


def test_researcher_example_through_the_api(client, users):
    auth = bearer(users["investigator"])
    for i in (1, 2, 3):
        src = {
            "uid": f"src-{i}",
            "title": f"Synthetic report {i}",
            "citation": f"Synthetic report {i}, for tests only.",
            "kind": "publication",
            "reliability": "B",
            "published": "1367/06",
            "confidentiality": "public",
            "is_synthetic": True,
            "reason": "sources for the example",
        }
        assert created(client, "/api/sources", src, auth)["published"]["start"] == "1988-08-23"

    def claim(kind: str, uid: str, prop: str, value: Any, sources=("src-1",), **kw: Any) -> Any:
        cites = kw.pop("citations", None) or [{"source": s} for s in sources]
        data = {"prop": prop, "value": value, "citations": cites, "reason": f"{prop} from report"}
        return created(client, f"/api/{PLURALS[kind]}/{uid}/claims", data | kw, auth)

    public = {"confidentiality": "public", "is_synthetic": True}
    body = created(client, "/api/bodies", public | {"uid": "body-dc", "reason": "new body"}, auth)
    assert body["uid"] == "body-dc" and body["claims"] == []
    claim("body", "body-dc", "name", "Death Commission of Tehran")
    claim("body", "body-dc", "body_type", "death_commission")

    member = created(client, "/api/persons", public | {"reason": "member"}, auth)["uid"]
    claim("person", member, "name", "Synthetic Member")
    claim("person", member, "name", "عضو ساختگی", sources=("src-2",))

    the_post = created(
        client, "/api/posts", public | {"person": member, "body": "body-dc", "reason": "seat"}, auth
    )["uid"]
    claim(
        "post",
        the_post,
        "role",
        "member",
        citations=[
            {"source": f"src-{i}", "page": str(10 + i), "quote": f"quoted passage {i}"}
            for i in (1, 2, 3)
        ],
    )
    mordad = claim("post", the_post, "start_date", "Mordad 1367", sources=("src-1", "src-2"))
    tir = claim(
        "post",
        the_post,
        "start_date",
        "Tir 1367",
        status="disputed",
        citations=[{"source": "src-3", "confidence": "low", "paragraph": "4"}],
    )
    assert tir["status"] == "disputed" and tir["citations"][0]["paragraph"] == "4"

    prison = created(client, "/api/places", public | {"uid": "place-gohardasht"}, auth)["uid"]
    claim("place", prison, "name", "Gohardasht Prison")
    claim("place", prison, "place_type", "prison")
    claim("place", prison, "location", "35.8208, 50.9914")
    execution = created(client, "/api/events", public, auth)["uid"]
    claim("event", execution, "event_type", "execution", sources=("src-2",))
    claim("event", execution, "date", "1367/05", sources=("src-2",))
    claim("event", execution, "place", prison, sources=("src-2",))
    victim = created(client, "/api/persons", public, auth)["uid"]
    claim("person", victim, "name", "Synthetic Victim")
    link = {"event": execution, "person": victim}
    part = created(client, "/api/participations", public | link, auth)
    assert (part["event"], part["person"]) == (execution, victim)
    claim("participation", part["uid"], "role", "victim", sources=("src-2",))

    # Anonymous readers see the whole public example, conflict and citations included.
    got = client.get(f"/api/posts/{the_post}").json()
    assert (got["person"], got["body"], got["role"]) == (member, "body-dc", "member")
    assert got["label"] == "member, Death Commission of Tehran"
    assert got["start"] == "1988-07-23"
    groups = by_prop(got)
    role_cites = groups["role"]["claims"][0]["citations"]
    assert [(c["source"], c["source_title"], c["page"]) for c in role_cites] == [
        (f"src-{i}", f"Synthetic report {i}", str(10 + i)) for i in (1, 2, 3)
    ]
    assert role_cites[0]["quote"] == "quoted passage 1"
    start = groups["start_date"]
    assert start["conflict"] is True and start["many"] is False and start["label"] == "Start"
    shown = {c["uid"]: (c["status"], c["display"], len(c["citations"])) for c in start["claims"]}
    assert shown == {
        mordad["uid"]: ("accepted", "Mordad 1367 (23 July – 22 August 1988)", 2),
        tir["uid"]: ("disputed", "Tir 1367 (22 June – 22 July 1988)", 1),
    }
    person = client.get(f"/api/persons/{member}").json()
    assert (person["label"], person["label_fa"]) == ("Synthetic Member", "عضو ساختگی")
    assert person["roles"] == ["perpetrator"] and person["is_synthetic"] is True
    assert client.get(f"/api/persons/{victim}").json()["roles"] == ["victim"]
    event = client.get(f"/api/events/{execution}").json()
    assert (event["event_type"], event["place"]) == ("execution", prison)
    assert (event["date_start"], event["date_end"]) == ("1988-07-23", "1988-08-22")
    assert event["label"] == "Execution, Gohardasht Prison, 1367/05"
    assert by_prop(event)["place"]["claims"][0]["display"] == "Gohardasht Prison"
    place = client.get(f"/api/places/{prison}?lang=fa").json()
    assert (place["latitude"], place["longitude"], place["place_type"]) == (
        35.8208,
        50.9914,
        "prison",
    )
    assert by_prop(place)["name"]["label"] == "نام"
    found = client.get("/api/persons?q=victim").json()
    assert [p["uid"] for p in found["items"]] == [victim] and found["count"] == 1

    # A reviewer settles the conflict; the reason is required and kept.
    review = bearer(users["reviewer"])
    url = f"/api/claims/{tir['uid']}/status"
    missing = post(client, url, {"status": "rejected", "reason": " "}, review)
    assert (missing.status_code, missing.json()["field"]) == (422, "reason")
    settled = post(client, url, {"status": "rejected", "reason": "contradicted by src-1"}, review)
    assert settled.status_code == 200 and settled.json()["status"] == "rejected"
    assert by_prop(client.get(f"/api/posts/{the_post}").json())["start_date"]["conflict"] is False
    more = post(client, f"/api/claims/{mordad['uid']}/citations", {"source": "src-3"}, auth)
    assert more.status_code == 201 and len(more.json()["citations"]) == 3

    history = client.get(f"/api/posts/{the_post}/history", headers=review)
    assert history.status_code == 200
    entries = history.json()["entries"]
    first = entries[0]
    assert (first["object"], first["action"], first["who"], first["why"]) == (
        "record",
        "created",
        "test-investigator",
        "seat",
    )
    assert {"field": "person", "old": None, "new": member} in first["changes"]
    status_change = [e for e in entries if e["object"] == "claim" and e["action"] == "changed"]
    assert [(e["uid"], e["who"], e["why"], e["changes"]) for e in status_change] == [
        (
            tir["uid"],
            "test-reviewer",
            "contradicted by src-1",
            [{"field": "status", "old": "disputed", "new": "rejected"}],
        )
    ]
    citations = [(e["uid"], e["source"]) for e in entries if e["object"] == "citation"]
    assert len(citations) == 7 and (mordad["uid"], "src-3") in citations
    assert {e["why"] for e in entries if e["object"] == "claim" and e["action"] == "created"} == {
        "role from report",
        "start_date from report",
    }


# Visibility ------------------------------------------------------------------------------

LEVELS = list(Level)


def _links(kind: str) -> dict[str, Any]:
    if kind == "post":
        return {"person": make_record("person"), "body": make_record("body")}
    if kind == "participation":
        return {"event": make_record("event"), "person": make_record("person")}
    return {}


@pytest.mark.parametrize("kind", [*PLURALS, "source"])
def test_each_level_is_seen_only_with_the_clearance(client, users, kind):
    if kind == "source":
        for level in LEVELS:
            make_source(f"source-{level.label}", level)
        url = "/api/sources"
    else:
        links = _links(kind)
        for level in LEVELS:
            make_record(kind, level, uid=f"{kind}-{level.label}", **links)
        url = f"/api/{PLURALS[kind]}"
    expected = {
        None: ["public"],
        "reviewer": ["public", "internal"],
        "investigator": ["public", "internal", "restricted"],
        "administrator": ["public", "internal", "restricted", "protected"],
    }
    for role, labels in expected.items():
        headers = bearer(users[role]) if role else {}
        listed = client.get(url, {"limit": 500}, headers=headers).json()
        assert sorted(item["uid"] for item in listed["items"]) == sorted(
            f"{kind}-{label}" for label in labels
        ), role
        assert listed["count"] == len(labels)
        for level in LEVELS:
            response = client.get(f"{url}/{kind}-{level.label}", headers=headers)
            assert response.status_code == (200 if level.label in labels else 404), (role, level)
    hidden = client.get(f"{url}/{kind}-protected").json()
    assert hidden == {"detail": f"no {kind} with id '{kind}-protected'"}
    assert client.get(f"{url}/{kind}-nonexistent").json()["detail"].startswith(f"no {kind} with")


MARKERS = ("PROTECTED-ALIAS-MARKER", "HIDDEN-SOURCE-MARKER", "ONLY-HIDDEN-CITED-MARKER")


def test_protected_claims_and_sources_never_reach_the_public(client, users):
    open_src = make_source("src-open")
    hidden_src = make_source("src-hidden", Level.PROTECTED, title="HIDDEN-SOURCE-MARKER report")
    person = make_person("Synthetic Public Name", open_src, uid="person-public")
    claims.add_claim(
        person,
        "name",
        "PROTECTED-ALIAS-MARKER",
        citations=cite(open_src),
        confidentiality=Level.PROTECTED,
    )
    claims.add_claim(person, "occupation", "ONLY-HIDDEN-CITED-MARKER", citations=cite(hidden_src))
    claims.add_claim(
        person,
        "biography",
        "A public narrative.",
        citations=cite(open_src) + cite(hidden_src, quote="HIDDEN-SOURCE-MARKER quote"),
    )
    secret_person = make_person("Synthetic Witness", open_src, Level.PROTECTED, "person-secret")
    secret_place = make_record("place", Level.PROTECTED, uid="place-secret")
    body = make_record("body", uid="body-public")
    seat = make_record("post", uid="post-public", person=secret_person, body=body)
    claims.add_claim(body, "seat", secret_place.uid, citations=cite(open_src))
    event = make_record("event", uid="event-public")
    claims.add_claim(event, "place", secret_place.uid, citations=cite(open_src))

    pages = [
        "/api/persons/person-public",
        "/api/persons",
        "/api/sources",
        "/api/bodies/body-public",
        "/api/posts/post-public",
        "/api/posts",
        "/api/events/event-public",
    ]
    for url in pages:
        text = client.get(url).content.decode()
        for marker in (*MARKERS, "person-secret", "place-secret", "src-hidden", "Witness"):
            assert marker not in text, (url, marker)
    shown = client.get("/api/persons/person-public").json()
    assert set(by_prop(shown)) == {"name", "biography"}
    assert [c["source"] for c in by_prop(shown)["biography"]["claims"][0]["citations"]] == [
        "src-open"
    ]
    # A post of a hidden person, and claims naming a hidden place, are not there at all:
    # the answers are those for a post that does not exist and a record without the claim.
    hidden_post = client.get("/api/posts/post-public")
    assert (hidden_post.status_code, hidden_post.json()) == (
        404,
        {"detail": "no post with id 'post-public'"},
    )
    assert client.get("/api/posts").json()["count"] == 0
    assert by_prop(client.get("/api/bodies/body-public").json()) == {}
    event_out = client.get("/api/events/event-public").json()
    assert (event_out["place"], by_prop(event_out)) == (None, {})
    assert client.get("/api/sources/src-hidden").status_code == 404

    # The administrator sees all of it, which shows the markers were there to leak.
    admin = bearer(users["administrator"])
    text = client.get("/api/persons/person-public", headers=admin).content.decode()
    assert all(marker in text for marker in MARKERS)
    full = client.get(f"/api/posts/{seat.uid}", headers=admin).json()
    assert full["person"] == "person-secret"
    assert by_prop(client.get("/api/bodies/body-public", headers=admin).json())["seat"]
    event_out = client.get("/api/events/event-public", headers=admin).json()
    assert event_out["place"] == "place-secret" and by_prop(event_out)["place"]
    # Staff history keeps to the same limits: the reviewer sees no protected claim.
    review = bearer(users["reviewer"])
    history = client.get("/api/persons/person-public/history", headers=review).content.decode()
    assert "A public narrative." in history
    assert all(marker not in history for marker in MARKERS)
    history = client.get("/api/persons/person-public/history", headers=admin).content.decode()
    assert all(marker in history for marker in MARKERS)


def test_history_hides_versions_above_the_clearance(client, users):
    src = make_source("src-open")
    person = make_person("Synthetic Person", src, uid="person-1")
    note = claims.add_claim(person, "biography", "A first narrative.", citations=cite(src))
    # A sensitive detail is added and protected, then removed and declassified (as an
    # administrator would, editing the claim in place).
    for value, level, why in (
        ("PROTECTED-OLD-VERSION", Level.PROTECTED, "detail from a witness"),
        ("A cleared narrative.", Level.PUBLIC, "declassified"),
    ):
        note.value, note.confidentiality, note._change_reason = value, int(level), why
        note.save()
    review = bearer(users["reviewer"])
    response = client.get("/api/persons/person-1/history", headers=review)
    assert "PROTECTED-OLD-VERSION" not in response.content.decode()
    assert "detail from a witness" not in response.content.decode()
    entries = [
        e for e in response.json()["entries"] if e["object"] == "claim" and e["uid"] == note.uid
    ]
    assert [(e["action"], e["why"]) for e in entries] == [
        ("created", "new claim"),
        ("changed", "declassified"),
    ]
    assert {"field": "value", "old": None, "new": "A cleared narrative."} in entries[1]["changes"]
    admin = bearer(users["administrator"])
    full = client.get("/api/persons/person-1/history", headers=admin).json()["entries"]
    changed = [e for e in full if e["object"] == "claim" and e["action"] == "changed"]
    assert {"field": "value", "old": "PROTECTED-OLD-VERSION", "new": "A cleared narrative."} in (
        changed[1]["changes"]
    )


# Authentication and errors ---------------------------------------------------------------


def test_writes_need_an_editor_and_reads_refuse_bad_tokens(client, users):
    src = make_source("src-1")
    person = make_person("Synthetic Person", src, uid="person-1")
    claim_uid = person.claims().get().uid
    writes = [
        ("/api/persons", {"confidentiality": "public"}),
        ("/api/sources", {"title": "t", "citation": "c"}),
        ("/api/persons/person-1/claims", {"prop": "name", "value": "X", "citations": []}),
        (f"/api/claims/{claim_uid}/citations", {"source": "src-1"}),
        (f"/api/claims/{claim_uid}/status", {"status": "rejected", "reason": "r"}),
    ]
    for url, data in writes:
        response = post(client, url, data)
        assert response.status_code == 401, url
    reviewer = bearer(users["reviewer"])
    for url, data in writes[:4]:
        response = post(client, url, data, reviewer)
        assert response.status_code == 403, url
        assert "reviewer role may not" in response.json()["detail"]
    assert client.get("/api/persons/person-1/history").status_code == 401

    nobody = get_user_model().objects.create_user(username="test-public", password="x" * 20)
    outsider = bearer(nobody)
    assert post(client, writes[4][0], writes[4][1], outsider).status_code == 403
    assert client.get("/api/persons/person-1/history", headers=outsider).status_code == 403
    assert client.get("/api/persons/person-1", headers=outsider).status_code == 200

    expired = bearer(users["investigator"], days=-1)
    revoked_row, token = ApiToken.issue(users["administrator"], "revoked")
    revoked_row.revoked_at = revoked_row.expires_at
    revoked_row.save()
    for headers in (
        expired,
        {"Authorization": f"Bearer {token}"},
        {"Authorization": "Bearer dk_not-a-token"},
        {"Authorization": "Basic dGVzdDp0ZXN0"},
    ):
        assert client.get("/api/persons", headers=headers).status_code == 401, headers
        assert post(client, "/api/persons", {}, headers).status_code == 401, headers
    assert client.get("/api/persons").status_code == 200


def test_bad_input_is_422_with_the_field_named(client, users):
    src = make_source("src-1")
    hidden_src = make_source("src-hidden", Level.PROTECTED)
    auth = bearer(users["investigator"])
    post_ = make_record(
        "post", uid="post-1", person=make_record("person"), body=make_record("body")
    )
    url = "/api/posts/post-1/claims"
    ok = {"prop": "start_date", "value": "Mordad 1367", "citations": [{"source": "src-1"}]}
    cases = [
        ({"value": "Smarch 1367"}, "start_date"),
        ({"prop": "colour"}, "prop"),
        ({"citations": []}, "source"),
        ({"citations": [{"source": "src-missing"}]}, "source"),
        ({"citations": [{"source": hidden_src.uid}]}, "source"),
        ({"citations": [{"source": "src-1", "confidence": "total"}]}, "confidence"),
        ({"confidentiality": "secret"}, "confidentiality"),
        ({"confidentiality": "protected"}, "confidentiality"),
        ({"status": "maybe"}, "status"),
        ({"value": 5}, "value"),
    ]
    for change, field in cases:
        response = post(client, url, ok | change, auth)
        assert response.status_code == 422, (change, response.content)
        body = response.json()
        assert body["field"] == field, (change, body)
        assert body["detail"]
    missing = post(client, url, ok | {"citations": [{"source": "src-missing"}]}, auth).json()
    hidden = post(client, url, ok | {"citations": [{"source": "src-hidden"}]}, auth).json()
    assert hidden["detail"] == missing["detail"].replace("src-missing", "src-hidden")
    assert Claim.objects.count() == 0  # nothing half-written
    assert post(client, url, ok, auth).status_code == 201
    end = post(client, "/api/posts/post-1/claims", ok | {"prop": "end_date", "value": "1366"}, auth)
    assert end.status_code == 422 and end.json()["field"] == "end_date"
    assert "before it starts" in end.json()["detail"]

    bad_records = [
        ("/api/persons", {"uid": "has space"}, "uid"),
        ("/api/persons", {"uid": post_.person.uid}, "uid"),
        ("/api/posts", {"person": "person-missing", "body": post_.body.uid}, "person"),
        ("/api/posts", {"body": post_.body.uid}, "person"),
        ("/api/sources", {"title": "t", "citation": "c", "reliability": "Z"}, "reliability"),
        ("/api/sources", {"title": "t", "citation": "c", "published": "Smarch"}, "published"),
        ("/api/sources", {"title": "t", "citation": "c", "url": "ftp://x"}, "url"),
        ("/api/sources", {"uid": "src-1", "title": "t", "citation": "c"}, "uid"),
    ]
    for url_, data, field in bad_records:
        response = post(client, url_, data, auth)
        assert (response.status_code, response.json().get("field")) == (422, field), data
    assert src.uid == "src-1"


def test_unknown_kinds_and_hidden_targets_are_404(client, users):
    src = make_source("src-1")
    make_person("Synthetic Secret", src, Level.PROTECTED, uid="person-secret")
    auth = bearer(users["investigator"])
    assert client.get("/api/things").status_code == 404
    assert client.get("/api/things/x").status_code == 404
    data = {"prop": "name", "value": "Alias", "citations": [{"source": "src-1"}]}
    response = post(client, "/api/persons/person-secret/claims", data, auth)
    assert response.status_code == 404
    claim_uid = Claim.objects.get().uid
    for tail in ("citations", "status"):
        body = {"source": "src-1", "status": "rejected", "reason": "r"}
        assert post(client, f"/api/claims/{claim_uid}/{tail}", body, auth).status_code == 404
    assert client.get("/api/persons/person-secret/history", headers=auth).status_code == 404
    event = make_record("event", uid="event-1")
    response = post(
        client, "/api/events/event-1/claims", data | {"prop": "place", "value": "x"}, auth
    )
    hidden_place = make_record("place", Level.PROTECTED, uid="place-secret")
    hidden = post(
        client,
        "/api/events/event-1/claims",
        data | {"prop": "place", "value": hidden_place.uid},
        auth,
    )
    assert (hidden.status_code, hidden.json()["field"]) == (422, "place")
    assert hidden.json()["detail"] == response.json()["detail"].replace("'x'", "'place-secret'")
    assert event.claims().count() == 0


def test_staff_session_needs_the_csrf_token(users):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(users["investigator"])
    make_record("person", Level.RESTRICTED, uid="person-restricted")
    assert browser.get("/api/persons/person-restricted").status_code == 200
    refused = post(browser, "/api/persons", {"confidentiality": "public"})
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    secret = "a" * 32
    browser.cookies["csrftoken"] = secret
    response = post(browser, "/api/persons", {"reason": "from the UI"}, {"X-CSRFToken": secret})
    assert response.status_code == 201
    history = browser.get(f"/api/persons/{response.json()['uid']}/history").json()
    assert history["entries"][0]["who"] == "test-investigator"
    assert history["entries"][0]["why"] == "from the UI"


# A record with its first claims, in one request ----------------------------------------


def stored_counts() -> dict[str, int]:
    """Rows of every record kind, claim, citation and source, and of their histories."""
    models = [*RECORD_MODELS.values(), Claim, Citation, Source]
    out = {m.__name__: m.objects.count() for m in models}
    out |= {f"history of {m.__name__}": m.history.model.objects.count() for m in models}
    return out


def test_create_a_person_with_its_claims_in_one_request(client, users):
    make_source("src-1")
    make_source("src-2")
    auth = bearer(users["investigator"])
    latin = {
        "prop": "name",
        "value": "Synthetic Hossein-Ali Example",
        "citations": [{"source": "src-1", "page": "7", "quote": "Hossein-Ali Example"}],
        "reason": "name on the list",
    }
    persian = {
        "prop": "name",
        "value": {"text": "حسینعلی نمونه ساختگی", "script": "fa", "kind": "full"},
        "citations": [{"source": "src-2", "confidence": "high"}],
    }
    born = {"prop": "birth_date", "value": "1340", "citations": [{"source": "src-1"}]}
    data = {
        "uid": "person-batch",
        "confidentiality": "public",
        "is_synthetic": True,
        "reason": "from the family's testimony",
        "claims": [latin, persian, born],
    }
    person = created(client, "/api/persons", data, auth)
    assert (person["uid"], person["label"], person["label_fa"]) == (
        "person-batch",
        "Synthetic Hossein-Ali Example",
        "حسینعلی نمونه ساختگی",
    )
    groups = by_prop(person)
    names = {c["value"]["text"]: c for c in groups["name"]["claims"]}
    assert {text: c["value"]["script"] for text, c in names.items()} == {
        "Synthetic Hossein-Ali Example": "latn",
        "حسینعلی نمونه ساختگی": "fa",
    }
    cited = names["Synthetic Hossein-Ali Example"]["citations"]
    assert [(c["source"], c["page"], c["quote"]) for c in cited] == [
        ("src-1", "7", "Hossein-Ali Example")
    ]
    assert names["حسینعلی نمونه ساختگی"]["citations"][0]["confidence"] == "high"
    (birth,) = groups["birth_date"]["claims"]
    assert (birth["value"]["start"], birth["value"]["end"]) == ("1961-03-21", "1962-03-20")
    assert all(c["confidentiality"] == "public" for g in groups.values() for c in g["claims"])
    assert client.get("/api/persons/person-batch").json()["claims"] == person["claims"]

    review = bearer(users["reviewer"])
    entries = client.get("/api/persons/person-batch/history", headers=review).json()["entries"]
    made = sorted((e["object"], e["who"], e["why"]) for e in entries if e["action"] == "created")
    assert made == sorted(
        [
            ("record", "test-investigator", "from the family's testimony"),
            ("claim", "test-investigator", "name on the list"),
            ("claim", "test-investigator", "from the family's testimony"),
            ("claim", "test-investigator", "from the family's testimony"),
            ("citation", "test-investigator", "name on the list"),
            ("citation", "test-investigator", "from the family's testimony"),
            ("citation", "test-investigator", "from the family's testimony"),
        ]
    )
    claim_uids = {c["uid"] for g in groups.values() for c in g["claims"]}
    assert {e["uid"] for e in entries if e["object"] == "claim"} == claim_uids


def test_a_bad_claim_in_the_batch_stores_nothing(client, users):
    make_source("src-1")
    make_source("src-hidden", Level.PROTECTED)
    auth = bearer(users["investigator"])
    good = {"prop": "name", "value": "Synthetic Name", "citations": [{"source": "src-1"}]}
    cases = [
        ({"prop": "colour"}, "prop"),
        ({"prop": "birth_date", "value": "Smarch 1340"}, "birth_date"),
        ({"prop": "hometown", "value": "place-missing"}, "hometown"),
        ({"citations": []}, "source"),
        ({"citations": [{"source": "src-1"}, {"source": "src-missing"}]}, "source"),
        ({"citations": [{"source": "src-hidden"}]}, "source"),
        ({"confidentiality": "protected"}, "confidentiality"),
    ]
    before = stored_counts()
    details = {}
    for change, field in cases:
        data = {"uid": "person-half", "reason": "r", "claims": [good, good | change]}
        response = post(client, "/api/persons", data, auth)
        assert response.status_code == 422, (change, response.content)
        body = response.json()
        assert body["field"] == field, (change, body)
        assert body["detail"].startswith("claims[1]: "), (change, body)
        details[field, str(change)] = body["detail"]
        assert stored_counts() == before, change
    # A hidden source is refused exactly as a missing one.
    hidden = details["source", str(cases[5][0])]
    missing = details["source", str(cases[4][0])]
    assert hidden == missing.replace("src-missing", "src-hidden")
    # A claim that does not fit the schema is refused before anything is written.
    schema_bad = good | {"citations": [{"source": "src-1", "confidence": "total"}]}
    response = post(client, "/api/persons", {"claims": [good, schema_bad]}, auth)
    assert (response.status_code, response.json()["field"]) == (422, "confidence")
    assert response.json()["errors"][0]["loc"][2:] == ["claims", 1, "citations", 0, "confidence"]
    assert stored_counts() == before
    # The first claim alone was fine, and the uid was never taken.
    person = created(client, "/api/persons", {"uid": "person-half", "claims": [good]}, auth)
    assert [g["prop"] for g in person["claims"]] == ["name"]


def test_claims_in_one_batch_are_checked_against_each_other(client, users):
    make_source("src-1")
    auth = bearer(users["investigator"])
    links = {"person": make_record("person").uid, "body": make_record("body").uid}
    cite_ = [{"source": "src-1"}]
    start = {"prop": "start_date", "value": "Mordad 1367", "citations": cite_}
    before = stored_counts()
    end = {"prop": "end_date", "value": "1366", "citations": cite_}
    response = post(client, "/api/posts", links | {"claims": [start, end]}, auth)
    assert (response.status_code, response.json()["field"]) == (422, "end_date")
    assert response.json()["detail"].startswith("claims[1]: ")
    assert "before it starts" in response.json()["detail"]
    assert stored_counts() == before
    role = {"prop": "role", "value": "member", "citations": cite_}
    made = created(client, "/api/posts", links | {"claims": [role, start]}, auth)
    assert (made["role"], made["start"]) == ("member", "1988-07-23")


def test_an_investigator_cannot_add_a_claim_above_their_clearance_this_way(client, users):
    make_source("src-1")
    claim = {
        "prop": "name",
        "value": "Synthetic Protected Alias",
        "confidentiality": "protected",
        "citations": [{"source": "src-1"}],
    }
    before = stored_counts()
    refused = post(client, "/api/persons", {"claims": [claim]}, bearer(users["investigator"]))
    assert refused.status_code == 422
    assert refused.json()["field"] == "confidentiality"
    assert refused.json()["detail"].startswith("claims[0]: you may not write material above")
    assert stored_counts() == before
    # The record itself above the clearance is refused as before, on the record's field.
    whole = post(
        client,
        "/api/persons",
        {"confidentiality": "protected", "claims": [claim | {"confidentiality": None}]},
        bearer(users["investigator"]),
    )
    assert (whole.status_code, whole.json()["field"]) == (422, "confidentiality")
    assert not whole.json()["detail"].startswith("claims[")
    assert stored_counts() == before
    admin = created(client, "/api/persons", {"claims": [claim]}, bearer(users["administrator"]))
    (shown,) = by_prop(admin)["name"]["claims"]
    assert shown["confidentiality"] == "protected"


def test_a_malformed_claim_is_named_by_its_place_and_too_many_are_refused(client, users):
    make_source("src-1")
    auth = bearer(users["investigator"])
    before = stored_counts()
    good = {"prop": "name", "value": "Synthetic Example", "citations": [{"source": "src-1"}]}
    bad = good | {"citations": [{"source": "src-1", "confidence": "certain"}]}
    refused = post(client, "/api/persons", {"claims": [good, bad]}, auth)
    assert refused.status_code == 422
    assert refused.json()["field"] == "confidence"
    assert refused.json()["detail"].startswith("claims[1].citations[0].confidence: ")
    too_many = post(client, "/api/persons", {"claims": [good] * (MAX_CLAIMS + 1)}, auth)
    assert too_many.status_code == 422 and too_many.json()["field"] == "claims"
    assert stored_counts() == before


def test_a_record_without_claims_is_still_created(client, users):
    auth = bearer(users["investigator"])
    empty = created(client, "/api/persons", {}, auth)
    assert (empty["claims"], empty["confidentiality"]) == ([], "internal")
    assert created(client, "/api/persons", {"claims": []}, auth)["claims"] == []


# OpenAPI and docs ------------------------------------------------------------------------


def test_openapi_lists_every_endpoint(client):
    schema = client.get("/api/openapi.json").json()
    paths = schema["paths"]
    expected = {
        "/api/sources": {"get", "post"},
        "/api/sources/{uid}": {"get"},
        "/api/claims/{uid}/citations": {"post"},
        "/api/claims/{uid}/status": {"post"},
    }
    for plural in PLURALS.values():
        expected[f"/api/{plural}"] = {"get", "post"}
        expected[f"/api/{plural}/{{uid}}"] = {"get"}
        expected[f"/api/{plural}/{{uid}}/claims"] = {"post"}
        expected[f"/api/{plural}/{{uid}}/history"] = {"get"}
    assert {path: set(ops) for path, ops in paths.items()} == expected
    for path, ops in paths.items():
        for method, op in ops.items():
            ok = "201" if method == "post" and not path.endswith("/status") else "200"
            assert "$ref" in op["responses"][ok]["content"]["application/json"]["schema"], path
    assert set(schema["components"]["securitySchemes"]) == {"BearerToken", "DjangoSession"}
    assert {} in paths["/api/persons"]["get"]["security"]
    assert {} not in paths["/api/persons"]["post"]["security"]


def test_docs_page_uses_only_local_assets(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"https?://", html), "the docs page must not load anything remote"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/static/ninja/") for a in assets), assets
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        served.close()
