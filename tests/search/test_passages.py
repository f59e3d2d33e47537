"""Cited passages: a span of a vault page as the source of a claim, the document viewer,
and the record page's link back to the passage. Every name and document is synthetic."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from dadkhah.core.confidentiality import Level
from dadkhah.records.models import Citation, Claim
from dadkhah.search import passages
from dadkhah.search.viewer import segments
from dadkhah.vault.models import LedgerEntry
from tests.factories import make_person, make_source, make_users
from tests.search import make_document

pytestmark = pytest.mark.django_db

PAGE_1 = "Synthetic statement.\nDaryush Kamrani was taken to Gohardasht on 23 Mordad 1367.\n"
PAGE_2 = "گواهی ساختگی: داریوش کامرانی در ۲۳ مرداد ۱۳۶۷ به گوهردشت برده شد. 😀 پایان."


@pytest.fixture
def case(db: Any) -> dict[str, Any]:
    users = make_users()
    source = make_source()
    person = make_person("Daryush Kamrani", source, uid="person-kamrani")
    item = make_document("statement.txt", [PAGE_1, PAGE_2])
    return {"users": users, "person": person, "item": item, "source": source}


def _span(text: str, quote: str) -> tuple[int, int]:
    start = text.index(quote)
    return start, start + len(quote)


def test_check_passage_accepts_only_the_exact_text(case: dict[str, Any]) -> None:
    item = case["item"]
    start, end = _span(PAGE_1, "taken to Gohardasht")
    found = passages.check_passage(item, 1, start, end, "taken to Gohardasht")
    assert (found.page, found.start, found.end) == (1, start, end)
    with pytest.raises(passages.PassageError, match="not the text of the page"):
        passages.check_passage(item, 1, start, end, "taken to Evin prison")
    with pytest.raises(passages.PassageError, match="not within page 1"):
        passages.check_passage(item, 1, start, len(PAGE_1) + 5, "x")
    with pytest.raises(passages.PassageError, match="no page 9"):
        passages.check_passage(item, 9, 0, 3, "Syn")
    with pytest.raises(passages.PassageError, match="select a passage"):
        passages.check_passage(item, "one", 0, 3, "Syn")
    with pytest.raises(passages.PassageError, match="at most"):
        long_item = make_document("long.txt", ["a" * (passages.MAX_QUOTE + 10)])
        passages.check_passage(
            long_item, 1, 0, passages.MAX_QUOTE + 1, "a" * (passages.MAX_QUOTE + 1)
        )
    secret = make_document("secret.txt", [PAGE_1], Level.RESTRICTED, encrypted=True)
    with pytest.raises(passages.PassageError, match="encrypted"):
        passages.check_passage(secret, 1, start, end, "taken to Gohardasht")


def test_cite_passage_adds_a_claim_citing_the_document(case: dict[str, Any]) -> None:
    item, person, investigator = case["item"], case["person"], case["users"]["investigator"]
    quote = "۲۳ مرداد ۱۳۶۷"
    start, end = _span(PAGE_2, quote)
    passage = passages.check_passage(item, 2, start, end, quote)
    claim = passages.cite_passage(
        passage, person, "name", "داریوش کامرانی", user=investigator, confidence="high"
    )
    citation = Citation.objects.get(claim=claim)
    assert citation.source.uid == f"item-{item.uid}"
    assert (citation.page, citation.paragraph, citation.quote) == (
        "2",
        f"chars {start}-{end}",
        quote,
    )
    assert citation.confidence == "high"
    assert PAGE_2[start:end] == citation.quote
    # at least as confidential as the document (the person is public)
    assert claim.confidentiality == Level.INTERNAL
    assert passages.passage_of(citation) == passages.CitedPassage(item.uid, 2, start, end)
    # one Source per document
    again = passages.cite_passage(passage, person, "name", "Dariush Kamrani", user=investigator)
    assert Citation.objects.get(claim=again).source_id == citation.source_id


def test_cite_passage_refuses_reviewers_bad_values_and_hidden_records(
    case: dict[str, Any],
) -> None:
    item, person, users = case["item"], case["person"], case["users"]
    start, end = _span(PAGE_1, "Gohardasht")
    passage = passages.check_passage(item, 1, start, end, "Gohardasht")
    with pytest.raises(passages.PassageError, match="may not change"):
        passages.cite_passage(passage, person, "name", "X Y", user=users["reviewer"])
    with pytest.raises(passages.PassageError) as refused:
        passages.cite_passage(passage, person, "no_such_prop", "x", user=users["investigator"])
    assert refused.value.field == "prop"
    hidden = make_person("Synthetic Hidden", case["source"], Level.PROTECTED, uid="person-hidden")
    with pytest.raises(passages.PassageError, match="no record with id"):
        passages.find_record("person-hidden", Level.RESTRICTED)
    assert passages.find_record("person:person-hidden", Level.PROTECTED) == hidden
    with pytest.raises(passages.PassageError, match="no such document or record"):
        passages.cite_passage(passage, hidden, "name", "X Y", user=users["investigator"])
    assert not Claim.objects.filter(citations__source__uid=f"item-{item.uid}").exists()


def test_segments_cover_the_text_in_order_with_their_offsets() -> None:
    text = PAGE_1
    a = _span(text, "Daryush Kamrani")
    b = _span(text, "Kamrani was taken")
    cut = segments(text, [(*a, "mention", "a person"), (*b, "passage", ""), (5, 2, "bad", "")])
    assert "".join(s.text for s in cut) == text
    for s in cut:
        assert text[s.start : s.start + len(s.text)] == s.text
    both = [s for s in cut if s.text == "Kamrani"]
    assert both and both[0].classes == ["mention", "passage"] and both[0].anchor == "passage"
    assert not any("bad" in s.classes for s in cut)


def _login(client: Client, user: Any) -> None:
    client.force_login(user)


def test_viewer_shows_the_page_with_highlights_and_logs_the_read(case: dict[str, Any]) -> None:
    item, client = case["item"], Client()
    _login(client, case["users"]["investigator"])
    before = LedgerEntry.objects.filter(event="view").count()
    start, end = _span(PAGE_1, "taken to Gohardasht")
    answer = client.get(
        f"/search/documents/{item.uid}/", {"page": 1, "q": "Gohardasht", "start": start, "end": end}
    )
    assert answer.status_code == 200
    body = answer.content.decode()
    assert '<span data-o="0">Synthetic statement.' in body
    assert 'class="hit"' in body and 'class="passage"' in body and 'id="passage"' in body
    assert 'class="hit passage"' in body  # the hit inside the passage
    assert "Cite the selected passage" in body
    assert LedgerEntry.objects.filter(event="view").count() == before + 1
    # page 2, and a page that does not exist
    assert "۲۳ مرداد ۱۳۶۷" in client.get(f"/search/documents/{item.uid}/?page=2").content.decode()
    assert "has no page 7" in client.get(f"/search/documents/{item.uid}/?page=7").content.decode()
    assert client.get(f"/search/documents/{item.uid}/?page=x&start=a&end=").status_code == 200


def test_viewer_respects_roles_and_clearance(case: dict[str, Any]) -> None:
    users, client = case["users"], Client()
    url = f"/search/documents/{case['item'].uid}/"
    assert client.get(url).status_code == 302  # to the login page
    _login(client, users["reviewer"])
    answer = client.get(url)
    assert answer.status_code == 200 and "Cite the selected passage" not in answer.content.decode()
    assert client.post(f"{url}cite/", {}).status_code == 403
    restricted = make_document("restricted.txt", ["Synthetic restricted page."], Level.RESTRICTED)
    assert client.get(f"/search/documents/{restricted.uid}/").status_code == 404
    _login(client, users["investigator"])
    assert client.get(f"/search/documents/{restricted.uid}/").status_code == 200
    protected = make_document("protected.txt", ["Synthetic protected page."], Level.PROTECTED)
    assert client.get(f"/search/documents/{protected.uid}/").status_code == 404
    assert client.post(f"/search/documents/{protected.uid}/cite/", {}).status_code == 404


def test_cite_through_the_form_and_see_the_quote_on_the_record_page(
    case: dict[str, Any],
) -> None:
    item, person, client = case["item"], case["person"], Client()
    _login(client, case["users"]["investigator"])
    quote = "داریوش کامرانی"
    start, end = _span(PAGE_2, quote)
    form = {
        "page": 2,
        "start": start,
        "end": end,
        "quote": quote,
        "record": f"person:{person.uid}",
        "prop": "name",
        "value": quote,
        "confidence": "high",
    }
    wrong = client.post(f"/search/documents/{item.uid}/cite/", {**form, "quote": "داریوش"})
    assert wrong.status_code == 400
    assert "not the text of the page" in wrong.content.decode()
    missing = client.post(f"/search/documents/{item.uid}/cite/", {**form, "record": "nobody"})
    assert missing.status_code == 400 and "no record with id" in missing.content.decode()
    answer = client.post(f"/search/documents/{item.uid}/cite/", form)
    assert answer.status_code == 302
    claim = Claim.objects.get(citations__source__uid=f"item-{item.uid}")
    assert answer["Location"] == f"{person.get_absolute_url()}#claim-{claim.uid}"
    page = client.get(person.get_absolute_url()).content.decode()
    assert quote in page
    link = f"/search/documents/{item.uid}/?page=2&amp;start={start}&amp;end={end}#passage"
    assert link in page
    # the public sees neither the internal claim nor the link
    public = Client().get(person.get_absolute_url()).content.decode()
    assert "/search/documents/" not in public


def test_offsets_after_characters_outside_the_bmp(case: dict[str, Any]) -> None:
    """Offsets count code points, as Python does; an emoji before the quote is one."""
    item = case["item"]
    quote = "پایان"
    start, end = _span(PAGE_2, quote)
    assert passages.check_passage(item, 2, start, end, quote).quote == quote
    with pytest.raises(passages.PassageError):  # UTF-16 offsets would be one further
        passages.check_passage(item, 2, start + 1, end + 1, quote)


def test_page_images(case: dict[str, Any], settings: Any, tmp_path: Any) -> None:
    from tests.vault import documents
    from tests.vault.factories_vault import make_item, use_home

    use_home(settings, tmp_path / "home")
    client = Client()
    _login(client, case["users"]["reviewer"])
    pdf = make_item(
        documents.text_pdf([["Synthetic page one"], ["Synthetic page two"]]),
        "two.pdf",
        mime="application/pdf",
    )
    answer = client.get(f"/search/documents/{pdf.uid}/pages/2/image/")
    assert answer.status_code == 200 and answer["Content-Type"] == "image/png"
    assert answer.content.startswith(b"\x89PNG") and answer["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/search/documents/{pdf.uid}/pages/3/image/").status_code == 404
    text = case["item"]  # no file behind it, and not an image: no page image
    assert client.get(f"/search/documents/{text.uid}/pages/1/image/").status_code == 404
    broken = make_item(b"%PDF-1.4 not really", "broken.pdf", mime="application/pdf")
    assert client.get(f"/search/documents/{broken.uid}/pages/1/image/").status_code == 404


def test_a_page_found_by_search_opens_in_the_viewer_with_its_words_marked(
    case: dict[str, Any],
) -> None:
    from dadkhah.search import services
    from dadkhah.search.indexing import index_item

    item = case["item"]
    index_item(item)
    results = services.search("Gohardasht", Level.INTERNAL)
    group = next(g for g in results.groups if g.kind == "item")
    assert group.url == f"/vault/items/{item.uid}/"
    assert group.hits[0].url == f"/search/documents/{item.uid}/?page=1&q=Gohardasht"
    client = Client()
    _login(client, case["users"]["reviewer"])
    body = client.get(group.hits[0].url).content.decode()
    at = PAGE_1.index("Gohardasht")
    assert f'<span data-o="{at}" class="hit" title="matches the search">Gohardasht</span>' in body
