"""Signing: email normalization, submit (new, duplicate, pending resend, flagged, closed),
confirm (confirmed, already, expired, unknown, closed) and races. Every signer here is
synthetic."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from datetime import timedelta
from subprocess import PIPE
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import TestCase
from django.utils import timezone, translation

from dadkhah.campaign import abuse, signing, tally
from dadkhah.campaign.models import Campaign, Signature
from dadkhah.campaign.signing import Confirmation, SignData, SignError, normalize_email
from tests.campaign.conftest import make_campaign

TOKEN_IN_LINK = re.compile(r"/campaigns/confirm/([A-Za-z0-9_-]{20,})/")


@pytest.fixture(autouse=True)
def queue(home: Any, settings: Any) -> Any:
    """Tasks run at once (emails into django.core.mail.outbox); keys in a fresh home."""
    from huey.contrib.djhuey import HUEY

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    before = HUEY.immediate
    HUEY.immediate = True
    with translation.override("en"):  # whatever an earlier request left active
        yield HUEY
    HUEY.immediate = before


def data(email: str = "Sara.Example@example.org", **fields: Any) -> SignData:
    values: dict[str, Any] = {
        "name": "Sara Example (synthetic)",
        "email": email,
        "country": "SE",
        "city": "Stockholm",
        "visibility": "private",
        "consent": True,
        "newsletter": False,
    }
    values.update(fields)
    return SignData(**values)


def submit(campaign: Campaign, d: SignData, address: str | None, lang: str = "en") -> Signature:
    """signing.submit, running what it leaves for the commit (the email) as a commit would."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return signing.submit(campaign, d, address, lang)


def confirm(token: str) -> Confirmation:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return signing.confirm(token)


def tokens_sent() -> list[str]:
    """The tokens of the confirmation links emailed so far, oldest first."""
    found = []
    for message in mail.outbox:
        found += TOKEN_IN_LINK.findall(message.body)
    return found


# ------------------------------------------------------------------ normalize_email


@pytest.mark.parametrize(
    ("raw", "normalized", "domain"),
    [
        ("Sara.Example@Example.ORG", "sara.example@example.org", "example.org"),
        ("  sara@example.org  ", "sara@example.org", "example.org"),
        ("sara+petitions@example.org", "sara@example.org", "example.org"),
        ("S.a.r.a+x@Gmail.com", "sara@gmail.com", "gmail.com"),
        ("s.ara@googlemail.com", "sara@gmail.com", "gmail.com"),
        ("SARA.EXAMPLE+A+B@GMAIL.COM", "saraexample@gmail.com", "gmail.com"),
        ("sara@bücher.example", "sara@xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("sara@BÜCHER.example.", "sara@xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("+tag@example.org", "+tag@example.org", "example.org"),
        ("o'brien@example.co.uk", "o'brien@example.co.uk", "example.co.uk"),
    ],
)
def test_normalize_email(raw: str, normalized: str, domain: str) -> None:
    assert normalize_email(raw) == (normalized, domain)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "no-at-sign",
        "@example.org",
        "sara@",
        "sara@localhost",
        "sara@@example.org",
        "sa ra@example.org",
        ".sara@example.org",
        "sara.@example.org",
        "sa..ra@example.org",
        "<sara>@example.org",
        'sa"ra@example.org',
        "sara@-example.org",
        "sara@example..org",
        "sara@example.123",
        "sara@exa_mple.org",
        "x" * 65 + "@example.org",
        "sara@" + "a" * 250 + ".org",
        "...@gmail.com",
    ],
)
def test_normalize_email_refuses(raw: str) -> None:
    with pytest.raises(SignError) as caught:
        normalize_email(raw)
    assert caught.value.field == "email"
    assert str(caught.value).startswith("Email:")


# ------------------------------------------------------------------ submit


def test_submit_stores_a_pending_signature_and_sends_the_link(open_campaign: Campaign) -> None:
    with_email = submit(open_campaign, data(), "203.0.113.7", "fa")
    signature = Signature.objects.get()
    assert signature.pk == with_email.pk
    assert signature.state == Signature.State.PENDING
    assert signature.email_normalized == "sara.example@example.org"
    assert signature.email_domain == "example.org"
    assert signature.language == "fa"
    assert signature.consent is True and signature.newsletter is False
    assert signature.ip_hash and len(signature.net_hashes) == 2
    assert "203.0.113" not in signature.ip_hash + "".join(signature.net_hashes)
    [token] = tokens_sent()
    assert signature.token_sha256 == signing.token_hash(token)
    assert token not in signature.token_sha256
    hours = signing.confirm_hours()
    assert abs(signature.token_expires_at - (signature.created_at + timedelta(hours=hours))) < (
        timedelta(seconds=1)
    )


def test_name_is_cleaned_and_a_10kb_name_is_refused(open_campaign: Campaign) -> None:
    submit(open_campaign, data(name="  Sara \n\t  Example\u200b  "), None)
    assert Signature.objects.get().name == "Sara Example"
    with pytest.raises(SignError) as caught:
        submit(open_campaign, data(email="other@example.org", name="x" * 10_240), None)
    assert caught.value.field == "name"
    assert "Name: at most 200 characters" in str(caught.value)
    with pytest.raises(SignError):
        submit(open_campaign, data(email="third@example.org", name=" \n "), None)
    assert Signature.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"country": ""}, "country"),
        ({"consent": False}, "consent"),
        ({"visibility": "everyone"}, "visibility"),
        ({"city": "c" * 121}, "city"),
        ({"email": "not an email"}, "email"),
    ],
)
def test_bad_fields_store_nothing(open_campaign: Campaign, fields: dict, field: str) -> None:
    with pytest.raises(SignError) as caught:
        submit(open_campaign, data(**fields), None)
    assert caught.value.field == field
    assert Signature.objects.count() == 0
    assert mail.outbox == []


def test_country_code_is_read_in_either_case(open_campaign: Campaign) -> None:
    submit(open_campaign, data(country="ir"), None)
    assert Signature.objects.get().country == "IR"


def test_country_list_holds_every_un_member_with_both_names() -> None:
    table = {c.code: c for c in signing.countries("en")}
    # a sample across the alphabet, plus the two non-member observer states
    for code in ("AF", "IR", "IQ", "SE", "GB", "US", "ZW", "KP", "SS", "TL", "PS", "VA"):
        assert code in table and table[code].name_fa and table[code].name_en
    assert len(table) >= 195
    assert table["IR"].name("fa") == "ایران"
    names_fa = [c.name_fa for c in signing.countries("fa")]
    assert names_fa == sorted(names_fa, key=str.casefold)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"state": Campaign.State.CLOSED}, "closed"),
        ({"state": Campaign.State.DRAFT}, "not published"),
        ({"state": Campaign.State.IN_REVIEW}, "not published"),
        ({"opens_at": timezone.now() + timedelta(days=1)}, "not open"),
        ({"closes_at": timezone.now() - timedelta(seconds=1)}, "closed"),
    ],
)
def test_a_campaign_not_open_refuses(db: Any, fields: dict, message: str) -> None:
    campaign = make_campaign(**fields)
    with pytest.raises(SignError) as caught:
        submit(campaign, data(), None)
    assert message in str(caught.value)
    assert Signature.objects.count() == 0
    assert mail.outbox == []


def test_duplicate_of_a_pending_signature_sends_a_fresh_link(open_campaign: Campaign) -> None:
    first = submit(open_campaign, data("sara.example@gmail.com"), None)
    Signature.objects.update(linked_at=timezone.now() - signing.RESEND_INTERVAL)
    again = submit(open_campaign, data("SaraExample+again@googlemail.com", name="Sara E."), None)
    assert again.pk == first.pk
    assert Signature.objects.count() == 1
    old, new = tokens_sent()
    assert old != new
    row = Signature.objects.get()
    assert row.token_sha256 == signing.token_hash(new)
    assert row.name == "Sara Example (synthetic)"  # the first signature is kept
    assert confirm(old).outcome == "unknown"  # the fresh link replaced it
    assert confirm(new).outcome == "confirmed"


def test_signing_again_soon_sends_nothing_and_the_first_link_still_works(
    open_campaign: Campaign,
) -> None:
    # anyone can type someone else's address: at most one link every 10 minutes
    submit(open_campaign, data(), None)
    for _ in range(5):
        submit(open_campaign, data(), None)
    [token] = tokens_sent()
    assert len(mail.outbox) == 1
    almost = timezone.now() - signing.RESEND_INTERVAL + timedelta(seconds=30)
    Signature.objects.update(linked_at=almost)
    submit(open_campaign, data(), None)
    assert len(mail.outbox) == 1
    assert confirm(token).outcome == "confirmed"


def test_notices_go_out_at_most_once_a_day(open_campaign: Campaign) -> None:
    submit(open_campaign, data(), None)
    [token] = tokens_sent()
    assert confirm(token).outcome == "confirmed"
    for _ in range(3):
        submit(open_campaign, data(), None)
    assert len(mail.outbox) == 2  # the link, one notice
    Signature.objects.update(noticed_at=timezone.now() - signing.NOTICE_INTERVAL)
    submit(open_campaign, data(), None)
    assert len(mail.outbox) == 3
    assert tokens_sent() == [token]


def test_duplicate_of_a_confirmed_signature_sends_a_notice(open_campaign: Campaign) -> None:
    submit(open_campaign, data(), None)
    [token] = tokens_sent()
    assert confirm(token).outcome == "confirmed"
    outbox_before = len(mail.outbox)
    again = submit(open_campaign, data("SARA.EXAMPLE+x@example.org"), None)
    assert again.state == Signature.State.VALIDATED
    assert Signature.objects.count() == 1
    assert len(mail.outbox) == outbox_before + 1
    assert tokens_sent() == [token]  # a notice, not a new link
    assert Signature.objects.get().token_sha256 == signing.token_hash(token)


def test_the_same_person_may_sign_two_campaigns(open_campaign: Campaign) -> None:
    other = make_campaign("another-one")
    submit(open_campaign, data(), None)
    submit(other, data(), None)
    assert Signature.objects.count() == 2


def test_a_flagged_signature_looks_ordinary_and_never_validates(
    open_campaign: Campaign, users: Any, home: Any
) -> None:
    abuse.add_rule(
        "block", "domain", "blocked.example", "synthetic test rule", users["administrator"]
    )
    submit(open_campaign, data("someone@blocked.example"), "198.51.100.9")
    row = Signature.objects.get()
    assert row.state == Signature.State.FRAUDULENT
    assert row.flag_reason.startswith("blocked")
    [token] = tokens_sent()  # the ordinary email went out
    assert confirm(token).outcome == "confirmed"  # the ordinary answer
    assert confirm(token).outcome == "already"
    row.refresh_from_db()
    assert row.state == Signature.State.FRAUDULENT
    # a duplicate of it is answered like any other: still one row, still flagged
    submit(open_campaign, data("Someone+2@blocked.example"), "198.51.100.9")
    assert Signature.objects.get().state == Signature.State.FRAUDULENT
    tally.run()
    assert tally.public_count(open_campaign).signed == 0


# ------------------------------------------------------------------ confirm


def test_confirm_validates_once_and_keeps_the_hash(open_campaign: Campaign) -> None:
    submit(open_campaign, data(), None)
    [token] = tokens_sent()
    result = confirm(token)
    assert result.outcome == "confirmed"
    assert result.campaign is not None and result.campaign.pk == open_campaign.pk
    row = Signature.objects.get()
    assert row.state == Signature.State.VALIDATED and row.confirmed_at is not None
    assert row.token_sha256 == signing.token_hash(token)
    assert confirm(token).outcome == "already"
    assert confirm(f"  {token} ").outcome == "already"
    tally.run()
    assert tally.public_count(open_campaign).signed == 1


@pytest.mark.parametrize("token", ["", "nope", "x" * 500, "../../etc/passwd"])
def test_confirm_unknown(db: Any, token: str) -> None:
    assert confirm(token).outcome == "unknown"


def test_an_expired_link_says_so_and_signing_again_sends_a_new_one(
    open_campaign: Campaign,
) -> None:
    submit(open_campaign, data(), None)
    [token] = tokens_sent()
    Signature.objects.update(token_expires_at=timezone.now() - timedelta(seconds=1))
    assert confirm(token).outcome == "expired"
    assert Signature.objects.get().state == Signature.State.PENDING
    submit(open_campaign, data(), None)
    [_, fresh] = tokens_sent()
    assert confirm(token).outcome == "unknown"
    assert confirm(fresh).outcome == "confirmed"


def test_a_link_used_after_the_campaign_closed_counts_nothing(open_campaign: Campaign) -> None:
    submit(open_campaign, data(), None)
    [token] = tokens_sent()
    Campaign.objects.filter(pk=open_campaign.pk).update(state=Campaign.State.CLOSED)
    assert confirm(token).outcome == "closed"
    assert Signature.objects.get().state == Signature.State.PENDING


# ------------------------------------------------------------------ races
#
# On PostgreSQL, threads share the test database. SQLite's in-memory test database locks
# whole tables between threads, so there the same races run as processes on a database
# file, as deployed (WAL, BEGIN IMMEDIATE).

RACER = """
import json, sys, time
from dadkhah.cli import setup
setup(migrate=False)
from datetime import date, timedelta
from django.core.management import call_command
from django.utils import timezone, translation
from dadkhah.campaign import signing
from dadkhah.campaign.models import Campaign, Signature
mode, start, count = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
if mode == "setup":
    call_command("migrate", "campaign", verbosity=0)
    campaign = Campaign.objects.create(
        slug="race", state="published", target_label="UN (synthetic)", is_synthetic=True,
        retention_until=date.today() + timedelta(days=30),
    )
    tokens = [f"race-token-{n}-{signing.secrets.token_urlsafe(16)}" for n in range(count)]
    for n, token in enumerate(tokens):
        Signature.objects.create(
            campaign=campaign, name=f"Racer {n}", email=f"r{n}@example.org",
            email_normalized=f"r{n}@example.org", country="SE", consent=True,
            token_sha256=signing.token_hash(token),
            token_expires_at=timezone.now() + timedelta(hours=1),
        )
    print(json.dumps(tokens))
    sys.exit(0)
campaign = Campaign.objects.get(slug="race")
while time.time() < start:
    time.sleep(0.001)
out = []
for n in range(count):
    if mode == "sign":
        data = signing.SignData(name="Same Person", email=f"Same.{n}+x@example.org",
                                country="SE", consent=True)
        out.append(signing.submit(campaign, data, None).pk)
    else:
        out.append(signing.confirm(json.loads(sys.argv[4])[n]).outcome)
print(json.dumps(out))
"""


def _race_processes(tmp_path: Any, workers: int, count: int) -> dict[str, Any]:
    """Set up a database file, then race ``workers`` processes signing the same ``count``
    emails, then the same number confirming the same ``count`` tokens."""
    env = {**os.environ, "DADKHAH_HOME": str(tmp_path / "race-home"), "DATABASE_URL": ""}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    run = [sys.executable, "-c", RACER]

    def race(mode: str, extra: list[str]) -> list[list[Any]]:
        start = str(time.time() + 4)  # every process is up and waiting by then
        procs = [
            subprocess.Popen([*run, mode, start, str(count), *extra], env=env, stdout=PIPE)
            for _ in range(workers)
        ]
        outs = [p.communicate(timeout=180)[0] for p in procs]
        assert [p.returncode for p in procs] == [0] * workers
        return [json.loads(o.decode().strip().splitlines()[-1]) for o in outs]

    setup = subprocess.run([*run, "setup", "0", str(count)], env=env, check=True, stdout=PIPE)
    tokens = json.loads(setup.stdout.decode().strip().splitlines()[-1])
    signed = race("sign", [])
    confirmed = race("confirm", [json.dumps(tokens)])
    with closing(sqlite3.connect(tmp_path / "race-home" / "dadkhah.sqlite3")) as db:
        rows = db.execute(
            "SELECT email_normalized, state FROM campaign_signature WHERE name = 'Same Person'"
        ).fetchall()
        validated = db.execute(
            "SELECT count(*) FROM campaign_signature WHERE state = 'validated'"
        ).fetchone()[0]
    return {"signed": signed, "rows": rows, "confirmed": confirmed, "validated": validated}


def _threads(count: int, work: Any) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(n)
        except BaseException as exc:  # reported by the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


@pytest.mark.django_db(transaction=True)
def test_races_make_one_row_per_email_and_validate_each_link_once(tmp_path: Any) -> None:
    if connection.vendor == "sqlite":
        result = _race_processes(tmp_path, workers=2, count=25)
        first, second = result["signed"]
        assert first == second  # both processes were answered with the same signature
        assert sorted(email for email, _ in result["rows"]) == sorted(
            f"same.{n}@example.org" for n in range(25)
        )
        assert {state for _, state in result["rows"]} == {"pending"}
        outcomes = list(zip(*result["confirmed"], strict=True))
        assert all(sorted(o) == ["already", "confirmed"] for o in outcomes)
        assert result["validated"] == 25
        return
    campaign = make_campaign()
    for round_ in range(5):
        email = f"race{round_}@example.org"
        errors = _threads(2, lambda n, e=email: signing.submit(campaign, data(e), None))
        assert errors == []
        assert Signature.objects.filter(email_normalized=email).count() == 1
    assert Signature.objects.filter(state=Signature.State.PENDING).count() == 5
    current = set(Signature.objects.values_list("token_sha256", flat=True))
    token = next(t for t in tokens_sent() if signing.token_hash(t) in current)
    outcomes: list[str] = []
    errors = _threads(4, lambda n: outcomes.append(signing.confirm(token).outcome))
    assert errors == []
    assert sorted(outcomes) == ["already", "already", "already", "confirmed"]
    assert Signature.objects.filter(state=Signature.State.VALIDATED).count() == 1
