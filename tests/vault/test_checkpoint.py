"""Signed notes and checkpoints.

Known answers from two published sources:
- the example of the C2SP signed-note specification (c2sp.org/signed-note, "Example"):
  verifier key ``example.com/foo+530d903a+…`` and its signed "This is an example message.";
- Go's golang.org/x/mod/sumdb/note (package documentation and note_test.go): the
  ``PeterNeumann`` signer and verifier keys and the signature over the Peter Neumann quote.
  Ed25519 is deterministic (RFC 8032), so signing that text must give that exact line.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dadkhah.vault.checkpoint import (
    NoteError,
    Signer,
    Verifier,
    checkpoint_text,
    key_id,
    open_checkpoint,
    open_note,
    parse_checkpoint_text,
    sign_checkpoint,
    sign_note,
)

SPEC_KEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n"
    "\n"
    "\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIGNATURE = "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"


def test_spec_example_key_id_and_note():
    verifier = Verifier.parse(SPEC_KEY)
    assert verifier.name == "example.com/foo"
    # key id = SHA-256(name || 0x0A || 0x01 || public key)[:4], computed by hand here
    raw = base64.b64decode("AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
    assert raw[0] == 0x01
    assert hashlib.sha256(b"example.com/foo\n" + raw).digest()[:4].hex() == "530d903a"
    assert key_id("example.com/foo", raw[1:]).hex() == "530d903a"
    assert str(verifier) == SPEC_KEY
    assert open_note(SPEC_NOTE, verifier) == "This is an example message.\n"


def test_go_note_known_answer():
    signer = Signer.parse(GO_SIGNER)
    assert str(signer.verifier) == GO_VERIFIER
    assert str(signer) == GO_SIGNER
    note = sign_note(GO_TEXT, signer)
    assert note == GO_TEXT + "\n" + GO_SIGNATURE
    assert open_note(note, Verifier.parse(GO_VERIFIER)) == GO_TEXT


def test_other_signers_lines_are_ignored_but_one_of_ours_is_needed():
    ours = Signer.generate("dadkhah.local/test")
    witness = Signer.generate("witness.example/w1")
    note = sign_note("hello\n", ours)
    cosigned = note + sign_note("hello\n", witness).split("\n\n", 1)[1]
    assert open_note(cosigned, ours.verifier) == "hello\n"
    assert open_note(cosigned, witness.verifier) == "hello\n"
    with pytest.raises(NoteError, match="not signed by"):
        open_note(note, witness.verifier)


def test_tampered_notes_fail():
    signer = Signer.generate("dadkhah.local/test")
    note = sign_checkpoint("dadkhah.local/test", 42, bytes(range(32)), signer)
    verifier = signer.verifier
    assert open_checkpoint(note, verifier).size == 42
    tampered = [
        note.replace("\n42\n", "\n43\n"),
        note.replace("dadkhah.local/test\n42", "dadkhah.local/tesT\n42"),
        note[:-3] + ("A" if note[-3] != "A" else "B") + note[-2:],
        note.rstrip("\n"),
        note.replace("\n\n", "\n"),
        note.replace("\u2014", "-"),
    ]
    for bad in tampered:
        with pytest.raises(NoteError):
            open_checkpoint(bad, verifier)
    with pytest.raises(NoteError):
        open_checkpoint(note, Signer.generate("dadkhah.local/test").verifier)
    with pytest.raises(NoteError, match="origin"):
        open_checkpoint(note, verifier, origin="elsewhere.example/log")


@pytest.mark.parametrize("seed", range(8))
def test_every_flipped_byte_of_a_checkpoint_note_is_caught(seed):
    signer = Signer.generate(f"dadkhah.local/flip{seed}")
    note = sign_checkpoint(signer.name, 7, hashlib.sha256(b"x").digest(), signer).encode()
    for i in range(len(note)):
        flipped = note[:i] + bytes([note[i] ^ 0x01]) + note[i + 1 :]
        try:
            text = flipped.decode("utf-8")
        except UnicodeDecodeError:
            continue
        with pytest.raises(NoteError):
            open_checkpoint(text, signer.verifier)


def test_checkpoint_text_format():
    root = bytes(32)
    text = checkpoint_text("example.com/log", 0, root)
    assert text == "example.com/log\n0\n" + "A" * 43 + "=\n"
    data = parse_checkpoint_text(text + "ext line\n")
    assert data.extensions == ("ext line",)
    for bad in [
        "example.com/log\n01\n" + "A" * 43 + "=\n",
        "example.com/log\n-1\n" + "A" * 43 + "=\n",
        "example.com/log\n1\n" + "A" * 40 + "=\n",
        "\n1\n" + "A" * 43 + "=\n",
        "example.com/log\n1\n",
    ]:
        with pytest.raises(NoteError):
            parse_checkpoint_text(bad)


@pytest.mark.parametrize(
    "bad",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong id
        "PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong type
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10",  # short
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # space
        "PeterNeumann+c74f20a3",
    ],
)
def test_bad_verifier_keys(bad):
    with pytest.raises(NoteError):
        Verifier.parse(bad)


@settings(max_examples=25, deadline=None)
@given(
    st.from_regex(r"[a-z0-9.\-]{1,20}/[a-z0-9]{1,12}", fullmatch=True),
    st.integers(min_value=0, max_value=2**63),
    st.binary(min_size=32, max_size=32),
)
def test_round_trip(name, size, root):
    signer = Signer.generate(name)
    assert str(Signer.parse(str(signer))) == str(signer)
    assert str(Verifier.parse(str(signer.verifier))) == str(signer.verifier)
    note = sign_checkpoint(name, size, root, signer)
    data = open_checkpoint(note, Verifier.parse(str(signer.verifier)), origin=name)
    assert (data.origin, data.size, data.root) == (name, size, root)
