"""The core staff flow in a real browser: source, person, event, then a reviewer's dispute.

Screenshots of each step go to test-artifacts/ for a person to look at.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.login import log_in as two_factor_log_in
from tests.factories import PASSWORD, make_users

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PERSIAN = "رضا ساختگی"
LATIN = "Reza Sakhtegi"


def log_in(page: Any, base: str, username: str, shot: Any = None) -> None:
    two_factor_log_in(page, base, username, PASSWORD, shot=shot)


def test_investigator_enters_a_case_and_a_reviewer_disputes_it(live_server, page, shot):
    make_users()
    base = live_server.url
    log_in(page, base, "test-investigator", shot)

    # A source.
    page.goto(f"{base}/records/source/new/")
    page.get_by_label("Kind of source").select_option("testimony")
    page.get_by_label("Title").fill("Synthetic testimony of a former prisoner")
    page.get_by_label("Full citation").fill("Synthetic testimony, recorded for the browser test.")
    page.get_by_label("Reliability").select_option("B")
    page.get_by_label("Published").fill("Aban 1390")
    page.get_by_label("Confidentiality").select_option(label="Public")
    page.get_by_label("Synthetic (invented for a demo or test)").check()
    shot("01-source-form")
    page.get_by_role("button", name="Save the source").click()
    page.wait_for_url(f"{base}/records/source/*/")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "Synthetic testimony of a former prisoner"
    )
    source_uid = page.url.rstrip("/").rsplit("/", 1)[-1]

    # A person with a Persian and a Latin name, through the quick form.
    page.goto(f"{base}/records/person/new/")
    page.locator("#id_names-0-text").fill(PERSIAN)
    page.locator("#id_names-1-text").fill(LATIN)
    page.get_by_label("Father's name").fill("Ali")
    page.get_by_label("Gender").select_option("male")
    page.get_by_label("Date of birth").fill("1340")
    page.get_by_label("Source", exact=True).select_option(source_uid)
    page.get_by_label("Page").fill("5")
    page.get_by_label("Quote").fill("رضا ساختگی، فرزند علی، متولد ۱۳۴۰")
    page.get_by_label("Confidence").select_option("high")
    page.get_by_label("Confidentiality").select_option(label="Public")
    page.get_by_label("Synthetic (invented for a demo or test, not a real record)").check()
    page.get_by_label("Reason for the change").fill("entered from the synthetic testimony")
    shot("02-person-form")
    page.get_by_role("button", name="Save the person").click()
    page.wait_for_url(f"{base}/records/person/*/")
    person_url = page.url
    person_uid = person_url.rstrip("/").rsplit("/", 1)[-1]
    assert page.get_by_role("heading", level=1).inner_text() == LATIN
    label_fa = page.locator(".label-fa [lang=fa]")
    assert label_fa.inner_text() == PERSIAN
    assert label_fa.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert "1340 (21 March 1961 – 20 March 1962)" in page.locator("#claims").inner_text()

    # Inline claim (htmx): the value input follows the property.
    page.locator("#add-claim summary").click()
    page.get_by_label("Property").select_option("affiliation")
    page.locator("#value-field select").wait_for()
    page.locator("#value-field select").select_option("tudeh")
    page.locator("#add-claim").get_by_label("Source", exact=True).select_option(source_uid)
    page.locator("#add-claim").get_by_role("button", name="Add the claim").click()
    page.locator("#prop-affiliation").wait_for()
    assert page.url == person_url  # swapped in place, no reload
    assert "Tudeh Party of Iran" in page.locator("#claims").inner_text()

    # An event with that person as victim.
    page.goto(f"{base}/records/event/new/")
    page.get_by_label("Kind of event").select_option("execution")
    page.get_by_label("Date", exact=True).fill("Mordad 1367")
    page.locator("#id_participants-0-person").select_option(person_uid)
    page.locator("#id_participants-0-role").select_option("victim")
    page.get_by_label("Source", exact=True).select_option(source_uid)
    page.get_by_label("Confidentiality").select_option(label="Public")
    page.get_by_label("Synthetic (invented for a demo or test, not a real record)").check()
    shot("03-event-form")
    page.get_by_role("button", name="Save the event").click()
    page.wait_for_url(f"{base}/records/event/*/")
    event_url = page.url
    assert "Mordad 1367 (23 July – 22 August 1988)" in page.locator("#claims").inner_text()
    assert LATIN in page.locator(".record-side").inner_text()
    shot("04-event-page")

    # The person page shows both names and the event.
    page.goto(person_url)
    claims_text = page.locator("#prop-name").locator("..").inner_text()
    assert PERSIAN in claims_text and LATIN in claims_text
    side = page.locator(".record-side")
    assert side.get_by_role("link", name="Execution").get_attribute("href") in event_url
    assert "Victim" in side.inner_text()
    assert page.get_by_text("SYNTHETIC — invented for the demo, not a real person").is_visible()
    shot("05-person-page")

    # A reviewer disputes the Latin name, with a reason, and finds it in the history.
    page.get_by_role("button", name="Log out").click()
    log_in(page, base, "test-reviewer")
    page.goto(person_url)
    claim = page.locator("article.claim", has_text=LATIN)
    claim.get_by_text("Accept, dispute or reject").click()
    claim.get_by_label("New status").select_option("disputed")
    claim.get_by_label("Reason").fill("the Latin spelling is not in the source")
    claim.get_by_role("button", name="Change the status").click()
    page.locator("article.claim.status-disputed", has_text=LATIN).wait_for()
    shot("06-disputed")
    page.get_by_role("link", name="History of this record").click()
    page.wait_for_url(f"{person_url}history/")
    first = page.locator(".history-entry").first
    assert "the Latin spelling is not in the source" in first.inner_text()
    assert "test-reviewer" in first.inner_text()
    assert "disputed" in first.locator("table").inner_text()
    assert "test-investigator" in page.locator(".history").inner_text()
    shot("07-history")

    # What a visitor sees: the public record, on a wide and on a narrow screen.
    page.get_by_role("button", name="Log out").click()
    page.goto(f"{base}/")
    assert "Recent changes" not in page.content()
    shot("08-home-public")
    page.goto(f"{base}/records/?kind=person")
    assert page.locator("#results").get_by_text(LATIN).is_visible()
    shot("09-list-public")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(person_url)
    assert "Accept, dispute or reject" not in page.content()
    shot("10-person-public-narrow")


def test_core_flow_works_without_javascript(live_server, browser, shot):
    """htmx only enhances: with scripts off, the forms still post and redirect."""
    make_users()
    base = live_server.url
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        log_in(page, base, "test-investigator")
        page.goto(f"{base}/records/source/new/")
        page.get_by_label("Title").fill("Synthetic list without scripts")
        page.get_by_label("Full citation").fill("Synthetic list, for the no-script test.")
        page.get_by_role("button", name="Save the source").click()
        source_uid = page.url.rstrip("/").rsplit("/", 1)[-1]

        page.goto(f"{base}/records/person/new/")
        page.locator("#id_names-0-text").fill(PERSIAN)
        page.get_by_role("button", name="Add another name").click()
        page.locator("#id_names-2-text").fill("Reza S.")
        assert page.locator("#id_names-0-text").input_value() == PERSIAN
        page.get_by_label("Date of birth").fill("1367/07/31")
        page.get_by_label("Source", exact=True).select_option(source_uid)
        page.get_by_role("button", name="Save the person").click()
        error = page.locator("#field-birth_date .errorlist")
        assert "Mehr has 30 days" in error.inner_text()
        shot("11-nojs-date-error", page)
        page.get_by_label("Date of birth").fill("1367/07/30")
        page.get_by_role("button", name="Save the person").click()
        page.wait_for_url(f"{base}/records/person/*/")
        names = page.locator("#prop-name").locator("..").inner_text()
        assert PERSIAN in names and "Reza S." in names
        assert "30 Mehr 1367 (22 October 1988)" in page.locator("#claims").inner_text()
        shot("12-nojs-person", page)
    finally:
        context.close()
