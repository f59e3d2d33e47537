"""Signed checkpoints: the C2SP tlog-checkpoint body inside a C2SP signed note (Ed25519).

A checkpoint says "the ledger called ``origin`` had ``size`` entries and this root". Its text
is three lines, each ending in a newline::

    dadkhah.local/3f9c…
    1024
    <base64 of the 32-byte root>

and the signed note appends a blank line and one signature line per signer::

    — <key name> <base64(key id || Ed25519 signature over the text)>

The key id is the first four bytes of SHA-256(name || 0x0A || 0x01 || public key), and the
verifier key is written ``<name>+<hex key id>+<base64(0x01 || public key)>``, as in the
C2SP signed-note specification and Go's golang.org/x/mod/sumdb/note. The signing key is
kept in that package's private-key form, ``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 ||
seed)>``. Pure Python, no Django.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "CheckpointData",
    "NoteError",
    "Signer",
    "Verifier",
    "checkpoint_text",
    "key_id",
    "open_checkpoint",
    "open_note",
    "parse_checkpoint_text",
    "sign_checkpoint",
    "sign_note",
]

ALG_ED25519 = 0x01
DASH = "\u2014"  # the em dash that starts every signature line
_NAME = re.compile(r"[^\s+]+")
_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")


class NoteError(ValueError):
    """The note is malformed, or not signed by the expected key."""


def _b64decode(text: str) -> bytes:
    """Strict standard base64: the only accepted spelling is the canonical one."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise NoteError(f"bad base64: {text[:40]!r}") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise NoteError(f"non-canonical base64: {text[:40]!r}")
    return raw


def _check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise NoteError(f"key name {name!r} must be non-empty, without spaces or '+'")


def key_id(name: str, public_key: bytes) -> bytes:
    """First 4 bytes of SHA-256(name || 0x0A || 0x01 || public key)."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()[:4]


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class Verifier:
    """An Ed25519 verifier key of the signed-note format."""

    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    def __str__(self) -> str:
        encoded = base64.b64encode(bytes([ALG_ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    @classmethod
    def parse(cls, text: str) -> Verifier:
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteError("a verifier key is <name>+<hex key id>+<base64 key>")
        name, hex_id, encoded = parts
        _check_name(name)
        raw = _b64decode(encoded)
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise NoteError("only Ed25519 verifier keys (type 0x01, 32 bytes) are supported")
        verifier = cls(name, raw[1:])
        if not re.fullmatch(r"[0-9a-f]{8}", hex_id) or bytes.fromhex(hex_id) != verifier.key_id:
            raise NoteError(f"verifier key id {hex_id} does not match the key")
        return verifier

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """A named Ed25519 signing key."""

    name: str
    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        _check_name(self.name)

    @property
    def public_key(self) -> bytes:
        return _raw_public(self.private_key)

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.public_key)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)

    def __str__(self) -> str:
        seed = self.private_key.private_bytes_raw()
        encoded = base64.b64encode(bytes([ALG_ED25519]) + seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier.key_id.hex()}+{encoded}"

    @classmethod
    def parse(cls, text: str) -> Signer:
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("a signer key is PRIVATE+KEY+<name>+<hex key id>+<base64 key>")
        name, hex_id, encoded = parts[2:]
        raw = _b64decode(encoded)
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise NoteError("only Ed25519 signer keys (type 0x01, 32-byte seed) are supported")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if hex_id != signer.verifier.key_id.hex():
            raise NoteError(f"signer key id {hex_id} does not match the key")
        return signer

    @classmethod
    def generate(cls, name: str) -> Signer:
        return cls(name, Ed25519PrivateKey.generate())


def sign_note(text: str, signer: Signer) -> str:
    """The signed note: text, a blank line, and the signature line."""
    if not text.endswith("\n"):
        raise NoteError("the text of a note ends with a newline")
    signature = signer.sign(text.encode("utf-8"))
    encoded = base64.b64encode(signer.verifier.key_id + signature).decode()
    return f"{text}\n{DASH} {signer.name} {encoded}\n"


def open_note(note: str, verifier: Verifier) -> str:
    """Check the note's signature by ``verifier`` and return its text.

    Signature lines by other keys are ignored, as the signed-note specification allows;
    a line that claims to be this key's and does not verify is an error.
    """
    if not note.endswith("\n"):
        raise NoteError("a signed note ends with a newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("no blank line before the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    verified = False
    for line in block.removesuffix("\n").split("\n"):
        match = re.fullmatch(rf"{DASH} (\S+) (\S+)", line)
        if match is None:
            raise NoteError(f"malformed signature line: {line[:60]!r}")
        name, raw = match[1], _b64decode(match[2])
        if len(raw) < 5:
            raise NoteError("signature too short")
        if name != verifier.name or raw[:4] != verifier.key_id:
            continue
        if not verifier.verify(text.encode("utf-8"), raw[4:]):
            raise NoteError(f"the signature by {name} does not verify")
        verified = True
    if not verified:
        raise NoteError(f"not signed by {verifier.name} ({verifier.key_id.hex()})")
    return text


@dataclass(frozen=True)
class CheckpointData:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()


def checkpoint_text(origin: str, size: int, root: bytes, extensions: Sequence[str] = ()) -> str:
    """The C2SP tlog-checkpoint body: origin, decimal size, base64 root, extension lines."""
    if not origin or "\n" in origin or size < 0 or len(root) != 32:
        raise NoteError("a checkpoint has an origin, a size >= 0 and a 32-byte root")
    lines = [origin, str(size), base64.b64encode(root).decode(), *extensions]
    if any(not line or "\n" in line for line in lines[3:]):
        raise NoteError("extension lines are non-empty single lines")
    return "\n".join(lines) + "\n"


def parse_checkpoint_text(text: str) -> CheckpointData:
    lines = text.removesuffix("\n").split("\n")
    if not text.endswith("\n") or len(lines) < 3:
        raise NoteError("a checkpoint has at least three lines: origin, size, root")
    origin, size, encoded, *extensions = lines
    if not origin:
        raise NoteError("the checkpoint's origin is empty")
    if not _SIZE.fullmatch(size):
        raise NoteError(f"the checkpoint's size {size!r} is not a decimal number")
    root = _b64decode(encoded)
    if len(root) != 32:
        raise NoteError("the checkpoint's root is not 32 bytes")
    return CheckpointData(origin, int(size), root, tuple(extensions))


def sign_checkpoint(origin: str, size: int, root: bytes, signer: Signer) -> str:
    return sign_note(checkpoint_text(origin, size, root), signer)


def open_checkpoint(note: str, verifier: Verifier, origin: str | None = None) -> CheckpointData:
    """Verify the note's signature, parse the checkpoint, and check its origin if given."""
    data = parse_checkpoint_text(open_note(note, verifier))
    if origin is not None and data.origin != origin:
        raise NoteError(f"checkpoint origin {data.origin!r} is not {origin!r}")
    return data
