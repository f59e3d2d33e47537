"""Pseudonyms of protected identities: stable, keyed outside the database, and applied to
every dossier whatever the clearance."""

from __future__ import annotations

import re
import stat

from dadkhah.core.confidentiality import Level
from dadkhah.dossiers.assemble import assemble, content_json
from dadkhah.dossiers.protect import KEY_FILE, Protector, protected_strings, pseudonym_code

WITNESS = "person-syn-witness-w1"


def test_pseudonyms_are_stable_keyed_and_distinct():
    key, other = b"k" * 32, b"o" * 32
    code = pseudonym_code(WITNESS, key)
    assert re.fullmatch(r"P-[0-9A-HJKMNP-TV-Z]{4}", code)
    assert pseudonym_code(WITNESS, key) == code
    assert pseudonym_code(WITNESS, other) != code  # without the key, no link to the person
    codes = {pseudonym_code(f"person-{i}", key) for i in range(500)}
    assert len(codes) >= 495  # 20 bits: collisions are rare


def test_key_lives_under_home_not_in_the_database(demo, db):
    protector = Protector.load()
    path = demo / "keys" / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Protector.load().person_code(WITNESS) == protector.person_code(WITNESS)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM records_source WHERE notes LIKE %s", ["%P-%"])
    assert protector.key.hex() not in path.read_text()  # stored base64, not echoed anywhere


def test_protected_strings_cover_names_aliases_and_testimony(demo, db):
    strings = protected_strings()
    for expected in (
        "Manouchehr Karimi",
        "منوچهر کریمی",
        "Witness W-1",
        WITNESS,
        "src-synthetic-testimony-w1",
        "Synthetic testimony of protected witness W-1 (invented for the demo)",
    ):
        assert expected in strings
    assert "Bahram Sadeghpour" not in strings


def test_scrub_replaces_every_protected_string_in_free_text(demo, db):
    protector = Protector.load()
    label = protector.person_label(WITNESS)
    assert label.startswith("Protected witness P-")
    text = "As MANOUCHEHR  karimi said, and منوچهر کریمی confirmed."
    scrubbed = protector.scrub(text)
    assert "karimi" not in scrubbed.casefold() and "منوچهر" not in scrubbed
    assert scrubbed.count(label) == 2


def test_witness_appears_only_as_a_pseudonym_at_the_highest_clearance(demo, db):
    protector = Protector.load()
    strings = [s.casefold() for s in protected_strings()]
    for level in Level:
        d = assemble("person", "person-syn-bahram-sadeghpour", level)
        text = content_json(d).decode("utf-8").casefold()
        assert [s for s in strings if s in text] == [], level
        witnesses = [p.person for p in d.participants]
        if level is Level.PROTECTED:
            assert [w.label for w in witnesses] == [protector.person_label(WITNESS)]
            assert witnesses[0].protected and witnesses[0].uid == protector.person_code(WITNESS)
            assert d.testimonies and all(
                t.title.startswith("Protected source P-") for t in d.testimonies
            )
        else:
            assert witnesses == []
