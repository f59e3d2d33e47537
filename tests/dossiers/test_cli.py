"""`dadkhah dossier` and the Dossier button: files, bundle, ledger entry, bad input."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from click.testing import CliRunner

from dadkhah.cli import main
from dadkhah.dossiers.protect import protected_strings
from dadkhah.vault.models import LedgerEntry

PM = "person-mostafa-pour-mohammadi"


def run(*args: str):
    return CliRunner().invoke(main, ["dossier", *args])


def _json_line(output: str) -> dict:
    return json.loads([line for line in output.splitlines() if line.startswith("{")][-1])


def test_pdf_with_a_bundle_that_verifies_offline_and_a_ledger_entry(demo, db, tmp_path):
    out = tmp_path / "pm.pdf"
    result = run("person", PM, "--format", "pdf", "--out", str(out), "--requester", "Prosecutor X")
    assert result.exit_code == 0, result.output
    made = _json_line(result.output)
    data = out.read_bytes()
    assert (
        data.startswith(b"%PDF") and made["sha256"] == "sha256:" + hashlib.sha256(data).hexdigest()
    )
    bundle = Path(made["bundle"])
    assert bundle == tmp_path / "pm.evidence.zip" and made["items"]
    with zipfile.ZipFile(bundle) as archive:
        archive.extract("verify_bundle.py", tmp_path)
        members = {name: archive.read(name) for name in archive.namelist()}
    check = subprocess.run(
        [sys.executable, "-I", str(tmp_path / "verify_bundle.py"), str(bundle)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    strings = [s.casefold() for s in protected_strings()]
    for name, content in members.items():
        text = content.decode("utf-8", "replace").casefold()
        assert [s for s in strings if s in text] == [], name
    entry = LedgerEntry.objects.get(seq=made["ledger_seq"])
    details = json.loads(entry.body)["details"]
    assert entry.event == "dossier"
    assert details["requester"] == "Prosecutor X" and details["subject"] == PM
    assert details["output"] == made["sha256"] and details["content_hash"] == made["content_hash"]
    assert details["ids"] == made["items"] and details["level"] == "public"


def test_protected_testimony_is_listed_but_never_bundled(demo, db, tmp_path):
    out = tmp_path / "family.html"
    result = run(
        "person", "person-syn-bahram-sadeghpour", "--format", "html", "--out", str(out),
        "--level", "protected", "--lang", "fa", "--reason", "family file for the test",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    made = _json_line(result.output)
    page = out.read_text("utf-8")
    assert '<html lang="fa" dir="rtl">' in page
    # the Latin pseudonym code inside the Persian label is isolated left to right
    assert re.search('شاهد حفاظت‌شده <bdi dir="ltr" lang="en">P-[0-9A-Z]{4}</bdi>', page)
    assert made["items"] and made["bundle"] is None  # its only item is the protected testimony
    folded = page.casefold()
    assert [s for s in protected_strings() if s.casefold() in folded] == []


def test_missing_data_is_a_note_not_a_failure(demo, db, tmp_path):
    out = tmp_path / "trial.html"
    result = run("event", "event-noury-judgment-2022", "--format", "html", "--out", str(out))
    assert result.exit_code == 0, result.output
    said = "No victims are known by name for this incident in the record."
    assert said in out.read_text("utf-8") and said in result.output


def test_bad_input_exits_2_and_leaves_nothing(demo, db, tmp_path):
    cases = [
        (["person", "person-nobody"], "no person with id 'person-nobody'"),
        (["person", "person-syn-witness-w1"], "no person with id 'person-syn-witness-w1'"),
        (["place", "place-evin-prison", "--from", "Brumaire"], "--from 'Brumaire'"),
        (["event", "event-1988-decree", "--kind", "family"], "not a family one"),
        (["person", PM, "--level", "secret"], "unknown confidentiality level 'secret'"),
    ]
    before = LedgerEntry.objects.count()
    for args, message in cases:
        result = run(*args, "--format", "pdf", "--out", str(tmp_path / "x.pdf"))
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
    assert list(tmp_path.iterdir()) == []
    assert LedgerEntry.objects.count() == before
    missing_dir = run("person", PM, "--out", str(tmp_path / "no" / "x.pdf"))
    assert missing_dir.exit_code == 2 and "no such directory" in missing_dir.output


def test_dossier_button_for_staff_only(demo, db, client, users):
    url = f"/dossiers/person/{PM}/?format=html"
    assert client.get(f"/records/person/{PM}/").content.count(b"/dossiers/") == 0
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    client.force_login(users["reviewer"])
    assert b"/dossiers/person/" in client.get(f"/records/person/{PM}/").content
    page = client.get(url)
    assert page.status_code == 200 and b"Pour-Mohammadi" in page.content
    entry = LedgerEntry.objects.filter(event="dossier").order_by("-seq").first()
    assert json.loads(entry.body)["details"]["level"] == "internal"
    assert client.get("/dossiers/person/person-syn-witness-w1/?format=pdf").status_code == 404
    pdf = client.get("/dossiers/event/event-commission-evin-1988/?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
