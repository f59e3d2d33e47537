"""The delivery package: what it holds, what it never holds, its manifest, its ledger entry."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.campaign.conftest import make_campaign

SEED = 1988
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _sign(campaign: Any, i: int, **fields: Any) -> Any:
    from dadkhah.campaign.models import Signature

    values: dict[str, Any] = {
        "campaign": campaign,
        "state": Signature.State.VALIDATED,
        "name": f"Synthetic Signer {i}",
        "email": f"signer{i}@example.org",
        "email_normalized": f"signer{i}@example.org",
        "email_domain": "example.org",
        "country": "DE",
        "city": "Berlin",
        "visibility": "private",
        "consent": True,
        "created_at": T0 + timedelta(hours=i),
        "confirmed_at": T0 + timedelta(hours=i, minutes=5),
        "ip_hash": "a" * 64,
        "net_hashes": ["b" * 64],
    }
    values.update(fields)
    return Signature.objects.create(**values)


def _signed_campaign(slug: str = "deliver-me") -> Any:
    from dadkhah.campaign.models import OrgSignature

    campaign = make_campaign(slug)
    _sign(campaign, 1, name='=HYPERLINK("http://x")', country="GB", city="London")
    _sign(campaign, 2, name="مریم رضایی", country="IR", city="تهران", visibility="public")
    _sign(campaign, 3, visibility="anonymous", country="FR", city="Paris")
    _sign(campaign, 4, confirmed_at=T0 + timedelta(days=2))
    _sign(campaign, 5, state="pending", confirmed_at=None, name="Pending Person")
    _sign(campaign, 6, state="fraudulent", name="Flagged Person")
    _sign(campaign, 7, state="invalidated", name="Removed Person", removed_at=T0)
    OrgSignature.objects.create(
        campaign=campaign,
        state=OrgSignature.State.APPROVED,
        name="Synthetic Justice Association",
        name_fa="انجمن ساختگی دادخواهی",
        country="NL",
        website="https://justice.example.org",
        domain="justice.example.org",
        ecosoc_status=OrgSignature.Ecosoc.SPECIAL,
        contact_name="Contact Person",
        contact_email="contact@justice.example.org",
    )
    OrgSignature.objects.create(
        campaign=campaign,
        state=OrgSignature.State.CONFIRMED,
        name="Unapproved Synthetic Org",
        country="NL",
        website="https://other.example.org",
        domain="other.example.org",
        contact_name="Other Contact",
        contact_email="c@other.example.org",
    )
    return campaign


def _read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8"))))


@pytest.mark.django_db
def test_package_holds_the_validated_signatures_and_never_an_email(home: Path, tmp_path: Path):
    from dadkhah.campaign.delivery import make_package

    campaign = _signed_campaign()
    out = tmp_path / "pkg"
    made = make_package(campaign, out, "organizer", "OHCHR petitions unit")
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "MANIFEST.sha256",
        "manifest.json",
        "organisations.csv",
        "package.pdf",
        "signatures.csv",
        "totals.csv",
    ]
    raw = (out / "signatures.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = _read_csv(out / "signatures.csv")
    assert [r["name"] for r in rows] == [
        '\'=HYPERLINK("http://x")',
        "مریم رضایی",
        "Anonymous",
        "Synthetic Signer 4",
    ]
    assert rows[2] == {"name": "Anonymous", "country": "FR", "city": "", "signed": ""}
    assert rows[1] == {
        "name": "مریم رضایی",
        "country": "IR",
        "city": "تهران",
        "signed": "2026-03-01",
    }
    assert rows[3]["signed"] == "2026-03-03"
    everything = b"".join((out / n).read_bytes() for n in names)
    for secret in (b"example.org\n", b"signer1@", b"contact@", b"Contact Person", b"a" * 64):
        assert secret not in everything
    for never in ("Pending Person", "Flagged Person", "Removed Person", "Unapproved"):
        assert never.encode() not in everything
    totals = _read_csv(out / "totals.csv")
    assert {(t["scope"], t["key"]): int(t["signatures"]) for t in totals} == {
        ("total", ""): 4,
        ("removed", ""): 1,
        ("country", "DE"): 1,
        ("country", "FR"): 1,
        ("country", "GB"): 1,
        ("country", "IR"): 1,
        ("day", "2026-03-01"): 3,
        ("day", "2026-03-03"): 1,
    }
    orgs = _read_csv(out / "organisations.csv")
    assert orgs == [
        {
            "name": "Synthetic Justice Association",
            "name_fa": "انجمن ساختگی دادخواهی",
            "country": "NL",
            "website": "https://justice.example.org",
            "ecosoc_status": "special",
        }
    ]
    assert (made.signatures, made.anonymous, made.removed, made.organisations) == (4, 1, 1, 1)


@pytest.mark.django_db
def test_manifest_verifies_with_sha256sum_and_names_the_content_hash(home: Path, tmp_path: Path):
    from dadkhah.campaign.delivery import make_package

    campaign = _signed_campaign()
    out = tmp_path / "pkg"
    made = make_package(campaign, out, "organizer", "requester")
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    data = "".join(
        f"{hashlib.sha256((out / n).read_bytes()).hexdigest()}  {n}\n"
        for n in ("organisations.csv", "signatures.csv", "totals.csv")
    )
    assert manifest["content_hash"] == made.content_hash
    assert made.content_hash == "sha256:" + hashlib.sha256(data.encode()).hexdigest()
    assert manifest["counts"]["signatures"] == 4 and manifest["synthetic"] is True
    sha256sum = shutil.which("sha256sum")
    if sha256sum is None:
        pytest.skip("sha256sum is not installed")
    ok = subprocess.run([sha256sum, "-c", "MANIFEST.sha256"], cwd=out, capture_output=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    listed = (out / "MANIFEST.sha256").read_text().splitlines()
    assert len(listed) == 5 and all("MANIFEST" not in line for line in listed)
    (out / "signatures.csv").write_bytes(b"name,country,city,signed\nForged,IR,,\n")
    bad = subprocess.run([sha256sum, "-c", "MANIFEST.sha256"], cwd=out, capture_output=True)
    assert bad.returncode == 1


@pytest.mark.django_db
def test_package_is_logged_in_the_custody_ledger(home: Path, tmp_path: Path):
    from dadkhah.campaign.delivery import make_package
    from dadkhah.vault.models import Checkpoint, LedgerEntry

    campaign = _signed_campaign()
    made = make_package(campaign, tmp_path / "pkg", "organizer", "Special Rapporteur's office")
    entry = LedgerEntry.objects.get(seq=made.ledger_seq)
    body = json.loads(entry.body)
    assert entry.event == "campaign-delivery" and entry.actor == "organizer"
    details = body["details"]
    assert details["campaign"] == campaign.slug
    assert details["requester"] == "Special Rapporteur's office"
    assert details["counts"] == {
        "signatures": 4,
        "anonymous": 1,
        "removed": 1,
        "organisations": 1,
        "countries": 4,
    }
    manifest = (tmp_path / "pkg" / "MANIFEST.sha256").read_bytes()
    assert details["manifest"] == "sha256:" + hashlib.sha256(manifest).hexdigest()
    assert Checkpoint.objects.order_by("-size").first().size == made.ledger_seq + 1


@pytest.mark.django_db
def test_same_data_gives_the_same_files(home: Path, tmp_path: Path):
    from dadkhah.campaign.delivery import make_package

    rng = random.Random(SEED)
    print(f"seed {SEED}")  # noqa: T201 - replay a failure with this seed
    campaign = make_campaign("stable")
    for i in range(40):
        _sign(
            campaign,
            i,
            country=rng.choice(["IR", "DE", "SE", "CA"]),
            visibility=rng.choice(["public", "private", "anonymous"]),
            confirmed_at=T0 + timedelta(hours=rng.randrange(0, 24 * 20)),
        )
    first = make_package(campaign, tmp_path / "a", "organizer", "requester")
    second = make_package(campaign, tmp_path / "b", "organizer", "requester")
    assert first.files == second.files
    assert first.ledger_seq != second.ledger_seq
    for name in first.files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    _sign(campaign, 99, confirmed_at=T0 + timedelta(days=30))
    third = make_package(campaign, tmp_path / "c", "organizer", "requester")
    assert third.content_hash != first.content_hash


@pytest.mark.django_db
def test_refusals_leave_nothing_behind(home: Path, tmp_path: Path):
    from dadkhah.campaign.delivery import DeliveryError, make_package
    from dadkhah.vault.models import LedgerEntry

    draft = make_campaign("a-draft", state="draft")
    with pytest.raises(DeliveryError, match="only a published or closed"):
        make_package(draft, tmp_path / "x", "organizer", "requester")
    campaign = _signed_campaign()
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    with pytest.raises(DeliveryError, match="not an empty directory"):
        make_package(campaign, full, "organizer", "requester")
    with pytest.raises(DeliveryError, match="requester"):
        make_package(campaign, tmp_path / "y", "organizer", "  ")
    with pytest.raises(DeliveryError, match="no such directory"):
        make_package(campaign, tmp_path / "nope" / "deeper", "organizer", "requester")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full", "home"]
    assert not LedgerEntry.objects.filter(event="campaign-delivery").exists()


@pytest.mark.django_db
def test_pdf_says_synthetic_on_every_page_and_carries_the_hash(home: Path, tmp_path: Path):
    pypdf = pytest.importorskip("pypdf")
    from dadkhah.campaign.delivery import make_package

    campaign = _signed_campaign()
    for i in range(10, 200):
        _sign(campaign, i, confirmed_at=T0 + timedelta(days=1, minutes=i))
    made = make_package(campaign, tmp_path / "pkg", "organizer", "requester")
    reader = pypdf.PdfReader(tmp_path / "pkg" / "package.pdf")
    assert len(reader.pages) >= 3
    short = made.content_hash
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert "SYNTHETIC" in text, number
        assert short[:30] in text.replace("\n", ""), number
        assert f"page {number} / {len(reader.pages)}" in text
    whole = "".join(page.extract_text() for page in reader.pages)
    assert "Synthetic Justice Association" in whole and "signer1@" not in whole


@pytest.mark.django_db
def test_zip_holds_the_package(home: Path, tmp_path: Path):
    from dadkhah.campaign.delivery import make_package, zip_package

    campaign = _signed_campaign()
    made = make_package(campaign, tmp_path / "pkg", "organizer", "requester")
    data = zip_package(made)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert f"{campaign.slug}-delivery/MANIFEST.sha256" in names
        assert (
            archive.read(f"{campaign.slug}-delivery/signatures.csv")
            == (tmp_path / "pkg" / "signatures.csv").read_bytes()
        )


@pytest.mark.django_db
def test_cli_package(home: Path, tmp_path: Path):
    from click.testing import CliRunner

    from dadkhah.cli import main

    campaign = _signed_campaign()
    out = tmp_path / "cli-pkg"
    args = ["campaign", "package", campaign.slug, "--out", str(out)]
    result = CliRunner().invoke(main, [*args, "--actor", "organizer", "--requester", "OHCHR"])
    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)
    assert made["signatures"] == 4 and made["ledger_seq"] == 0
    assert (out / "package.pdf").read_bytes().startswith(b"%PDF")
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 2 and "not an empty directory" in again.stderr
    unknown = CliRunner().invoke(
        main, ["campaign", "package", "nope", "--out", str(tmp_path / "z")]
    )
    assert unknown.exit_code == 2 and "no campaign 'nope'" in unknown.stderr


# ---------------------------------------------------------------------------- at scale


def _many(campaign: Any, n: int, rng: random.Random) -> None:
    """``n`` validated synthetic signatures, a third with Persian names and cities."""
    from dadkhah.campaign.models import Signature

    persian = ["مریم رضایی", "علی محمدی", "زهرا کریمی", "بهروز تهرانی"]
    rows = []
    for i in range(n):
        fa = i % 3 == 0
        rows.append(
            Signature(
                campaign=campaign,
                state=Signature.State.VALIDATED,
                name=rng.choice(persian) if fa else f"Synthetic Signer {i}",
                email_normalized=f"many{i}@example.org",
                email_domain="example.org",
                country="IR" if fa else rng.choice(["DE", "SE", "CA"]),
                city="تهران" if fa else "Berlin",
                visibility=rng.choice(["public", "private", "private", "anonymous"]),
                consent=True,
                created_at=T0,
                confirmed_at=T0 + timedelta(minutes=i),
            )
        )
    Signature.objects.bulk_create(rows)


def _page_texts(pdf: bytes) -> list[str]:
    pypdf = pytest.importorskip("pypdf")
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.django_db
def test_chunked_pdf_numbers_pages_on_and_prints_one_hash(home: Path, tmp_path: Path):
    import re

    from dadkhah.campaign.delivery import make_package

    rng = random.Random(SEED)
    print(f"seed {SEED}")  # noqa: T201 - replay a failure with this seed
    campaign = _signed_campaign("chunked")
    _many(campaign, 130, rng)
    made = make_package(campaign, tmp_path / "pkg", "organizer", "requester", chunk=40, workers=1)
    texts = _page_texts((tmp_path / "pkg" / "package.pdf").read_bytes())
    total = len(texts)
    # 134 names in 4 parts of at most 40: each part starts a page, the cover has its own
    assert total >= 5
    for number, text in enumerate(texts, start=1):
        flat = text.replace("\n", " ")
        assert flat.count(f"Content {made.content_hash} · page {number} / {total}") == 1, number
        # one footer, no other page counter (such as the counting report's "N / M")
        assert len(re.findall(r"\d+ / \d+", flat)) == 1, flat[-200:]
        assert flat.count("sha256:") == (2 if number == 1 else 1), number
        assert "SYNTHETIC" in text, number
    numbers = [int(m) for m in re.findall(r"(?m)^(\d+)\. ", "\n".join(texts))]
    assert numbers == list(range(1, 135))
    assert "\n".join(texts).count("Signatories") == 1


@pytest.mark.django_db
def test_pdf_bytes_do_not_depend_on_workers_or_runs(home: Path, tmp_path: Path):
    from dadkhah.campaign.delivery import build_files

    rng = random.Random(SEED + 1)
    print(f"seed {SEED + 1}")  # noqa: T201 - replay a failure with this seed
    campaign = make_campaign("same-bytes")
    _many(campaign, 90, rng)
    one = build_files(campaign, chunk=30, workers=1)
    two = build_files(campaign, chunk=30, workers=2)
    assert one.files["package.pdf"] == two.files["package.pdf"]
    assert one.files == two.files and one.manifest_sha256 == two.manifest_sha256
    whole = build_files(campaign, chunk=1000, workers=1)
    assert whole.content_hash == one.content_hash  # same data, other parts: same hash
    assert whole.files["signatures.csv"] == one.files["signatures.csv"]


def test_signatory_line_isolates_names_and_drops_controls():
    from dadkhah.campaign.delivery import Signatory, signatory_line

    line = signatory_line(
        7, Signatory("مریم\u202e رضایی\n", "IR", "تهران", datetime(2026, 3, 1).date())
    )
    assert line == "7. \u2068مریم رضایی \u2069 — \u2068تهران\u2069, IR, 2026-03-01"
    assert (
        signatory_line(8, Signatory("Anonymous", "FR", "", None)) == "8. \u2068Anonymous\u2069 — FR"
    )


@pytest.mark.django_db
def test_chunk_must_be_positive(home: Path, tmp_path: Path):
    from dadkhah.campaign.delivery import DeliveryError, make_package
    from dadkhah.vault.models import LedgerEntry

    campaign = _signed_campaign("bad-chunk")
    with pytest.raises(DeliveryError, match="chunk must be a positive"):
        make_package(campaign, tmp_path / "pkg", "organizer", "requester", chunk=0)
    assert not (tmp_path / "pkg").exists()
    assert not LedgerEntry.objects.filter(event="campaign-delivery").exists()


# ---------------------------------------------------------------------------- on the web


@pytest.fixture
def immediate() -> Any:
    from huey.contrib.djhuey import HUEY

    before = HUEY.immediate
    HUEY.immediate = True  # tasks run at once, in this process
    try:
        yield HUEY
    finally:
        HUEY.immediate = before


def _staff(user: Any) -> Any:
    from django.test import Client

    from tests.factories import PASSWORD

    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.mark.django_db
def test_web_package_is_prepared_in_the_background(
    home: Path, users: Any, immediate: Any, django_capture_on_commit_callbacks: Any
):
    from dadkhah.campaign.delivery_jobs import run_request
    from dadkhah.campaign.models import PackageRequest
    from dadkhah.vault.models import LedgerEntry

    campaign = _signed_campaign("web-package")
    inv = _staff(users["investigator"])
    url = f"/campaign/manage/{campaign.slug}/package/"
    # the request only queues: nothing is made while the transaction is open
    asked = inv.post(url, {"requester": "OHCHR"})
    assert asked.status_code == 303
    waiting = inv.get(asked["Location"])
    page = waiting.content.decode()
    assert waiting.status_code == 200 and waiting["Cache-Control"] == "no-store"
    assert '<meta http-equiv="refresh" content="3">' in page and "being prepared" in page
    assert "<script>" not in page and "Download the zip" not in page
    first = PackageRequest.objects.get()
    assert first.state == "queued"
    assert not LedgerEntry.objects.filter(event="campaign-delivery").exists()
    # asking again while it waits gives the same request
    again = inv.post(url, {"requester": "OHCHR"})
    assert again["Location"] == asked["Location"] and PackageRequest.objects.count() == 1
    # the queue runs it
    run_request(first.pk, workers=1)
    first.refresh_from_db()
    assert first.state == "ready" and first.signatures == 4
    stored = home / "campaign-packages" / campaign.slug / f"{first.manifest_sha256[7:]}.zip"
    assert stored.is_file() and stored.stat().st_size == first.size
    ready = inv.get(asked["Location"]).content.decode()
    assert "http-equiv" not in ready and "Download the zip" in ready
    got = inv.get(asked["Location"] + "zip/")
    assert got.status_code == 200 and got["Content-Type"] == "application/zip"
    assert got["X-Ledger-Seq"] == str(first.ledger_seq)
    body = b"".join(got.streaming_content)
    assert body == stored.read_bytes()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        manifest = archive.read(f"{campaign.slug}-delivery/MANIFEST.sha256")
    assert "sha256:" + hashlib.sha256(manifest).hexdigest() == first.manifest_sha256
    # the ledger entry is written once, when the package is made: a second run of the
    # task changes nothing
    entries = LedgerEntry.objects.filter(event="campaign-delivery")
    assert [e.seq for e in entries] == [first.ledger_seq]
    run_request(first.pk, workers=1)
    assert LedgerEntry.objects.filter(event="campaign-delivery").count() == 1
    # a new request once the first is ready: queued and made through the queue's task
    with django_capture_on_commit_callbacks(execute=True):
        later = inv.post(url, {"requester": "OHCHR"})
    second = PackageRequest.objects.exclude(pk=first.pk).get()
    assert later["Location"].endswith(f"/package/{second.pk}/") and second.state == "ready"
    assert second.manifest_sha256 == first.manifest_sha256  # same data, same file
    assert LedgerEntry.objects.filter(event="campaign-delivery").count() == 2
    listing = inv.get(url).content.decode()
    assert listing.count("/package/") >= 2 and "OHCHR" in listing


@pytest.mark.django_db
def test_web_package_is_for_staff_who_write(home: Path, users: Any):
    from django.test import Client

    from dadkhah.campaign.delivery_jobs import request_package, run_request
    from dadkhah.campaign.models import PackageRequest

    campaign = _signed_campaign("staff-only")
    made = run_request(request_package(campaign, users["investigator"], "OHCHR").pk, workers=1)
    assert made.state == "ready"
    base = f"/campaign/manage/{campaign.slug}/package/"
    for path in (base, f"{base}{made.pk}/", f"{base}{made.pk}/zip/"):
        assert _staff(users["reviewer"]).get(path).status_code == 403, path
        anonymous = Client().get(path)
        assert anonymous.status_code in (302, 403), path
        assert b"PK" not in anonymous.content[:2]
    assert _staff(users["reviewer"]).post(base, {"requester": "x"}).status_code == 403
    assert PackageRequest.objects.count() == 1


@pytest.mark.django_db
def test_web_package_failures_leave_no_zip_and_no_ledger_entry(home: Path, users: Any):
    from dadkhah.campaign.delivery_jobs import request_package, run_request
    from dadkhah.campaign.models import PackageRequest
    from dadkhah.vault.models import LedgerEntry

    campaign = _signed_campaign("goes-away")
    inv = _staff(users["investigator"])
    refused = inv.post(f"/campaign/manage/{campaign.slug}/package/", {"requester": "  "})
    assert refused.status_code == 400 and b"for whom" in refused.content
    asked = request_package(campaign, users["investigator"], "OHCHR")
    campaign.state = "draft"  # unpublished between the request and the task
    campaign.save(update_fields=["state"])
    failed = run_request(asked.pk, workers=1)
    assert failed.state == "failed" and "only a published or closed" in failed.error
    page = inv.get(f"/campaign/manage/{campaign.slug}/package/{asked.pk}/").content.decode()
    assert "could not be made" in page and "http-equiv" not in page
    assert inv.get(f"/campaign/manage/{campaign.slug}/package/{asked.pk}/zip/").status_code == 404
    assert not (home / "campaign-packages").exists() or not any(
        (home / "campaign-packages").rglob("*")
    )
    assert not LedgerEntry.objects.filter(event="campaign-delivery").exists()
    draft = make_campaign("still-draft", state="draft")
    refused = inv.post("/campaign/manage/still-draft/package/", {"requester": "OHCHR"})
    assert refused.status_code == 400 and b"only a published or closed" in refused.content
    assert not PackageRequest.objects.filter(campaign=draft).exists()


@pytest.mark.django_db
def test_upkeep_deletes_old_packages_but_not_a_shared_file(home: Path, users: Any, settings):
    from django.utils import timezone

    from dadkhah.campaign.delivery_jobs import (
        STUCK_AFTER,
        expire_packages,
        package_path,
        request_package,
        run_request,
    )
    from dadkhah.campaign.models import PackageRequest

    days = settings.CONFIG.campaign_package_days
    campaign = _signed_campaign("expiring")
    old = run_request(request_package(campaign, users["investigator"], "A").pk, workers=1)
    new = run_request(request_package(campaign, users["investigator"], "B").pk, workers=1)
    assert old.manifest_sha256 == new.manifest_sha256
    path = package_path(campaign.slug, old.manifest_sha256)
    now = timezone.now()
    PackageRequest.objects.filter(pk=old.pk).update(finished_at=now - timedelta(days=days + 1))
    assert expire_packages(now) == 1
    old.refresh_from_db()
    assert old.state == "expired" and path.is_file()  # B still points at the file
    inv = _staff(users["investigator"])
    gone = inv.get(f"/campaign/manage/{campaign.slug}/package/{old.pk}/")
    assert b"was deleted" in gone.content
    assert inv.get(f"/campaign/manage/{campaign.slug}/package/{old.pk}/zip/").status_code == 404
    assert expire_packages(now + timedelta(days=days + 1)) == 1
    assert not path.exists() and PackageRequest.objects.filter(state="expired").count() == 2
    stuck = request_package(campaign, users["investigator"], "C")
    PackageRequest.objects.filter(pk=stuck.pk).update(
        state="making", started_at=now - STUCK_AFTER - timedelta(minutes=1)
    )
    assert expire_packages(now) == 0
    stuck.refresh_from_db()
    assert stuck.state == "failed" and "interrupted" in stuck.error
