"""Ingest: files, folders, e-mail, restricted items, derivatives, custody acts, and the CLI."""

from __future__ import annotations

import hashlib
import io
import json
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner

from dadkhah.cli import main
from dadkhah.core.confidentiality import Level
from dadkhah.vault import crypto, services
from dadkhah.vault.canonical import canonical_json
from dadkhah.vault.ingest import Ingest
from dadkhah.vault.models import Item, LedgerEntry, Receipt
from dadkhah.vault.verify import verify_all
from tests.vault.conftest import leftover_files, stored_blobs

pytestmark = pytest.mark.django_db

RECORD_FIELDS = {
    "sha256",
    "size",
    "mime",
    "original_name",
    "original_path",
    "source",
    "url",
    "collector",
    "capture_tool",
    "capture_tool_version",
    "received_at",
    "kind",
    "parent",
    "derivation",
    "container",
    "consent",
    "restrictions",
    "encrypted",
    "note",
    "warnings",
}


def image(fmt: str) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "gray").save(out, fmt)
    return out.getvalue()


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def ingest(*paths: Path, **kwargs) -> Ingest:
    kwargs.setdefault("extract", False)
    with Ingest(kwargs.pop("collector", "investigator-1"), **kwargs) as run:
        for path in paths:
            run.add(str(path))
    return run


def test_a_file_gets_a_full_preservation_record_hashed_into_the_ledger(vault_home, tmp_path):
    letter = tmp_path / "letter-1367.txt"
    letter.write_bytes("نامه‌ی یک زندانی، مرداد ۱۳۶۷\n".encode())
    run = ingest(
        letter,
        note="received in person",
        source="the prisoner's sister",
        consent="may be shown to courts",
    )
    assert run.problems == [] and len(run.items) == 1
    item, name = run.items[0]
    assert name == "letter-1367.txt"
    assert item.sha256 == sha(letter.read_bytes())
    assert (item.size, item.mime, item.name) == (letter.stat().st_size, "text/plain", name)
    assert item.uid == "it-" + item.hex[:12]
    assert not item.is_derivative and item.confidentiality == Level.INTERNAL

    receipt = Receipt.objects.get(item=item)
    record = json.loads(receipt.record)
    assert record.keys() >= RECORD_FIELDS
    assert record["original_path"] == str(letter)
    assert record["collector"] == "investigator-1" and record["source"] == "the prisoner's sister"
    assert record["consent"] == "may be shown to courts" and record["note"] == "received in person"
    assert (record["capture_tool"], record["kind"]) == ("dadkhah", "original")
    assert record["capture_tool_version"] == services.tool_version()
    assert record["received_at"].endswith("Z") and receipt.received_at.tzinfo is not None

    entry = receipt.ledger_entry
    body = json.loads(entry.body)
    assert (entry.event, entry.actor, entry.item_sha256) == (
        "ingest",
        "investigator-1",
        item.sha256,
    )
    assert body["details"]["record"] == record
    assert canonical_json(body["details"]["record"]).decode() == receipt.record
    assert stored_blobs(vault_home / "blobs") == [item.hex]
    with services.open_item(item) as handle:
        assert handle.read() == letter.read_bytes()


def test_the_same_bytes_twice_are_stored_once_with_two_receipts(vault_home, tmp_path):
    first, second = tmp_path / "scan.pdf", tmp_path / "copy-from-ngo.pdf"
    first.write_bytes(b"%PDF-1.4\n% the same scan\n")
    second.write_bytes(first.read_bytes())
    one = ingest(first, collector="alice")
    two = ingest(second, collector="bob")
    assert one.items[0][0].pk == two.items[0][0].pk
    assert Item.objects.count() == 1
    receipts = Receipt.objects.order_by("id")
    assert [(r.original_name, r.collector) for r in receipts] == [
        ("scan.pdf", "alice"),
        ("copy-from-ngo.pdf", "bob"),
    ]
    assert LedgerEntry.objects.filter(event="ingest").count() == 2
    assert len(stored_blobs(vault_home / "blobs")) == 1


def test_a_folder_is_walked_recursively_keeping_relative_paths(
    vault_home, tmp_path, django_capture_on_commit_callbacks
):
    root = tmp_path / "from-family"
    (root / "photos" / "1988").mkdir(parents=True)
    (root / "letters").mkdir()
    (root / "photos" / "1988" / "yard.jpg").write_bytes(image("JPEG"))
    (root / "letters" / "a.txt").write_text("first letter\n")
    (root / "letters" / "b.txt").write_text("second letter\n")
    (root / "letters" / "link.txt").symlink_to(root / "letters" / "a.txt")
    (root / "outside").symlink_to(tmp_path)
    with django_capture_on_commit_callbacks(execute=True):  # as if each batch committed
        run = ingest(root)
    paths = sorted(json.loads(r.record)["original_path"] for r in Receipt.objects.order_by("id"))
    assert paths == [
        f"{root}/letters/a.txt",
        f"{root}/letters/b.txt",
        f"{root}/photos/1988/yard.jpg",
    ]
    assert sorted(name for _item, name in run.items) == ["a.txt", "b.txt", "yard.jpg"]
    assert {item.mime for item, _name in run.items} == {"text/plain", "image/jpeg"}
    assert any("link.txt: symbolic link, not followed" in w for w in run.warnings)
    assert any("outside: symbolic link, not followed" in w for w in run.warnings)
    assert run.problems == []
    assert leftover_files(vault_home / "blobs") == []  # no temporary file, no intent marker


def test_missing_input_is_a_problem_and_the_rest_is_still_preserved(vault_home, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("kept")
    run = ingest(tmp_path / "nope.txt", good)
    assert run.problems == [f"{tmp_path / 'nope.txt'}: no such file or directory"]
    assert [name for _item, name in run.items] == ["good.txt"]
    with pytest.raises(services.IngestError, match="nope.txt"):
        services.ingest_path([tmp_path / "nope.txt", good], "investigator-1", extract=False)
    assert Item.objects.count() == 1 and Receipt.objects.count() == 2


def test_restricted_items_are_encrypted_at_rest_and_hashed_as_received(vault_home, tmp_path):
    secret = tmp_path / "witness-name.txt"
    plaintext = b"The witness is " + b"X" * 200 + b"; protect her identity."
    secret.write_bytes(plaintext)
    run = ingest(secret, restricted=True)
    item = run.items[0][0]
    assert item.encrypted and item.confidentiality == Level.RESTRICTED
    assert item.sha256 == sha(plaintext) and item.size == len(plaintext)
    stored = (vault_home / "blobs" / item.hex[:2] / item.hex[2:4] / item.hex).read_bytes()
    assert crypto.is_encrypted(stored) and b"protect her identity" not in stored
    with services.open_item(item) as handle:
        assert handle.read() == plaintext
    record = json.loads(Receipt.objects.get(item=item).record)
    assert record["encrypted"] is True and "AES-256-GCM" in record["restrictions"]
    assert (vault_home / "keys" / "data.key").exists()  # the key lives outside the database

    text = services.store_derivative(item, b"extracted text", "text", "text/plain", "extractor")
    assert text.encrypted and text.confidentiality == Level.RESTRICTED
    with services.open_item(text) as handle:
        assert handle.read() == b"extracted text"


def test_restricting_bytes_already_preserved_in_clear_warns_and_rewrites_nothing(
    vault_home, tmp_path
):
    path = tmp_path / "doc.txt"
    path.write_text("same bytes")
    item = ingest(path).items[0][0]
    again = ingest(path, restricted=True)
    assert again.items[0][0].pk == item.pk and not Item.objects.get(pk=item.pk).encrypted
    assert any("preserved before without encryption" in w for w in again.warnings)


def mail_with_attachments() -> bytes:
    message = EmailMessage()
    message["From"] = "Family <family@example.org>"
    message["To"] = "investigator@example.org"
    message["Subject"] = "اسناد پدرم — documents about my father"
    message["Date"] = "Sat, 20 Aug 1988 10:00:00 +0430"
    message["Message-ID"] = "<synthetic-1@example.org>"
    message.set_content("Attached are his last letter and a photograph.")
    message.add_attachment(
        "آخرین نامه".encode(), maintype="text", subtype="plain", filename="نامه.txt"
    )
    message.add_attachment(image("PNG"), maintype="image", subtype="png", filename="photo.png")
    return bytes(message)


def test_an_email_is_preserved_with_its_headers_and_each_attachment(vault_home, tmp_path):
    path = tmp_path / "from-family.eml"
    path.write_bytes(mail_with_attachments())
    run = ingest(path)
    assert run.problems == []
    message, letter, photo = (item for item, _name in run.items)
    assert message.sha256 == sha(path.read_bytes()) and message.mime == "message/rfc822"
    record = json.loads(Receipt.objects.get(item=message).record)
    assert record["email"]["subject"] == "اسناد پدرم — documents about my father"
    assert record["email"]["message_id"] == "<synthetic-1@example.org>"
    assert ["From", "Family <family@example.org>"] in record["email"]["headers"]
    assert record["email"]["attachments"] == 2
    assert [name for _item, name in run.items[1:]] == ["نامه.txt", "photo.png"]
    assert letter.parent_id == message.pk and photo.parent_id == message.pk
    assert (letter.derivation, photo.mime) == ("attachment", "image/png")
    with services.open_item(letter) as handle:
        assert handle.read() == "آخرین نامه".encode()
    inner = json.loads(Receipt.objects.get(item=photo).record)
    assert inner["container"] == {
        "kind": "email",
        "sha256": message.sha256,
        "part": 2,
        "content_type": "image/png",
    }
    assert inner["original_path"] == f"{path}#attachment-2"


def test_derivatives_are_linked_items_with_derive_entries_stored_once(vault_home, tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF-1.4\n%%EOF\n")
    parent = ingest(path).items[0][0]
    text = services.store_derivative(parent, b"page one", "ocr", "text/plain", "extractor")
    assert (text.is_derivative, text.parent_id, text.derivation) == (True, parent.pk, "ocr")
    assert text.name == "scan.ocr.txt" and text.mime == "text/plain"
    entry = Receipt.objects.get(item=text).ledger_entry
    assert (entry.event, entry.actor) == ("derive", "extractor")
    record = json.loads(entry.body)["details"]["record"]
    assert (record["kind"], record["parent"], record["derivation"]) == (
        "derivative",
        parent.sha256,
        "ocr",
    )
    again = services.store_derivative(parent, b"page one", "ocr", "text/plain", "extractor")
    assert again.pk == text.pk
    assert LedgerEntry.objects.filter(event="derive").count() == 1


def test_views_and_downloads_are_custody_events(vault_home, tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("x")
    item = ingest(path).items[0][0]
    view = services.record_view(item, "reviewer-2", "check the translation")
    download = services.record_download(item, "prosecutor", "court exhibit 14")
    assert [(e.event, e.actor, e.purpose, e.item_sha256) for e in (view, download)] == [
        ("view", "reviewer-2", "check the translation", item.sha256),
        ("download", "prosecutor", "court exhibit 14", item.sha256),
    ]
    assert view.seq < download.seq


def test_upload_of_a_file_object(vault_home, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("ویدیو.txt", "متن".encode())
    items = services.ingest_upload(upload, "ویدیو.txt", collector="web-user", source="upload")
    assert items[0].name == "ویدیو.txt" and items[0].sha256 == sha("متن".encode())


def test_what_ingest_records_passes_verify(vault_home, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("first")
    (tmp_path / "in" / "b.eml").write_bytes(mail_with_attachments())
    (tmp_path / "secret.txt").write_text("restricted")
    ingest(tmp_path / "in")
    ingest(tmp_path / "secret.txt", restricted=True)
    report = verify_all(actor="test")
    assert report.ok, [str(p) for p in report.problems]
    assert report.items == Item.objects.count() == 5


def test_cli_prints_one_json_line_per_item_and_exits_2_on_bad_input(vault_home, tmp_path):
    (tmp_path / "a.txt").write_text("alpha")
    (tmp_path / "b.txt").write_text("beta")
    result = CliRunner().invoke(
        main,
        [
            "ingest",
            str(tmp_path / "a.txt"),
            str(tmp_path / "missing.pdf"),
            str(tmp_path / "b.txt"),
            "--collector",
            "cli-user",
            "--note",
            "batch 7",
        ],
    )
    assert result.exit_code == 2
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["name"] for line in lines] == ["a.txt", "b.txt"]
    for line in lines:
        assert set(line) == {"id", "sha256", "mime", "name"}
        item = Item.objects.get(uid=line["id"])
        assert (line["sha256"], line["mime"]) == (item.sha256, item.mime)
    assert f"{tmp_path / 'missing.pdf'}: no such file or directory" in result.stderr
    assert {r.note for r in Receipt.objects.all()} == {"batch 7"}
    ok = CliRunner().invoke(main, ["ingest", str(tmp_path / "a.txt")])
    assert ok.exit_code == 0 and len(ok.stdout.splitlines()) == 1


def test_an_ingest_signs_a_checkpoint_over_what_it_received(tmp_path):
    from dadkhah.vault import ledger, services
    from dadkhah.vault.models import Checkpoint, LedgerEntry

    (tmp_path / "letter.txt").write_text("a synthetic letter", encoding="utf-8")
    services.ingest_path(tmp_path / "letter.txt", collector="tester")
    latest = Checkpoint.objects.order_by("-size").first()
    assert latest is not None
    assert latest.size == LedgerEntry.objects.count()
    assert ledger.checkpoint() is not None
