"""The linkage app in a real browser: an investigator imports four tiny lists (upload,
column mapping, provenance), runs linkage, reviews the uncertain pairs and makes people.
Screenshots go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dadkhah.linkage.models import Judgement, LinkageRun
from dadkhah.records.models import Person
from tests.browser import conftest as browser_fixtures
from tests.factories import make_users
from tests.linkage.test_services import LISTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# the fixtures of tests/browser (chromium through Playwright) and of the service tests
browser = browser_fixtures.browser
page = browser_fixtures.page
shot = browser_fixtures.shot


@pytest.fixture
def immediate() -> Any:
    from huey.contrib.djhuey import HUEY

    before = HUEY.immediate
    HUEY.immediate = True
    try:
        yield HUEY
    finally:
        HUEY.immediate = before


def log_in(page: Any, base: str, username: str) -> None:
    from tests.browser.login import log_in as two_factor_log_in

    two_factor_log_in(page, base, username)


def test_import_four_lists_run_review_and_make_people(
    live_server, page, shot, home, immediate, tmp_path: Path
):
    make_users()
    base = live_server.url
    log_in(page, base, "test-investigator")
    for name, text in LISTS.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        page.get_by_role("link", name="Linkage", exact=True).click()
        page.get_by_role("link", name="Import a list").click()
        page.get_by_label("List file").set_input_files(str(path))
        page.get_by_role("button", name="Upload and preview").click()
        page.wait_for_url("**/map/")
        assert page.locator("#encoding").inner_text() == "utf-8"
        if name == "list-b.csv":
            assert page.get_by_label("Full name").input_value() == "name"  # guessed
            shot("linkage-01-map")
        page.get_by_role("button", name="Next: where the list came from").click()
        page.wait_for_url("**/provenance/")
        page.get_by_label("Name of the list").fill(f"List {name[5].upper()}")
        page.get_by_label("Compiled by").fill("A synthetic compiler")
        page.get_by_label("When").fill("1369")
        page.get_by_label("How").fill("Synthetic, for tests")
        page.get_by_role("button", name="Import").click()
        page.get_by_role("status").filter(has_text="records imported").wait_for()

    page.get_by_role("link", name="Linkage", exact=True).click()
    page.get_by_role("link", name="Run linkage").click()
    # the tests run tasks at once, so the whole run happens inside this request
    page.get_by_role("button", name="Start the run").click(timeout=120_000)
    page.locator("#run-state", has_text="done").wait_for(timeout=120_000)
    run = LinkageRun.objects.get()
    assert run.status == "done" and run.records == 21

    page.get_by_role("link", name="Review uncertain pairs").click()
    page.wait_for_url("**/review/")
    shot("linkage-02-review")
    judged = 0
    while page.locator("#pair").count():
        probability = float(page.locator(".prob").inner_text())
        assert page.locator(".weights li").count() >= 6  # a bar per comparison
        button = "Same person" if probability >= 0.7 else "Different people"
        page.get_by_role("button", name=button).click()
        page.wait_for_load_state()
        judged += 1
        assert judged < 50
    assert judged > 0 and Judgement.objects.count() == judged
    page.get_by_role("link", name="Make the people").click()
    page.get_by_role("button", name="Create or update people").click()
    result = page.locator("#people-result")
    result.wait_for()
    assert "created" in result.inner_text()
    shot("linkage-03-people")
    people = Person.objects.count()
    assert 0 < people < 21  # linked records became one person each
    page.get_by_role("button", name="Create or update people").click()
    page.locator("#people-result").wait_for()
    assert Person.objects.count() == people  # again: the same people, none duplicated
