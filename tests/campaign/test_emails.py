"""The campaign's emails, sent for real over SMTP to the local sink, read back as .eml files.

Django's SMTP backend talks to an aiosmtpd sink on a free loopback port (pytest-django would
otherwise swap in the in-memory backend); huey runs the tasks at once. Each link found in an
email is then opened with the test client, as a signer would.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone, translation

from dadkhah.campaign import emails, mailsink, signing
from dadkhah.campaign.models import Campaign, OrgSignature, Signature
from dadkhah.config import SmtpTarget, smtp_target
from dadkhah.core.dates import format_day
from tests.campaign.conftest import make_campaign
from tests.ports import free_port

SITE = "http://testserver"
FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ADDRESS = "203.0.113.7"
CONFIRM_LINK = re.compile(r"http://testserver(/(en|fa)/campaigns/confirm/([\w-]+)/)")
ORG_LINK = re.compile(r"http://testserver(/(en|fa)/campaigns/organisations/confirm/([\w-]+)/)")


@dataclasses.dataclass
class Sink:
    folder: Path
    port: int

    def received(self) -> list[mailsink.Received]:
        return mailsink.messages(100, self.folder)


@pytest.fixture
def immediate() -> Iterator[Any]:
    from huey.contrib.djhuey import HUEY

    before = HUEY.immediate
    HUEY.immediate = True  # a fresh in-memory queue and schedule, tasks run at once
    try:
        yield HUEY
    finally:
        HUEY.immediate = before


def _smtp_to(settings: Any, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    settings.CONFIG = dataclasses.replace(settings.CONFIG, site_url=SITE, smtp_url="")


@pytest.fixture
def sink(settings: Any, home: Path, immediate: Any, db: Any) -> Iterator[Sink]:
    port = free_port()
    _smtp_to(settings, port)
    folder = mailsink.mail_dir(home)
    with mailsink.running(folder, port):
        yield Sink(folder, port)


def _data(email: str, **fields: Any) -> signing.SignData:
    values: dict[str, Any] = {
        "name": "Test Signer (synthetic)",
        "email": email,
        "country": "DE",
        "city": "Berlin",
        "consent": True,
    }
    values.update(fields)
    return signing.SignData(**values)


def _sign(campaign: Campaign, email: str, lang: str, capture: Any) -> Signature:
    with capture(execute=True):
        return signing.submit(campaign, _data(email), ADDRESS, lang)


def _link(message: mailsink.Received, pattern: re.Pattern[str] = CONFIRM_LINK) -> re.Match[str]:
    found = pattern.findall(message.text)
    assert len(found) == 1, message.text
    match = pattern.search(message.text)
    assert match is not None
    assert match.group(0) in message.html  # the same link in the HTML part
    return match


def test_confirmation_in_english_reaches_the_sink_and_its_link_confirms(
    client: Any, open_campaign: Campaign, sink: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    signature = _sign(
        open_campaign, "Signer.One+news@Example.org", "en", django_capture_on_commit_callbacks
    )
    [message] = sink.received()
    assert message.to == "Signer.One+news@Example.org"  # as typed, not normalized
    assert message.language == "en"
    assert message.subject == "[Synthetic] Confirm your signature: Test petition (synthetic)"
    headers = message.message
    assert headers["Auto-Submitted"] == "auto-generated"
    assert re.fullmatch(r"<[^<>@\s]+@localhost>", str(headers["Message-ID"]))
    assert headers["From"] == "Dadkhah <no-reply@localhost>"
    assert headers["List-Unsubscribe"] is None  # transactional
    assert '<html lang="en" dir="ltr">' in message.html
    assert "UN High Commissioner for Human Rights" in message.text
    assert "If you did not sign, ignore this email" in message.text
    expiry = signature.token_expires_at
    assert expiry is not None and f"{expiry:%H:%M} UTC" in message.text
    match = _link(message)
    path, token = match.group(1), match.group(3)
    # The raw token is only in the email; the database holds its SHA-256.
    assert signing.token_hash(token) == Signature.objects.get(pk=signature.pk).token_sha256
    assert token not in str(Signature.objects.filter(pk=signature.pk).values().get())
    assert client.get(path).status_code == 200  # shows a button; mail scanners change nothing
    assert Signature.objects.get(pk=signature.pk).state == Signature.State.PENDING
    response = client.post(path)
    assert response.status_code == 200
    signature.refresh_from_db()
    assert signature.state == Signature.State.VALIDATED
    assert signing.confirm(token).outcome == "already"


def test_confirmation_in_persian_is_right_to_left_with_a_persian_link(
    client: Any, open_campaign: Campaign, sink: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    signature = _sign(open_campaign, "farsi@example.org", "fa", django_capture_on_commit_callbacks)
    [message] = sink.received()
    assert message.language == "fa"
    assert '<html lang="fa" dir="rtl">' in message.html
    assert "دادخواست آزمایشی (ساختگی)" in message.subject
    assert "دادخواست آزمایشی (ساختگی)" in message.text
    assert "کمیسر عالی حقوق بشر سازمان ملل" in message.text  # the target, in Persian
    expiry = signature.token_expires_at
    assert expiry is not None
    expiry = expiry.astimezone(UTC)  # the expiry in the Solar Hijri calendar, Persian digits
    written = f"{format_day(expiry.date(), 'fa')}، {expiry:%H:%M}".translate(FA_DIGITS)
    assert written in message.text and written in message.html
    match = _link(message)
    assert match.group(2) == "fa"
    page = client.get(match.group(1))
    assert page.status_code == 200 and 'lang="fa"' in page.content.decode()
    client.post(match.group(1))
    signature.refresh_from_db()
    assert signature.state == Signature.State.VALIDATED


def test_only_a_real_campaign_goes_without_the_synthetic_mark(
    open_campaign: Campaign, sink: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    real = make_campaign("not-invented", is_synthetic=False)
    _sign(real, "real@example.org", "en", django_capture_on_commit_callbacks)
    [message] = sink.received()
    assert message.subject == "Confirm your signature: Test petition (synthetic)"
    assert "Synthetic" not in message.text and "Synthetic" not in message.html


def test_a_link_replaced_before_its_task_ran_is_not_sent(
    client: Any, open_campaign: Campaign, sink: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    """Signing twice before the queue runs: the first task finds its token replaced and
    sends nothing; the one email sent holds the link that works."""
    with django_capture_on_commit_callbacks(execute=False) as first:
        signing.submit(open_campaign, _data("twice@example.org"), ADDRESS, "en")
    with django_capture_on_commit_callbacks(execute=False) as second:
        signing.submit(open_campaign, _data("Twice@Example.org"), ADDRESS, "en")
    for callback in [*first, *second]:
        callback()
    [message] = sink.received()
    client.post(_link(message).group(1))
    assert Signature.objects.get(email_normalized="twice@example.org").state == "validated"


def test_nothing_goes_to_a_signer_anonymized_or_removed_before_the_task_ran(
    open_campaign: Campaign, sink: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as anonymized:
        kept = signing.submit(open_campaign, _data("gone@example.org"), ADDRESS, "en")
    Signature.objects.filter(pk=kept.pk).update(
        name="", email=None, email_normalized=None, city="", anonymized_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=False) as deleted:
        dropped = signing.submit(open_campaign, _data("deleted@example.org"), ADDRESS, "en")
    Signature.objects.filter(pk=dropped.pk).delete()
    for callback in [*anonymized, *deleted]:
        callback()
    assert sink.received() == []
    assert emails.deliver_duplicate_notice(kept.pk) is False
    assert emails.deliver_duplicate_notice(dropped.pk) is False


def test_signing_again_after_confirming_sends_a_notice_and_changes_nothing(
    client: Any, open_campaign: Campaign, sink: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    first = _sign(open_campaign, "again@example.org", "en", django_capture_on_commit_callbacks)
    client.post(_link(sink.received()[0]).group(1))
    first.refresh_from_db()
    before = Signature.objects.filter(pk=first.pk).values().get()
    _sign(open_campaign, "AGAIN@example.org", "en", django_capture_on_commit_callbacks)
    notice = sink.received()[0]
    assert notice.subject == "[Synthetic] You have already signed: Test petition (synthetic)"
    assert notice.to == "again@example.org"  # the address that signed first
    assert "nothing changed" in notice.text
    assert "If this was not you, ignore this email" in notice.text
    assert "/confirm/" not in notice.text and "/confirm/" not in notice.html
    after = Signature.objects.filter(pk=first.pk).values().get()
    assert after.pop("noticed_at") is not None  # only the time of the notice is kept
    before.pop("noticed_at")
    assert after == before
    assert Signature.objects.filter(campaign=open_campaign).count() == 1
    # signing again the same day sends nothing more: the form cannot flood a mailbox
    count = len(sink.received())
    _sign(open_campaign, "again@example.org", "en", django_capture_on_commit_callbacks)
    assert len(sink.received()) == count


@pytest.mark.parametrize("lang", ["en", "fa"])
def test_an_organisation_gets_its_link_at_its_own_domain(
    client: Any, sink: Sink, django_capture_on_commit_callbacks: Any, lang: str
) -> None:
    from dadkhah.campaign import orgs

    statement = make_campaign("joint-statement", kind=Campaign.Kind.STATEMENT)
    data = orgs.OrgData(
        name="Synthetic Justice Association",
        country="FR",
        website="https://justice-association.example/",
        ecosoc_status=OrgSignature.Ecosoc.SPECIAL,
        contact_name="Test Contact (synthetic)",
        contact_email="contact@justice-association.example",
    )
    with django_capture_on_commit_callbacks(execute=True):
        org = orgs.submit_org(statement, data, lang)
    [message] = sink.received()
    assert message.to == "contact@justice-association.example"
    assert message.language == lang
    marker = "[Synthetic] " if lang == "en" else "[Synthetic · ساختگی] "
    assert message.subject.startswith(marker)
    assert "Synthetic Justice Association" in message.subject
    assert ('dir="rtl"' in message.html) == (lang == "fa")
    if lang == "en":
        assert "an administrator reviews the organisation's signature" in message.text
    match = _link(message, ORG_LINK)
    assert match.group(2) == lang
    assert client.get(match.group(1)).status_code == 200
    client.post(match.group(1))
    org.refresh_from_db()
    assert org.state == OrgSignature.State.CONFIRMED


def test_a_milestone_goes_to_the_campaigns_creator(
    users: dict[str, Any], sink: Sink, django_capture_on_commit_callbacks: Any
) -> None:
    creator = users["investigator"]
    creator.email = "organizer@example.org"
    creator.save()
    campaign = make_campaign("with-creator", created_by=creator)
    orphan = make_campaign("without-creator")
    with django_capture_on_commit_callbacks(execute=True):
        emails.milestone(campaign, 100)
        emails.milestone(orphan, 100)
    [message] = sink.received()
    assert message.to == "organizer@example.org"
    assert message.subject == "[Synthetic] 100 signatures: Test petition (synthetic)"
    assert "has reached 100 confirmed signatures" in message.text
    assert "Its goal is 1000." in message.text
    assert f"{SITE}/en/campaigns/with-creator/" in message.text


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(logging.Formatter().format(record))


def test_a_refused_connection_is_retried_later_and_leaves_no_half_state(
    client: Any,
    settings: Any,
    home: Path,
    immediate: Any,
    open_campaign: Campaign,
    django_capture_on_commit_callbacks: Any,
) -> None:
    port = free_port()  # nothing listens there (yet)
    _smtp_to(settings, port)
    folder = mailsink.mail_dir(home)
    records = _Records()
    loggers = [logging.getLogger("dadkhah.campaign.emails"), logging.getLogger("huey")]
    for logger in loggers:
        logger.addHandler(records)
    try:
        signature = _sign(
            open_campaign, "Retry.Me@example.org", "en", django_capture_on_commit_callbacks
        )
    finally:
        for logger in loggers:
            logger.removeHandler(records)
    # The signature is stored, pending, with its link's hash; no message, not even a part.
    signature.refresh_from_db()
    assert signature.state == Signature.State.PENDING and signature.token_sha256
    assert not folder.exists() or list(folder.iterdir()) == []
    logged = "\n".join(records.lines)
    assert "not sent: ConnectionRefusedError" in logged
    assert "retry.me" not in logged.lower() and "example.org" not in logged
    # The queue keeps one retry, a minute later, with two more to come.
    [waiting] = immediate.scheduled()
    assert waiting.name == "send_confirmation" and waiting.retries == emails.RETRIES - 1
    now = datetime.now(UTC).replace(tzinfo=None)
    assert timedelta(seconds=50) < waiting.eta - now <= timedelta(seconds=emails.RETRY_DELAY)
    # The server comes back; the retry sends the one email, and its link works.
    with mailsink.running(folder, port):
        later = now + timedelta(hours=1)
        due = immediate.read_schedule(later)
        assert len(due) == 1
        for task in due:
            immediate.execute(task, later)
    [message] = mailsink.messages(10, folder)
    assert message.to == "Retry.Me@example.org"
    client.post(_link(message).group(1))
    signature.refresh_from_db()
    assert signature.state == Signature.State.VALIDATED
    assert immediate.scheduled() == []


def test_the_task_consumer_knows_the_email_tasks() -> None:
    """The consumer discovers `tasks` modules only: the campaign's must bring the emails."""
    from django.utils.module_loading import autodiscover_modules
    from huey.contrib.djhuey import HUEY

    autodiscover_modules("tasks")
    names = {name.rsplit(".", 1)[-1] for name in HUEY._registry._registry}
    assert {
        "send_confirmation",
        "send_duplicate_notice",
        "send_org_confirmation",
        "send_milestone",
    } <= names


def test_an_unknown_language_falls_back_to_english() -> None:
    assert [emails._language(c) for c in ("fa", "fa-IR", "EN", "de", None, "")] == [
        "fa",
        "fa",
        "en",
        "en",
        "en",
        "en",
    ]
    with translation.override("de"):
        assert emails._language(translation.get_language()) == "en"


# --- where mail goes (DADKHAH_SMTP_URL) --------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", SmtpTarget("127.0.0.1", 8025, "", "", False, False, True)),
        (
            "smtp://mail.example.org:2525",
            SmtpTarget("mail.example.org", 2525, "", "", False, False, False),
        ),
        (
            "smtp://mail.example.org",
            SmtpTarget("mail.example.org", 25, "", "", False, False, False),
        ),
        (
            "smtp+starttls://me%40example.org:p%3Ass%2Fw@smtp.example.org:587",
            SmtpTarget("smtp.example.org", 587, "me@example.org", "p:ss/w", True, False, False),
        ),
        (
            "smtps://u:pw@smtp.example.org",
            SmtpTarget("smtp.example.org", 465, "u", "pw", False, True, False),
        ),
    ],
)
def test_smtp_url_is_read_into_a_target(url: str, expected: SmtpTarget) -> None:
    assert smtp_target(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://mail.example.org",
        "smtp://",
        "smtp://host:99999",
        "smtp://host/path",
        "mail.example.org:25",
    ],
)
def test_a_bad_smtp_url_is_refused_naming_the_setting(url: str) -> None:
    with pytest.raises(ValueError, match="DADKHAH_SMTP_URL"):
        smtp_target(url)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DADKHAH_SITE_URL": "campaign.example.org"}, "DADKHAH_SITE_URL"),
        ({"DADKHAH_SITE_URL": "https://example.org/sub"}, "DADKHAH_SITE_URL"),
        ({"DADKHAH_MAIL_FROM": "nobody"}, "DADKHAH_MAIL_FROM"),
        ({"DADKHAH_MAILSINK_PORT": "70000"}, "DADKHAH_MAILSINK_PORT"),
        ({"DADKHAH_SMTP_URL": "smtps://"}, "DADKHAH_SMTP_URL"),
    ],
)
def test_bad_mail_settings_stop_the_start(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    from dadkhah import config

    with pytest.raises(ValueError, match=message):
        config.load({"DADKHAH_HOME": str(tmp_path), **env})


def test_django_email_settings_come_from_the_smtp_url(tmp_path: Path) -> None:
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, "
        "s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL, s.DEFAULT_FROM_EMAIL)"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "dadkhah.settings",
        "DADKHAH_HOME": str(tmp_path),
        "DADKHAH_SMTP_URL": "smtps://sender:secret@smtp.example.org",
        "DADKHAH_MAIL_FROM": "Campaign <campaign@example.org>",
    }
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.org",
        "465",
        "sender",
        "secret",
        "False",
        "True",
        "Campaign",
        "<campaign@example.org>",
    ]
