"""The places gazetteer: real cities and prisons, across scripts and spellings."""

from __future__ import annotations

import pytest
import yaml

from dadkhah.linkage.gazetteer import KINDS, PLACES, Gazetteer


@pytest.fixture(scope="module")
def places() -> Gazetteer:
    return Gazetteer.default()


def test_places_file_is_versioned_sourced_and_consistent():
    data = yaml.safe_load(PLACES.read_text(encoding="utf-8"))
    assert isinstance(data["version"], int)
    assert "Amnesty International" in data["source"]
    keys = [p["key"] for p in data["places"]]
    assert len(keys) == len(set(keys))
    cities = {p["key"] for p in data["places"] if p["kind"] == "city"}
    for place in data["places"]:
        assert place["kind"] in KINDS
        assert any("\u0600" <= ch <= "\u06ff" for n in place["names"] for ch in n), place["key"]
        assert any(n.isascii() for n in place["names"]), place["key"]
        if place["kind"] == "prison":
            assert place["city"] in cities
    for city in ("tehran", "karaj", "mashhad", "urmia", "kermanshah", "masjed-soleyman"):
        assert city in cities
    assert {"evin", "gohardasht", "qezel-hesar", "vakilabad", "dizelabad", "adelabad",
            "lakan", "tabriz-central", "karun"} <= set(keys)  # fmt: skip


def test_every_listed_spelling_finds_its_place(places):
    data = yaml.safe_load(PLACES.read_text(encoding="utf-8"))
    for place in data["places"]:
        for name in place["names"]:
            assert places.lookup(name, place["kind"]) == place["key"], name
    assert places.version == str(data["version"])


@pytest.mark.parametrize(
    ("text", "kind", "key"),
    [
        # cross-script and Arabic letter forms
        ("Gohardasht", "prison", "gohardasht"),
        ("گوهردشت", "prison", "gohardasht"),
        ("Rajai-Shahr", "prison", "gohardasht"),
        ("رجائي شهر", "prison", "gohardasht"),
        ("Ghezel Hesar", "prison", "qezel-hesar"),
        ("قزلحصار", "prison", "qezel-hesar"),
        ("كرمانشاه", "city", "kermanshah"),
        ("Bakhtaran", "city", "kermanshah"),
        ("رضائیه", "city", "urmia"),
        ("خرم\u200cآباد", "city", "khorramabad"),
        ("  ORUMIEH ", "city", "urmia"),
        # generic words and comma-separated parts
        ("Evin Prison", "prison", "evin"),
        ("زندان اوین", "prison", "evin"),
        ("Evin, Tehran", "prison", "evin"),
        ("Tehran, Iran", "city", "tehran"),
        ("شهر تهران", "city", "tehran"),
        ("Tabriz Central Prison", "prison", "tabriz-central"),
        ("Tabriz", "prison", "tabriz-central"),
        ("Dizel Abad (Kermanshah)", "prison", "dizelabad"),
        # spellings that are not listed: similarity
        ("Goherdasht", "prison", "gohardasht"),
        ("Ghezelhessar", "prison", "qezel-hesar"),
        ("Vakil Abaad", "prison", "vakilabad"),
        ("Kermanshaah", "city", "kermanshah"),
        ("Tehraan", "city", "tehran"),
        ("Oroumiyeh", "city", "urmia"),
        ("Ghoom", "city", "qom"),
        # no kind: every kind, when only one matches
        ("Tabriz", None, "tabriz"),
        ("اوین", None, "evin"),
    ],
)
def test_lookup_tolerates_variants(places, text, kind, key):
    assert places.lookup(text, kind) == key


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Rafsanjan", "city"),  # a real city, not in the gazetteer
        ("Evin", "city"),  # a prison is not a city
        ("Karaj", "prison"),
        ("Rasht", "prison"),
        ("Prison", "prison"),
        ("", "city"),
        (None, "city"),
        ("   ", None),
    ],
)
def test_lookup_finds_nothing_rather_than_a_wrong_place(places, text, kind):
    assert places.lookup(text, kind) is None


def test_near_neighbours_stay_apart(places):
    assert places.lookup("Kerman", "city") == "kerman"
    assert places.lookup("Kermanshah", "city") == "kermanshah"
    assert places.lookup("Lahijan", "city") == "lahijan"
    assert places.lookup("Lakan", "prison") == "lakan"


def test_key_or_text(places):
    assert places.key_or_text("زندان اوين", "prison") == "evin"
    assert places.key_or_text("Foo Prison", "prison") == "foo"  # generic word aside
    assert places.key_or_text("زندان فو", "prison") == "فو"
    assert places.key_or_text("Rafsanjan", "city") == "rafsanjan"
    assert places.key_or_text("  ", "city") is None
    assert places.key_or_text(None, "city") is None


def test_add_and_conflicts():
    gazetteer = Gazetteer.default()
    assert gazetteer.lookup("Rafsanjan", "city") is None
    gazetteer.add("rafsanjan", ["Rafsanjan", "رفسنجان"], "city")
    assert gazetteer.lookup("رفسنجان", "city") == "rafsanjan"  # the lookup cache was cleared
    assert Gazetteer.default().lookup("Rafsanjan", "city") is None  # default() is a copy
    with pytest.raises(ValueError, match="already names city 'tehran'"):
        gazetteer.add("other", ["Teheran"], "city")
    with pytest.raises(ValueError, match="unknown kind"):
        gazetteer.add("x", ["X"], "village")
    with pytest.raises(ValueError, match="is a city, not a prison"):
        gazetteer.add("tehran", ["Tehran Prison"], "prison")
    with pytest.raises(ValueError, match="unknown kind"):
        gazetteer.lookup("Tehran", "country")


def test_an_empty_gazetteer_keeps_normalized_text():
    gazetteer = Gazetteer()
    assert gazetteer.lookup("Tehran", "city") is None
    assert gazetteer.key_or_text("TEHRAN", "city") == "tehran"
    assert gazetteer.keys() == []


def test_from_yaml_reports_bad_files(tmp_path):
    path = tmp_path / "places.yaml"
    path.write_text("version: 1\nplaces:\n  - {key: a, kind: city}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="place 1 needs a key, a kind and names"):
        Gazetteer.from_yaml(path)
    path.write_text(
        "version: 1\nplaces:\n  - {key: a, kind: city, names: [A]}\n"
        "  - {key: b, kind: city, names: [a]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"place 2 \(b\): 'a' already names city 'a'"):
        Gazetteer.from_yaml(path)
