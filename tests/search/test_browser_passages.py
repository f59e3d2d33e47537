"""Citing a passage in a real browser: an investigator opens a document in the viewer (the
PDF page's image beside its text), selects a passage, cites it as the source of a claim,
and sees the claim with its quote on the person's page, with a link back to the passage.
Screenshots go to test-artifacts/. Everything is synthetic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dadkhah.core.confidentiality import Level
from dadkhah.records.models import Citation
from dadkhah.vault.models import Page
from tests.browser import conftest as browser_fixtures
from tests.browser.waiting import wait_until
from tests.factories import PASSWORD, make_person, make_source, make_users
from tests.vault import documents
from tests.vault.factories_vault import make_item, use_home

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

browser = browser_fixtures.browser
page = browser_fixtures.page
shot = browser_fixtures.shot

LINES = ["Synthetic witness statement", "Daryush Kamrani was taken to Gohardasht in Mordad 1367"]
TEXT = "\n".join(LINES) + "\n"
QUOTE = "taken to Gohardasht in Mordad 1367"

# Select the words of the quote in the page's text, as a mouse would.
SELECT = """(quote) => {
  const box = document.getElementById("page-text");
  const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
  const nodes = [];
  let all = "";
  while (walker.nextNode()) { nodes.push([walker.currentNode, all.length]); all += walker.currentNode.data; }
  const at = all.indexOf(quote);
  const locate = (offset) => {
    for (const [node, start] of nodes) {
      if (offset <= start + node.data.length) return [node, offset - start];
    }
  };
  const range = document.createRange();
  range.setStart(...locate(at));
  range.setEnd(...locate(at + quote.length));
  const selection = document.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}"""


def log_in(page: Any, base: str, username: str) -> None:
    from tests.browser.login import log_in as two_factor_log_in

    two_factor_log_in(page, base, username, PASSWORD)


def test_select_a_passage_and_cite_it(live_server, page, shot, settings, tmp_path: Path) -> None:
    use_home(settings, tmp_path / "home")
    make_users()
    person = make_person("Daryush Kamrani", make_source(), uid="person-kamrani")
    item = make_item(
        documents.text_pdf([LINES]), "statement.pdf", mime="application/pdf", level=Level.INTERNAL
    )
    Page.objects.create(item=item, number=1, text=TEXT, method="text-layer", language="en")
    base = live_server.url
    log_in(page, base, "test-investigator")

    page.goto(f"{base}/search/documents/{item.uid}/?q=Gohardasht")
    image = page.get_by_role("img", name=f"Page 1 of {item.name}")
    image.wait_for()
    wait_until(page, "document.querySelector('.page-image img').naturalWidth > 0")
    assert page.locator("#page-text .hit").first.inner_text() == "Gohardasht"
    assert page.get_by_role("button", name="Cite as the source of a claim").is_disabled()

    page.evaluate(SELECT, QUOTE)
    page.get_by_label("Quote").wait_for()
    wait_until(page, "document.querySelector('#id_quote').value.length > 0")
    assert page.get_by_label("Quote").input_value() == QUOTE
    page.get_by_label("Record").fill("person:person-kamrani")
    page.get_by_label("Property").fill("name")
    page.get_by_label("Value").fill("Daryush Kamrani")
    page.get_by_label("Confidence").select_option("high")
    shot("search-01-select-passage")
    page.get_by_role("button", name="Cite as the source of a claim").click()

    page.wait_for_url(f"{base}{person.get_absolute_url()}#claim-*")
    citation = Citation.objects.get(source__uid=f"item-{item.uid}")
    start = TEXT.index(QUOTE)
    assert (citation.page, citation.paragraph, citation.quote) == (
        "1",
        f"chars {start}-{start + len(QUOTE)}",
        QUOTE,
    )
    claim = page.locator(f"#claim-{citation.claim.uid}")
    assert QUOTE in claim.locator("blockquote").inner_text()
    claim.scroll_into_view_if_needed()
    shot("search-02-claim-with-quote")

    claim.get_by_role("link", name="the passage in the document (p. 1)").click()
    page.wait_for_url("**#passage")
    assert page.locator("#passage").inner_text() == QUOTE
    assert page.locator("#page-text .passage").all_inner_texts() == [QUOTE]
    shot("search-03-back-to-the-passage")
