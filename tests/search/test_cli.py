"""`dadkhah search`: JSON Lines of {"kind","id","title","snippet","page"}, clear errors,
the clearance of --level (public by default, as for export), and the web page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dadkhah.cli import main
from dadkhah.core.confidentiality import Level
from dadkhah.search.indexing import reindex
from tests.factories import make_person, make_source
from tests.search import make_item

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


@pytest.fixture
def material(db):
    make_item("doc-a", ["Testimony naming Ebrahim Ra'isi at Evin.", "Second page."], name="a.txt")
    make_item("doc-b", ["نامه درباره ابراهیم رئیسی"], Level.RESTRICTED, name="b.txt")
    source = make_source("src-cli", Level.PUBLIC)
    make_person("Ebrahim Raisi", source, Level.PUBLIC, uid="person-raisi")
    reindex()  # records index on commit, and a test's transaction never commits


def run(*args: str):
    return CliRunner().invoke(main, ["search", *args])


def test_json_lines(material) -> None:
    result = run("Raisi", "--json", "--level", "restricted")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert {(x["kind"], x["id"]) for x in lines} >= {
        ("page", "doc-a:1"),
        ("page", "doc-b:1"),
        ("person", "person-raisi"),
    }
    for line in lines:
        assert {"kind", "id", "title", "snippet", "page"} <= set(line)
        for start, end in line["marks"]:
            assert line["snippet"][start:end]
    page = next(x for x in lines if x["id"] == "doc-b:1")
    assert page["page"] == 1 and "رئیسی" in page["snippet"]


def test_default_clearance_is_public(material) -> None:
    result = run("Raisi", "--json")
    assert result.exit_code == 0
    kinds = {json.loads(line)["kind"] for line in result.stdout.splitlines()}
    assert kinds and "page" not in kinds  # documents need --level internal
    internal = run("Raisi", "--json", "--level", "internal").stdout
    assert "doc-a:1" in internal and "doc-b:1" not in internal


def test_readable_output(material) -> None:
    result = run("رئیسی", "--level", "internal")
    assert result.exit_code == 0
    assert "a.txt" in result.stdout and "p. 1" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (("",), "type a word"),
        (("   ",), "type a word"),
        (("***",), "nothing to search for"),
        (("--", "-Raisi"), "not only what to leave out"),
        (("Raisi", "--level", "secret"), "unknown confidentiality level"),
        (("Raisi", "--date-from", "1367/13"), "month 13"),
    ],
)
def test_bad_input_exits_2_with_a_message(material, args, message) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output


def test_long_query_is_cut_with_a_note(material) -> None:
    result = run("Raisi " + "x" * 10_000, "--level", "internal")
    assert result.exit_code == 0
    assert "cut to its first" in result.stderr


def test_reindex(material) -> None:
    from dadkhah.search.models import SearchEntry

    SearchEntry.objects.all().delete()
    result = run("--reindex")
    assert result.exit_code == 0 and "indexed 3 pages" in result.stderr
    assert "person-raisi" in run("Raisi", "--json").stdout


# ------------------------------------------------------------------ the web page


def test_page_for_visitors_shows_public_records_only(material, client) -> None:
    response = client.get("/search/", {"q": "Raisi"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "person-raisi" in body and "doc-a" not in body and "doc-b" not in body


def test_page_for_staff(material, client, users) -> None:
    client.force_login(users["reviewer"])
    body = client.get("/search/", {"q": "رئیسی"}).content.decode()
    assert "<mark>Ra&#x27;isi</mark>" in body or "<mark>Ra'isi</mark>" in body
    assert "doc-a" in body and "doc-b" not in body  # restricted: above a reviewer
    client.force_login(users["investigator"])
    assert "doc-b" in client.get("/search/", {"q": "رئیسی"}).content.decode()


@pytest.mark.parametrize("q", ['"', "((", "NEAR(", "*", "x" * 20_000, "-a", "\x00"])
def test_page_bad_input_is_never_a_server_error(material, client, users, q) -> None:
    client.force_login(users["administrator"])
    response = client.get("/search/", {"q": q, "date_from": "not a date" if q == "*" else ""})
    assert response.status_code in (200, 400)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the sample corpus (../shared/corpus) is absent")
def test_sample_corpus_every_spelling_finds_the_same_documents(db) -> None:
    from dadkhah.search.services import search

    for path in sorted(CORPUS.glob("*.txt")):
        make_item(path.stem[:60], [path.read_text(encoding="utf-8")], name=path.name)
    for spellings in (
        ("Raisi", "Ra'isi", "رئیسی"),
        ("Pour-Mohammadi", "Pourmohammadi", "پورمحمدی"),
    ):
        found = [{g.key for g in search(s, Level.PROTECTED, limit=50).groups} for s in spellings]
        assert found[0] and all(f == found[0] for f in found), (spellings, found)


@pytest.mark.django_db(transaction=True)  # tasks are queued when the ingest commits
def test_ingest_then_work_then_search(tmp_path: Path) -> None:
    """From the command line alone: queued extraction and indexing run with `dadkhah work`."""
    from huey.contrib.djhuey import HUEY

    HUEY.flush()  # tasks left queued by other tests are not this test's
    letter = tmp_path / "letter.txt"
    letter.write_text("A synthetic letter: Mostafa Pour-Mohammadi came to Gohardasht.\n")
    runner = CliRunner()
    ingested = runner.invoke(main, ["ingest", str(letter)])
    assert ingested.exit_code == 0, ingested.output
    before = run("Pourmohammadi", "--json", "--level", "internal")
    assert before.exit_code == 0 and before.stdout.strip() == ""  # not extracted yet
    worked = runner.invoke(main, ["work", "--json"])
    assert worked.exit_code == 0, worked.output
    summary = json.loads(worked.stdout.strip().splitlines()[-1])
    assert summary["tasks"] >= 2  # extraction, then the indexing it queues
    found = run("Pourmohammadi", "--json", "--level", "internal")
    lines = [json.loads(line) for line in found.stdout.splitlines()]
    assert [x["kind"] for x in lines] == ["page"] and "Pour-Mohammadi" in lines[0]["snippet"]
    again = runner.invoke(main, ["work", "--json"])
    assert json.loads(again.stdout.strip().splitlines()[-1])["tasks"] == 0


@pytest.mark.django_db(transaction=True)
def test_work_survives_an_unreadable_queued_task_and_loses_no_item(tmp_path: Path) -> None:
    """A queued message that can't be read back is reported, and the item whose task it was
    (still ``pending`` once the queue is empty) is queued again and extracted."""
    from huey.contrib.djhuey import HUEY

    from dadkhah.vault.models import Item

    HUEY.flush()
    letter = tmp_path / "letter.txt"
    letter.write_text("A synthetic letter about Khavaran.\n")
    runner = CliRunner()
    assert runner.invoke(main, ["ingest", str(letter)]).exit_code == 0
    HUEY.flush()  # the real task is lost …
    HUEY.storage.enqueue(b"not a task")  # … and a message nobody can read is in its place
    worked = runner.invoke(main, ["work", "--json"])
    assert worked.exit_code == 0, worked.output
    summary = json.loads(worked.stdout.strip().splitlines()[-1])
    assert (summary["unreadable"], summary["requeued"]) == (1, 1)
    assert summary["by_name"].get("extract_item", 0) == 1, summary
    assert Item.objects.get(name="letter.txt").extraction_status == "done"
    assert "Khavaran" in run("Khavaran", "--json", "--level", "internal").stdout
