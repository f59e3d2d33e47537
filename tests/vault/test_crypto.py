"""AES-256-GCM in the STREAM construction: round trips, and every way of damaging a blob."""

from __future__ import annotations

import hashlib
import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dadkhah.vault import crypto

KEY = bytes(range(32))
OTHER = bytes(range(1, 33))
CHUNK = 64  # small chunks so that the tests cross many chunk boundaries cheaply
UNIT = CHUNK + crypto.TAG


def seal(data: bytes, key: bytes = KEY, chunk: int = CHUNK) -> bytes:
    return crypto.encrypt_bytes(data, key, chunk)


def chunks_of(blob: bytes) -> tuple[bytes, list[bytes]]:
    header, body = blob[: crypto.HEADER_SIZE], blob[crypto.HEADER_SIZE :]
    return header, [body[i : i + UNIT] for i in range(0, len(body), UNIT)]


@given(data=st.binary(max_size=1000), chunk=st.integers(min_value=1, max_value=300))
@settings(max_examples=200, deadline=None)
def test_round_trip_for_any_size_and_chunking(data, chunk):
    blob = seal(data, chunk=chunk)
    assert crypto.is_encrypted(blob)
    assert crypto.decrypt_bytes(blob, KEY) == data
    # every chunk is full but the last, which always exists (empty for empty data)
    chunks = max(1, -(-len(data) // chunk))
    assert len(blob) == crypto.HEADER_SIZE + len(data) + chunks * crypto.TAG


@given(pieces=st.lists(st.binary(max_size=200), max_size=12))
@settings(max_examples=100, deadline=None)
def test_feeding_in_pieces_gives_the_same_plaintext(pieces):
    enc = crypto.Encryptor(KEY, CHUNK)
    blob = b"".join(enc.update(p) for p in pieces) + enc.finalize()
    assert crypto.decrypt_bytes(blob, KEY) == b"".join(pieces)


def test_the_ciphertext_does_not_show_the_plaintext_and_never_repeats():
    data = b"the death commission met in Evin, summer 1988. " * 40
    one, two = seal(data), seal(data)
    assert data[:32] not in one
    assert one != two  # fresh salt and nonce prefix per blob
    assert one[crypto.HEADER_SIZE :][:UNIT] != two[crypto.HEADER_SIZE :][:UNIT]


def test_reader_gives_plaintext_in_small_reads():
    data = os.urandom(1000)
    reader = crypto.DecryptingReader(io.BytesIO(seal(data)), KEY)
    got = b""
    while piece := reader.read(7):
        got += piece
    assert got == data
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(data).hexdigest()


DATA = bytes(range(256)) * 2 + b"tail"  # 8 full chunks and a short last one


@pytest.mark.parametrize(
    "damage, where",
    [
        (lambda h, c: h[:20] + bytes([h[20] ^ 1]) + h[21:] + b"".join(c), "header (salt)"),
        (lambda h, c: h + c[0][:5] + bytes([c[0][5] ^ 1]) + c[0][6:] + b"".join(c[1:]), "chunk"),
        (lambda h, c: h + b"".join(c[:-1]) + c[-1][:-1] + bytes([c[-1][-1] ^ 1]), "last tag"),
        (lambda h, c: h + b"".join(c[:-1]), "cut at a chunk boundary"),
        (lambda h, c: h + b"".join(c[:3]), "cut after three chunks"),
        (lambda h, c: h + b"".join(c)[:-3], "cut inside the last chunk"),
        (lambda h, c: h + c[1] + c[0] + b"".join(c[2:]), "two chunks swapped"),
        (lambda h, c: h + c[0] + b"".join(c), "a chunk repeated"),
        (lambda h, c: h + b"".join(c) + c[-1], "the last chunk repeated"),
        (lambda h, c: h, "every chunk removed"),
    ],
)
def test_every_damage_is_detected(damage, where):
    header, chunks = chunks_of(seal(DATA))
    assert len(chunks) == 9
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt_bytes(damage(header, chunks), KEY)


def test_wrong_key_is_named_by_its_id():
    with pytest.raises(crypto.CryptoError, match=crypto.key_id(KEY).hex()):
        crypto.decrypt_bytes(seal(b"letter"), OTHER)


def test_old_keys_open_old_blobs_after_rotation():
    old_blob = seal(b"encrypted before the rotation", KEY)
    new_blob = seal(b"encrypted after the rotation", OTHER)
    keyring = {crypto.key_id(KEY): KEY, crypto.key_id(OTHER): OTHER}
    assert crypto.decrypt_bytes(old_blob, keyring) == b"encrypted before the rotation"
    assert crypto.decrypt_bytes(new_blob, keyring) == b"encrypted after the rotation"


def test_not_an_encrypted_blob():
    with pytest.raises(crypto.CryptoError, match="bad header"):
        crypto.decrypt_bytes(b"%PDF-1.4 plain bytes, not a vault blob", KEY)


def test_finalize_twice_is_refused():
    enc = crypto.Encryptor(KEY)
    enc.finalize()
    with pytest.raises(crypto.CryptoError):
        enc.update(b"more")
