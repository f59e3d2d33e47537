"""The evidence vault in a real browser: an investigator drops two files on the upload page,
watches them reach 100 %, opens one, and sees its text arrive (htmx polling while the
extraction runs) with the proof of its ingest. Screenshots go to test-artifacts/."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from dadkhah.vault import tasks
from dadkhah.vault.models import Item
from tests.browser.login import log_in as two_factor_log_in
from tests.conftest import require_tool
from tests.factories import PASSWORD, make_users
from tests.vault import documents
from tests.vault.factories_vault import use_home

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DROP = """(files) => {
  const transfer = new DataTransfer();
  for (const file of files) {
    const bytes = Uint8Array.from(atob(file.data), (c) => c.charCodeAt(0));
    transfer.items.add(new File([bytes], file.name, { type: file.type }));
  }
  return transfer;
}"""


def log_in(page: Any, base: str, username: str) -> None:
    two_factor_log_in(page, base, username, PASSWORD)


def test_investigator_drops_files_and_reads_the_extracted_text(
    live_server, page, shot, settings, tmp_path: Path
):
    require_tool("tesseract")
    use_home(settings, tmp_path / "home")
    make_users()
    base = live_server.url
    log_in(page, base, "test-investigator")

    page.get_by_role("link", name="Vault").click()
    page.wait_for_url(f"{base}/vault/")
    page.get_by_role("link", name="Upload evidence").click()
    page.get_by_label("Source").fill("A synthetic family archive")
    page.get_by_label("Consent").fill("Given for the case file; synthetic test data")
    assert not page.get_by_role("button", name="Upload").is_visible()  # the script sends

    scan = documents.scanned_pdf([documents.text_image(documents.PERSIAN_LINES, persian=True)])
    files = [
        {"name": "scan.pdf", "type": "application/pdf", "data": scan},
        {"name": "نامه.docx", "type": "", "data": documents.docx_bytes()},
    ]
    transfer = page.evaluate_handle(
        DROP, [{**f, "data": base64.b64encode(f["data"]).decode()} for f in files]
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})

    rows = page.locator("#uploads > li")
    page.locator("#uploads > li.done").nth(1).wait_for()
    assert rows.count() == 2
    for index in range(2):
        row = rows.nth(index)
        assert row.locator("progress").evaluate("p => p.value") == 100
        assert row.locator(".percent").inner_text() == "100%"
        assert row.locator(".state").inner_text() == "Preserved"
    assert rows.nth(1).locator(".name").inner_text() == "نامه.docx"
    shot("vault-01-upload")

    # The extraction has not run yet (no consumer in this test): the page polls.
    rows.nth(0).get_by_role("link", name="scan.pdf").click()
    page.wait_for_url(f"{base}/vault/items/*/")
    assert page.get_by_role("heading", level=1).inner_text() == "scan.pdf"
    status = page.locator("#extraction .extraction-status")
    assert "pending" in status.inner_text()
    shot("vault-02-item-pending")

    item = Item.objects.get(name="scan.pdf")
    Item.objects.filter(pk=item.pk).update(extraction_status="running", extraction_progress=45)
    page.locator("#extraction .percent", has_text="45%").wait_for()
    assert page.locator("#extraction progress").evaluate("p => p.value") == 45
    shot("vault-03-item-running")
    assert tasks.run_extraction(item.pk) == "done"
    page.locator("#extraction .page-text").wait_for()
    text = documents.normalise(page.locator("#extraction .page-text").inner_text())
    assert "زندان اوین در تابستان" in text and "کمیسیون مرگ" in text
    assert "extracted" in status.inner_text()
    assert page.locator("#extraction .page-text .text").get_attribute("lang") == "fa"

    proof = page.locator("#proof")
    assert "inclusion proof verified" in proof.inner_text()
    assert "checkpoint signature valid" in proof.inner_text()
    custody = page.locator("table.custody").inner_text()
    assert "ingest" in custody and "view" in custody and "test-investigator" in custody
    page.reload()  # now with the thumbnail of the first page
    page.locator(".preview img").wait_for()
    assert page.locator(".preview img").evaluate("img => img.naturalWidth") > 100
    shot("vault-04-item-done")

    page.goto(f"{base}/vault/")
    assert page.locator("table.vault-items tbody tr").count() == 2
    shot("vault-05-list")
