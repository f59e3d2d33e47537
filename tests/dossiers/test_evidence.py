"""Evidence behind dossiers: sources to vault items, custody, inclusion proofs, the ledger
record of each generation, the evidence bundle, and the demo case's evidence.

Items are preserved through ``vault.services.Preserver`` (blob, preservation record, ledger
entry), as an ingest does. The bundle's own ``verify_bundle.py`` runs in a subprocess with
the standard library only, as the vault's bundle tests run it.
"""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.db import transaction
from django.test import override_settings

from dadkhah.core.confidentiality import Level
from dadkhah.dossiers.evidence import (
    EvidenceEntry,
    EvidenceError,
    evidence_for,
    log_generation,
    write_evidence_bundle,
)
from dadkhah.records.demo import SOURCE_RECORD_LABEL, SYNTHETIC_LABEL, ensure_demo, read_case
from dadkhah.records.models import Source
from dadkhah.search.mentioning import document_source
from dadkhah.vault import keys, ledger, services
from dadkhah.vault.bundle import BundleError
from dadkhah.vault.checkpoint import Signer
from dadkhah.vault.models import Checkpoint, Item, LedgerEntry
from dadkhah.vault.verify import verify_all

HASH = "sha256:" + "ab" * 32
CONTENT = "sha256:" + "cd" * 32


def preserve(data: bytes, name: str, level: Level, collector: str = "test-collector") -> Item:
    """Preserve bytes as an ingest does, at ``level`` (encrypted from restricted up)."""
    preserver = services.Preserver(collector, restricted=level >= Level.RESTRICTED, extract=False)
    staged = preserver.stage(io.BytesIO(data))
    origin = services.Origin(name=services.plain_name(name), path=f"tests/{name}")
    return preserver.commit(staged, origin, "text/plain", "ingest", level)


def source(uid: str, level: Level, item: Item | None = None) -> Source:
    return Source.objects.create(
        uid=uid,
        title=f"Synthetic test source {uid}",
        citation=f"Synthetic test source {uid}, invented for the tests.",
        confidentiality=int(level),
        is_synthetic=True,
        item=item,
    )


def run_verifier(bundle: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The bundle's own verify_bundle.py, standard library only (-I -S)."""
    script = tmp_path / "verify_bundle.py"
    with zipfile.ZipFile(bundle) as zf:
        script.write_bytes(zf.read("verify_bundle.py"))
    return subprocess.run(
        [sys.executable, "-I", "-S", str(script), str(bundle)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )


def flip(hex_text: str, at: int = 0) -> str:
    """``hex_text`` with one byte changed."""
    raw = bytearray.fromhex(hex_text)
    raw[at] ^= 0x01
    return raw.hex()


def with_proof(evidence: EvidenceEntry, **changes: Any) -> EvidenceEntry:
    return dataclasses.replace(evidence, proof={**evidence.proof, **changes})


def log(items: list[str], **changes: Any) -> int:
    fields: dict[str, Any] = {
        "actor": "test-investigator",
        "requester": "Synthetic prosecutor's office",
        "kind": "perpetrator",
        "subject": "person-syn-test",
        "fmt": "pdf",
        "output_sha256": HASH,
        "content_hash": CONTENT,
        "items": items,
        "claims": 12,
        "level": Level.RESTRICTED,
    }
    fields.update(changes)
    return log_generation(**fields)


# ---------------------------------------------------------------------------- listing


@pytest.mark.django_db
def test_entries_for_sources_with_and_without_items(home):
    public = preserve(b"synthetic public letter\n", "letter.txt", Level.PUBLIC)
    internal = preserve(b"synthetic internal memo\n", "memo.txt", Level.INTERNAL)
    cited = [
        source("src-a", Level.PUBLIC, public),
        source("src-b", Level.PUBLIC, public),
        source("src-none", Level.PUBLIC),
        source("src-memo", Level.INTERNAL, internal),
    ]
    entries, withheld = evidence_for(cited, Level.INTERNAL)
    assert withheld == 0
    assert [e.item_uid for e in entries] == sorted([public.uid, internal.uid])
    entry = next(e for e in entries if e.item_uid == public.uid)
    assert entry.sources == ["src-a", "src-b"]
    assert (entry.name, entry.sha256, entry.size, entry.mime, entry.level) == (
        "letter.txt",
        public.sha256,
        len(b"synthetic public letter\n"),
        "text/plain",
        Level.PUBLIC,
    )
    assert [(s.event, s.actor) for s in entry.custody] == [("ingest", "test-collector")]
    assert all(e.verified() for e in entries)
    json.dumps([e.as_dict() for e in entries])  # plain JSON values

    # at public clearance the internal item is counted, never named
    entries, withheld = evidence_for(cited, Level.PUBLIC)
    assert ([e.item_uid for e in entries], withheld) == ([public.uid], 1)
    shown = json.dumps([e.as_dict() for e in entries])
    for secret in (internal.uid, internal.sha256, "memo.txt", "src-memo"):
        assert secret not in shown
    # a source without an item adds nothing, and no source at all gives nothing
    assert evidence_for([cited[2]], Level.PROTECTED) == ([], 0)
    assert evidence_for([], Level.PROTECTED) == ([], 0)


@pytest.mark.django_db
def test_protected_items_reach_only_a_protected_clearance(home):
    protected = preserve(b"synthetic protected testimony\n", "w.txt", Level.PROTECTED)
    public = preserve(b"synthetic leaflet\n", "leaflet.txt", Level.PUBLIC)
    assert protected.encrypted
    cited = [
        source("src-protected", Level.PROTECTED, protected),
        # a public source standing for a protected item
        source("src-mislabelled", Level.PUBLIC, protected),
        # a public item cited only by a protected source
        source("src-hidden", Level.PROTECTED, public),
    ]
    for clearance in (Level.PUBLIC, Level.INTERNAL, Level.RESTRICTED):
        entries, withheld = evidence_for(cited, clearance)
        assert (entries, withheld) == ([], 2), clearance
    entries, withheld = evidence_for(cited, Level.PROTECTED)
    assert withheld == 0
    by_uid = {e.item_uid: e for e in entries}
    assert by_uid[protected.uid].sources == ["src-mislabelled", "src-protected"]
    assert by_uid[protected.uid].level is Level.PROTECTED
    assert by_uid[public.uid].sources == ["src-hidden"]


@pytest.mark.django_db
def test_document_source_links_the_item(home):
    item = preserve(b"synthetic scanned page\n", "scan.txt", Level.INTERNAL)
    made = document_source(item)
    assert made.item_id == item.pk and made.uid == f"item-{item.uid}"
    assert Source.objects.get(pk=made.pk).item == item
    assert list(item.sources.all()) == [made]
    entries, _ = evidence_for([made], Level.INTERNAL)
    assert [e.item_uid for e in entries] == [item.uid]


# ---------------------------------------------------------------------------- proofs


@pytest.mark.django_db
def test_proof_verifies_and_fails_when_tampered(home):
    items = [
        preserve(f"synthetic page {n}\n".encode(), f"p{n}.txt", Level.PUBLIC) for n in range(6)
    ]
    services.record_view(items[2], "test-reviewer", "read it")
    cited = [source(f"src-{n}", Level.PUBLIC, item) for n, item in enumerate(items)]
    entries, _ = evidence_for(cited, Level.PUBLIC)
    assert len(entries) == 6
    for entry in entries:
        assert entry.verified()
        assert entry.verified(key=str(keys.verifier()))
        # the same proof as the ledger's own, to the same signed checkpoint
        own = ledger.proof(entry.proof["seq"], entry.proof["tree_size"])
        assert (own.hashes, own.root, own.leaf_hash) == (
            entry.proof["audit_path"],
            entry.proof["root"],
            entry.proof["leaf_hash"],
        )
        assert own.verify()
        assert entry.proof["tree_size"] == LedgerEntry.objects.count() == 7
        assert entry.proof["audit_path"]  # a real path: the tree has 7 leaves

    entry = entries[3]
    root = entry.proof["root"]
    for at in (0, 17, 31):
        assert not with_proof(entry, root=flip(root, at)).verified()
    path = entry.proof["audit_path"]
    assert not with_proof(entry, audit_path=[flip(path[0]), *path[1:]]).verified()
    assert not with_proof(entry, audit_path=path[:-1]).verified()
    assert not with_proof(entry, seq=entry.proof["seq"] + 1).verified()
    assert not with_proof(entry, tree_size=entry.proof["tree_size"] + 1).verified()
    assert not with_proof(entry, leaf_hash=flip(entry.proof["leaf_hash"])).verified()
    # the entry must be the one that preserved this item's bytes
    other = entries[4].proof
    assert not with_proof(entry, entry=other["entry"], leaf_hash=other["leaf_hash"]).verified()
    assert not dataclasses.replace(entry, sha256=entries[4].sha256).verified()
    # a checkpoint signed by another key, or a key that did not sign it
    stranger = Signer.generate("stranger.example/log")
    assert not entry.verified(key=str(stranger.verifier))
    note = entry.proof["checkpoint"]
    assert not with_proof(entry, checkpoint=note.replace("\n7\n", "\n8\n", 1)).verified()
    assert not with_proof(entry, checkpoint="not a note").verified()
    assert not with_proof(entry, audit_path="zz").verified()
    assert not dataclasses.replace(entry, proof={}).verified()


@pytest.mark.django_db
def test_custody_lists_every_act_in_ledger_order(home, tmp_path):
    letter = preserve(b"synthetic letter to be extracted\n", "letter.txt", Level.PUBLIC)
    services.store_derivative(letter, b"letter text", "text", "text/plain", "test-extractor")
    services.record_view(letter, "test-reviewer", "check the letter")
    cited = [source("src-letter", Level.PUBLIC, letter)]
    entries, _ = evidence_for(cited, Level.PUBLIC)
    write_evidence_bundle(entries, tmp_path / "b.zip", "test-exporter", "secret purpose text")
    log([letter.uid], actor="test-dossier-maker")
    assert verify_all(actor="test-auditor", workers=1).ok
    assert verify_all(actor="test-auditor", workers=1).ok
    other = preserve(b"synthetic unrelated letter\n", "other.txt", Level.PUBLIC)
    services.record_view(other, "test-reviewer", "unrelated")

    (entry,), _ = evidence_for(cited, Level.PUBLIC)
    steps = [(s.event, s.actor) for s in entry.custody]
    assert steps == [
        ("ingest", "test-collector"),
        ("derive", "test-extractor"),
        ("view", "test-reviewer"),
        ("export", "test-exporter"),
        ("dossier", "test-dossier-maker"),
        ("audit", "test-auditor"),
    ]
    seqs = [s.seq for s in entry.custody]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    times = [s.when for s in entry.custody]
    assert times == sorted(times) and all(t.tzinfo is not None for t in times)
    notes = {s.event: s.note for s in entry.custody}
    assert notes["derive"].startswith("text made: item it-")
    assert notes["dossier"] == "perpetrator dossier (pdf)"
    assert notes["audit"].endswith("2 verification(s) since received")
    assert "secret purpose text" not in json.dumps(entry.as_dict())
    assert entry.verified()


# ---------------------------------------------------------------------------- logging


@pytest.mark.django_db
def test_each_generation_adds_one_dossier_entry(home):
    a = preserve(b"synthetic a\n", "a.txt", Level.PUBLIC)
    b = preserve(b"synthetic b\n", "b.txt", Level.RESTRICTED)
    before = LedgerEntry.objects.count()
    seq = log([a.uid, b.uid, a.uid])
    assert LedgerEntry.objects.count() == before + 1
    entry = LedgerEntry.objects.get(seq=seq)
    body = json.loads(entry.body)
    assert (body["event"], body["actor"], body["item"]) == ("dossier", "test-investigator", None)
    assert body["purpose"] == "perpetrator dossier for Synthetic prosecutor's office"
    assert body["details"] == {
        "requester": "Synthetic prosecutor's office",
        "kind": "perpetrator",
        "subject": "person-syn-test",
        "format": "pdf",
        "output": HASH,
        "content_hash": CONTENT,
        "items": [a.sha256, b.sha256],
        "ids": [a.uid, b.uid],
        "claims": 12,
        "level": "restricted",
    }
    assert Checkpoint.objects.order_by("-size").first().size == seq + 1  # signed over it
    second = log([], kind="family", fmt="html", output_sha256="ef" * 32, level=Level.PUBLIC)
    assert second == seq + 1 and LedgerEntry.objects.count() == before + 2
    details = json.loads(LedgerEntry.objects.get(seq=second).body)["details"]
    assert (details["output"], details["items"], details["level"]) == (
        "sha256:" + "ef" * 32,
        [],
        "public",
    )
    assert verify_all(workers=1).ok


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"items": ["it-nowhere"]}, "no such item: it-nowhere"),
        ({"kind": "memoir"}, "dossier kind 'memoir'"),
        ({"fmt": "docx"}, "dossier format 'docx'"),
        ({"output_sha256": "sha256:1234"}, "output_sha256 must be sha256:<64 hex digits>"),
        ({"content_hash": ""}, "content_hash must be"),
        ({"requester": "  "}, "for whom"),
        ({"actor": ""}, "who generates"),
        ({"subject": ""}, "subject"),
        ({"claims": -1}, "claims must be a count"),
    ],
)
def test_bad_generation_is_refused_and_logs_nothing(home, changes, message):
    item = preserve(b"synthetic c\n", "c.txt", Level.PUBLIC)
    before = LedgerEntry.objects.count()
    with pytest.raises(EvidenceError, match=message):
        rest = dict(changes)
        log(rest.pop("items", [item.uid]), **rest)
    assert LedgerEntry.objects.count() == before


# ---------------------------------------------------------------------------- bundles


@pytest.mark.django_db
def test_bundle_verifies_with_its_own_verifier(home, tmp_path):
    public = preserve(b"synthetic public record\n", "record.txt", Level.PUBLIC)
    restricted = preserve(b"synthetic restricted account\n", "account.txt", Level.RESTRICTED)
    cited = [source("src-p", Level.PUBLIC, public), source("src-r", Level.RESTRICTED, restricted)]
    entries, withheld = evidence_for(cited, Level.RESTRICTED)
    assert withheld == 0 and len(entries) == 2
    with pytest.raises(BundleError, match="only with a purpose"):
        write_evidence_bundle(entries, tmp_path / "nopurpose.zip", "test-exporter", "")
    out = tmp_path / "dossier.evidence.zip"
    summary = write_evidence_bundle(entries, out, "test-exporter", "synthetic court request")
    assert summary.items == [e.item_uid for e in entries]
    done = run_verifier(out, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    with zipfile.ZipFile(out) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert {i["sha256"] for i in manifest["items"]} == {e.sha256 for e in entries}
        original = next(i for i in manifest["items"] if i["uid"] == restricted.uid)["original"]
        assert zf.read(original) == b"synthetic restricted account\n"
    # a changed original is caught by the same verifier
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == original:
                data = data.replace(b"restricted", b"redacted!!")
            dst.writestr(info, data)
    assert run_verifier(bad, tmp_path).returncode == 1

    with pytest.raises(EvidenceError, match="nothing to bundle"):
        write_evidence_bundle([], tmp_path / "empty.zip", "test-exporter", "x")
    stale = dataclasses.replace(entries[0], sha256=entries[1].sha256)
    with pytest.raises(EvidenceError, match="is not in the vault as"):
        write_evidence_bundle([stale], tmp_path / "stale.zip", "test-exporter", "x")


# ---------------------------------------------------------------------------- the demo

PROTECTED_NAMES = ("Manouchehr Karimi", "منوچهر کریمی")  # the synthetic witness's names


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo loaded once, with a DADKHAH_HOME of its own, rolled back at the end."""
    home = tmp_path_factory.mktemp("demo-home")
    config = dataclasses.replace(django_settings.CONFIG, home=home, blobs="", s3_endpoint="")
    isolated = override_settings(
        CONFIG=config, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    )
    with isolated, django_db_blocker.unblock(), transaction.atomic():
        logins = ensure_demo(home)
        yield home, logins
        transaction.set_rollback(True)


def _all_rows() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models()}


@pytest.mark.django_db
def test_demo_preserves_its_evidence_once(demo):
    home, logins = demo
    case = read_case()
    linked = Source.objects.filter(item__isnull=False).select_related("item")
    assert {s.uid for s in linked} == {e.source for e in case.evidence}
    assert len(case.evidence) >= 5
    for s in linked:
        assert s.item.confidentiality == s.confidentiality, s.uid  # as confidential as its source
        assert s.item.encrypted == (s.confidentiality >= Level.RESTRICTED), s.uid
        receipt = s.item.receipts.get()
        assert receipt.collector == logins["administrator"][0]
        assert receipt.ledger_entry.event == "ingest"
        with services.open_item(s.item) as fh:
            text = fh.read().decode("utf-8")
        if s.is_synthetic:
            assert text.startswith(SYNTHETIC_LABEL), s.uid
        else:  # a description in our words, never the source's text
            assert text.startswith(SOURCE_RECORD_LABEL), s.uid
            assert s.title in text and (s.url or "none") in text, s.uid
        for name in PROTECTED_NAMES:
            assert name not in text, s.uid
    witness = Source.objects.get(uid="src-synthetic-testimony-w1")
    assert witness.item.confidentiality == Level.PROTECTED

    before = _all_rows()
    assert ensure_demo(home) == logins
    assert _all_rows() == before  # nothing added: no item, receipt, ledger entry or checkpoint

    every = list(Source.objects.all())
    public, withheld = evidence_for(every, Level.PUBLIC)
    assert (len(public), withheld) == (len(case.evidence) - 2, 2)
    assert all(
        not s.is_synthetic
        for s in Source.objects.filter(item__uid__in=[e.item_uid for e in public])
    )
    protected, withheld = evidence_for(every, Level.PROTECTED)
    assert (len(protected), withheld) == (len(case.evidence), 0)
    assert all(e.verified(key=str(keys.verifier())) for e in protected)
    assert witness.item.uid in {e.item_uid for e in protected}
    assert witness.item.uid not in {e.item_uid for e in public}


@pytest.mark.django_db
def test_demo_evidence_bundle_verifies(demo, tmp_path):
    entries, _ = evidence_for(Source.objects.all(), Level.PUBLIC)
    out = tmp_path / "demo.evidence.zip"
    write_evidence_bundle(entries, out, "demo-admin", "demo dossier")
    done = run_verifier(out, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    with zipfile.ZipFile(out) as zf:
        for name in zf.namelist():
            data = zf.read(name).decode("utf-8", "replace")
            for secret in PROTECTED_NAMES:
                assert secret not in data, name
