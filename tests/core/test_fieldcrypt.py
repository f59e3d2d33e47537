"""Field-level encryption: round trips, tampering, moved values, keys on disk, rotation."""

from __future__ import annotations

import base64
import stat
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dadkhah.core import fieldcrypt
from dadkhah.core.fieldcrypt import FieldCryptError, FieldKeys, StoredValue


def _ctx(row: str = "person-1", name: str = "name") -> bytes:
    return fieldcrypt.aad("records_protectedidentity", name, row)


@pytest.fixture
def keys(tmp_path: Path) -> FieldKeys:
    return FieldKeys(tmp_path / "keys" / "fields")


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=300))
def test_round_trip_any_text(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    keys = FieldKeys(tmp_path_factory.mktemp("k") / "fields")
    token = fieldcrypt.encrypt(keys, text, _ctx())
    assert fieldcrypt.is_token(token)
    assert fieldcrypt.decrypt(keys, token, _ctx()) == text


def test_format_and_fresh_nonces(keys: FieldKeys) -> None:
    first = fieldcrypt.encrypt(keys, "فاطمه رضایی", _ctx())
    second = fieldcrypt.encrypt(keys, "فاطمه رضایی", _ctx())
    prefix, key_id, data = first.split(":")
    assert prefix == "fc1" and key_id == keys.current_id()
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    assert len(raw) == 12 + len("فاطمه رضایی".encode()) + 16
    assert first != second  # a new random nonce every time
    assert "فاطمه" not in first


def test_key_files_outside_the_database_and_private(keys: FieldKeys) -> None:
    key_id = keys.current_id()
    path = keys.directory / f"{key_id}.key"
    assert len(path.read_bytes()) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (keys.directory / "current").read_text().strip() == key_id
    assert FieldKeys(keys.directory).current_id() == key_id  # stable across instances


@pytest.mark.parametrize("position", [5, 20, -1])
def test_tampering_is_detected(keys: FieldKeys, position: int) -> None:
    token = fieldcrypt.encrypt(keys, "Witness name", _ctx())
    prefix, key_id, data = token.split(":")
    raw = bytearray(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
    raw[position] ^= 0x01
    bad = f"{prefix}:{key_id}:{base64.urlsafe_b64encode(bytes(raw)).decode().rstrip('=')}"
    with pytest.raises(FieldCryptError, match="does not open"):
        fieldcrypt.decrypt(keys, bad, _ctx())


def test_value_moved_to_another_row_or_field_fails(keys: FieldKeys) -> None:
    token = fieldcrypt.encrypt(keys, "Witness name", _ctx("person-1", "name"))
    with pytest.raises(FieldCryptError):
        fieldcrypt.decrypt(keys, token, _ctx("person-2", "name"))
    with pytest.raises(FieldCryptError):
        fieldcrypt.decrypt(keys, token, _ctx("person-1", "contact"))


@pytest.mark.parametrize(
    "token",
    ["", "plain text", "fc1:xyz:AAAA", "fc2:0123456789abcdef:AAAA", "fc1:0123456789abcdef:AA"],
)
def test_malformed_values_are_refused(keys: FieldKeys, token: str) -> None:
    with pytest.raises(FieldCryptError):
        fieldcrypt.decrypt(keys, token, _ctx())


def test_missing_key_names_the_file(keys: FieldKeys, tmp_path: Path) -> None:
    token = fieldcrypt.encrypt(keys, "x", _ctx())
    other = FieldKeys(tmp_path / "elsewhere")
    with pytest.raises(FieldCryptError, match=r"no file .*\.key"):
        fieldcrypt.decrypt(other, token, _ctx())


def test_bad_aad_parts_are_refused() -> None:
    with pytest.raises(FieldCryptError, match="row"):
        fieldcrypt.aad("t", "f", "")
    with pytest.raises(FieldCryptError, match="field"):
        fieldcrypt.aad("t", "a\nb", "r")


@dataclass
class MemoryStore:
    rows: dict[int, tuple[str, bytes]] = field(default_factory=dict)

    def stored_values(self) -> list[StoredValue]:
        return [StoredValue(pk, token, ctx) for pk, (token, ctx) in sorted(self.rows.items())]

    def replace(self, ref: object, token: str) -> None:
        assert isinstance(ref, int)
        self.rows[ref] = (token, self.rows[ref][1])


def test_rotation_reencrypts_everything_and_removes_unused_keys(keys: FieldKeys) -> None:
    store = MemoryStore()
    plain = {n: f"name {n} نام" for n in range(5)}
    for n, text in plain.items():
        store.rows[n] = (fieldcrypt.encrypt(keys, text, _ctx(f"p{n}")), _ctx(f"p{n}"))
    old = keys.current_id()
    done = fieldcrypt.rotate(keys, [store])
    assert done.new_key != old and keys.current_id() == done.new_key
    assert done.reencrypted == 5 and done.removed == [old] and done.kept == []
    assert keys.key_ids() == [done.new_key]
    for n, (token, ctx) in store.rows.items():
        assert fieldcrypt.key_id_of(token) == done.new_key
        assert fieldcrypt.decrypt(keys, token, ctx) == plain[n]


def test_rotation_keeps_keys_still_in_use(keys: FieldKeys) -> None:
    used = MemoryStore({1: (fieldcrypt.encrypt(keys, "a", _ctx("p1")), _ctx("p1"))})
    forgotten = fieldcrypt.encrypt(keys, "b", _ctx("p2"))  # a value in a store not rotated
    old = keys.current_id()
    kept = fieldcrypt.rotate(keys, [used], remove_unused=False)
    assert kept.kept == [old] and kept.removed == []
    assert fieldcrypt.decrypt(keys, forgotten, _ctx("p2")) == "b"
    # the old key goes once no value of the rotated stores uses it; the current one never
    with pytest.raises(FieldCryptError, match="current"):
        keys.remove(keys.current_id())
    keys.remove(old)
    with pytest.raises(FieldCryptError, match="no file"):
        fieldcrypt.decrypt(keys, forgotten, _ctx("p2"))


def test_reencrypt_is_a_no_op_under_the_current_key(keys: FieldKeys) -> None:
    token = fieldcrypt.encrypt(keys, "a", _ctx())
    assert fieldcrypt.reencrypt(keys, token, _ctx()) == token
