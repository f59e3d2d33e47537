"""Bulk import and export: exact round trips, clearance, FollowTheMoney, and bad input."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from click.testing import CliRunner
from django.utils import timezone
from followthemoney import model

from dadkhah.cli import main
from dadkhah.core.confidentiality import Level
from dadkhah.core.dates import parse_partial_date
from dadkhah.records import claims, ftm, io
from dadkhah.records.models import (
    RECORD_MODELS,
    Citation,
    Claim,
    Participation,
    Person,
    Place,
    Post,
    Source,
)
from tests.factories import cite, dump, make_person, make_record, make_source, wipe

pytestmark = pytest.mark.django_db

GRAVE = {
    "type": "Polygon",
    "coordinates": [[[51.0, 35.0], [51.002, 35.0], [51.002, 35.002], [51.0, 35.002], [51.0, 35.0]]],
}
PROTECTED_NAME = "Protected Witness Synthetic"
PROTECTED_FACT = "Synthetic detail known only from a protected testimony"


def build_case() -> None:
    """A small synthetic case: every kind, both calendars, conflicts, statuses, levels."""
    pub = make_source(
        "src-pub",
        kind="publication",
        url="https://example.org/synthetic-report",
        published=parse_partial_date("1367/05").to_json(),
        language="fa",
        notes="Synthetic notes\nover two lines.",
    )
    internal = make_source("src-internal", Level.INTERNAL, kind="testimony", reliability="C")
    secret = make_source("src-protected", Level.PROTECTED, kind="testimony")

    victim = make_person("Synthetic Victim", pub, uid="person-victim")
    claims.add_claim(victim, "name", "قربانی ساختگی", citations=cite(pub, page="12"))
    alias = {"text": "Rafiq", "script": "latn", "kind": "nom_de_guerre"}
    claims.add_claim(victim, "name", json.dumps(alias), citations=cite(internal))
    claims.add_claim(victim, "father_name", "حسن", citations=cite(pub))
    claims.add_claim(victim, "gender", "female", citations=cite(pub))
    wrong = claims.add_claim(victim, "gender", "male", citations=cite(internal, confidence="low"))
    claims.set_status(wrong, "rejected", reason="the list misread the first name")
    claims.add_claim(
        victim,
        "birth_date",
        "1340/07/12",
        citations=[
            claims.CitationInput(pub, page="12", paragraph="3", quote="born on 12 Mehr 1340"),
            claims.CitationInput(internal, timestamp="00:12:30", confidence="high"),
            claims.CitationInput(secret, paragraph="4", confidence="low"),
        ],
    )
    claims.add_claim(victim, "birth_date", "1961", citations=cite(internal), status="disputed")
    claims.add_claim(victim, "affiliation", "pmoi", citations=cite(pub))
    claims.add_claim(victim, "occupation", PROTECTED_FACT, citations=cite(secret))
    claims.add_claim(
        victim,
        "biography",
        "[Synthetic] a narrative kept at the restricted level.",
        citations=cite(internal),
        confidentiality=Level.RESTRICTED,
    )

    judge = make_person("Synthetic Judge", pub, uid="person-judge")
    witness = make_person(PROTECTED_NAME, secret, Level.PROTECTED, uid="person-witness")
    real_flag = claims.create_record("person", uid="person-unflagged", confidentiality="public")
    claims.add_claim(real_flag, "name", "Unflagged Test Person", citations=cite(pub))

    ministry = make_record("body", uid="body-ministry")
    claims.add_claim(ministry, "name", "Synthetic Ministry", citations=cite(pub))
    claims.add_claim(ministry, "body_type", "ministry", citations=cite(pub))
    commission = make_record("body", uid="body-commission")
    claims.add_claim(commission, "name", "Synthetic Death Commission", citations=cite(pub))
    claims.add_claim(commission, "name", "هیئت ساختگی", citations=cite(pub))
    claims.add_claim(commission, "body_type", "death_commission", citations=cite(pub))
    parent = {"ref": "body-ministry", "start": "1367", "end": "1368"}
    claims.add_claim(commission, "parent", parent, citations=cite(pub))
    ngo = make_record("body", Level.INTERNAL, uid="body-ngo")
    claims.add_claim(ngo, "name", "Synthetic Rights Group", citations=cite(internal))
    claims.add_claim(ngo, "body_type", "ngo", citations=cite(internal))

    prison = make_record("place", uid="place-prison")
    claims.add_claim(prison, "name", "Synthetic Prison", citations=cite(pub))
    claims.add_claim(prison, "place_type", "prison", citations=cite(pub))
    claims.add_claim(prison, "location", "35.8208, 50.9914", citations=cite(pub))
    grave = make_record("place", uid="place-grave")
    claims.add_claim(grave, "name", "گورستان ساختگی", citations=cite(pub))
    claims.add_claim(grave, "place_type", "mass_grave", citations=cite(pub))
    claims.add_claim(grave, "location", json.dumps(GRAVE), citations=cite(pub))
    claims.add_claim(grave, "status", "destroyed, 2008", citations=cite(pub))
    claims.add_claim(grave, "status", {"status": "built_over", "date": "1390"}, citations=cite(pub))
    claims.add_claim(grave, "within", "place-prison", citations=cite(pub))

    post = make_record("post", uid="post-judge", person=judge, body=commission)
    claims.add_claim(post, "role", "member", citations=cite(pub))
    claims.add_claim(post, "start_date", "Mordad 1367", citations=cite(pub))
    claims.add_claim(
        post,
        "start_date",
        "Tir 1367",
        citations=cite(internal, confidence="low"),
        status="disputed",
    )
    claims.add_claim(post, "end_date", "December 1988", citations=cite(pub))

    execution = make_record("event", uid="event-execution")
    claims.add_claim(execution, "event_type", "execution", citations=cite(pub))
    claims.add_claim(execution, "date", "between Tir and Shahrivar 1367", citations=cite(pub))
    claims.add_claim(execution, "place", "place-prison", citations=cite(pub))
    burial = make_record("event", uid="event-burial")
    claims.add_claim(burial, "event_type", "burial", citations=cite(pub))
    claims.add_claim(burial, "title", "Synthetic burial", citations=cite(pub))
    claims.add_claim(burial, "date", "summer 1988", citations=cite(pub))
    claims.add_claim(burial, "place", "place-grave", citations=cite(pub))

    for uid, person, role, mode, level in (
        ("part-victim", victim, "victim", None, Level.PUBLIC),
        ("part-judge", judge, "perpetrator", "sentenced", Level.PUBLIC),
        ("part-witness", witness, "witness", None, Level.PROTECTED),
    ):
        part = make_record("participation", level, uid=uid, event=execution, person=person)
        claims.add_claim(part, "role", role, citations=cite(pub), confidentiality=level)
        if mode:
            claims.add_claim(part, "mode", mode, citations=cite(pub))


def counts() -> dict[str, int]:
    """Rows of every table the import writes, history included."""
    out = {}
    for each in (Source, Claim, Citation, *RECORD_MODELS.values()):
        out[each.__name__] = each.objects.count()
        out[f"history of {each.__name__}"] = each.history.count()
    return out


def exported(kind: str, fmt: str, level: Level = Level.PROTECTED) -> str:
    stream = StringIO(newline="")
    io.export(kind, fmt, stream, level)
    return stream.getvalue()


def problems(report: io.Report) -> list[tuple[int, str, str]]:
    return [(x["line"], x["field"], x["message"]) for x in report.lines() if "line" in x]


# ------------------------------------------------------------------------ round trips


def test_case_round_trip_through_the_cli(tmp_path):
    build_case()
    before = dump()
    assert len(before["claim"]) > 40 and any(len(c[-1]) == 3 for c in before["claim"].values())
    path = tmp_path / "case.jsonl"
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["export", "case", "--format", "jsonl", "--level", "protected", "--out", str(path)]
        + ["--reason", "round trip test"],
    )
    assert result.exit_code == 0, result.output
    kinds = [json.loads(line)["kind"] for line in path.read_text(encoding="utf-8").splitlines()]
    assert kinds == sorted(kinds, key=io.ORDER.index)  # dependency order
    wipe()
    assert counts()["Claim"] == 0
    result = runner.invoke(main, ["import", "case", str(path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["ok"] and summary["created"] == summary["rows"] == len(kinds)
    assert dump() == before
    # Projections came out the same: both scripts, conflicts resolved the same way.
    victim = Person.objects.get(uid="person-victim")
    assert (victim.label, victim.label_fa) == ("Synthetic Victim", "قربانی ساختگی")
    assert Post.objects.get(uid="post-judge").start.isoformat() == "1988-07-23"
    assert Place.objects.get(uid="place-grave").latitude == pytest.approx(35.001)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_per_kind_round_trip(tmp_path, fmt):
    build_case()
    before = dump()
    paths = {}
    for kind in io.ORDER:
        paths[kind] = tmp_path / f"{kind}.{fmt}"
        paths[kind].write_text(exported(kind, fmt), encoding="utf-8", newline="")
    wipe()
    for kind in io.ORDER:
        report = io.import_file(kind, paths[kind])
        assert report.ok, list(report.lines())
    assert dump() == before


def test_claim_csv_carries_the_first_citation_and_citation_csv_the_rest():
    build_case()
    claim_rows = list(csv_rows(exported("claim", "csv")))
    citation_rows = list(csv_rows(exported("citation", "csv")))
    birth = next(r for r in claim_rows if r["prop"] == "birth_date" and r["status"] == "accepted")
    assert (birth["source"], birth["page"], birth["quote"]) == (
        "src-pub",
        "12",
        "born on 12 Mehr 1340",
    )
    assert json.loads(birth["value"])["text"] == "1340/07/12"
    further = [r for r in citation_rows if r["claim"] == birth["id"]]
    assert [(r["source"], r["timestamp"]) for r in further] == [
        ("src-internal", "00:12:30"),
        ("src-protected", ""),
    ]
    gender = next(r for r in claim_rows if r["prop"] == "gender" and r["status"] == "accepted")
    assert gender["value"] == "female"  # plain text for plain values
    assert Citation.objects.count() == len(claim_rows) + len(citation_rows)


def csv_rows(text: str) -> list[dict[str, str]]:
    import csv

    return list(csv.DictReader(StringIO(text, newline="")))


def test_import_keeps_who_and_why_in_the_history(tmp_path, users):
    path = tmp_path / "sources.csv"
    path.write_text(
        "id,title,citation,confidentiality,synthetic\n"
        "src-h,Synthetic list,Synthetic list for tests,public,true\n",
        encoding="utf-8",
    )
    assert io.import_file("source", path, user=users["investigator"], reason="batch 7").ok
    path = tmp_path / "claims.csv"
    path.write_text(
        "id,record,prop,value,source,quote\n"
        "claim-h,person:person-h,name,Synthetic Person,src-h,a synthetic quote\n",
        encoding="utf-8",
    )
    make_record("person", uid="person-h")
    assert io.import_file("claim", path, user=users["investigator"], reason="batch 7").ok
    history = Claim.objects.get(uid="claim-h").history.get()
    assert (history.history_user, history.history_change_reason) == (
        users["investigator"],
        "batch 7",
    )
    assert Source.objects.get(uid="src-h").history.get().history_change_reason == "batch 7"
    assert Person.objects.get(uid="person-h").label == "Synthetic Person"


def test_labels_that_depend_on_other_records_are_recomputed_after_the_import(tmp_path):
    """The post's role comes before its body's name in the file; the label has both."""
    make_source("src-1")
    lines = [
        {"kind": "person", "id": "person-a"},
        {"kind": "body", "id": "body-a"},
        {"kind": "event", "id": "event-a"},
        {"kind": "post", "id": "post-a", "person": "person-a", "body": "body-a"},
        {"kind": "participation", "id": "part-a", "event": "event-a", "person": "person-a"},
        {"kind": "claim", "record": "post:post-a", "prop": "role", "value": "member"},
        {"kind": "claim", "record": "participation:part-a", "prop": "role", "value": "victim"},
        {"kind": "claim", "record": "body:body-a", "prop": "name", "value": "Synthetic Body"},
        {"kind": "claim", "record": "person:person-a", "prop": "name", "value": "Synthetic One"},
        {"kind": "claim", "record": "event:event-a", "prop": "title", "value": "Synthetic event"},
    ]
    path = tmp_path / "case.jsonl"
    rows = (json.dumps({**x, "source": "src-1"} if x["kind"] == "claim" else x) for x in lines)
    path.write_text("\n".join(rows), encoding="utf-8")
    assert io.import_file("case", path).ok
    assert Post.objects.get(uid="post-a").label == "member, Synthetic Body"
    part = Participation.objects.get(uid="part-a")
    assert part.label == "Synthetic One — victim — Synthetic event"


# --------------------------------------------------------------------------- clearance


@pytest.mark.parametrize("level", list(Level))
def test_export_holds_only_what_the_clearance_may_see(tmp_path, level):
    build_case()
    text = exported("case", "jsonl", level)
    rows = [json.loads(line) for line in text.splitlines()]
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        by_kind.setdefault(row["kind"], {})[row["id"]] = row
        if "confidentiality" in row:
            assert Level[row["confidentiality"].upper()] <= level
    for claim in by_kind.get("claim", {}).values():
        kind, _, uid = claim["record"].partition(":")
        assert uid in by_kind[kind] and claim["source"] in by_kind["source"]
    for citation in by_kind.get("citation", {}).values():
        assert citation["source"] in by_kind["source"]
    shown = {level: set() for level in Level}
    shown[Level.PUBLIC] = {"person-victim", "part-victim", "src-pub"}
    shown[Level.INTERNAL] = {"body-ngo", "src-internal"}
    shown[Level.PROTECTED] = {"person-witness", "part-witness", "src-protected"}
    for at, uids in shown.items():
        for uid in uids:
            assert (uid in text) is (at <= level), (uid, level)
    for fmt in ("jsonl", "ftm"):
        assert (PROTECTED_NAME in exported("case", fmt, level)) is (level == Level.PROTECTED)
        assert (PROTECTED_FACT in exported("case", fmt, level)) is (level == Level.PROTECTED)
    assert (PROTECTED_FACT in exported("claim", "csv", level)) is (level == Level.PROTECTED)
    assert ("restricted level" in text) is (level >= Level.RESTRICTED)
    # What a clearance exports is self-contained: it imports into an empty database.
    path = tmp_path / "case.jsonl"
    path.write_text(text, encoding="utf-8")
    wipe()
    report = io.import_file("case", path)
    assert report.ok, list(report.lines())


def _cite_key(source: str, row: dict[str, Any] | Citation) -> tuple[str, ...]:
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    return (source, *(get(name) for name in ("page", "paragraph", "timestamp", "quote")))


@pytest.mark.parametrize("level", list(Level))
def test_export_shows_what_the_pages_and_the_api_show(level):
    """The export applies the visibility rules of ``records.claims`` (oracle: shown_claims)."""
    build_case()
    victim = Person.objects.get(uid="person-victim")
    hidden_place = make_record("place", Level.PROTECTED, uid="place-hidden")
    claims.add_claim(hidden_place, "name", "Synthetic hidden place", citations=cite("src-pub"))
    claims.add_claim(victim, "hometown", "place-hidden", citations=cite("src-pub"))
    retracted = claims.add_claim(
        victim, "occupation", "Synthetic retracted job", citations=cite("src-pub")
    )
    retracted.citations.update(retracted_at=timezone.now())
    birth = Claim.objects.get(subject_id=victim.pk, prop="birth_date", status="accepted")
    birth.citations.filter(source__uid="src-internal").update(retracted_at=timezone.now())

    rows = [json.loads(line) for line in exported("case", "jsonl", level).splitlines()]
    exported_cites: dict[str, list[tuple[str, ...]]] = {}
    for row in rows:
        if row["kind"] in ("claim", "citation"):
            claim_uid = row["id"] if row["kind"] == "claim" else row["claim"]
            exported_cites.setdefault(claim_uid, []).append(_cite_key(row["source"], row))
    shown = claims.shown_claims(Claim.objects.order_by("id"), level)
    assert exported_cites == {
        s.claim.uid: [_cite_key(c.source.uid, c) for c in s.citations] for s in shown
    }
    assert "Synthetic retracted job" not in json.dumps(rows, ensure_ascii=False)
    assert any(s.claim.prop == "hometown" for s in shown) is (level == Level.PROTECTED)
    for kind, record_model in RECORD_MODELS.items():
        visible = claims.visible_records(record_model, level).values_list("uid", flat=True)
        assert {r["id"] for r in rows if r["kind"] == kind} == set(visible), kind
    # The bulk variant the export uses, in chunks smaller than one record's claims.
    in_bulk = claims.shown_claims_in_bulk(Claim.objects.all(), level, chunk=3)
    assert [(s.claim.uid, s.text, s.citations) for s in in_bulk] == [
        (s.claim.uid, s.text, s.citations) for s in shown
    ]


def test_synthetic_records_are_labelled_in_every_format():
    build_case()
    persons = {r["id"]: r["synthetic"] for r in csv_rows(exported("person", "csv"))}
    assert persons["person-victim"] == "true" and persons["person-unflagged"] == "false"
    jsonl = [json.loads(line) for line in exported("person", "jsonl").splitlines()]
    assert {r["id"]: r["synthetic"] for r in jsonl}["person-victim"] is True
    entities = {e["id"]: e for e in map(json.loads, exported("person", "ftm").splitlines())}
    victim = entities[ftm.entity_id("person-victim")]
    assert victim["properties"]["summary"] == [
        "SYNTHETIC: invented for the demo; not a real person"
    ]
    assert "summary" not in entities[ftm.entity_id("person-unflagged")]["properties"]


# ------------------------------------------------------------------------ FollowTheMoney


def test_ftm_entities_are_valid_linked_and_mapped():
    build_case()
    entities = [json.loads(line) for line in exported("case", "ftm").splitlines()]
    by_id = {e["id"]: e for e in entities}
    assert (
        len(by_id)
        == len(entities)
        == Source.objects.count() + sum(m.objects.count() for m in RECORD_MODELS.values())
    )
    for entity in entities:
        proxy = model.get_proxy(entity)
        assert proxy.to_dict() == entity
        assert proxy.schema.validate(entity) is None
        for name, values in entity["properties"].items():
            prop = proxy.schema.properties[name]
            if prop.type.name == "entity":
                assert all(v in by_id for v in values), (entity["id"], name)
        if proxy.schema.is_a("LegalEntity") or proxy.schema.name == "Event":
            assert proxy.has("name")
    props = {e["id"].removeprefix("dadkhah-"): e["properties"] for e in entities}
    schemata = {e["id"].removeprefix("dadkhah-"): e["schema"] for e in entities}
    assert schemata["person-victim"] == "Person"
    assert set(props["person-victim"]["name"]) == {"Synthetic Victim", "قربانی ساختگی"}
    assert props["person-victim"]["alias"] == ["Rafiq"]
    assert props["person-victim"]["fatherName"] == ["حسن"]
    assert props["person-victim"]["gender"] == ["female"]  # the rejected "male" is left out
    assert set(props["person-victim"]["birthDate"]) == {"1961-10-04", "1961"}
    assert "nationality" not in props["person-victim"]
    assert set(props["person-victim"]["proof"]) == {
        "dadkhah-src-pub",
        "dadkhah-src-internal",
        "dadkhah-src-protected",
    }
    assert schemata["body-commission"] == "PublicBody"
    assert schemata["body-ministry"] == "PublicBody"
    assert schemata["body-ngo"] == "Organization"
    assert props["body-commission"]["parent"] == ["dadkhah-body-ministry"]
    assert schemata["place-grave"] == "Address"
    assert props["place-grave"]["latitude"] == ["35.001"]
    assert props["place-grave"]["longitude"] == ["51.001"]
    assert props["place-prison"]["latitude"] == ["35.8208"]
    assert schemata["post-judge"] == "Membership"
    assert props["post-judge"]["member"] == ["dadkhah-person-judge"]
    assert props["post-judge"]["organization"] == ["dadkhah-body-commission"]
    assert props["post-judge"]["role"] == ["member"]
    assert props["post-judge"]["endDate"] == ["1988-12"]
    assert schemata["event-execution"] == "Event"
    execution = props["event-execution"]
    assert execution["name"] == ["Execution, Synthetic Prison, between Tir and Shahrivar 1367"]
    assert (execution["date"], execution["startDate"], execution["endDate"]) == (
        ["1988"],
        ["1988-06-22"],
        ["1988-09-22"],
    )
    assert execution["addressEntity"] == ["dadkhah-place-prison"]
    assert set(execution["involved"]) == {
        "dadkhah-person-victim",
        "dadkhah-person-judge",
        "dadkhah-person-witness",
    }
    assert schemata["part-judge"] == "UnknownLink"
    assert props["part-judge"]["role"] == ["Perpetrator (sentenced)"]
    assert (props["part-judge"]["subject"], props["part-judge"]["object"]) == (
        ["dadkhah-person-judge"],
        ["dadkhah-event-execution"],
    )
    assert schemata["src-pub"] == "Article" and schemata["src-protected"] == "Document"
    assert props["src-pub"]["publishedAt"] == ["1988"]


def test_ftm_at_public_level_names_no_hidden_entity():
    build_case()
    entities = [json.loads(line) for line in exported("case", "ftm", Level.PUBLIC).splitlines()]
    ids = {e["id"] for e in entities}
    assert "dadkhah-person-witness" not in ids and "dadkhah-body-ngo" not in ids
    for entity in entities:
        for values in entity["properties"].values():
            assert not any("person-witness" in v or "src-internal" in v for v in values)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("1988-08-14", "1988-08-14"),
        ("1367/05/23", "1988-08-14"),
        ("August 1988", "1988-08"),
        ("1988", "1988"),
        ("Mordad 1367", "1988"),  # 23 July - 22 August: inside 1988, not inside a month
        ("1367", "1988-03-21"),  # crosses a Gregorian new year: its first day
        ("summer 1988", "1988"),
    ],
)
def test_iso_partial(text, iso):
    assert ftm.iso_partial(parse_partial_date(text).to_json()) == iso


def test_ftm_is_not_for_claims():
    with pytest.raises(io.ImportExportError, match="not 'claim'"):
        exported("claim", "ftm")
    with pytest.raises(io.ImportExportError, match="jsonl"):
        exported("case", "csv")


# --------------------------------------------------------------------------- bad input


@pytest.fixture
def existing():
    source = make_source("src-1")
    person = make_person("Synthetic Existing Person", source, uid="person-1")
    body = make_record("body", uid="body-1")
    make_record("post", uid="post-1", person=person, body=body)
    return source


CLAIM_HEAD = "id,record,prop,value,source\n"
BAD_INPUT = [
    # (kind, file name, content, expected (line, field, message part))
    ("person", "persons.csv", "uid,confidentiality\nperson-a,public\n", (1, "", "unknown column 'uid'")),
    ("post", "posts.csv", "id,person,confidentiality\npost-a,person-1,public\n", (1, "", "missing required column 'body'")),
    ("person", "persons.csv", "id,synthetic,shoe_size\nperson-a,true,42\n", (1, "", "unknown column 'shoe_size'")),
    ("person", "persons.csv", "id,confidentiality,synthetic\nperson-a,public,true\nperson-b,public\n", (3, "", "ragged row: 2 values for 3 columns")),
    ("person", "persons.csv", b"id,confidentiality\nperson-a,public\nperson-\xe9,public\n", (3, "", "not UTF-8: byte 0xe9")),
    ("person", "persons.csv", "", (1, "", "the first line must be the header")),
    ("person", "persons.csv", "id,confidentiality\nperson-a,public\nperson-a,internal\n", (3, "id", "duplicate id 'person-a': line 2 has it already")),
    ("person", "persons.csv", "id,confidentiality\nperson-1,public\n", (2, "id", "a person with id 'person-1' exists already")),
    ("person", "persons.csv", "id,synthetic\nperson-a,maybe\n", (2, "synthetic", "'maybe' is not true or false")),
    ("person", "persons.csv", "id,synthetic\nperson a,true\n", (2, "id", "'person a' is not a valid id")),
    ("post", "posts.csv", "id,person,body\npost-a,person-nobody,body-1\n", (2, "person", "no person with id 'person-nobody'")),
    ("claim", "claims.csv", CLAIM_HEAD + "claim-a,person:person-1,gender,f,src-1\n", (2, "value", "unknown gender term 'f'")),
    ("claim", "claims.csv", CLAIM_HEAD + "claim-a,person:person-1,birth_date,1367/07/31,src-1\n", (2, "value", "day 31 of Mehr 1367 does not exist: Mehr has 30 days")),
    ("claim", "claims.csv", CLAIM_HEAD + "claim-a,post:post-1,start_date,1367/05/01,src-1\nclaim-b,post:post-1,end_date,1367/04,src-1\n", (3, "value", "the post would end (1367/04) before it starts (1367/05/01)")),
    ("claim", "claims.csv", CLAIM_HEAD + "claim-a,person:person-1,shoe_size,42,src-1\n", (2, "prop", "a person has no property 'shoe_size'")),
    ("claim", "claims.csv", CLAIM_HEAD + "claim-a,person:person-nobody,name,X,src-1\n", (2, "record", "no person with id 'person-nobody'")),
    ("claim", "claims.csv", CLAIM_HEAD + "claim-a,person-1,name,X,src-1\n", (2, "record", "is not a record: write kind:id")),
    ("claim", "claims.csv", CLAIM_HEAD + "claim-a,person:person-1,name,X,src-nobody\n", (2, "source", "no source with id 'src-nobody'")),
    ("claim", "claims.csv", CLAIM_HEAD + "claim-a,person:person-1,hometown,place-nowhere,src-1\n", (2, "value", "no place with id 'place-nowhere'")),
    ("claim", "claims.csv", CLAIM_HEAD + "claim-a,person:person-1,name,X,\n", (2, "source", "every claim needs a citation")),
    ("claim", "claims.csv", "record,prop,value,status,source\nperson:person-1,name,X,maybe,src-1\n", (2, "status", "unknown status 'maybe'")),
    ("claim", "claims.csv", "record,prop,value,source,confidence\nperson:person-1,name,X,src-1,sure\n", (2, "confidence", "unknown confidence 'sure'")),
    ("citation", "citations.csv", "claim,source\nclaim-nobody,src-1\n", (2, "claim", "no claim with id 'claim-nobody'")),
    ("source", "sources.csv", "id,title,citation,url\nsrc-a,T,C,not a url\n", (2, "url", "is not a web address")),
    ("source", "sources.csv", "id,title,citation,reliability\nsrc-a,T,C,Z\n", (2, "reliability", "unknown reliability term 'Z'")),
    ("source", "sources.csv", "id,title,citation,published\nsrc-a,T,C,1367/12/30\n", (2, "published", "Esfand 1367 has 29 days")),
    ("source", "sources.csv", "id,title,citation\nsrc-a,,C\n", (2, "title", "is empty")),
    ("person", "persons.jsonl", '{"id": "person-a"}\n{"id": "person-b",\n', (2, "", "not valid JSON")),
    ("person", "persons.jsonl", '{"id": "person-a", "name": "X"}\n', (1, "name", "unknown field")),
    ("person", "persons.jsonl", '{"id": 7}\n', (1, "id", "must be text, not int")),
    ("case", "case.jsonl", '{"kind": "spaceship", "id": "x"}\n', (1, "kind", "unknown kind 'spaceship'")),
    ("case", "case.jsonl", '{"kind": "claim", "id": "c", "record": "person:person-1", "prop": "name", "value": "X"}\n', (1, "source", "every claim needs a citation")),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "name", "content", "expected"), BAD_INPUT)
def test_bad_input_is_rejected_with_line_and_field(
    tmp_path, existing, kind, name, content, expected
):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    before = counts()
    report = io.import_file(kind, path)
    assert not report.ok
    [(line, field, message)] = problems(report)
    assert (line, field) == expected[:2], message
    assert expected[2] in message
    summary = list(report.lines())[-1]
    assert (summary["ok"], summary["created"], summary["rejected"]) == (False, 0, 1)
    assert counts() == before


def test_report_line_reads_file_line_field_and_message(tmp_path):
    path = tmp_path / "persons.csv"
    path.write_text("id,confidentiality\nperson-a,public\nperson-b,secret\n", encoding="utf-8")
    lines = [io.format_report_line(x) for x in io.import_file("person", path).lines()]
    assert lines == [
        f"{path}:3: field confidentiality: unknown confidentiality level 'secret'; "
        "use one of: public, internal, restricted, protected",
        f"{path}: nothing imported; 1 of 2 rows rejected (fix them and import the file again)",
    ]
    assert Person.objects.count() == 0


def test_every_failing_row_is_reported_and_nothing_is_kept(tmp_path, existing):
    path = tmp_path / "case.jsonl"
    lines = [
        {"kind": "person", "id": "person-a", "confidentiality": "public"},
        {"kind": "person", "id": "person-b", "confidentiality": "secret"},
        {"kind": "post", "id": "post-b", "person": "person-b", "body": "body-1"},
        {"kind": "claim", "id": "c1", "record": "person:person-a", "prop": "name", "value": "A"},
        {"kind": "claim", "record": "person:person-a", "prop": "gender", "value": "f"},
        {"kind": "claim", "record": "post:post-1", "prop": "start_date", "value": "1367/05/01"},
        {"kind": "claim", "record": "post:post-1", "prop": "end_date", "value": "1367/04"},
        {"kind": "citation", "claim": "c1", "source": "src-1", "quote": "a synthetic quote"},
        {"kind": "citation", "claim": "c1", "source": "src-nobody"},
    ]
    for line in lines[4:7]:
        line["source"] = "src-1"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    before = counts()
    report = io.import_file("case", path)
    assert [(line, field) for line, field, _ in problems(report)] == [
        (2, "confidentiality"),
        (3, "person"),  # its person was rejected
        (5, "value"),
        (7, "value"),  # checked without being written, after the first failure
        (9, "source"),
    ]
    assert "person 'person-b' was rejected (line 2)" in problems(report)[1][2]
    assert counts() == before


def test_a_failure_found_while_writing_undoes_the_rows_written_before_it(tmp_path, existing):
    path = tmp_path / "persons.csv"
    path.write_text("id,confidentiality\nperson-new,public\nperson-1,public\n", encoding="utf-8")
    before = counts()
    report = io.import_file("person", path)
    assert problems(report) == [(3, "id", "a person with id 'person-1' exists already")]
    assert not Person.objects.filter(uid="person-new").exists()
    assert counts() == before


def test_usage_errors(tmp_path):
    path = tmp_path / "persons.txt"
    path.write_text("id\n", encoding="utf-8")
    with pytest.raises(io.ImportExportError, match="cannot tell the format"):
        io.import_file("person", path)
    with pytest.raises(io.ImportExportError, match="unknown kind 'spaceship'"):
        io.import_file("spaceship", path, fmt="csv")
    with pytest.raises(io.ImportExportError, match="JSON Lines"):
        io.import_file("case", path, fmt="csv")
    result = CliRunner().invoke(main, ["import", "spaceship", str(path), "--format", "csv"])
    assert result.exit_code == 2 and "unknown kind 'spaceship'" in result.stderr


def test_cli_rejects_one_bad_row_among_twenty_thousand(tmp_path, existing):
    """10,000 persons and 10,000 claims; one claim in the middle has an impossible date."""
    path = tmp_path / "case.jsonl"
    bad_line = 0
    with path.open("w", encoding="utf-8") as handle:
        for i in range(10_000):
            row = {"kind": "person", "id": f"person-bulk-{i:05d}", "confidentiality": "public"}
            handle.write(json.dumps(row) + "\n")
        for i in range(10_000):
            value = "1340/07/31" if i == 5_000 else f"1340/07/{1 + i % 30:02d}"
            row = {"kind": "claim", "record": f"person:person-bulk-{i:05d}", "source": "src-1"}
            handle.write(json.dumps({**row, "prop": "birth_date", "value": value}) + "\n")
        bad_line = 10_000 + 5_000 + 1
    before = counts()
    result = CliRunner().invoke(main, ["import", "case", str(path)])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        f"{path}:{bad_line}: field value: Date of birth: day 31 of Mehr 1340 does not exist: "
        "Mehr has 30 days",
        f"{path}: nothing imported; 1 of 20000 rows rejected (fix them and import the file again)",
    ]
    assert counts() == before


def test_cli_import_succeeds_with_exit_zero_and_a_json_report(tmp_path, existing):
    path = tmp_path / "persons.csv"
    path.write_text("id,confidentiality,synthetic\nperson-a,public,true\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["import", "person", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "ok": True,
        "file": str(path),
        "kind": "person",
        "rows": 1,
        "created": 1,
        "rejected": 0,
    }
    assert Person.objects.get(uid="person-a").is_synthetic
