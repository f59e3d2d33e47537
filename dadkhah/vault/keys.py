"""The vault's keys: files under ``DADKHAH_HOME/keys/``, never in the database.

- ``ledger-signing.key``: the Ed25519 key that signs checkpoints, in the signed-note
  private-key form ``PRIVATE+KEY+<name>+<key id>+<base64>``. Its name, also the ledger's
  checkpoint origin, is ``dadkhah.local/<install id>`` with a random install id.
- ``data.key``: the AES-256 key (32 random bytes, base64) that encrypts restricted items.

Each file is created on first use with mode 0600, written to a temporary file, fsynced and
linked into place, so that two processes starting at once agree on one key. Losing
``data.key`` loses every restricted item: back the keys directory up separately from the
database.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from dadkhah.vault.checkpoint import Signer, Verifier

__all__ = [
    "home_dir",
    "checkpoints_dir",
    "data_key",
    "keys_dir",
    "public_key_note",
    "signing_key",
    "verifier",
]

SIGNING_KEY_FILE = "ledger-signing.key"
DATA_KEY_FILE = "data.key"
NAME_PREFIX = "dadkhah.local/"


def home_dir(home: Path | None = None) -> Path:
    """DADKHAH_HOME: ``home`` if given, else the Django settings' CONFIG.home."""
    if home is not None:
        return home
    from django.conf import settings

    return Path(settings.CONFIG.home)


def keys_dir(home: Path | None = None) -> Path:
    """``DADKHAH_HOME/keys`` (from the Django settings' CONFIG unless given)."""
    return home_dir(home) / "keys"


def checkpoints_dir(home: Path | None = None) -> Path:
    """``DADKHAH_HOME/checkpoints``: the latest signed checkpoint, kept outside the database."""
    return home_dir(home) / "checkpoints"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def create_once(path: Path, make: Callable[[], bytes]) -> bytes:
    """The file's bytes, writing ``make()`` there first if it does not exist (mode 0600).

    The content goes to a private temporary file that is fsynced and then hard-linked to
    ``path``; the link fails if another process won the race, and then its key is used.
    """
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(make())
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
        _fsync_dir(path.parent)
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_bytes()


def _new_signer() -> bytes:
    name = NAME_PREFIX + secrets.token_hex(8)
    return (str(Signer.generate(name)) + "\n").encode()


def signing_key(home: Path | None = None) -> Signer:
    """The checkpoint signer (name and Ed25519 private key), created on first use."""
    raw = create_once(keys_dir(home) / SIGNING_KEY_FILE, _new_signer)
    return Signer.parse(raw.decode("ascii"))


def verifier(home: Path | None = None) -> Verifier:
    return signing_key(home).verifier


def public_key_note(home: Path | None = None) -> str:
    """The verifier key ``<name>+<hex key id>+<base64(0x01 || public key)>``."""
    return str(verifier(home))


def data_key(home: Path | None = None) -> bytes:
    """The 32-byte AES-256 key for restricted items, created on first use."""
    raw = create_once(
        keys_dir(home) / DATA_KEY_FILE,
        lambda: base64.b64encode(secrets.token_bytes(32)) + b"\n",
    )
    key = base64.b64decode(raw.strip(), validate=True)
    if len(key) != 32:
        raise ValueError(f"{keys_dir(home) / DATA_KEY_FILE} does not hold a 32-byte key")
    return key


def secret(name: str) -> bytes:
    """A 32-byte key in ``keys_dir()/name``, created once with mode 0600 (never in the
    database); read again only when the file changes (a new home, a restore)."""
    path = keys_dir() / name
    try:
        stamp = path.stat()
    except FileNotFoundError:
        create_once(path, lambda: base64.b64encode(secrets.token_bytes(32)) + b"\n")
        stamp = path.stat()
    return _read_secret(str(path), stamp.st_mtime_ns, stamp.st_ino)


@lru_cache(maxsize=16)
def _read_secret(path: str, _mtime: int, _inode: int) -> bytes:
    return base64.b64decode(Path(path).read_bytes().strip(), validate=True)
