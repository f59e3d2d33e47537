"""Every model filters by confidentiality the same way, for every role's clearance."""

from __future__ import annotations

import pytest

from dadkhah.accounts.roles import clearance_of
from dadkhah.core.confidentiality import CLEARANCE, Level, Role
from dadkhah.records import claims
from dadkhah.records.models import RECORD_MODELS, Claim, Source
from tests.factories import cite, make_record, make_source

pytestmark = pytest.mark.django_db


def _make_all_levels(kind: str) -> dict[Level, object]:
    made = {}
    for level in Level:
        structure = {}
        if kind == "post":
            structure = {"person": make_record("person", level), "body": make_record("body", level)}
        elif kind == "participation":
            structure = {
                "event": make_record("event", level),
                "person": make_record("person", level),
            }
        made[level] = make_record(kind, level, uid=f"{kind}-{level.label}", **structure)
    return made


@pytest.mark.parametrize("kind", sorted(RECORD_MODELS))
@pytest.mark.parametrize("role", list(Role))
def test_records_visible_to_each_role(kind, role):
    _make_all_levels(kind)
    visible = set(
        RECORD_MODELS[kind]
        .objects.visible_to(CLEARANCE[role])
        .filter(uid__startswith=f"{kind}-")
        .values_list("uid", flat=True)
    )
    expected = {f"{kind}-{level.label}" for level in Level if level <= CLEARANCE[role]}
    assert visible == expected


@pytest.mark.parametrize("role", list(Role))
def test_sources_and_claims_visible_to_each_role(role):
    public_source = make_source("src-public")
    person = make_record("person", Level.PUBLIC)
    for level in Level:
        make_source(f"src-{level.label}-x", level=level)
        claims.add_claim(
            person,
            "occupation",
            f"occupation {level.label}",
            citations=cite(public_source),
            confidentiality=level,
        )
    clearance = CLEARANCE[role]
    sources = set(
        Source.objects.visible_to(clearance)
        .filter(uid__endswith="-x")
        .values_list("uid", flat=True)
    )
    assert sources == {f"src-{level.label}-x" for level in Level if level <= clearance}
    values = {c.value for c in Claim.objects.visible_to(clearance)}
    assert values == {f"occupation {level.label}" for level in Level if level <= clearance}
    shown = {c.text for g in claims.claim_groups(person, clearance) for c in g.claims}
    assert shown == values


def test_roles_map_to_clearances(users):
    from django.contrib.auth.models import AnonymousUser

    assert clearance_of(AnonymousUser()) is Level.PUBLIC
    assert clearance_of(users["reviewer"]) is Level.INTERNAL
    assert clearance_of(users["investigator"]) is Level.RESTRICTED
    assert clearance_of(users["administrator"]) is Level.PROTECTED
    users["investigator"].is_active = False
    assert clearance_of(users["investigator"]) is Level.PUBLIC
