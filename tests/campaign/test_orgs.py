"""Organisations sign statements: the domain rules, one signature per domain, confirming by
email, administrator-only approval, and the pages. Every organisation here is synthetic."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone, translation

from dadkhah.campaign import orgs, signing
from dadkhah.campaign.models import Campaign, OrgSignature
from dadkhah.campaign.orgs import OrgData, OrgError, confirm_org, decide, submit_org
from dadkhah.core.pow import Challenge, solve
from tests.campaign.conftest import make_campaign
from tests.factories import PASSWORD

TOKEN_IN_LINK = re.compile(r"/campaigns/organisations/confirm/([A-Za-z0-9_-]{20,})/")


@pytest.fixture(autouse=True)
def queue(home: Any, settings: Any) -> Any:
    """Tasks run at once (emails into django.core.mail.outbox); keys in a fresh home."""
    from huey.contrib.djhuey import HUEY

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    before = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = before


@pytest.fixture
def easy_pow(settings: Any, home: Any) -> None:
    """An easy proof of work, so a test solves it in milliseconds."""
    import dataclasses

    settings.CONFIG = dataclasses.replace(settings.CONFIG, pow_max_number=300)


@pytest.fixture
def statement(db: Any) -> Campaign:
    return make_campaign("hrc-statement", kind=Campaign.Kind.STATEMENT)


def data(**fields: Any) -> OrgData:
    values: dict[str, Any] = {
        "name": "Synthetic Rights Watch",
        "country": "FR",
        "website": "https://www.Synthetic-Rights.example.org/about",
        "ecosoc_status": "special",
        "contact_name": "Nora Test (synthetic)",
        "contact_email": "nora@synthetic-rights.example.org",
    }
    values.update(fields)
    return OrgData(**values)


def tokens_sent() -> list[str]:
    return [m for message in mail.outbox for m in TOKEN_IN_LINK.findall(message.body)]


def submit(campaign: Campaign, django_capture_on_commit_callbacks: Any, **fields: Any) -> Any:
    with django_capture_on_commit_callbacks(execute=True):
        return submit_org(campaign, data(**fields), "en")


# ------------------------------------------------------------------ the fields


@pytest.mark.parametrize(
    ("raw", "host"),
    [
        ("https://www.Example.org/about?x=1", "example.org"),
        ("EXAMPLE.org", "example.org"),
        ("http://user@Sub.Example.org:8080/path", "sub.example.org"),
        ("www.example.org.", "example.org"),
        ("https://bücher.example/", "xn--bcher-kva.example"),
        ("www.org", "www.org"),  # "www." is only stripped before a registrable name
    ],
)
def test_website_host(raw: str, host: str) -> None:
    assert orgs.website_host(raw) == host


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Website: required"),
        ("not a website", "not a web address"),
        ("ftp://example.org", "not a web address"),
        ("http://192.0.2.1/", "not a web address"),
        ("localhost", "not a web address"),
        ("https://sites.google.com/view/our-org", "public mail or hosting service"),
        ("x" * 301, "at most 300 characters"),
    ],
)
def test_website_refused(raw: str, message: str) -> None:
    with pytest.raises(OrgError, match=message) as caught:
        orgs.website_host(raw)
    assert caught.value.field == "website"


@pytest.mark.parametrize(
    ("domain", "free"),
    [
        ("gmail.com", True),
        ("googlemail.com", True),
        ("yahoo.co.uk", True),
        ("mail.yahoo.com", True),
        ("hotmail.fr", True),
        ("outlook.com.br", True),
        ("proton.me", True),
        ("chmail.ir", True),
        ("example.org", False),
        ("outlook.example.org", False),
        ("live.example.org", False),
        ("notgmail.com", False),
    ],
)
def test_free_mail_list(domain: str, free: bool) -> None:
    assert orgs.is_free_mail(domain) is free


def test_subdomain_contact_is_accepted(
    statement: Campaign, django_capture_on_commit_callbacks: Any
) -> None:
    org = submit(
        statement,
        django_capture_on_commit_callbacks,
        contact_email="Nora@Mail.Synthetic-Rights.example.org",
    )
    assert (org.domain, org.website) == ("synthetic-rights.example.org",) * 2
    assert org.contact_email == "Nora@mail.synthetic-rights.example.org"
    assert org.state == OrgSignature.State.PENDING and org.token_sha256 and org.token_expires_at
    assert [m.to for m in mail.outbox] == [["Nora@mail.synthetic-rights.example.org"]]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"contact_email": "nora.rights@gmail.com"},
            "contact_email",
            "gmail.com is a public webmail",
        ),
        ({"contact_email": "nora@yahoo.co.uk"}, "contact_email", "public webmail"),
        (
            {"contact_email": "nora@other.example.net"},
            "contact_email",
            "synthetic-rights.example.org or a subdomain",
        ),
        # a parent of the website's host is not the organisation's own domain
        (
            {
                "website": "iran.synthetic-rights.example.org",
                "contact_email": "a@synthetic-rights.example.org",
            },
            "contact_email",
            "own domain",
        ),
        # a look-alike that merely ends with the same letters
        ({"contact_email": "a@evilsynthetic-rights.example.org"}, "contact_email", "own domain"),
        ({"contact_email": "not-an-email"}, "contact_email", "not an email address"),
        ({"name": "   "}, "name", "Organisation name: required"),
        ({"name": "N" * 301}, "name", "at most 300 characters"),
        ({"country": "XX"}, "country", "Country"),
        ({"ecosoc_status": "consultative"}, "ecosoc_status", "general, special, roster or none"),
        ({"contact_name": ""}, "contact_name", "Contact name: required"),
    ],
)
def test_refused_input_stores_nothing(
    statement: Campaign,
    django_capture_on_commit_callbacks: Any,
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    with pytest.raises(OrgError, match=message) as caught:
        submit(statement, django_capture_on_commit_callbacks, **fields)
    assert caught.value.field == field
    assert OrgSignature.objects.count() == 0 and mail.outbox == []


def test_a_petition_refuses_organisations(open_campaign: Campaign) -> None:
    with pytest.raises(
        OrgError, match="Organisations sign statements only; this campaign is a petition"
    ):
        submit_org(open_campaign, data(), "en")
    assert OrgSignature.objects.count() == 0


def test_a_closed_statement_refuses(db: Any) -> None:
    closed = make_campaign(
        "closed-statement", kind=Campaign.Kind.STATEMENT, state=Campaign.State.CLOSED
    )
    with pytest.raises(OrgError, match="closed"):
        submit_org(closed, data(), "en")
    with translation.override("fa"), pytest.raises(OrgError):
        submit_org(closed, data(), "fa")
    assert OrgSignature.objects.count() == 0


# ------------------------------------------------------------------ one per domain


def test_duplicate_domain_pending_is_replaced_with_a_fresh_link(
    statement: Campaign, django_capture_on_commit_callbacks: Any
) -> None:
    first = submit(statement, django_capture_on_commit_callbacks)
    OrgSignature.objects.update(linked_at=timezone.now() - signing.RESEND_INTERVAL)
    second = submit(
        statement,
        django_capture_on_commit_callbacks,
        website="synthetic-rights.example.org",
        contact_email="office@synthetic-rights.example.org",
        contact_name="Office (synthetic)",
    )
    assert second.pk == first.pk and OrgSignature.objects.count() == 1
    old, new = tokens_sent()
    assert confirm_org(old).outcome == "unknown"
    assert confirm_org(new).outcome == "confirmed"
    assert mail.outbox[1].to == ["office@synthetic-rights.example.org"]


def test_submitting_again_soon_changes_nothing_and_sends_nothing(
    statement: Campaign, django_capture_on_commit_callbacks: Any
) -> None:
    # anyone can type an organisation's address: at most one link every 10 minutes
    submit(statement, django_capture_on_commit_callbacks)
    for _ in range(3):
        submit(statement, django_capture_on_commit_callbacks, name="Flood (synthetic)")
    [token] = tokens_sent()
    assert OrgSignature.objects.get().name == "Synthetic Rights Watch"
    assert confirm_org(token).outcome == "confirmed"


def test_duplicate_after_confirmation_changes_nothing_and_sends_nothing(
    statement: Campaign, django_capture_on_commit_callbacks: Any
) -> None:
    submit(statement, django_capture_on_commit_callbacks)
    confirm_org(tokens_sent()[0])
    again = submit(
        statement, django_capture_on_commit_callbacks, ecosoc_status="general", name="Other name"
    )
    assert again.state == OrgSignature.State.CONFIRMED and len(mail.outbox) == 1
    stored = OrgSignature.objects.get()
    assert (stored.name, stored.ecosoc_status) == ("Synthetic Rights Watch", "special")
    # another organisation, another row; another campaign, another row
    submit(
        statement,
        django_capture_on_commit_callbacks,
        website="other.example.net",
        contact_email="a@other.example.net",
    )
    other = make_campaign("second-statement", kind=Campaign.Kind.STATEMENT)
    submit(other, django_capture_on_commit_callbacks)
    assert OrgSignature.objects.count() == 3


# ------------------------------------------------------------------ confirming


def test_confirm_outcomes(statement: Campaign, django_capture_on_commit_callbacks: Any) -> None:
    submit(statement, django_capture_on_commit_callbacks)
    (token,) = tokens_sent()
    assert confirm_org("").outcome == "unknown"
    assert confirm_org("x" * 500).outcome == "unknown"
    assert confirm_org("no-such-token-" + "a" * 30).outcome == "unknown"
    result = confirm_org(token)
    assert result.outcome == "confirmed" and result.org is not None
    org = OrgSignature.objects.get()
    assert org.state == OrgSignature.State.CONFIRMED and org.confirmed_at is not None
    assert confirm_org(token).outcome == "already"
    assert org.history.filter(history_change_reason__contains="email confirmed").count() == 1


def test_confirm_expired(statement: Campaign, django_capture_on_commit_callbacks: Any) -> None:
    submit(statement, django_capture_on_commit_callbacks)
    (token,) = tokens_sent()
    later = timezone.now() + timedelta(hours=73)
    assert confirm_org(token, now=later).outcome == "expired"
    assert OrgSignature.objects.get().state == OrgSignature.State.PENDING
    assert confirm_org(token).outcome == "confirmed"


# ------------------------------------------------------------------ deciding


def _confirmed(statement: Campaign, capture: Any, **fields: Any) -> OrgSignature:
    submit(statement, capture, **fields)
    result = confirm_org(tokens_sent()[-1])
    assert result.org is not None
    return result.org


def test_administrator_approves_and_corrects_the_status(
    statement: Campaign, users: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    org = _confirmed(statement, django_capture_on_commit_callbacks)
    admin = users["administrator"]
    decided = decide(org, True, admin, "Checked in the UN database", ecosoc_status="general")
    assert decided.state == OrgSignature.State.APPROVED and decided.ecosoc_status == "general"
    assert decided.decided_by == admin and decided.decided_at is not None
    last = decided.history.latest("history_date")
    assert last.history_user == admin
    assert last.history_change_reason == (
        "approved; ECOSOC status corrected from special to general: Checked in the UN database"
    )
    assert decided.history.filter(ecosoc_status="special").exists()  # the declared status kept
    assert orgs.approved(statement) == [decided]


@pytest.mark.parametrize("role", ["investigator", "reviewer"])
def test_only_administrators_decide(
    statement: Campaign, users: dict[str, Any], role: str, django_capture_on_commit_callbacks: Any
) -> None:
    org = _confirmed(statement, django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied):
        decide(org, True, users[role])
    assert OrgSignature.objects.get().state == OrgSignature.State.CONFIRMED


def test_decision_refusals(
    statement: Campaign, users: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    admin = users["administrator"]
    pending = submit(statement, django_capture_on_commit_callbacks)
    with pytest.raises(OrgError, match="has not confirmed its email"):
        decide(pending, True, admin)
    org = confirm_org(tokens_sent()[0]).org
    assert org is not None
    with pytest.raises(OrgError, match="say why"):
        decide(org, False, admin, "  ")
    with pytest.raises(OrgError, match="ECOSOC status 'observer'"):
        decide(org, True, admin, ecosoc_status="observer")
    rejected = decide(org, False, admin, "Not an organisation")
    assert rejected.state == OrgSignature.State.REJECTED and orgs.approved(statement) == []


# ------------------------------------------------------------------ pages


def _solved(page: str) -> str:
    raw = re.search(r'data-pow-challenge="([^"]+)"', page)
    assert raw is not None
    fields = json.loads(raw.group(1).replace("&quot;", '"'))
    challenge = Challenge(
        fields["algorithm"],
        fields["challenge"],
        fields["maxnumber"],
        fields["salt"],
        fields["signature"],
    )
    solution = solve(challenge)
    assert solution is not None
    return solution.payload()


def _form(**fields: str) -> dict[str, str]:
    values = {
        "name": "Synthetic Rights Watch",
        "country": "FR",
        "website": "synthetic-rights.example.org",
        "ecosoc_status": "special",
        "contact_name": "Nora Test",
        "contact_email": "nora@synthetic-rights.example.org",
    }
    values.update(fields)
    return values


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_sign_confirm_by_the_emailed_link(
    statement: Campaign, easy_pow: None, lang: str, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    url = f"/{lang}/campaigns/{statement.slug}/organisations/"
    page = client.get(url)
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    html = page.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html and "memorial/pow.js" in html
    assert "<script>" not in html.split("</header>", 1)[1]  # no inline script
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {**_form(), "pow": _solved(html)})
    assert done.status_code == 303
    assert done["Location"] == f"/{lang}/campaigns/{statement.slug}/organisations/thanks/"
    assert client.get(done["Location"]).status_code == 200
    (token,) = tokens_sent()
    link = f"/{lang}/campaigns/organisations/confirm/{token}/"
    assert link in mail.outbox[0].body
    shown = client.get(link)
    assert shown.status_code == 200 and shown["Referrer-Policy"] == "strict-origin"
    assert f'action="{link}"' in shown.content.decode()  # a button to press
    assert OrgSignature.objects.get().state == OrgSignature.State.PENDING  # GET confirms nothing
    confirmed = client.post(link)
    assert confirmed.status_code == 200 and OrgSignature.objects.get().state == "confirmed"
    again = client.post(link)
    assert again.status_code == 200 and again.content != confirmed.content
    assert f'action="{link}"' not in again.content.decode()
    if lang == "en":
        assert "Already confirmed" in again.content.decode()
        assert "Thank you: the signature is confirmed" in confirmed.content.decode()
    assert client.post("/en/campaigns/organisations/confirm/not-a-token/").status_code == 404


def test_sign_page_refusals(
    statement: Campaign,
    open_campaign: Campaign,
    easy_pow: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = Client()
    url = f"/en/campaigns/{statement.slug}/organisations/"
    html = client.get(url).content.decode()
    no_pow = client.post(url, _form())
    assert no_pow.status_code == 400 and "automatic check did not run" in no_pow.content.decode()
    gmail = client.post(url, {**_form(contact_email="nora@gmail.com"), "pow": _solved(html)})
    body = gmail.content.decode()
    assert gmail.status_code == 400 and "gmail.com is a public webmail service" in body
    assert 'value="Synthetic Rights Watch"' in body  # what was typed is kept
    injected = client.post(
        url, {**_form(name="<script>alert(1)</script>", country="XX"), "pow": _solved(html)}
    )
    assert injected.status_code == 400 and "<script>alert(1)" not in injected.content.decode()
    assert OrgSignature.objects.count() == 0
    petition = client.get(f"/en/campaigns/{open_campaign.slug}/organisations/")
    assert (
        petition.status_code == 404
        and "Organisations sign statements only" in petition.content.decode()
    )
    assert client.get("/en/campaigns/no-such/organisations/").status_code == 404


def test_csrf_missing_is_refused(statement: Campaign, easy_pow: None) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/en/campaigns/{statement.slug}/organisations/", _form())
    assert response.status_code == 403 and OrgSignature.objects.count() == 0


def test_the_list_include_shows_approved_only_in_order(
    statement: Campaign, users: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    admin = users["administrator"]
    made = {}
    for name, site, status in [
        ("Zeta <b>Org</b>", "zeta.example.org", "none"),
        ("Beta Org", "beta.example.org", "special"),
        ("Alpha Org", "alpha.example.org", "general"),
        ("Pending Org", "pending.example.org", "general"),
    ]:
        made[name] = _confirmed(
            statement,
            django_capture_on_commit_callbacks,
            name=name,
            website=site,
            contact_email=f"a@{site}",
            ecosoc_status=status,
        )
    for name in ("Zeta <b>Org</b>", "Beta Org", "Alpha Org"):
        decide(made[name], True, admin)
    with translation.override("en"):
        html = render_to_string("campaign/orgs/_list.html", {"campaign": statement})
    assert "Pending Org" not in html and "<b>Org" not in html and "Zeta &lt;b&gt;Org" in html
    assert html.index("Alpha Org") < html.index("Beta Org") < html.index("Zeta &lt;b&gt;Org")
    assert "France" in html and "General consultative status" in html and "Synthetic" in html


# ------------------------------------------------------------------ staff


def _login(client: Client, user: Any) -> Client:
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_queue_reads_for_staff_decides_for_administrators_only(
    statement: Campaign, users: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    org = _confirmed(statement, django_capture_on_commit_callbacks)
    queue = f"/campaign/manage/{statement.slug}/organisations/"
    decide_url = f"{queue}{org.pk}/decide/"
    anonymous = Client()
    assert anonymous.get(queue).status_code == 302
    assert anonymous.post(decide_url, {"decision": "approve"}).status_code == 302
    for role in ("reviewer", "investigator"):
        client = _login(Client(), users[role])
        page = client.get(queue)
        assert page.status_code == 200 and "Synthetic Rights Watch" in page.content.decode()
        assert decide_url not in page.content.decode()
        assert "nora@" not in page.content.decode()  # the contact's address is for administrators
        assert client.post(decide_url, {"decision": "approve"}).status_code == 403
    assert OrgSignature.objects.get().state == OrgSignature.State.CONFIRMED
    admin = _login(Client(), users["administrator"])
    assert decide_url in admin.get(queue).content.decode()
    done = admin.post(decide_url, {"decision": "approve", "ecosoc_status": "general", "note": "ok"})
    assert done.status_code == 303
    stored = OrgSignature.objects.get()
    assert (stored.state, stored.ecosoc_status, stored.decided_by) == (
        "approved",
        "general",
        users["administrator"],
    )
    refused = admin.post(decide_url, {"decision": "reject", "note": ""}, follow=True)
    assert "say why" in refused.content.decode() and OrgSignature.objects.get().state == "approved"


def test_jws_download(
    statement: Campaign, users: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    org = _confirmed(statement, django_capture_on_commit_callbacks)
    url = f"/campaign/manage/{statement.slug}/organisations/jws"
    reviewer = _login(Client(), users["reviewer"])
    none_yet = reviewer.get(url, {"format": "txt"})
    assert none_yet.status_code == 400 and "no approved organisation" in none_yet.content.decode()
    decide(org, True, users["administrator"])
    text = reviewer.get(url, {"format": "txt", "session": "58", "agenda_item": "4"})
    assert text.status_code == 200 and text["Content-Type"].startswith("text/plain")
    body = text.content.decode()
    assert (
        "Written statement* submitted by Synthetic Rights Watch" in body
        and "Fifty-eighth session" in body
    )
    assert "nora@" not in body  # never the contact's email
    docx = reviewer.get(url, {"lang": "fa"})
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    assert 'filename="hrc-statement-joint-written-statement-fa.docx"' in docx["Content-Disposition"]
    assert reviewer.get(url, {"session": "zero"}).status_code == 400
    assert Client().get(url).status_code == 302
