"""The campaign in a real browser, as in the demo: sign, read the email, confirm, see the count.

The visitor signs the demo petition in chromium (the page solves the proof of work), finds
the confirmation email in the local mailbox — sent for real over SMTP by the task, to the
loopback sink — clicks its link, confirms, and sees the count go from 0 to 1 on the
campaign page. Screenshots go to test-artifacts/campaign-*.png for a person to look at.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.waiting import wait_until
from tests.ports import free_port

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "Browser.Signer+demo@Example.org"


@pytest.fixture
def demo(live_server: Any, home: Path, settings: Any) -> Iterator[str]:
    """The demo's campaigns behind the live server, its email going to the local sink as in
    `dadkhah demo`, and the task queue running each task at once."""
    from huey.contrib.djhuey import HUEY

    from dadkhah.campaign import mailsink
    from dadkhah.campaign.demo import ensure_demo_campaigns

    ensure_demo_campaigns()
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.CONFIG = dataclasses.replace(settings.CONFIG, site_url=live_server.url, smtp_url="")
    before = HUEY.immediate
    HUEY.immediate = True
    try:
        with mailsink.running(mailsink.mail_dir(home), port):
            yield live_server.url
    finally:
        HUEY.immediate = before


def _signed(page: Any) -> int:
    return int(page.locator(".count .signed strong").inner_text().strip().replace(",", ""))


def test_a_visitor_signs_confirms_by_the_emailed_link_and_sees_the_count_rise(
    demo: str, page: Any, shot: Any, offline: list[str]
) -> None:
    from dadkhah.campaign import tally
    from dadkhah.campaign.demo import PETITION_SLUG
    from dadkhah.campaign.models import Signature

    campaign_url = f"{demo}/en/campaigns/{PETITION_SLUG}/"
    page.goto(campaign_url)
    assert _signed(page) == 0
    page.locator(".sign-action a").click()
    page.wait_for_url(f"{campaign_url}sign/")
    page.get_by_label("Your name").first.fill("Browser Signer (synthetic)")
    page.get_by_label("Your email").fill(EMAIL)
    page.get_by_label("Country").select_option("NL")
    page.get_by_label("I agree to how my signature is used").check()
    # The page's script finds the proof-of-work answer with the browser's Web Crypto.
    wait_until(page, "document.getElementById('id_pow').value.length > 0", timeout_ms=60_000)
    page.get_by_role("button", name="Sign", exact=True).click()
    page.wait_for_url(f"{campaign_url}thanks/")
    assert page.locator("h1").inner_text() == "Check your email"

    # The email went out over SMTP to the loopback sink; the demo's mailbox shows it.
    page.goto(f"{demo}/campaigns/mailbox/")
    assert "these messages never left this machine" in page.locator("main").inner_text()
    mail = page.locator("article.mail").first
    assert (
        mail.locator(".mail-subject")
        .inner_text()
        .startswith("[Synthetic] Confirm your signature: Call for an independent international")
    )
    assert EMAIL in mail.locator(".mail-headers").inner_text()
    link = mail.locator(".mail-body a[href*='/en/campaigns/confirm/']")
    assert link.count() == 1
    shot("campaign-mailbox-en")
    link.click()
    page.wait_for_url(re.compile(r".*/en/campaigns/confirm/[\w-]+/$"))
    assert Signature.objects.get().state == Signature.State.PENDING  # opening is not confirming
    page.get_by_role("button", name="Confirm my signature").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Signature confirmed"
    assert Signature.objects.get().state == Signature.State.VALIDATED

    # The batch counts it; the cached campaign page shows it within its freshness window.
    assert tally.run() == 1
    deadline = time.monotonic() + 60
    page.goto(campaign_url)
    while _signed(page) != 1 and time.monotonic() < deadline:
        time.sleep(1)
        page.goto(campaign_url)
    assert _signed(page) == 1
    shot("campaign-count-en")
    assert offline == []
