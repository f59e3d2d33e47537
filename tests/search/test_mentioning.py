"""Mentions written for vault pages, reviewers' decisions on them, and who may see them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dadkhah.core.confidentiality import Level
from dadkhah.records import claims
from dadkhah.records.models import Citation, Person
from dadkhah.search import mentioning
from dadkhah.search.models import Mention, MentionDecision
from dadkhah.vault.models import Item
from tests.factories import cite, make_person, make_record, make_source
from tests.search import make_document

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"

PAGE_1 = (
    "Synthetic letter. On 23 Mordad 1367 Ibrahim Ra'isi came to Gohardasht with "
    "Daryush Kamrani; about 4,482 names were read.\n"
)
PAGE_2 = "ابراهيم رئيسي در گوهردشت بود. در تابستان ۱۳۶۷ هزاران زندانی. Raisi left."


@pytest.fixture
def case(db: Any) -> dict[str, Any]:
    source = make_source()
    raisi = make_person("Ebrahim Raisi", source, uid="person-raisi")
    claims.add_claim(raisi, "name", "ابراهیم رئیسی", citations=cite(source))
    place = make_record("place", uid="place-gohardasht")
    claims.add_claim(place, "name", "Gohardasht", citations=cite(source))
    claims.add_claim(place, "name", "گوهردشت", citations=cite(source))
    return {"source": source, "raisi": raisi, "place": place}


def _rows(item: Item) -> list[tuple[Any, ...]]:
    return list(
        Mention.objects.filter(item=item)
        .order_by("page", "start", "kind")
        .values_list("page", "quote", "kind", "record_uid", "status")
    )


def test_scan_finds_people_places_dates_numbers_and_candidates(case: dict[str, Any]) -> None:
    item = make_document("letter.txt", [PAGE_1, PAGE_2])
    scanned = mentioning.scan_item(item, mentioning.rebuild_index())
    rows = _rows(item)
    assert rows == [
        (1, "23 Mordad 1367", "date", "", "auto"),
        (1, "Ibrahim Ra'isi", "person", "person-raisi", "auto"),
        (1, "Gohardasht", "place", "place-gohardasht", "auto"),
        (1, "Daryush Kamrani", "candidate", "", "auto"),
        (1, "4,482", "number", "", "auto"),
        (2, "ابراهيم رئيسي", "person", "person-raisi", "auto"),
        (2, "گوهردشت", "place", "place-gohardasht", "auto"),
        (2, "تابستان ۱۳۶۷", "date", "", "auto"),
        (2, "هزاران", "number", "", "auto"),
        (2, "Raisi", "person", "person-raisi", "auto"),
    ]
    assert scanned.total == len(rows)
    for m in Mention.objects.filter(item=item):
        page = item.pages.get(number=m.page)
        assert page.text[m.start : m.end] == m.quote
    date = Mention.objects.get(item=item, kind="date", page=1)
    assert date.value["start"] == date.value["end"] == "1988-08-14"


def test_rescanning_replaces_automatic_mentions_and_keeps_decisions(
    case: dict[str, Any], users: dict[str, Any]
) -> None:
    item = make_document("letter.txt", [PAGE_1, PAGE_2])
    mentioning.scan_item(item)
    first = _rows(item)
    mentioning.scan_item(item)
    assert _rows(item) == first
    wrong = Mention.objects.get(item=item, quote="Raisi")
    right = Mention.objects.get(item=item, quote="Gohardasht")
    mentioning.reject(wrong, users["reviewer"])
    mentioning.confirm(right, users["reviewer"])
    scanned = mentioning.scan_item(item)
    assert scanned.kept == 2
    assert Mention.objects.filter(item=item, quote="Raisi").count() == 1
    assert Mention.objects.get(item=item, quote="Raisi").status == "rejected"
    assert Mention.objects.get(item=item, quote="Gohardasht").status == "confirmed"
    assert len(_rows(item)) == len(first)


def test_candidate_becomes_a_person_whose_name_cites_the_passage(
    case: dict[str, Any], users: dict[str, Any]
) -> None:
    item = make_document("letter.txt", [PAGE_1])
    mentioning.scan_item(item)
    candidate = Mention.objects.get(item=item, kind="candidate")
    person = mentioning.candidate_to_person(candidate, users["investigator"])
    assert isinstance(person, Person) and person.label == "Daryush Kamrani"
    citation = Citation.objects.get(claim__subject_kind="person", claim__subject_id=person.pk)
    assert (citation.page, citation.quote) == ("1", "Daryush Kamrani")
    assert citation.paragraph == f"chars {candidate.start}-{candidate.end}"
    assert citation.source.uid == f"item-{item.uid}"
    assert PAGE_1[candidate.start : candidate.end] == citation.quote
    candidate.refresh_from_db()
    assert (candidate.kind, candidate.record_uid, candidate.status) == (
        "person",
        person.uid,
        "confirmed",
    )
    # the new person is now known: another document mentions him, and a rescan keeps one row
    other = make_document("other.txt", ["A note on Dariush Kamrani."])
    mentioning.scan_item(other)
    assert _rows(other) == [(1, "Dariush Kamrani", "person", person.uid, "auto")]
    mentioning.scan_item(item)
    assert Mention.objects.filter(item=item, record_uid=person.uid).count() == 1
    with pytest.raises(mentioning.MentionError, match="not a candidate"):
        mentioning.candidate_to_person(candidate, users["investigator"])


def test_candidate_becomes_an_alias(case: dict[str, Any], users: dict[str, Any]) -> None:
    item = make_document("letter.txt", [PAGE_1])
    mentioning.scan_item(item)
    candidate = Mention.objects.get(item=item, kind="candidate")
    mentioning.candidate_to_alias(candidate, "person-raisi", users["investigator"])
    names = [c.value for c in case["raisi"].claims().filter(prop="name")]
    assert {"text": "Daryush Kamrani", "script": "latn", "kind": "alias"} in names
    with pytest.raises(mentioning.MentionError, match="not a candidate"):
        mentioning.candidate_to_alias(candidate, "person-raisi", users["investigator"])


def test_who_may_decide(case: dict[str, Any], users: dict[str, Any]) -> None:
    item = make_document("letter.txt", [PAGE_1])
    secret = make_document("secret.txt", [PAGE_1 + " "], Level.PROTECTED)
    mentioning.scan_item(item)
    mentioning.scan_item(secret)
    candidate = Mention.objects.get(item=item, kind="candidate")
    with pytest.raises(mentioning.MentionError, match="may not change"):
        mentioning.candidate_to_person(candidate, users["reviewer"])
    with pytest.raises(mentioning.MentionError, match="may not review"):
        mentioning.reject(candidate, None)
    with pytest.raises(mentioning.MentionError, match="a new person or an alias"):
        mentioning.confirm(candidate, users["reviewer"])
    hidden = Mention.objects.filter(item=secret).first()
    assert hidden is not None
    with pytest.raises(mentioning.MentionError, match="no mention"):
        mentioning.reject(hidden, users["investigator"])
    assert Person.objects.count() == 1


@pytest.mark.parametrize(
    ("clearance", "sees"),
    [
        (Level.PUBLIC, {"public.txt"}),
        (Level.INTERNAL, {"public.txt", "internal.txt"}),
        (Level.RESTRICTED, {"public.txt", "internal.txt", "restricted.txt"}),
        (Level.PROTECTED, {"public.txt", "internal.txt", "restricted.txt", "protected.txt"}),
    ],
)
def test_mentions_show_only_in_documents_the_viewer_may_see(
    case: dict[str, Any], clearance: Level, sees: set[str]
) -> None:
    for level in Level:
        mentioning.scan_item(make_document(f"{level.label}.txt", [PAGE_1], level))
    raisi = case["raisi"]
    shown = {m.item.name for m in mentioning.mentions_of(raisi, clearance)}
    assert shown == sees
    assert {m.item.name for m in mentioning.visible_mentions(clearance)} == sees
    for item in Item.objects.all():
        listed = mentioning.records_mentioned(item, clearance)
        if item.name in sees:
            assert {r.record.uid for r in listed} == {"person-raisi", "place-gohardasht"}
        else:
            assert listed == []


def test_hidden_records_and_names_do_not_show_through_mentions(
    case: dict[str, Any], users: dict[str, Any]
) -> None:
    source = case["source"]
    hidden = make_person("Farhad Shokouhi", source, Level.RESTRICTED, uid="person-hidden")
    shown = make_person("Kamran Ahmadian", source, uid="person-shown")
    claims.add_claim(
        shown, "name", "Bahram Nikbakht", citations=cite(source), confidentiality=Level.PROTECTED
    )
    item = make_document("public.txt", ["Farhad Shokouhi, Kamran Ahmadian and Bahram Nikbakht."])
    item.confidentiality = int(Level.PUBLIC)
    item.save()
    mentioning.scan_item(item)
    uids = set(Mention.objects.filter(item=item).values_list("record_uid", flat=True))
    assert "person-hidden" in uids and "person-shown" in uids
    assert Mention.objects.get(item=item, quote="Bahram Nikbakht").kind == "candidate"
    public = {r.record.uid for r in mentioning.records_mentioned(item, Level.PUBLIC)}
    assert public == {"person-shown"}
    assert mentioning.mentions_of(hidden, Level.INTERNAL) == []
    assert len(mentioning.mentions_of(hidden, Level.RESTRICTED)) == 1


def test_encrypted_items_get_no_mentions(case: dict[str, Any]) -> None:
    item = make_document("sealed.pdf", [""], Level.RESTRICTED, encrypted=True)
    assert mentioning.scan_item(item).total == 0
    assert not Mention.objects.filter(item=item).exists()


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the sample corpus (../shared/corpus) is absent")
def test_sample_corpus_commission_members(db: Any) -> None:
    source = make_source()
    for uid, name in [
        ("p-raisi", "Ebrahim Raisi"),
        ("p-pm", "مصطفی پورمحمدی"),
        ("p-khomeini", "Ruhollah Khomeini"),
    ]:
        make_person(name, source, uid=uid)
    index = mentioning.rebuild_index()
    found: dict[str, set[str]] = {}
    for path in sorted(CORPUS.glob("*.txt")):
        for f in index.scan(path.read_text(encoding="utf-8")):
            found.setdefault(f.record_uid, set()).add(path.name)
    assert "ngo-joint-statement-hrc.txt" in found.get("p-raisi", set())
    assert "ngo-joint-statement-hrc.txt" in found.get("p-pm", set())


def test_record_and_document_pages_list_mentions_within_clearance(
    case: dict[str, Any], users: dict[str, Any], client: Any, settings: Any, tmp_path: Path
) -> None:
    from tests.factories import PASSWORD
    from tests.vault.factories_vault import use_home

    use_home(settings, tmp_path)
    open_doc = make_document("open-letter.txt", [PAGE_1], Level.INTERNAL)
    sealed = make_document("sealed-letter.txt", [PAGE_1 + " "], Level.RESTRICTED)
    mentioning.scan_item(open_doc)
    mentioning.scan_item(sealed)
    for role, sees_sealed in (("reviewer", False), ("investigator", True)):
        client.login(username=users[role].username, password=PASSWORD)
        page = client.get(case["raisi"].get_absolute_url()).content.decode()
        assert "Mentioned in documents" in page and "open-letter.txt" in page
        assert ("sealed-letter.txt" in page) is sees_sealed
        doc = client.get(open_doc.get_absolute_url())
        assert doc.status_code == 200
        assert "Records it mentions" in doc.content.decode()
        assert case["raisi"].get_absolute_url() in doc.content.decode()
        client.logout()
    public = client.get(case["raisi"].get_absolute_url()).content.decode()
    assert "open-letter.txt" not in public


def _decisions(mention: Mention) -> list[tuple[str, str, str, str]]:
    return [
        (d.decision, d.username, d.record_uid, d.note)
        for d in MentionDecision.objects.filter(mention=mention).order_by("at", "id")
    ]


def test_decisions_are_kept_with_who_when_and_why(
    case: dict[str, Any], users: dict[str, Any]
) -> None:
    item = make_document("letter.txt", [PAGE_1, PAGE_2])
    mentioning.scan_item(item)
    raisi = Mention.objects.get(item=item, quote="Raisi")
    mentioning.reject(raisi, users["reviewer"], "another Raisi")
    mentioning.reject(raisi, users["reviewer"], "again")  # no change, no new decision
    mentioning.confirm(raisi, users["investigator"], "it is him after all")
    assert _decisions(raisi) == [
        ("reject", "test-reviewer", "person-raisi", "another Raisi"),
        ("confirm", "test-investigator", "person-raisi", "it is him after all"),
    ]
    candidate = Mention.objects.get(item=item, kind="candidate")
    person = mentioning.candidate_to_person(candidate, users["investigator"], "a new name")
    assert _decisions(candidate) == [("person", "test-investigator", person.uid, "a new name")]
    # rescanning keeps decided mentions and their history
    mentioning.scan_item(item)
    assert len(_decisions(Mention.objects.get(pk=raisi.pk))) == 2
    # append-only
    first = MentionDecision.objects.filter(mention=raisi).first()
    assert first is not None
    first.note = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        first.save()
    # a refused decision leaves no trace
    with pytest.raises(mentioning.MentionError, match="may not review"):
        mentioning.reject(raisi, None)
    assert MentionDecision.objects.count() == 3


def test_decide_on_the_document_page(case: dict[str, Any], users: dict[str, Any]) -> None:
    from django.test import Client

    item = make_document("letter.txt", [PAGE_1, PAGE_2])
    mentioning.scan_item(item)
    client = Client()
    client.force_login(users["reviewer"])
    page = client.get(f"/search/documents/{item.uid}/?page=1").content.decode()
    place = Mention.objects.get(item=item, page=1, quote="Gohardasht")
    candidate = Mention.objects.get(item=item, kind="candidate")
    assert f'id="mention-{place.pk}"' in page and 'value="confirm"' in page
    assert 'value="person"' not in page  # new person and alias are for investigators
    url = f"/search/mentions/{place.pk}/decide/"
    answer = client.post(url, {"decision": "confirm", "note": "the prison"})
    assert answer.status_code == 302 and answer["Location"].endswith("?page=1#mentions")
    place.refresh_from_db()
    assert place.status == "confirmed"
    page = client.get(f"/search/documents/{item.uid}/?page=1").content.decode()
    assert "confirm by test-reviewer" in page and "the prison" in page
    refused = client.post(f"/search/mentions/{candidate.pk}/decide/", {"decision": "person"})
    assert (
        refused.status_code == 400 and "may not change the case record" in refused.content.decode()
    )
    bad = client.post(url, {"decision": "delete"})
    assert bad.status_code == 400 and "Unknown decision" in bad.content.decode()
    assert client.post("/search/mentions/999999/decide/", {"decision": "reject"}).status_code == 404
    client.force_login(users["investigator"])
    assert 'value="person"' in client.get(f"/search/documents/{item.uid}/").content.decode()
    missing = client.post(f"/search/mentions/{candidate.pk}/decide/", {"decision": "alias"})
    assert missing.status_code == 400 and "Give the id of the person" in missing.content.decode()
    answer = client.post(
        f"/search/mentions/{candidate.pk}/decide/",
        {"decision": "alias", "person": "person:person-raisi", "note": "same man"},
    )
    assert answer.status_code == 302
    assert _decisions(candidate) == [("alias", "test-investigator", "person-raisi", "same man")]
    secret = make_document("secret.txt", [PAGE_1 + " "], Level.PROTECTED)
    mentioning.scan_item(secret)
    hidden = Mention.objects.filter(item=secret).first()
    assert hidden is not None
    assert (
        client.post(f"/search/mentions/{hidden.pk}/decide/", {"decision": "reject"}).status_code
        == 404
    )


def test_candidates_in_lines_that_mix_scripts() -> None:
    """A Persian name after Latin words on one line, and a Latin name after Persian words."""
    from dadkhah.search.mentions import candidates

    text = "Report by Asma Jahangir دربارهٔ محمد کریمی و Report of Daryush Kamrani"
    found = [f.quote for f in candidates(text)]
    assert found == ["Asma Jahangir", "محمد کریمی", "Daryush Kamrani"]
