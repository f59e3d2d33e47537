"""The campaign's public pages in English and Persian: list, campaign page, sign, thanks
and confirm; CSRF, proof of work and escaping. Every campaign and signer is synthetic."""

from __future__ import annotations

import dataclasses
import html
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client, TestCase
from django.utils import timezone, translation

from dadkhah.campaign import signing, tally
from dadkhah.campaign.models import Campaign, Delivery, Signature
from dadkhah.core.pow import Challenge, solve
from tests.campaign.conftest import make_campaign

TOKEN_IN_LINK = re.compile(r"/campaigns/confirm/([A-Za-z0-9_-]{20,})/")
INJECTED = "<script>alert(1)</script>"
SAFE = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture(autouse=True)
def queue(home: Any, settings: Any) -> Any:
    """Tasks at once, email into the outbox, an easy proof of work, keys in a fresh home."""
    from huey.contrib.djhuey import HUEY

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CONFIG = dataclasses.replace(settings.CONFIG, pow_max_number=2000)
    before = HUEY.immediate
    HUEY.immediate = True
    with translation.override("en"):  # whatever an earlier request left active
        yield HUEY
    HUEY.immediate = before


def pow_answer(page: str) -> str:
    """Solve the challenge the page carries, as the browser's script would."""
    raw = re.search(r'data-pow-challenge="([^"]+)"', page)
    assert raw is not None, "the sign page carries no proof-of-work challenge"
    values = json.loads(html.unescape(raw.group(1)))
    challenge = Challenge(
        values["algorithm"],
        values["challenge"],
        values["maxnumber"],
        values["salt"],
        values["signature"],
    )
    solution = solve(challenge)
    assert solution is not None
    return solution.payload()


def form(**fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "Dara Example (synthetic)",
        "email": "dara@example.org",
        "country": "DE",
        "city": "Berlin",
        "visibility": "public",
        "consent": "on",
    }
    values.update(fields)
    return {k: v for k, v in values.items() if v is not None}


def sign(client: Client, campaign: Campaign, lang: str = "en", **fields: Any) -> Any:
    page = client.get(f"/{lang}/campaigns/{campaign.slug}/sign/")
    assert page.status_code == 200
    # what the view leaves for the commit (the email) runs as a commit would
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            f"/{lang}/campaigns/{campaign.slug}/sign/",
            {**form(**fields), "pow": pow_answer(page.content.decode())},
        )


def last_token() -> str:
    found = [t for m in mail.outbox for t in TOKEN_IN_LINK.findall(m.body)]
    assert found, "no confirmation link was emailed"
    return found[-1]


def no_inline_script(page: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "inline <script> block"
    assert not re.search(r"\son[a-z]+\s*=", page), "on*= event attribute"
    assert "javascript:" not in page


# ------------------------------------------------------------------ list and detail


@pytest.mark.parametrize(
    ("lang", "words", "direction"),
    [("en", ["Campaigns", "Archive"], "ltr"), ("fa", ["کارزارها", "بایگانی"], "rtl")],
)
def test_list_shows_published_and_closed_campaigns(
    client: Client, db: Any, lang: str, words: list[str], direction: str
) -> None:
    make_campaign("open-one")
    make_campaign("closed-one", state=Campaign.State.CLOSED)
    make_campaign("draft-one", state=Campaign.State.DRAFT)
    make_campaign("rejected-one", state=Campaign.State.REJECTED)
    response = client.get(f"/{lang}/campaigns/")
    page = response.content.decode()
    assert response.status_code == 200
    assert f'dir="{direction}"' in page
    for word in words:
        assert word in page
    assert "/campaigns/open-one/" in page and "/campaigns/closed-one/" in page
    assert "draft-one" not in page and "rejected-one" not in page
    assert page.index("/campaigns/open-one/") < page.index("/campaigns/closed-one/")
    no_inline_script(page)


@pytest.mark.parametrize(
    ("lang", "title", "target", "count_word"),
    [
        ("en", "Test petition (synthetic)", "UN High Commissioner for Human Rights", "signed"),
        ("fa", "دادخواست آزمایشی (ساختگی)", "کمیسر عالی حقوق بشر سازمان ملل", "امضا"),
    ],
)
def test_campaign_page(
    client: Client, open_campaign: Campaign, lang: str, title: str, target: str, count_word: str
) -> None:
    response = client.get(f"/{lang}/campaigns/{open_campaign.slug}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert title in page and target in page and count_word in page
    assert f"/{lang}/campaigns/{open_campaign.slug}/sign/" in page
    assert "<form" not in page  # cached: no form, no CSRF token
    assert "csrfmiddlewaretoken" not in page
    assert "Synthetic" in page
    assert "public" in response["Cache-Control"] and "stale-if-error" in response["Cache-Control"]
    no_inline_script(page)


def test_missing_translation_is_marked(client: Client, open_campaign: Campaign) -> None:
    open_campaign.texts.filter(language="fa").delete()
    page = client.get(f"/fa/campaigns/{open_campaign.slug}/").content.decode()
    assert "Test petition (synthetic)" in page
    assert 'lang="en"' in page
    assert "ترجمه" in page  # "not yet translated"


@pytest.mark.parametrize("state", [Campaign.State.DRAFT, Campaign.State.IN_REVIEW])
def test_unpublished_campaigns_are_not_found(client: Client, db: Any, state: str) -> None:
    campaign = make_campaign(state=state)
    for path in ("", "sign/", "thanks/"):
        assert client.get(f"/en/campaigns/{campaign.slug}/{path}").status_code == 404


def test_closed_campaign_is_an_archive_with_its_deliveries(
    client: Client, users: Any, db: Any
) -> None:
    campaign = make_campaign("closed-one", state=Campaign.State.CLOSED)
    Delivery.objects.create(
        campaign=campaign,
        recipient="Office of the High Commissioner (synthetic)",
        delivered_at=timezone.now() - timedelta(days=3),
        method="By email",
        reference="SYN/2026/1",
        response="Acknowledged receipt (synthetic).",
        recorded_by=users["administrator"],
    )
    page = client.get("/en/campaigns/closed-one/").content.decode()
    assert "Archive" in page and "closed" in page
    assert "Office of the High Commissioner (synthetic)" in page
    assert "By email" in page and "SYN/2026/1" in page and "Acknowledged receipt" in page
    assert "/en/campaigns/closed-one/sign/" not in page
    sign_page = client.get("/en/campaigns/closed-one/sign/")
    assert sign_page.status_code == 200
    assert "no longer accepts signatures" in sign_page.content.decode()
    assert "<form" not in sign_page.content.decode()
    post = client.post("/en/campaigns/closed-one/sign/", form())
    assert post.status_code == 400
    assert "no longer accepts signatures" in post.content.decode()
    assert Signature.objects.count() == 0


# ------------------------------------------------------------------ sign and confirm


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_sign_confirm_and_count(client: Client, open_campaign: Campaign, lang: str) -> None:
    page = client.get(f"/{lang}/campaigns/{open_campaign.slug}/sign/")
    text = page.content.decode()
    assert page["Cache-Control"] == "no-store"
    assert "csrfmiddlewaretoken" in text and "memorial/pow" in text
    assert "/campaigns/pow-challenge.json" in text
    no_inline_script(text)
    response = sign(client, open_campaign, lang)
    assert response.status_code == 303
    assert response["Location"] == f"/{lang}/campaigns/{open_campaign.slug}/thanks/"
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    row = Signature.objects.get()
    assert row.state == Signature.State.PENDING and row.language == lang
    token = last_token()
    assert f"/{lang}/campaigns/confirm/{token}/" in mail.outbox[-1].body

    confirm_page = client.get(f"/{lang}/campaigns/confirm/{token}/")
    assert confirm_page.status_code == 200
    assert confirm_page["Referrer-Policy"] == "strict-origin"
    assert "<form" in confirm_page.content.decode()
    row.refresh_from_db()
    assert row.state == Signature.State.PENDING  # a GET never confirms

    done = client.post(f"/{lang}/campaigns/confirm/{token}/")
    assert done.status_code == 200
    assert "outcome-confirmed" in done.content.decode()
    row.refresh_from_db()
    assert row.state == Signature.State.VALIDATED
    again = client.post(f"/{lang}/campaigns/confirm/{token}/")
    assert "outcome-already" in again.content.decode()

    tally.run()
    detail = client.get(f"/{lang}/campaigns/{open_campaign.slug}/?fresh").content.decode()
    assert "Dara Example (synthetic)" in detail  # visibility=public
    assert (">۱<" if lang == "fa" else ">1<") in detail


@pytest.mark.parametrize(
    ("lang", "opened", "closes"),
    [
        ("en", "21 November 2026", "21 December 2026"),
        ("fa", "۳۰ آبان ۱۴۰۵", "۳۰ آذر ۱۴۰۵"),  # Solar Hijri, Persian digits
    ],
)
def test_dates_are_in_the_readers_calendar(
    client: Client, db: Any, lang: str, opened: str, closes: str
) -> None:
    campaign = make_campaign(
        "dated",
        opens_at=datetime(2026, 11, 21, 9, tzinfo=UTC),
        closes_at=datetime(2026, 12, 21, 9, tzinfo=UTC),
    )
    page = client.get(f"/{lang}/campaigns/{campaign.slug}/").content.decode()
    assert f'<time datetime="2026-11-21T09:00:00+00:00">{opened}</time>' in page
    assert f'<time datetime="2026-12-21T09:00:00+00:00">{closes}</time>' in page
    if lang == "fa":
        assert "November" not in page and "نوامبر" not in page


def test_duplicate_and_new_look_the_same(client: Client, open_campaign: Campaign) -> None:
    first = sign(client, open_campaign)
    second = sign(client, open_campaign, email="DARA+again@Example.org", name="Someone Else")
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert Signature.objects.count() == 1
    assert len(mail.outbox) == 1  # one link: a second one at most every 10 minutes


def test_field_errors_re_render_the_form(client: Client, open_campaign: Campaign) -> None:
    response = sign(
        client, open_campaign, name="x" * 10_240, email="not-an-email", country="QQ", consent=None
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Name: at most 200 characters" in page
    assert "Email: this is not an email address" in page
    assert "Country: choose a country from the list." in page
    assert "Consent: tick the box" in page
    assert Signature.objects.count() == 0
    fa = client.post(f"/fa/campaigns/{open_campaign.slug}/sign/", form(email=""))
    assert fa.status_code == 400
    assert "ایمیل" in fa.content.decode()


def test_missing_proof_of_work_stores_nothing(client: Client, open_campaign: Campaign) -> None:
    response = client.post(f"/en/campaigns/{open_campaign.slug}/sign/", form())
    assert response.status_code == 400
    assert "automatic check did not run" in response.content.decode()
    assert Signature.objects.count() == 0


def test_missing_csrf_is_refused_and_stores_nothing(open_campaign: Campaign) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/en/campaigns/{open_campaign.slug}/sign/").content.decode()
    response = client.post(
        f"/en/campaigns/{open_campaign.slug}/sign/", {**form(), "pow": pow_answer(page)}
    )
    assert response.status_code == 403
    assert "CSRF verification failed" in response.content.decode()
    assert Signature.objects.count() == 0
    submit = Client(enforce_csrf_checks=True)
    assert submit.post(f"/en/campaigns/confirm/{'x' * 43}/").status_code == 403


def test_expired_and_unknown_links(client: Client, open_campaign: Campaign) -> None:
    sign(client, open_campaign)
    token = last_token()
    Signature.objects.update(token_expires_at=timezone.now() - timedelta(minutes=1))
    expired = client.post(f"/en/campaigns/confirm/{token}/")
    assert expired.status_code == 410
    assert f"/en/campaigns/{open_campaign.slug}/sign/" in expired.content.decode()
    unknown = client.post(f"/en/campaigns/confirm/{'u' * 43}/")
    assert unknown.status_code == 404
    assert "not known" in unknown.content.decode()
    assert Signature.objects.get().state == Signature.State.PENDING


def test_injected_html_is_escaped_everywhere(
    client: Client, open_campaign: Campaign, users: Any
) -> None:
    sign(client, open_campaign, name=INJECTED, city=INJECTED)
    client.post(f"/en/campaigns/confirm/{last_token()}/")
    assert Signature.objects.get().name == INJECTED  # stored as text, as typed
    tally.run()
    pages = [
        client.get(f"/{lang}/campaigns/{open_campaign.slug}/?n={lang}").content.decode()
        for lang in ("en", "fa")
    ]
    refused = sign(client, open_campaign, name=INJECTED, email="bad")
    pages.append(refused.content.decode())
    assert any(SAFE in page for page in pages)
    for page in pages:
        assert INJECTED not in page
    # emails: the notice a second signature triggers, and every link email
    sign(client, open_campaign, name=INJECTED)
    for message in mail.outbox:
        for _body, kind in [(message.body, "text/plain"), *message.alternatives]:
            if kind == "text/html":
                assert INJECTED not in _body
    # the delivery CSV holds the name as text, never as a formula
    from dadkhah.campaign import delivery

    [signatory] = delivery.package_rows(open_campaign).signatories
    assert signatory.row()[0] == INJECTED and signatory.row()[2] == INJECTED


def test_csrf_failure_page_is_legible(open_campaign: Campaign) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/fa/campaigns/{open_campaign.slug}/sign/", form())
    assert response.status_code == 403
    body = response.content.decode()
    assert "Forbidden" in body and "CSRF" in body


def test_confirm_page_for_a_closed_campaign(client: Client, open_campaign: Campaign) -> None:
    sign(client, open_campaign)
    token = last_token()
    Campaign.objects.filter(pk=open_campaign.pk).update(
        state=Campaign.State.CLOSED, closed_at=timezone.now()
    )
    response = client.post(f"/en/campaigns/confirm/{token}/")
    assert response.status_code == 410
    assert "outcome-closed" in response.content.decode()
    assert signing.confirm(token).outcome == "closed"


def test_nav_links_to_the_campaigns(client: Client, db: Any) -> None:
    get_user_model()  # the memorial's home needs nothing else
    page = client.get("/en/campaigns/").content.decode()
    assert 'href="/en/campaigns/" aria-current="page"' in page
