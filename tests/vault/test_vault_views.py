"""The vault's staff pages through Django's test client, as each role.

Staff only: anonymous visitors are sent to log in, users without a staff role get 403,
reviewers see internal items but not restricted (encrypted) ones, and only investigators
and administrators upload. Every page, preview and download that serves content adds a
custody entry; a download needs a purpose and always comes as an attachment.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from dadkhah.vault import services, tasks
from dadkhah.vault.models import Item, LedgerEntry, Receipt
from tests.vault import documents

pytestmark = pytest.mark.django_db

MARKER = "RESTRICTED-MARKER-4c1"


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def preserve(tmp_path: Path, name: str, data: bytes, **kwargs: Any) -> Item:
    path = tmp_path / name
    path.write_bytes(data)
    (item,) = services.ingest_path(path, collector="test-investigator", extract=False, **kwargs)
    return item


@pytest.fixture
def items(vault_home: Path, tmp_path: Path, huey_immediate: Any) -> dict[str, Item]:
    letter = preserve(tmp_path, "letter.txt", b"A letter from Evin, summer 1367")
    secret = preserve(
        tmp_path, f"{MARKER}.txt", f"witness {MARKER} statement".encode(), restricted=True
    )
    page = preserve(tmp_path, "page.html", b"<html><script>alert(1)</script><p>hi</p></html>")
    photo = preserve(tmp_path, "photo.jpg", documents.jpeg_with_exif())
    for item in (letter, secret, page):
        tasks.run_extraction(item.pk)
    return {"letter": letter, "secret": secret, "page": page, "photo": photo}


def urls(item: Item) -> list[str]:
    base = f"/vault/items/{item.uid}/"
    return [base, base + "extraction/", base + "preview/", base + "download/"]


def test_anonymous_visitors_are_sent_to_log_in(items):
    client = Client()
    for url in ["/vault/", "/vault/upload/", *urls(items["letter"])]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next=")
    assert client.post("/vault/upload/").status_code == 302
    assert not LedgerEntry.objects.filter(event__in=["view", "download"]).exists()


def test_users_without_a_staff_role_are_refused(items):
    nobody = get_user_model().objects.create_user("no-role", password="x" * 20)
    client = client_for(nobody)
    for url in ["/vault/", "/vault/upload/", *urls(items["letter"])]:
        assert client.get(url).status_code == 403, url


def test_the_vault_link_is_for_staff(users, items):
    assert 'href="/vault/"' not in Client().get("/").content.decode()
    assert 'href="/vault/"' in client_for(users["reviewer"]).get("/").content.decode()


def test_reviewer_sees_internal_items_but_not_restricted_ones(users, items):
    client = client_for(users["reviewer"])
    listing = client.get("/vault/").content.decode()
    assert "letter.txt" in listing
    assert MARKER not in listing
    for url in urls(items["secret"]):
        assert client.get(url).status_code == 404, url
    assert client.get("/vault/?q=RESTRICTED").content.decode().count(MARKER) == 0

    page = client.get(items["letter"].get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert "A letter from Evin, summer 1367" in html  # the extracted text, page 1
    assert "Preservation record" in html and "test-investigator" in html
    assert items["letter"].sha256 in html
    assert "inclusion proof verified" in html
    assert "checkpoint signature valid" in html
    view = LedgerEntry.objects.filter(event="view", item_sha256=items["letter"].sha256).get()
    assert view.actor == "test-reviewer"
    assert f'<td class="num">{view.seq}</td>' in html  # the view itself is in the history


def test_reviewer_may_not_upload(users, items):
    client = client_for(users["reviewer"])
    assert client.get("/vault/upload/").status_code == 403
    upload = io.BytesIO(b"x")
    upload.name = "x.txt"
    assert client.post("/vault/upload/", {"files": upload}).status_code == 403


def test_investigator_sees_restricted_text_decrypted(users, items):
    client = client_for(users["investigator"])
    assert MARKER in client.get("/vault/").content.decode()
    html = client.get(items["secret"].get_absolute_url()).content.decode()
    assert f"witness {MARKER} statement" in html
    assert "encrypted at rest" in html


def test_download_needs_a_purpose_and_is_logged(users, items):
    client = client_for(users["reviewer"])
    letter = items["letter"]
    url = f"/vault/items/{letter.uid}/download/"
    assert "Purpose of this download" in client.get(url).content.decode()
    refused = client.post(url, {"purpose": "  "})
    assert refused.status_code == 400
    assert not LedgerEntry.objects.filter(event="download").exists()

    response = client.post(url, {"purpose": "expert analysis for case file 12"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="letter.txt"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"A letter from Evin, summer 1367"
    entry = LedgerEntry.objects.get(event="download")
    # an audit-trail entry: the ledger holds the hash of the entry, which holds the reason
    from dadkhah.accounts.audit import AuditEntry

    audited = AuditEntry.objects.get(ledger_seq=entry.seq)
    assert (entry.actor, audited.reason, entry.item_sha256) == (
        "test-reviewer",
        "expert analysis for case file 12",
        letter.sha256,
    )
    assert entry.purpose.startswith("audit sha256:") and "expert" not in entry.body
    history = client.get(letter.get_absolute_url()).content.decode()
    assert "expert analysis for case file 12" in history


def test_html_is_served_as_an_attachment_never_as_a_page(users, items):
    client = client_for(users["investigator"])
    page = items["page"]
    response = client.post(f"/vault/items/{page.uid}/download/", {"purpose": "check the page"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"<script>" in b"".join(response.streaming_content)
    assert client.get(f"/vault/items/{page.uid}/preview/").status_code == 404


def test_encrypted_download_is_the_plaintext(users, items):
    client = client_for(users["administrator"])
    secret = items["secret"]
    response = client.post(f"/vault/items/{secret.uid}/download/", {"purpose": "court filing"})
    assert b"".join(response.streaming_content) == f"witness {MARKER} statement".encode()


def test_image_preview_is_inline_and_logged(users, items):
    client = client_for(users["reviewer"])
    photo = items["photo"]
    html = client.get(photo.get_absolute_url()).content.decode()
    assert f'src="/vault/items/{photo.uid}/preview/"' in html
    response = client.get(f"/vault/items/{photo.uid}/preview/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert not response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == documents.jpeg_with_exif()
    purposes = list(
        LedgerEntry.objects.filter(event="view", item_sha256=photo.sha256)
        .order_by("seq")
        .values_list("purpose", flat=True)
    )
    assert purposes == ["opened the item page", "previewed the image"]


def test_extraction_section_polls_until_done(users, items):
    client = client_for(users["reviewer"])
    photo = items["photo"]  # not extracted yet: pending
    html = client.get(f"/vault/items/{photo.uid}/extraction/").content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert "pending" in html and "<progress" not in html
    Item.objects.filter(pk=photo.pk).update(extraction_status="running", extraction_progress=45)
    html = client.get(f"/vault/items/{photo.uid}/extraction/").content.decode()
    assert "extracting" in html and 'value="45"' in html and "45%" in html
    tasks.run_extraction(photo.pk)
    html = client.get(photo.get_absolute_url()).content.decode()
    assert "hx-trigger" not in html
    assert "SyntheticCam Model 7" in html and "35.7975, 51.392" in html  # EXIF
    thumbnail = photo.derivatives.get(derivation="thumbnail")
    assert f"/vault/items/{thumbnail.uid}/" in html  # listed among the working copies


def test_failed_extraction_shows_its_reason(users, items, tmp_path):
    broken = preserve(tmp_path, "broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog")
    tasks.run_extraction(broken.pk)
    html = client_for(users["reviewer"]).get(broken.get_absolute_url()).content.decode()
    assert "Extraction failed: corrupt PDF" in html


def test_upload_without_the_script_preserves_every_file(users, items):
    client = client_for(users["investigator"])
    first = io.BytesIO(b"first synthetic scan")
    first.name = "first.txt"
    second = io.BytesIO("دومین نامه".encode())
    second.name = "دوم.txt"
    response = client.post(
        "/vault/upload/",
        {"files": [first, second], "source": "a synthetic family", "consent": "for the case"},
    )
    assert response.status_code == 302
    done = client.get(response["Location"]).content.decode()
    assert "first.txt" in done and "دوم.txt" in done
    for name in ("first.txt", "دوم.txt"):
        receipt = Receipt.objects.get(original_name=name)
        assert receipt.collector == "test-investigator"
        assert receipt.source == "a synthetic family" and receipt.consent == "for the case"


def test_upload_with_the_script_answers_json(users, items):
    client = client_for(users["investigator"])
    upload = io.BytesIO(documents.docx_bytes())
    upload.name = "letter.docx"
    response = client.post(
        "/vault/upload/", {"files": upload}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    (item,) = json.loads(response.content)["items"]
    assert item["name"] == "letter.docx"
    assert item["url"] == f"/vault/items/{item['uid']}/"
    assert item["sha256"].startswith("sha256:")
    nothing = client.post("/vault/upload/", {}, headers={"Accept": "application/json"})
    assert nothing.status_code == 400
    assert "Choose at least one file" in json.loads(nothing.content)["error"]


def test_extract_again_is_for_editors(users, items):
    letter = items["letter"]
    url = f"/vault/items/{letter.uid}/extract/"
    assert client_for(users["reviewer"]).post(url).status_code == 403
    response = client_for(users["investigator"]).post(url)
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.extraction_status == "pending"


def test_a_large_upload_goes_through_a_temporary_file_and_twice_is_one_item(users, items):
    import hashlib
    import os

    client = client_for(users["investigator"])
    data = os.urandom(3 * 1024 * 1024)  # above Django's 2.5 MB: spooled to disk
    for name in ("scan-a.bin", "scan-b.bin"):
        upload = io.BytesIO(data)
        upload.name = name
        response = client.post(
            "/vault/upload/", {"files": upload}, headers={"Accept": "application/json"}
        )
        assert response.status_code == 200
    item = Item.objects.get(sha256=f"sha256:{hashlib.sha256(data).hexdigest()}")
    assert item.size == len(data) and item.name == "scan-a.bin"
    assert sorted(item.receipts.values_list("original_name", flat=True)) == [
        "scan-a.bin",
        "scan-b.bin",
    ]
