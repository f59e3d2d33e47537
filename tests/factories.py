"""Small builders for tests. Everything they make is synthetic."""

from __future__ import annotations

from typing import Any

from dadkhah.core.confidentiality import Level, Role
from dadkhah.records import claims
from dadkhah.records.models import Record, Source

PASSWORD = "correct horse battery staple 1988"


def make_users() -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from dadkhah.accounts.roles import set_role

    model = get_user_model()
    out: dict[str, Any] = {}
    for role in (Role.ADMINISTRATOR, Role.INVESTIGATOR, Role.REVIEWER):
        user = model.objects.create_user(username=f"test-{role.value}", password=PASSWORD)
        set_role(user, role)
        out[role.value] = user
    return out


def make_source(uid: str = "src-test", level: Level = Level.PUBLIC, **kw: Any) -> Source:
    return Source.objects.create(
        uid=uid,
        confidentiality=int(level),
        is_synthetic=True,
        title=kw.pop("title", f"Synthetic test source {uid}"),
        citation=kw.pop("citation", f"Synthetic test source {uid}, for tests only."),
        reliability=kw.pop("reliability", "B"),
        **kw,
    )


def cite(source: Source | str, **kw: Any) -> list[claims.CitationInput]:
    return [claims.CitationInput(source=source, **kw)]


def make_record(
    kind: str, level: Level = Level.PUBLIC, uid: str | None = None, **structure: Any
) -> Record:
    return claims.create_record(
        kind, uid=uid, confidentiality=level, is_synthetic=True, **structure
    )


def make_person(
    name: str, source: Source, level: Level = Level.PUBLIC, uid: str | None = None
) -> Record:
    person = make_record("person", level, uid)
    claims.add_claim(person, "name", name, citations=cite(source), confidentiality=level)
    person.refresh_from_db()
    return person
