"""Evidence bundles and their standard-library verifier.

The verifier runs in a subprocess as ``python -I -S verify_bundle.py`` (isolated mode, no
site-packages), which proves that it needs nothing beyond the standard library.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import rfc8785
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from dadkhah.cli import main
from dadkhah.vault import bundle_verifier as bv
from dadkhah.vault import keys, ledger
from dadkhah.vault.bundle import BundleError, safe_name, write_bundle
from dadkhah.vault.checkpoint import Signer, sign_note
from dadkhah.vault.models import LedgerEntry
from tests.vault.factories_vault import make_item, use_home

# -- Ed25519 from RFC 8032 -----------------------------------------------------------------

# RFC 8032 §7.1, TEST 1, TEST 2 and TEST 3: (secret key, public key, message, signature).
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]


@pytest.mark.parametrize(("secret", "public", "message", "signature"), RFC8032)
def test_rfc8032_vectors(secret, public, message, signature):
    pk, msg, sig = bytes.fromhex(public), bytes.fromhex(message), bytes.fromhex(signature)
    assert bv.ed25519_verify(pk, msg, sig)
    # the vector is also what an independent implementation (OpenSSL) computes
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(secret))
    assert key.sign(msg) == sig
    assert not bv.ed25519_verify(pk, msg + b"x", sig)
    assert not bv.ed25519_verify(pk, msg, sig[:5] + bytes([sig[5] ^ 1]) + sig[6:])
    assert not bv.ed25519_verify(pk, msg, sig[:40] + bytes([sig[40] ^ 1]) + sig[41:])
    assert not bv.ed25519_verify(pk[:3] + bytes([pk[3] ^ 1]) + pk[4:], msg, sig)
    # S + L is the same point arithmetic but must be refused (malleability, RFC 8032 5.1.7)
    s = int.from_bytes(sig[32:], "little") + bv.L
    assert not bv.ed25519_verify(pk, msg, sig[:32] + s.to_bytes(32, "little"))
    assert not bv.ed25519_verify(pk, msg, sig[:63])


@settings(max_examples=15, deadline=None)
@given(st.binary(max_size=200), st.binary(min_size=32, max_size=32))
def test_ed25519_agrees_with_openssl(message, seed):
    key = Ed25519PrivateKey.from_private_bytes(seed)
    public = key.public_key().public_bytes_raw()
    signature = key.sign(message)
    assert bv.ed25519_verify(public, message, signature)
    assert not bv.ed25519_verify(public, message + b"\x00", signature)


def test_signed_note_and_checkpoint_parsing_match_the_vault():
    signer = Signer.generate("dadkhah.local/abc")
    note = sign_note("dadkhah.local/abc\n3\n" + "A" * 43 + "=\n", signer)
    text = bv.open_note(note, str(signer.verifier))
    assert bv.parse_checkpoint(text) == ("dadkhah.local/abc", 3, bytes(32))
    with pytest.raises(bv.BundleError):
        bv.open_note(note.replace("\n3\n", "\n4\n"), str(signer.verifier))
    with pytest.raises(bv.BundleError):
        bv.open_note(note, str(Signer.generate("dadkhah.local/abc").verifier))


plain = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(alphabet=st.characters(max_codepoint=0xD7FF)), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(plain)
def test_stdlib_canonical_json_is_rfc8785_for_plain_values(value):
    if bv._plain(value):
        assert bv.canonical(value) == rfc8785.dumps(value)


# -- bundles -------------------------------------------------------------------------------

pytestmark_db = pytest.mark.django_db


@pytest.fixture
def home(settings, tmp_path):
    return use_home(settings, tmp_path / "home")


@pytest.fixture
def made(db, home, tmp_path):
    letter = make_item("نامهٔ خانواده — synthetic family letter\n".encode(), "نامه ۱.txt")
    photo = make_item(b"\x89PNG synthetic photo", "../../photo?.png", mime="image/png")
    secret = make_item(b"restricted synthetic testimony\n", "testimony.txt", restricted=True)
    make_item(b"not exported", "other.txt")
    ledger.append("view", "reviewer", "read it", letter.sha256)
    out = tmp_path / "bundle.zip"
    summary = write_bundle(
        [letter.uid, photo.uid, secret.uid], out, "investigator", "for the prosecutor"
    )
    return summary, [letter, photo, secret], out


def run_verifier(bundle: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the bundle's own verify_bundle.py (the one a court receives) on ``bundle``."""
    script = tmp_path / "verify_bundle.py"
    if not script.exists():
        with zipfile.ZipFile(bundle) as zf:
            script.write_bytes(zf.read("verify_bundle.py"))
    return subprocess.run(
        [sys.executable, "-I", "-S", str(script), str(bundle), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )


def rezip(src: Path, dst: Path, name: str, change: Callable[[bytes], bytes]) -> Path:
    """A copy of the bundle with one member changed (a consistent zip, CRCs and all)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        assert name in zin.namelist()
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, change(data) if info.filename == name else data)
    return dst


def flip_at(at: int) -> Callable[[bytes], bytes]:
    return lambda data: data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def flip_in(word: bytes) -> Callable[[bytes], bytes]:
    """Flip the low bit of the last byte of ``word``'s first occurrence: still valid JSON."""
    return lambda data: flip_at(data.index(word) + len(word) - 1)(data)


@pytest.mark.django_db
def test_bundle_contents(made):
    summary, items, out = made
    letter, photo, secret = items
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        assert {"verify_bundle.py", "manifest.html", "checkpoint.txt", "public-key.txt"} <= names
        for item, listed in zip(items, manifest["items"], strict=True):
            data = zf.read(listed["original"])
            assert f"sha256:{hashlib.sha256(data).hexdigest()}" == item.sha256
            assert listed["original"].startswith(f"items/{item.uid}/original/")
        # the restricted original is exported in plaintext
        assert zf.read(manifest["items"][2]["original"]) == b"restricted synthetic testimony\n"
        assert manifest["items"][1]["original"].endswith("/photo_.png")
        html = zf.read("manifest.html").decode()
        for item in items:
            assert item.sha256 in html
        assert "for the prosecutor" in html and "reviewer" in html
        assert zf.read("public-key.txt").decode().strip() == keys.public_key_note()
        assert zf.read("verify_bundle.py") == Path(bv.__file__).read_bytes()
        exported = {e["seq"] for e in manifest["entries"]}
    # the ledger entries about the three items, the view, and the export; not the fourth item
    assert exported == {0, 1, 2, 4, 5}
    export = LedgerEntry.objects.get(seq=summary.export_seq)
    body = json.loads(export.body)
    assert (body["event"], body["actor"], body["purpose"]) == (
        "export",
        "investigator",
        "for the prosecutor",
    )
    assert body["details"]["items"] == [i.sha256 for i in items]
    assert body["details"]["restricted"] == [secret.sha256]
    assert summary.checkpoint == 6 and summary.checkpoint > summary.export_seq
    assert summary.sha256 == "sha256:" + hashlib.sha256(out.read_bytes()).hexdigest()


@pytest.mark.django_db
def test_intact_bundle_verifies_with_the_standard_library_only(made, tmp_path):
    _, items, out = made
    result = run_verifier(out, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout
    assert "0 failed: the bundle is intact" in result.stdout
    for item in items:
        assert f"item {item.uid}: original" in result.stdout
    assert "the export of this bundle is ledger entry 5, by investigator" in result.stdout
    pinned = run_verifier(out, tmp_path, "--key", keys.public_key_note())
    assert pinned.returncode == 0, pinned.stdout


@pytest.mark.django_db
def test_verifier_in_process(made):
    _, _, out = made
    lines: list[str] = []
    assert bv.verify_bundle(str(out), out=lines.append)
    assert sum(line.startswith("ok") for line in lines) >= 10


def _member(out: Path, prefix: str, part: str = "") -> str:
    with zipfile.ZipFile(out) as zf:
        return next(n for n in zf.namelist() if n.startswith(prefix) and part in n)


def _signature_flip(data: bytes) -> bytes:
    text = data.decode()
    head, sig = text.rstrip("\n").rsplit(" ", 1)
    i = 20
    return (head + " " + sig[:i] + ("B" if sig[i] != "B" else "C") + sig[i + 1 :] + "\n").encode()


def _proof_flip(data: bytes) -> bytes:
    proof = json.loads(data)
    h = proof["hashes"][0]
    proof["hashes"][0] = ("0" if h[0] != "0" else "1") + h[1:]
    return json.dumps(proof).encode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("member", "change", "expected"),
    [
        (("items/", "/original/"), flip_at(5), "the original"),
        (("items/", "receipt-1.json"), flip_in(b"investigator"), "preservation record"),
        (("items/", "receipt-1.json"), flip_at(30), "receipt-1.json"),
        (("ledger/1.json", ""), flip_in(b"investigator"), "inclusion proof does not lead"),
        (("ledger/1.json", ""), flip_at(40), "ledger entry 1"),
        (("ledger/5.json", ""), flip_in(b"prosecutor"), "inclusion proof does not lead"),
        (("checkpoint.txt", ""), _signature_flip, "checkpoint.txt"),
        (("proofs/0.json", ""), _proof_flip, "inclusion proof does not lead"),
    ],
    ids=[
        "original",
        "record",
        "record-syntax",
        "entry",
        "entry-syntax",
        "export-entry",
        "signature",
        "proof",
    ],
)
def test_tampered_bundle_is_caught(made, tmp_path, member, change, expected):
    _, _, out = made
    name = _member(out, *member) if member[1] else member[0]
    bad = rezip(out, tmp_path / "tampered.zip", name, change)
    result = run_verifier(bad, tmp_path)
    assert result.returncode == 1, result.stdout
    failures = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert failures and any(expected in line for line in failures), result.stdout


@pytest.mark.django_db
def test_damaged_zip_and_wrong_key(made, tmp_path):
    _, items, out = made
    raw = out.read_bytes()
    at = raw.index(b"synthetic family letter")  # originals are stored, not compressed
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(raw[:at] + bytes([raw[at] ^ 0x20]) + raw[at + 1 :])
    result = run_verifier(damaged, tmp_path)
    assert result.returncode == 1 and items[0].uid in result.stdout, result.stdout
    other = str(Signer.generate("dadkhah.local/impostor").verifier)
    result = run_verifier(out, tmp_path, "--key", other)
    assert result.returncode == 1
    assert "not the key given with --key" in result.stdout
    notzip = tmp_path / "not.zip"  # verify_bundle.py is already extracted
    notzip.write_bytes(b"hello")
    assert run_verifier(notzip, tmp_path).returncode == 2


@pytest.mark.django_db
def test_manifest_lies_are_caught(made, tmp_path):
    _, items, out = made

    def swap_sha(data: bytes) -> bytes:
        manifest = json.loads(data)
        manifest["items"][0]["sha256"] = items[1].sha256
        return json.dumps(manifest).encode()

    bad = rezip(out, tmp_path / "lie.zip", "manifest.json", swap_sha)
    result = run_verifier(bad, tmp_path)
    assert result.returncode == 1, result.stdout


@pytest.mark.django_db
def test_restricted_items_need_a_purpose(home, tmp_path):
    secret = make_item(b"restricted", "r.txt", restricted=True)
    with pytest.raises(BundleError, match="purpose"):
        write_bundle([secret.uid], tmp_path / "b.zip", "investigator", "")
    with pytest.raises(BundleError, match="no such item: nope"):
        write_bundle([secret.uid, "nope"], tmp_path / "b.zip", "investigator", "x")
    assert not LedgerEntry.objects.filter(event="export").exists()
    assert not (tmp_path / "b.zip").exists()


@pytest.mark.django_db
def test_cli_bundle(home, tmp_path):
    item = make_item(b"synthetic", "a.txt")
    out = tmp_path / "cli.zip"
    result = CliRunner().invoke(main, ["bundle", item.uid, "--out", str(out), "--actor", "inv"])
    assert result.exit_code == 0, result.output
    line = json.loads(result.output)
    assert line["items"] == [item.uid] and line["bundle"] == str(out)
    assert bv.verify_bundle(str(out), out=lambda _: None)
    missing = CliRunner().invoke(main, ["bundle", "nope", "--out", str(out)])
    assert missing.exit_code == 2 and "no such item" in missing.output


def test_safe_names():
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\x\\y.doc") == "y.doc"
    assert safe_name("نامه ۱.txt") == "نامه ۱.txt"
    assert safe_name("..") == "original"
