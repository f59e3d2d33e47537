"""The demo case: loads once, every fact is cited, synthetic people stay labelled and
confidential material stays hidden from the public."""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import stat
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import override_settings

from dadkhah.accounts.roles import role_of
from dadkhah.core.confidentiality import Level, Role
from dadkhah.records import claims
from dadkhah.records.demo import (
    DEMO_DIR,
    REASON,
    DemoDataError,
    ensure_demo,
    logins_path,
    read_case,
)
from dadkhah.records.models import RECORD_MODELS, Citation, Claim, Event, Person, Place, Source

pytestmark = pytest.mark.django_db

# The places the demo must locate, and the city each lies in or near (km).
PLACES_IN_IRAN = {
    "place-evin-prison": ("place-tehran", 20),
    "place-gohardasht-prison": ("place-karaj", 10),
    "place-khavaran-cemetery": ("place-tehran", 25),
    "place-behesht-e-zahra": ("place-tehran", 25),
    "place-tehran": ("place-tehran", 0),
    "place-karaj": ("place-karaj", 0),
    "place-rasht": ("place-rasht", 0),
    "place-tabriz": ("place-tabriz", 0),
}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """Load the demo once for the module, inside a transaction rolled back at the end.

    DADKHAH_HOME is the module's own: the demo also preserves its evidence in the vault."""
    home = tmp_path_factory.mktemp("home")
    fast_hash = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        CONFIG=dataclasses.replace(settings.CONFIG, home=home, blobs="", s3_endpoint=""),
    )
    with fast_hash, django_db_blocker.unblock(), transaction.atomic():
        logins = ensure_demo(home)
        yield home, logins
        transaction.set_rollback(True)


def _all_rows() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models()}


def _km(a: Place, b: Place) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 6371 * 2 * math.asin(math.sqrt(h))


def _all_records():
    for model in RECORD_MODELS.values():
        yield from model.objects.all()


def test_second_run_loads_nothing_and_returns_the_same_logins(demo):
    home, logins = demo
    before = _all_rows()
    assert ensure_demo(home) == logins
    assert _all_rows() == before
    assert set(logins) == {"administrator", "investigator", "reviewer"}
    assert before["records.Person"] >= 10 and before["records.Claim"] >= 200


def test_logins_file_is_private_and_matches_the_accounts(demo):
    home, logins = demo
    path = logins_path(home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    stored = json.loads(path.read_text(encoding="utf-8"))
    users = get_user_model().objects
    for role, (username, password) in logins.items():
        assert stored[role] == {"username": username, "password": password}
        user = users.get(username=username)
        assert role_of(user) is Role(role)
        assert user.check_password(password)
        assert password not in user.password  # only the hash is in the database


def test_lost_logins_file_gets_new_passwords_without_new_rows(demo, tmp_path):
    _, logins = demo
    before = _all_rows()
    fresh = ensure_demo(tmp_path)
    assert _all_rows() == before
    assert {r: u for r, (u, _) in fresh.items()} == {r: u for r, (u, _) in logins.items()}
    user = get_user_model().objects.get(username=fresh["reviewer"][0])
    assert user.check_password(fresh["reviewer"][1])
    assert not user.check_password(logins["reviewer"][1])


def test_every_claim_is_cited_and_written_by_the_demo_admin(demo):
    _, logins = demo
    assert not Claim.objects.filter(citations__isnull=True).exists()
    admin = get_user_model().objects.get(username=logins["administrator"][0])
    assert set(Claim.objects.values_list("created_by", flat=True)) == {admin.pk}
    last = Claim.history.order_by("-history_id").first()
    assert (last.history_user_id, last.history_change_reason) == (admin.pk, REASON)


def test_every_source_has_a_citation_a_grade_and_is_used(demo):
    sources = list(Source.objects.all())
    assert len(sources) == len(read_case().sources)
    for source in sources:
        assert source.citation.strip() and source.title.strip(), source.uid
        assert source.reliability in "ABCDEF" and len(source.reliability) == 1, source.uid
        assert Citation.objects.filter(source=source).exists(), f"{source.uid} is never cited"
        if source.is_synthetic:
            assert "synthetic" in source.title.lower(), source.uid
        else:
            assert source.confidentiality == Level.PUBLIC, source.uid
    real = {s.uid for s in sources if not s.is_synthetic}
    for uid in ("src-amnesty-2018-blood-soaked-secrets", "src-stockholm-district-court-2022"):
        assert uid in real
    assert any(s.uid.startswith("src-un-") for s in sources)


def test_synthetic_records_rest_only_on_synthetic_sources_and_real_ones_on_real(demo):
    for record in _all_records():
        used = set(
            Citation.objects.filter(
                claim__subject_kind=record.KIND, claim__subject_id=record.pk
            ).values_list("source__is_synthetic", flat=True)
        )
        assert used == {record.is_synthetic}, record.uid
    synthetic_people = Person.objects.filter(is_synthetic=True)
    assert 5 <= synthetic_people.count() <= 8
    # Every victim, witness and relative is synthetic; real people are officials only.
    for person in Person.objects.all():
        roles = claims.person_roles(person, Level.PROTECTED)
        if {"victim", "witness"} & set(roles):
            assert person.is_synthetic, person.uid


def test_places_have_coordinates_in_iran_near_their_city(demo):
    places = {p.uid: p for p in Place.objects.all()}
    for uid, (city, km) in PLACES_IN_IRAN.items():
        place = places[uid]
        assert 25 <= place.latitude <= 40 and 44 <= place.longitude <= 64, uid
        assert place.label and place.label_fa, uid
        assert _km(place, places[city]) <= km, uid


def test_public_sees_no_restricted_or_protected_claim(demo):
    hidden_seen_by_admin = 0
    for record in _all_records():
        for group in claims.claim_groups(record, Level.PUBLIC):
            for shown in group.claims:
                assert shown.claim.confidentiality == Level.PUBLIC, shown.claim.uid
                assert all(c.source.confidentiality == Level.PUBLIC for c in shown.citations)
        public = {s.claim.uid for g in claims.claim_groups(record, Level.PUBLIC) for s in g.claims}
        admin = {
            s.claim.uid for g in claims.claim_groups(record, Level.PROTECTED) for s in g.claims
        }
        hidden_seen_by_admin += len(admin - public)
    assert hidden_seen_by_admin > 0  # the demo does hold confidential claims

    witness = Person.objects.get(uid="person-syn-witness-w1")
    assert witness.level is Level.PROTECTED
    assert not Person.objects.visible_to(Level.RESTRICTED).filter(pk=witness.pk).exists()
    parvin = Person.objects.get(uid="person-syn-parvin-alizadeh")
    props = {g.spec.name for g in claims.claim_groups(parvin, Level.PUBLIC)}
    assert "hometown" not in props and "name" in props
    props = {g.spec.name for g in claims.claim_groups(parvin, Level.RESTRICTED)}
    assert "hometown" in props


def test_conflicting_synthetic_sources_are_kept_side_by_side(demo):
    bahram = Person.objects.get(uid="person-syn-bahram-sadeghpour")
    groups = {g.spec.name: g for g in claims.claim_groups(bahram, Level.PUBLIC)}
    assert groups["birth_date"].conflict
    assert {c.claim.status for c in groups["birth_date"].claims} == {"accepted", "disputed"}
    assert not groups["father_name"].conflict  # the other value is rejected
    execution = Event.objects.get(uid="event-syn-execution-kamran-rostami")
    dates = {g.spec.name: g for g in claims.claim_groups(execution, Level.PUBLIC)}["date"]
    assert dates.conflict
    assert execution.date_start.isoformat() == "1988-09-01"  # the accepted list A date wins


def test_real_facts_project_as_cited(demo):
    raisi_posts = {p.role: p for p in Person.objects.get(uid="person-ebrahim-raisi").posts.all()}
    president = raisi_posts["President of Iran"]
    assert (president.start.isoformat(), president.end.isoformat()) == ("2021-08-03", "2024-05-19")
    judgment = Event.objects.get(uid="event-noury-judgment-2022")
    assert (judgment.event_type, judgment.date_start.isoformat()) == ("trial", "2022-07-14")
    noury = Person.objects.get(uid="person-hamid-noury")
    assert claims.person_roles(noury, Level.PUBLIC) == ["perpetrator"]
    decree = Event.objects.get(uid="event-1988-decree")
    assert decree.event_type == "decree"
    sittings = Event.objects.filter(event_type="commission_session")
    assert {e.place.uid for e in sittings} == {"place-evin-prison", "place-gohardasht-prison"}


def test_bad_data_is_refused_naming_the_file_and_record(tmp_path):
    data = tmp_path / "demo"
    shutil.copytree(DEMO_DIR, data)
    places = data / "places.yaml"
    text = places.read_text(encoding="utf-8")
    places.write_text(
        text.replace(
            "source: src-wikipedia-evin-prison, paragraph: infobox",
            "source: src-nowhere, paragraph: infobox",
        ),
        encoding="utf-8",
    )
    with pytest.raises(DemoDataError, match=r"places\.yaml: place-evin-prison: .*src-nowhere"):
        read_case(data)

    shutil.copy(DEMO_DIR / "places.yaml", places)
    synthetic = data / "synthetic.yaml"
    text = synthetic.read_text(encoding="utf-8")
    synthetic.write_text(
        text.replace(
            "cite: src-synthetic-list-b\n", "cite: src-amnesty-2018-blood-soaked-secrets\n", 1
        ),
        encoding="utf-8",
    )
    with pytest.raises(DemoDataError, match="synthetic record may only cite synthetic sources"):
        read_case(data)


def test_demo_data_reads_without_a_database():
    case = read_case(Path(DEMO_DIR))
    assert len({r.uid for r in case.records}) == len(case.records)
    kinds = {r.kind for r in case.records}
    assert kinds == {"person", "body", "place", "post", "event", "participation"}
    body = case.record("body-death-commission-tehran")
    assert any(c.prop == "body_type" and c.value == "death_commission" for c in body.claims)
