"""Tamper tests: each way of altering the vault is caught by ``verify`` and named."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner
from django.db import transaction

from dadkhah.cli import main
from dadkhah.vault import keys, ledger, merkle
from dadkhah.vault.models import Checkpoint, Item, LedgerEntry, Receipt
from dadkhah.vault.verify import verify_all
from tests.vault.factories_vault import make_item, use_home

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def home(settings, tmp_path):
    return use_home(settings, tmp_path)


@pytest.fixture
def verify(django_capture_on_commit_callbacks):
    """verify_all, with the checkpoint copied outside the database as on a real commit."""

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return verify_all(**kwargs)

    return run


@pytest.fixture
def vault(verify):
    """Three items, a view, a checkpoint kept in and outside the database, then more."""
    items = [make_item(f"synthetic letter {i}\n".encode(), f"letter-{i}.txt") for i in range(3)]
    ledger.append("view", "reviewer", "check the scan", items[0].sha256)
    first = verify()
    assert first.ok, first.problems
    assert first.signed == 4
    items.append(make_item(b"synthetic photo bytes", "photo.jpg", mime="image/jpeg"))
    items.append(make_item(b"restricted testimony\n", "testimony.txt", restricted=True))
    second = verify()
    assert second.ok, second.problems
    assert second.signed == 6
    return items


def kinds(report) -> set[str]:
    return {p.kind for p in report.problems}


def named(report, **names) -> list:
    return [p for p in report.problems if all(getattr(p, k) == v for k, v in names.items())]


def flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def blob_file(home, item: Item):
    return home / "blobs" / item.hex[:2] / item.hex[2:4] / item.hex


def rewrite_entry(seq: int, body: str, *, rehash: bool) -> None:
    update = {"body": body}
    if rehash:
        update["leaf_hash"] = merkle.leaf_hash(body.encode()).hex()
    LedgerEntry.objects.filter(seq=seq).update(**update)


def test_intact_vault(vault, home, verify):
    report = verify()
    assert report.ok and report.problems == []
    assert report.items == 5 and report.receipts == 5 and report.entries == 6
    assert report.checkpoints == 2
    assert report.proofs >= 6  # an inclusion proof per entry and a consistency proof
    assert report.bytes == sum(item.size for item in vault)
    latest = ledger.latest_published()
    assert latest is not None and "\n6\n" in latest


def test_intact_run_is_an_audit_event(vault, verify):
    report = verify(actor="auditor")
    assert report.ok
    entry = LedgerEntry.objects.order_by("-seq").first()
    assert entry.event == "audit" and entry.actor == "auditor"
    assert json.loads(entry.body)["details"]["result"] == "intact"
    assert report.signed == entry.seq + 1


def test_flipped_byte_in_a_blob(vault, home, verify):
    path = blob_file(home, vault[1])
    os.chmod(path, 0o644)
    path.write_bytes(flip(path.read_bytes(), 3))
    report = verify()
    assert not report.ok
    assert [(p.kind, p.item) for p in report.problems] == [("blob-altered", vault[1].uid)]
    assert Checkpoint.objects.order_by("-size").first().size == 6  # nothing signed


def test_flipped_byte_in_an_encrypted_blob(vault, home, verify):
    path = blob_file(home, vault[4])
    os.chmod(path, 0o644)
    data = path.read_bytes()
    path.write_bytes(flip(data, len(data) - 5))
    report = verify()
    assert [(p.kind, p.item) for p in report.problems] == [("blob-unreadable", vault[4].uid)]


def test_missing_blob(vault, home, verify):
    blob_file(home, vault[0]).unlink()
    report = verify()
    assert [(p.kind, p.item) for p in report.problems] == [("blob-missing", vault[0].uid)]


def test_flipped_byte_in_a_preservation_record(vault, verify):
    receipt = Receipt.objects.get(item=vault[2])
    at = receipt.record.index("letter-2")
    receipt.record = receipt.record[:at] + "lettes-2" + receipt.record[at + 8 :]
    receipt.save(update_fields=["record"])
    report = verify()
    assert kinds(report) == {"receipt-altered"}
    (problem,) = report.problems
    assert problem.item == vault[2].uid and problem.receipt == receipt.pk
    assert problem.seq == receipt.ledger_entry.seq


def test_flipped_byte_in_a_past_entry_body(vault, verify):
    entry = LedgerEntry.objects.get(seq=1)
    at = entry.body.index("letter-1")
    rewrite_entry(1, entry.body[:at] + "lettar-1" + entry.body[at + 8 :], rehash=False)
    report = verify()
    assert named(report, kind="entry-altered", seq=1)
    # the receipt of that item no longer matches its (altered) entry either,
    # and both checkpoints no longer match the ledger
    assert named(report, kind="receipt-altered", item=vault[1].uid)
    assert {p.checkpoint for p in named(report, kind="checkpoint-mismatch")} == {4, 6}
    assert named(report, kind="ledger-rolled-back")  # the outside copy disagrees too


def test_entry_rewritten_with_its_leaf_hash_is_caught_by_the_checkpoints(vault, verify):
    """An attacker who recomputes the leaf hash still cannot match the signed roots."""
    entry = LedgerEntry.objects.get(seq=3)  # the view, no receipt to betray it
    rewrite_entry(3, entry.body.replace("check the scan", "check the scam"), rehash=True)
    report = verify()
    assert not named(report, kind="entry-altered")
    mismatch = named(report, kind="checkpoint-mismatch")
    assert [p.checkpoint for p in mismatch] == [4, 6]
    assert "between 0 and 3" in mismatch[0].message


def test_truncated_ledger(vault, verify):
    """Entries removed from the end, below the latest checkpoint."""
    Receipt.objects.filter(ledger_entry__seq=5).delete()
    LedgerEntry.objects.filter(seq=5).delete()
    report = verify()
    assert named(report, kind="ledger-truncated", checkpoint=6)
    assert named(report, kind="ledger-rolled-back", checkpoint=6)
    assert named(report, kind="item-unlogged", item=vault[4].uid)
    assert ledger.LedgerError  # and checkpoint() now refuses to sign over it:
    with pytest.raises(ledger.LedgerError):
        ledger.checkpoint()


def test_entry_removed_from_the_middle(vault, verify):
    LedgerEntry.objects.filter(seq=3).delete()
    report = verify()
    assert named(report, kind="entry-missing", seq=3)
    assert named(report, kind="checkpoint-mismatch", checkpoint=4)


def test_rollback_to_an_old_backup(vault, home, verify):
    """The database restored to a copy from before the last checkpoint: internally
    consistent, caught only by the checkpoint kept outside the database."""
    Receipt.objects.filter(ledger_entry__seq__gte=4).delete()
    Item.objects.filter(pk__in=[vault[3].pk, vault[4].pk]).delete()
    LedgerEntry.objects.filter(seq__gte=4).delete()
    Checkpoint.objects.filter(size__gt=4).delete()
    report = verify()
    assert [(p.kind, p.checkpoint) for p in report.problems] == [("ledger-rolled-back", 6)]
    assert "older backup" in report.problems[0].message


def test_rollback_then_new_entries(vault, verify):
    """After a rollback, new entries make the ledger long again, but not the same."""
    Receipt.objects.filter(ledger_entry__seq__gte=4).delete()
    Item.objects.filter(pk__in=[vault[3].pk, vault[4].pk]).delete()
    LedgerEntry.objects.filter(seq__gte=4).delete()
    Checkpoint.objects.filter(size__gt=4).delete()
    make_item(b"another", "x.txt")
    make_item(b"and another", "y.txt")
    make_item(b"and a third", "z.txt")
    report = verify()
    assert [(p.kind, p.checkpoint) for p in report.problems] == [("ledger-rolled-back", 6)]


def test_swapped_entries(vault, verify):
    one, two = LedgerEntry.objects.get(seq=1), LedgerEntry.objects.get(seq=2)
    with transaction.atomic():
        LedgerEntry.objects.filter(pk=one.pk).update(seq=-1)
        LedgerEntry.objects.filter(pk=two.pk).update(seq=1)
        LedgerEntry.objects.filter(pk=one.pk).update(seq=2)
    report = verify()
    assert {p.seq for p in named(report, kind="entry-moved")} == {1, 2}
    assert named(report, kind="checkpoint-mismatch", checkpoint=4)


def test_swapped_bodies(vault, verify):
    one, two = LedgerEntry.objects.get(seq=0), LedgerEntry.objects.get(seq=3)
    LedgerEntry.objects.filter(pk=one.pk).update(body=two.body, leaf_hash=two.leaf_hash)
    LedgerEntry.objects.filter(pk=two.pk).update(body=one.body, leaf_hash=one.leaf_hash)
    report = verify()
    assert {p.seq for p in named(report, kind="entry-moved")} == {0, 3}


def test_forged_checkpoint_signature(vault, verify):
    cp = Checkpoint.objects.get(size=4)
    line = cp.note.rstrip("\n").rsplit(" ", 1)
    sig = line[1]
    forged = line[0] + " " + sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:] + "\n"
    Checkpoint.objects.filter(pk=cp.pk).update(note=forged)
    report = verify()
    assert [(p.kind, p.checkpoint) for p in report.problems] == [("checkpoint-signature", 4)]


def test_checkpoint_signed_by_another_key(vault, home, tmp_path_factory, verify):
    other = keys.signing_key(tmp_path_factory.mktemp("other"))
    cp = Checkpoint.objects.get(size=6)
    from dadkhah.vault.checkpoint import sign_checkpoint

    forged = sign_checkpoint(other.name, 6, bytes.fromhex(cp.root_hash), other)
    Checkpoint.objects.filter(pk=cp.pk).update(note=forged)
    report = verify()
    assert named(report, kind="checkpoint-signature", checkpoint=6)


def test_altered_columns_are_reported(vault, verify):
    LedgerEntry.objects.filter(seq=3).update(actor="someone else")
    report = verify()
    assert [(p.kind, p.seq) for p in report.problems] == [("entry-columns", 3)]


def test_item_outside_the_ledger(vault, verify):
    Item.objects.create(uid="it-ghost", sha256="sha256:" + "0" * 64, size=0, mime="x", name="x")
    report = verify()
    assert named(report, kind="item-unlogged", item="it-ghost")
    assert named(report, kind="blob-missing", item="it-ghost")


def test_missing_outside_copy_is_a_warning_and_is_restored(vault, home, verify):
    (home / "checkpoints" / "latest").unlink()
    report = verify()
    assert report.ok and report.warnings
    assert (home / "checkpoints" / "latest").exists()


def test_cli_names_every_problem_in_json_lines(vault, home):
    path = blob_file(home, vault[0])
    os.chmod(path, 0o644)
    path.write_bytes(b"tampered")
    Receipt.objects.filter(item=vault[3]).update(record="{}")
    result = CliRunner().invoke(main, ["verify", "--json"])
    assert result.exit_code == 1, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    problems, summary = lines[:-1], lines[-1]
    assert {(p["problem"], p.get("item")) for p in problems} == {
        ("blob-altered", vault[0].uid),
        ("receipt-altered", vault[3].uid),
    }
    assert summary["ok"] is False and summary["problems"] == 2 and summary["items"] == 5


def test_cli_intact(vault):
    result = CliRunner().invoke(main, ["verify"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("intact: 5 originals")
