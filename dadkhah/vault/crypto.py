"""Encryption at rest for restricted items: AES-256-GCM, streamed in chunks. Pure: no Django.

The format is the STREAM construction (Hoang, Reyhanitabar, Rogaway and Vizár, 2015) over
AES-256-GCM, so that a blob of any size is encrypted and decrypted in constant memory and
any change to it is detected, including a chunk removed, repeated, reordered or cut off:

    header  = MAGIC (8) ‖ key id (8) ‖ salt (16) ‖ nonce prefix (7) ‖ chunk size (4, big-endian)
    chunk i = AES-256-GCM(K, nonce = prefix ‖ i (4, big-endian) ‖ last (1), plaintext_i, aad = header)
    K       = HKDF-SHA256(data key, salt, info = "dadkhah vault blob v1")

Every chunk but the last holds exactly ``chunk size`` bytes of plaintext; the last holds the
rest (0 bytes for an empty file) and is the only one sealed with ``last = 1``. The counter
makes the order part of each tag, and the last flag makes the end part of it, so a
truncated, extended or reordered blob fails to open. Each blob has its own random salt and
so its own key: nonces never repeat under one key. The header is the additional data of
every chunk, so the key id, salt and chunk size cannot be changed either.

The key id (the first 8 bytes of SHA-256("dadkhah data key id\\n" ‖ key)) names the data key
a blob needs, so that after a key rotation old blobs still say which key opens them.
The item's ``sha256`` is always the hash of the plaintext: the original as received.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
from collections.abc import Iterator, Mapping
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "CHUNK",
    "MAGIC",
    "CryptoError",
    "DecryptingReader",
    "Encryptor",
    "decrypt_bytes",
    "decrypt_chunks",
    "encrypt_bytes",
    "is_encrypted",
    "key_id",
]

MAGIC = b"DKHVLT\x00\x01"  # "Dadkhah vault", format version 1
CHUNK = 1 << 20
TAG = 16
_HEADER = struct.Struct(">8s8s16s7sI")
HEADER_SIZE = _HEADER.size
_INFO = b"dadkhah vault blob v1"


class CryptoError(Exception):
    """A blob cannot be opened: wrong key, or it was changed, cut off or reordered."""


def key_id(key: bytes) -> bytes:
    """The 8-byte id of a data key, written in the header of every blob it encrypts."""
    return hashlib.sha256(b"dadkhah data key id\n" + key).digest()[:8]


def _chunk_key(key: bytes, salt: bytes) -> AESGCM:
    if len(key) != 32:
        raise CryptoError("the data key must be 32 bytes (AES-256)")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_INFO).derive(key)
    return AESGCM(derived)


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    if index >= 1 << 32:
        raise CryptoError("too many chunks for one blob")
    return prefix + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def is_encrypted(head: bytes) -> bool:
    return head[: len(MAGIC)] == MAGIC


class Encryptor:
    """Feed plaintext with ``update`` in any pieces; ``finalize`` seals the last chunk.

    Each call returns the ciphertext that is ready (possibly ``b""``); the header comes out
    with the first call.
    """

    def __init__(self, key: bytes, chunk_size: int = CHUNK) -> None:
        salt = os.urandom(16)
        self.prefix = os.urandom(7)
        self.chunk_size = chunk_size
        self.header = _HEADER.pack(MAGIC, key_id(key), salt, self.prefix, chunk_size)
        self._aead = _chunk_key(key, salt)
        self._pending = bytearray()
        self._index = 0
        self._header_sent = False
        self._done = False

    def _seal(self, data: bytes | bytearray | memoryview, last: bool) -> bytes:
        sealed = self._aead.encrypt(
            _nonce(self.prefix, self._index, last), bytes(data), self.header
        )
        self._index += 1
        return sealed

    def _start(self) -> list[bytes]:
        if self._done:
            raise CryptoError("encryptor already finalized")
        if self._header_sent:
            return []
        self._header_sent = True
        return [self.header]

    def update(self, data: bytes | bytearray | memoryview) -> bytes:
        out = self._start()
        self._pending += data
        size = self.chunk_size
        # Keep at least one byte back: only finalize knows which chunk is the last.
        if len(self._pending) > size:
            view = memoryview(self._pending)
            start = 0
            while len(self._pending) - start > size:
                out.append(self._seal(view[start : start + size], last=False))
                start += size
            view.release()
            del self._pending[:start]
        return b"".join(out)

    def finalize(self) -> bytes:
        out = self._start()
        out.append(self._seal(self._pending, last=True))
        self._pending = bytearray()
        self._done = True
        return b"".join(out)


def encrypt_bytes(data: bytes, key: bytes, chunk_size: int = CHUNK) -> bytes:
    enc = Encryptor(key, chunk_size)
    return enc.update(data) + enc.finalize()


def _read_exact(stream: IO[bytes], size: int) -> bytes:
    parts = []
    while size > 0:
        piece = stream.read(size)
        if not piece:
            break
        parts.append(piece)
        size -= len(piece)
    return b"".join(parts)


def _keys(keys: bytes | Mapping[bytes, bytes]) -> Mapping[bytes, bytes]:
    if isinstance(keys, bytes | bytearray):
        return {key_id(bytes(keys)): bytes(keys)}
    return keys


def decrypt_chunks(stream: IO[bytes], keys: bytes | Mapping[bytes, bytes]) -> Iterator[bytes]:
    """The plaintext of an encrypted blob, chunk by chunk; raises CryptoError when the blob
    is not intact. ``keys`` is the data key, or a mapping of key id to key."""
    header = _read_exact(stream, HEADER_SIZE)
    if len(header) < HEADER_SIZE or not is_encrypted(header):
        raise CryptoError("not an encrypted vault blob (bad header)")
    _magic, kid, salt, prefix, chunk_size = _HEADER.unpack(header)
    key = _keys(keys).get(kid)
    if key is None:
        raise CryptoError(
            f"the blob was encrypted with data key {kid.hex()}, which is not available"
        )
    if not 0 < chunk_size <= 64 << 20:
        raise CryptoError(f"implausible chunk size {chunk_size}")
    aead = _chunk_key(key, salt)
    unit = chunk_size + TAG
    index = 0
    current = _read_exact(stream, unit)
    while True:
        following = _read_exact(stream, unit) if len(current) == unit else b""
        last = not following
        if len(current) < TAG:
            raise CryptoError(f"the blob is cut off at chunk {index}")
        try:
            plain = aead.decrypt(_nonce(prefix, index, last), current, header)
        except InvalidTag:
            where = "last chunk" if last else f"chunk {index}"
            raise CryptoError(
                f"the blob does not authenticate at {where}: "
                "changed, cut off, reordered or encrypted with another key"
            ) from None
        yield plain
        if last:
            return
        index += 1
        current = following


def decrypt_bytes(blob: bytes, keys: bytes | Mapping[bytes, bytes]) -> bytes:
    return b"".join(decrypt_chunks(io.BytesIO(blob), keys))


class DecryptingReader(io.RawIOBase):
    """A read-only file object over the plaintext of an encrypted blob, in constant memory.

    Authentication is per chunk: a reader sees only chunks that authenticated, and a
    changed blob raises CryptoError at the first bad chunk.
    """

    def __init__(self, raw: IO[bytes], keys: bytes | Mapping[bytes, bytes]) -> None:
        super().__init__()
        self._raw = raw
        self._chunks = decrypt_chunks(raw, keys)
        self._buffer = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._buffer:
            try:
                self._buffer = memoryview(next(self._chunks))
            except StopIteration:
                return 0
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()
