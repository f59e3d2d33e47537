"""Field-level encryption: AES-256-GCM values with key ids and rotation. Pure: no Django.

A value is stored as text::

    fc1:<key id>:<base64url(nonce (12) ‖ ciphertext ‖ tag (16))>

The additional data binds it to its place: ``table``, ``field`` and ``row`` (a stable row
identity, such as a record's uid), so that a ciphertext copied into another row or another
column fails to open instead of showing another person's name. The key id is in the
additional data too.

Keys are files under ``<keys dir>/fields/`` (``DADKHAH_HOME/keys/fields/``), never in the
database: ``<key id>.key`` holds 32 random bytes (mode 0600), and ``current`` names the key
new values are sealed with. :func:`rotate` makes a new key current, re-encrypts every value
of a :class:`FieldStore` under it, and then removes the old keys no value uses any more
(``remove_unused=False`` keeps them). A key still in use is never removed.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "PREFIX",
    "FieldCryptError",
    "FieldKeys",
    "FieldStore",
    "Rotation",
    "StoredValue",
    "aad",
    "decrypt",
    "encrypt",
    "is_token",
    "key_id_of",
    "reencrypt",
    "rotate",
]

PREFIX = "fc1"
KEY_BYTES = 32
NONCE_BYTES = 12
CURRENT = "current"
_KEY_ID = re.compile(r"^[0-9a-f]{16}$")


class FieldCryptError(Exception):
    """A value cannot be sealed or opened: malformed, unknown key, wrong place or changed."""


def aad(table: str, field_name: str, row: str) -> bytes:
    """The additional data that ties a value to one field of one row."""
    for part, what in ((table, "table"), (field_name, "field"), (row, "row")):
        if not part or "\n" in part:
            raise FieldCryptError(f"{what}: must be a non-empty single line, not {part!r}")
    return f"dadkhah field v1\n{table}\n{field_name}\n{row}".encode()


def _write_new(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` (0600) unless it exists; True when this call wrote it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    finally:
        tmp.unlink(missing_ok=True)


class FieldKeys:
    """The field keys in one directory: ``<id>.key`` files and the ``current`` pointer."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache: dict[str, bytes] = {}

    def _path(self, key_id: str) -> Path:
        if not _KEY_ID.match(key_id):
            raise FieldCryptError(f"key id: {key_id!r} is not 16 hex digits")
        return self.directory / f"{key_id}.key"

    def _make_key(self) -> str:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        while True:
            key_id = secrets.token_hex(8)
            if _write_new(self._path(key_id), secrets.token_bytes(KEY_BYTES)):
                return key_id

    def _point(self, key_id: str) -> None:
        tmp = self.directory / f".{CURRENT}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key_id + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.directory / CURRENT)

    def current_id(self) -> str:
        """The id of the key new values are sealed with; the first key is made on first use."""
        pointer = self.directory / CURRENT
        try:
            return pointer.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            pass
        key_id = self._make_key()
        tmp = self.directory / f".{CURRENT}.{key_id}.tmp"
        tmp.write_text(key_id + "\n", encoding="ascii")
        try:
            with contextlib.suppress(FileExistsError):
                os.link(tmp, pointer)  # another process may have made the first key meanwhile
        finally:
            tmp.unlink(missing_ok=True)
        found = pointer.read_text(encoding="ascii").strip()
        if found != key_id:
            self._path(key_id).unlink(missing_ok=True)
        return found

    def key(self, key_id: str) -> bytes:
        if key_id not in self._cache:
            try:
                raw = self._path(key_id).read_bytes()
            except FileNotFoundError:
                raise FieldCryptError(
                    f"key {key_id}: no file {self._path(key_id)}; restore the keys directory"
                ) from None
            if len(raw) != KEY_BYTES:
                raise FieldCryptError(f"key {key_id}: {self._path(key_id)} is not 32 bytes")
            self._cache[key_id] = raw
        return self._cache[key_id]

    def key_ids(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(p.stem for p in self.directory.glob("*.key") if _KEY_ID.match(p.stem))

    def new_key(self) -> str:
        """Make a new key and make it current; the old keys stay until :meth:`remove`."""
        self.current_id()
        key_id = self._make_key()
        self._point(key_id)
        return key_id

    def remove(self, key_id: str) -> None:
        """Delete an old key. The caller checks that no stored value uses it."""
        if key_id == self.current_id():
            raise FieldCryptError(f"key {key_id} is the current key and cannot be removed")
        self._path(key_id).unlink()
        self._cache.pop(key_id, None)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def is_token(text: str) -> bool:
    return text.startswith(PREFIX + ":")


def _split(token: str) -> tuple[str, bytes]:
    parts = token.split(":")
    if len(parts) != 3 or parts[0] != PREFIX or not _KEY_ID.match(parts[1]):
        raise FieldCryptError(f"not an encrypted field value (expected {PREFIX}:<key id>:<data>)")
    try:
        blob = _unb64(parts[2])
    except (binascii.Error, ValueError):
        raise FieldCryptError("the encrypted field value is not valid base64") from None
    if len(blob) < NONCE_BYTES + 16:
        raise FieldCryptError("the encrypted field value is too short")
    return parts[1], blob


def key_id_of(token: str) -> str:
    return _split(token)[0]


def _bound(key_id: str, context: bytes) -> bytes:
    return f"{PREFIX}:{key_id}\n".encode() + context


def encrypt(keys: FieldKeys, plaintext: str, context: bytes) -> str:
    """Seal ``plaintext`` under the current key, for the place ``context`` (see :func:`aad`)."""
    key_id = keys.current_id()
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(keys.key(key_id)).encrypt(
        nonce, plaintext.encode("utf-8"), _bound(key_id, context)
    )
    return f"{PREFIX}:{key_id}:{_b64(nonce + sealed)}"


def decrypt(keys: FieldKeys, token: str, context: bytes) -> str:
    """Open ``token``; FieldCryptError when it was changed, moved or its key is missing."""
    key_id, blob = _split(token)
    try:
        plain = AESGCM(keys.key(key_id)).decrypt(
            blob[:NONCE_BYTES], blob[NONCE_BYTES:], _bound(key_id, context)
        )
    except InvalidTag:
        raise FieldCryptError(
            "the encrypted field value does not open here: changed, or moved from another row"
        ) from None
    return plain.decode("utf-8")


def reencrypt(keys: FieldKeys, token: str, context: bytes) -> str:
    """``token`` sealed again under the current key (unchanged if it already is)."""
    if key_id_of(token) == keys.current_id():
        return token
    return encrypt(keys, decrypt(keys, token, context), context)


@dataclass(frozen=True)
class StoredValue:
    """One encrypted value where it is stored: ``ref`` is the store's own handle."""

    ref: object
    token: str
    context: bytes


class FieldStore(Protocol):
    """Where encrypted values live (a table, say)."""

    def stored_values(self) -> Iterable[StoredValue]: ...

    def replace(self, ref: object, token: str) -> None: ...


@dataclass
class Rotation:
    new_key: str
    reencrypted: int = 0
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # old keys still used by some value


def rotate(keys: FieldKeys, stores: Iterable[FieldStore], remove_unused: bool = True) -> Rotation:
    """Make a new current key, re-encrypt every stored value under it, and remove the old
    keys that no value uses any more (unless ``remove_unused`` is False).

    Values are replaced one by one; a failure part-way leaves every value readable (the old
    keys are only removed at the end, and only when unused)."""
    stores = list(stores)
    done = Rotation(new_key=keys.new_key())
    for store in stores:
        for value in list(store.stored_values()):
            fresh = reencrypt(keys, value.token, value.context)
            if fresh != value.token:
                store.replace(value.ref, fresh)
                done.reencrypted += 1
    in_use = {key_id_of(v.token) for store in stores for v in store.stored_values()}
    for key_id in keys.key_ids():
        if key_id == done.new_key:
            continue
        if key_id in in_use or not remove_unused:
            done.kept.append(key_id)
        else:
            keys.remove(key_id)
            done.removed.append(key_id)
    return done
