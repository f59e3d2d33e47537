"""Publication review: what may be published, the audit trail, withdrawal, consent for a
photograph and the family's words, the staff review screen, and the index kept true when
the record changes after publication."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from dadkhah.core.confidentiality import Level
from dadkhah.memorial import publication
from dadkhah.memorial.demo import DemoError, publish_demo
from dadkhah.memorial.models import Publication, VictimEntry
from dadkhah.memorial.publication import PublicationError, PublicationInput, publish, withdraw
from dadkhah.records import claims
from dadkhah.records.models import Person
from tests.factories import PASSWORD, make_person, make_place, make_source, make_victim

pytestmark = pytest.mark.django_db

STORY = PublicationInput(narrative_en="Synthetic narrative.", narrative_fa="روایت ساختگی.")


@pytest.fixture
def victim() -> Person:
    source = make_source("src-pub")
    evin = make_place("Evin Prison", "زندان اوین", source, "prison")
    return make_victim(
        ("Nasrin Jafari", "نسرین جعفری"),
        source,
        prison=evin,
        executed="Mordad 1367",
        gender="female",
    )


def _client(user: Any | None = None) -> Client:
    client = Client()
    if user is not None:
        assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (PublicationInput(), "narrative_en"),
        (dataclasses.replace(STORY, family_words_en="Our words."), "family_consent"),
        (dataclasses.replace(STORY, photo_consent=True), "photo_item"),
        (dataclasses.replace(STORY, photo_item="item-nope", photo_consent=True), "photo_item"),
    ],
)
def test_publish_refuses_without_narrative_or_consent(
    victim: Person, users: dict[str, Any], data: PublicationInput, field: str
) -> None:
    with pytest.raises(PublicationError) as err:
        publish(victim, data, users["reviewer"])
    assert err.value.field == field
    assert not Publication.objects.exists() and not VictimEntry.objects.exists()


def test_only_public_victims_can_be_published(users: dict[str, Any]) -> None:
    source = make_source("src-pub")
    hidden = make_victim(("Davood Moradi",), source, level=Level.RESTRICTED)
    with pytest.raises(PublicationError, match="not public"):
        publish(hidden, STORY, users["reviewer"])
    bystander = make_person("Shirin Sadeghpour", source)
    with pytest.raises(PublicationError, match="not a victim"):
        publish(bystander, STORY, users["reviewer"])  # type: ignore[arg-type]
    with pytest.raises(PublicationError, match="reviewer"):
        publish(make_victim(("Kamran Rostami",), source), STORY, None)


def test_publish_withdraw_and_publish_again_keep_every_decision(
    victim: Person, users: dict[str, Any]
) -> None:
    first = publish(victim, STORY, users["reviewer"])
    assert publication.current(victim) == first
    assert VictimEntry.objects.filter(person=victim).exists()
    with pytest.raises(PublicationError, match="why"):
        withdraw(victim, users["reviewer"], "  ")
    withdraw(victim, users["administrator"], "The family asked us to wait.")
    first.refresh_from_db()
    assert first.withdrawn_at is not None and first.withdrawn_by == users["administrator"]
    assert publication.current(victim) is None
    assert not VictimEntry.objects.filter(person=victim).exists()
    second = publish(victim, STORY, users["reviewer"])
    assert second.pk != first.pk and Publication.objects.filter(person=victim).count() == 2
    history = list(Publication.history.filter(person_id=victim.pk).order_by("history_id"))
    assert [(h.history_type, h.history_user) for h in history] == [
        ("+", users["reviewer"]),
        ("~", users["administrator"]),
        ("+", users["reviewer"]),
    ]
    assert history[1].history_change_reason == "The family asked us to wait."
    # A new review replaces the current one: the old row is stamped, not deleted.
    third = publish(victim, dataclasses.replace(STORY, narrative_en="Revised."), users["reviewer"])
    second.refresh_from_db()
    assert second.withdrawn_reason == "replaced by a new review"
    assert publication.current(victim) == third


def test_the_database_allows_one_current_publication(victim: Person, users: dict[str, Any]) -> None:
    publish(victim, STORY, users["reviewer"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Publication.objects.create(
            person=victim, reviewed_by=users["reviewer"], reviewed_at=timezone.now()
        )


def test_family_words_only_with_consent(victim: Person, users: dict[str, Any]) -> None:
    data = dataclasses.replace(STORY, family_words_en="We were not told.", family_consent=True)
    pub = publish(victim, data, users["reviewer"])
    page = _client().get(f"/en/victims/{victim.uid}/").content.decode()
    assert "We were not told." in page
    Publication.objects.filter(pk=pub.pk).update(family_consent=False)  # consent taken back
    page = _client().get(f"/en/victims/{victim.uid}/").content.decode()
    assert "We were not told." not in page


@pytest.fixture
def photo(settings: Any, tmp_path: Path) -> Any:
    """A PNG preserved in the vault (a throwaway DADKHAH_HOME), then cleared as PUBLIC."""
    from PIL import Image

    from dadkhah.vault import services

    settings.CONFIG = dataclasses.replace(settings.CONFIG, home=tmp_path, blobs="", s3_endpoint="")
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (120, 30, 30)).save(buffer, format="PNG")
    path = tmp_path / "portrait.png"
    path.write_bytes(buffer.getvalue())
    (item,) = services.ingest_path(path, collector="test-reviewer", extract=False)
    item.confidentiality = int(Level.PUBLIC)
    item.save(update_fields=["confidentiality"])
    return item


def test_photo_only_with_consent_and_only_while_public(
    victim: Person, users: dict[str, Any], photo: Any
) -> None:
    with pytest.raises(PublicationError) as err:
        publish(victim, dataclasses.replace(STORY, photo_item=photo.uid), users["reviewer"])
    assert err.value.field == "photo_consent"
    data = dataclasses.replace(STORY, photo_item=photo.uid, photo_consent=True)
    publish(victim, data, users["reviewer"])
    url = f"/en/victims/{victim.uid}/photo/"
    page = _client().get(f"/en/victims/{victim.uid}/").content.decode()
    assert f'src="{url}"' in page and 'alt="Photograph of Nasrin Jafari"' in page
    response = _client().get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    photo.confidentiality = int(Level.RESTRICTED)
    photo.save(update_fields=["confidentiality"])
    assert _client().get(url).status_code == 404
    assert url not in _client().get(f"/en/victims/{victim.uid}/").content.decode()


def test_a_restricted_image_cannot_be_published(
    victim: Person, users: dict[str, Any], photo: Any
) -> None:
    photo.confidentiality = int(Level.INTERNAL)
    photo.save(update_fields=["confidentiality"])
    data = dataclasses.replace(STORY, photo_item=photo.uid, photo_consent=True)
    with pytest.raises(PublicationError, match="not public"):
        publish(victim, data, users["reviewer"])


def test_the_index_follows_the_record_after_publication(
    victim: Person, users: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    publish(victim, STORY, users["reviewer"])
    entry = VictimEntry.objects.get(person=victim)
    assert entry.facets.filter(facet="gender", value="female").exists()
    gender = victim.claims().get(prop="gender")
    with django_capture_on_commit_callbacks(execute=True):
        gender.confidentiality = int(Level.RESTRICTED)
        gender.save(update_fields=["confidentiality"])
    entry = VictimEntry.objects.get(person=victim)
    assert not entry.facets.filter(facet="gender").exists()
    with django_capture_on_commit_callbacks(execute=True):
        claims.add_claim(victim, "occupation", "Nurse", citations=claims_cite())
        victim.confidentiality = int(Level.INTERNAL)
        victim.save(update_fields=["confidentiality"])
    assert not VictimEntry.objects.filter(person=victim).exists()
    assert _client().get(f"/en/victims/{victim.uid}/").status_code == 404


def claims_cite() -> list[claims.CitationInput]:
    return [claims.CitationInput(source="src-pub")]


def test_review_screen_is_for_staff_and_publishes(victim: Person, users: dict[str, Any]) -> None:
    anonymous = _client().get("/memorial/review/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    client = _client(users["reviewer"])
    listing = client.get("/memorial/review/").content.decode()
    assert victim.uid in listing and "not published" in listing
    url = f"/memorial/review/{victim.uid}/"
    refused = client.post(url, {"action": "publish", "narrative_en": ""})
    assert refused.status_code == 400 and "write the narrative" in refused.content.decode()
    done = client.post(url, {"action": "publish", "narrative_en": "Synthetic.", "note": "checked"})
    assert done.status_code == 302
    pub = publication.current(victim)
    assert pub is not None and pub.reviewed_by == users["reviewer"] and pub.note == "checked"
    assert _client().get(f"/en/victims/{victim.uid}/").status_code == 200
    page = client.get(url).content.decode()
    assert "Published" in page and "published after review" in page
    client.post(url, {"action": "withdraw", "reason": "Checking a date again."})
    assert publication.current(victim) is None
    assert _client().get(f"/en/victims/{victim.uid}/").status_code == 404


def test_demo_publishes_only_synthetic_people(users: dict[str, Any], tmp_path: Path) -> None:
    source = make_source("src-pub")
    real = make_victim(("Real Person",), source, uid="person-real")
    Person.objects.filter(pk=real.pk).update(is_synthetic=False)
    spec = tmp_path / "demo.yaml"
    spec.write_text("publications:\n  - {person: person-real, narrative_en: x}\n", encoding="utf-8")
    with pytest.raises(DemoError, match="not synthetic"):
        publish_demo(users["reviewer"], spec)
    spec.write_text("publications:\n  - {person: person-real, colour: red}\n", encoding="utf-8")
    with pytest.raises(DemoError, match="publication 1: unknown field"):
        publish_demo(users["reviewer"], spec)
    fake = make_victim(("Synthetic Person",), source, uid="person-fake")
    spec.write_text("publications:\n  - {person: person-fake, narrative_en: x}\n", encoding="utf-8")
    assert publish_demo(users["reviewer"], spec) == 1
    assert publish_demo(users["reviewer"], spec) == 0  # once
    assert publication.current(fake) is not None


def test_each_fact_points_to_its_numbered_source(victim: Person, users: dict[str, Any]) -> None:
    other = make_source("src-second", title="Synthetic second source")
    claims.add_claim(
        victim, "occupation", "Nurse", citations=[claims.CitationInput(source=other, page="12")]
    )
    publish(victim, STORY, users["reviewer"])
    page = _client().get(f"/en/victims/{victim.uid}/").content.decode()
    # src-pub backs the name (first fact), so it is [1]; the second source is [2], with its page.
    first, second = page.index('id="source-1"'), page.index('id="source-2"')
    assert "Synthetic test source src-pub" in page[first:second]
    assert "Synthetic second source" in page[second:] and "(p. 12)" in page[second:]
    nurse = page.index("Nurse")
    assert page[nurse : nurse + 200].count('href="#source-2"') == 1
    assert 'href="#source-1"' not in page[nurse : page.index("</dd>", nurse)]
