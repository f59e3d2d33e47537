"""Tests for the lexicon (dadkhah/names/data) and for the package's boundaries."""

from __future__ import annotations

import subprocess
import sys

import yaml

from dadkhah.names import VERSION
from dadkhah.names.lexicon import DATA, fa_key, lexicon


def test_the_lexicon_covers_the_issue_minimum() -> None:
    lex = lexicon()
    assert len(lex.given) >= 500
    assert lex.forms() >= 1000  # surname forms, listed and composed


def test_every_entry_has_persian_and_latin_spellings() -> None:
    lex = lexicon()
    for key, spellings in lex.latin.items():
        assert key and spellings, key
        assert all(s.isascii() for s in spellings), (key, spellings)
        assert fa_key(key) == key


def test_surnames_are_composed_from_roots_and_suffixes() -> None:
    lex = lexicon()
    # -i after a long vowel is written یی; -zadeh, -pour, -nejad, pour- … join the root
    assert lex.latin_of("رضایی")[:2] == ["Rezaei", "Rezai"]
    assert "Pourmohammadi" in lex.latin_of("پورمحمدی")
    assert "Hosseinzadeh" in lex.latin_of("حسینزاده")
    assert "Ahmadinejad" in lex.latin_of("احمدینژاد")
    assert "Maraghei" in lex.latin_of("مراغهای")
    # and words it does not list are split into a known root and an affix
    assert lex.lookup_fa("محمودنژاد") == ("محمودنژاد",)
    assert lex.lookup_latin("mahmoudnejad") == ("محمودنژاد",)
    assert lex.lookup_fa("کلانتری") == ()


def test_the_lexicon_is_versioned_data() -> None:
    manifest = yaml.safe_load((DATA / "lexicon.yaml").read_text(encoding="utf-8"))
    assert f"lexicon-{manifest['version']}" in VERSION
    for file in manifest["files"].values():
        assert (DATA / file).exists()


def test_no_django_import() -> None:
    code = (
        "import sys, dadkhah.names as n; n.similarity('Ali', 'علی'); n.match_keys('Ali');"
        "n.transliterate('علی'); print(sorted(m for m in sys.modules if m.startswith('django')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
