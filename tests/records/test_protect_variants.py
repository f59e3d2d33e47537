"""Protecting someone also scrubs other spellings of their name, in either script.

The person and every name here are synthetic (Dadjouyan is an invented surname).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dadkhah.core.confidentiality import Level
from dadkhah.records import claims
from dadkhah.records.models import Citation, Claim, Source
from dadkhah.records.protected import protect
from tests.factories import cite, make_record, make_source

NAME, NAME_FA = "Hossein-Ali Dadjouyan", "حسینعلی دادجویان"
# other spellings a list, a report or a family would write
VARIANTS = ("Husain Ali Dadjooyan", "HOSSEINALI DADJOUYAN", "حسينعلي دادجويان")
# other people, who must keep their names
OTHERS = ("Mohsen Dadjouyan", "Hossein Ali Karimi", "Ali Rezaei")


def _everything() -> str:
    """Every text protect rewrites, live and in history, as one string."""
    rows: list[Any] = []
    for model in (Claim, Citation, Source):
        rows += list(model.objects.values())
        rows += list(model.history.values())
    return json.dumps(rows, default=str, ensure_ascii=False)


def test_other_spellings_of_the_name_are_scrubbed_and_other_people_kept(
    db: Any, home: Path
) -> None:
    source = make_source("src-variants", Level.PUBLIC)
    person = make_record("person", Level.PUBLIC)
    claims.add_claim(person, "name", NAME, citations=cite(source))
    event = make_record("event", Level.PUBLIC)
    told = f"{VARIANTS[0]} saw the trucks; so did {OTHERS[0]} and {OTHERS[1]}."
    claims.add_claim(
        event,
        "description",
        told,
        citations=cite(source, quote=f"«{VARIANTS[2]}» told {OTHERS[2]} (synthetic)."),
        note=f"{VARIANTS[1]}, interviewed in 2019.",
    )
    Source.objects.filter(pk=source.pk).update(notes=f"Lists {VARIANTS[0]} and {OTHERS[0]}.")
    before = _everything()
    assert all(v in before for v in VARIANTS)

    done = protect(person.uid, name=NAME, name_fa=NAME_FA)

    after = _everything()
    for written in (NAME, NAME_FA, *VARIANTS):
        assert written not in after, written
    for other in OTHERS:  # sharing a given name or a surname is not being the person
        assert other in after, other
    (description,) = Claim.objects.filter(prop="description").values_list("value", flat=True)
    text = description["text"] if isinstance(description, dict) else description
    assert text.startswith(f"{done.pseudonym} saw the trucks; so did {OTHERS[0]}")
    assert done.claims >= 2 and done.citations >= 1 and done.sources == 1
