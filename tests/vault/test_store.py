"""The filesystem blob store and its work area: content addressing, write-once blobs, hashing
while copying, and repair of what a killed writer leaves."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dadkhah.vault import crypto
from dadkhah.vault.store import (
    COPY_STEP,
    HEAD,
    FileStore,
    S3Store,
    StoreError,
    WorkArea,
    open_store,
)
from tests.vault.conftest import leftover_files, stored_blobs

KEY = bytes(range(32))


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "blobs")


@pytest.fixture
def area(store: FileStore) -> WorkArea:
    return WorkArea(store.work_root)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    "size", [0, 1, 4095, COPY_STEP - 1, COPY_STEP, COPY_STEP + 1, 3 * COPY_STEP + 17]
)
def test_stage_hashes_what_it_writes_from_a_file_and_from_a_stream(store, area, tmp_path, size):
    data = os.urandom(size)
    source = tmp_path / "source.bin"
    source.write_bytes(data)
    with area.session() as session:
        from_file = store.stage(source, session.dir)  # in-kernel copy, hashed from the copy
        from_stream = store.stage(io.BytesIO(data), session.dir)
        for staged in (from_file, from_stream):
            assert (staged.hex, staged.size) == (sha(data), size)
            assert staged.temp.read_bytes() == data
            assert staged.head == data[:HEAD]
            staged.temp.unlink()


def test_stage_encrypts_but_hashes_the_plaintext(store, area):
    data = os.urandom(3 * crypto.CHUNK + 5)
    with area.session() as session:
        staged = store.stage(io.BytesIO(data), session.dir, crypto.Encryptor(KEY))
        assert staged.encrypted and staged.hex == sha(data) and staged.size == len(data)
        stored = staged.temp.read_bytes()
        assert data[:64] not in stored
        assert crypto.decrypt_bytes(stored, KEY) == data
        staged.temp.unlink()


def test_blobs_live_under_their_hash_read_only_and_are_never_rewritten(store, area):
    data = b"a survivor's letter, scanned"
    with area.session() as session:
        first = store.stage(io.BytesIO(data), session.dir)
        assert store.publish(first) is True
        path = store.path(first.hex)
        assert path == store.root / first.hex[:2] / first.hex[2:4] / first.hex
        assert path.read_bytes() == data
        assert stat.S_IMODE(path.stat().st_mode) == 0o444
        inode = path.stat().st_ino
        again = store.stage(io.BytesIO(data), session.dir)
        assert store.publish(again) is False  # the same bytes are stored once
        assert path.stat().st_ino == inode
        assert not first.temp.exists() and not again.temp.exists()
    assert list(store.iter_hexes()) == [first.hex]
    assert store.exists(first.hex) and not store.exists(sha(b"other"))
    with store.open(first.hex) as handle:
        assert handle.read() == data
    with pytest.raises(StoreError):
        store.path("../../etc/passwd")


def test_a_closed_clean_session_leaves_nothing(store, area):
    with area.session() as session:
        staged = store.stage(io.BytesIO(b"x"), session.dir)
        marker = session.intend(staged.hex)
        store.publish(staged)
        session.settle(marker)
    assert leftover_files(store.root) == []
    assert [p.name for p in store.work_root.iterdir()] == ["guard.lock"]


KILLED_WRITER = """
import io, os, sys
from pathlib import Path
from dadkhah.vault.store import FileStore, WorkArea
store = FileStore(Path(sys.argv[1]))
session = WorkArea(store.work_root).session()
committed = store.stage(io.BytesIO(b"committed item"), session.dir)
session.intend(committed.hex)
store.publish(committed)
orphan = store.stage(io.BytesIO(b"published, never committed"), session.dir)
session.intend(orphan.hex)
store.publish(orphan)
store.stage(io.BytesIO(b"staged, never published"), session.dir)
print(committed.hex, orphan.hex, flush=True)
os.kill(os.getpid(), 9)
"""


def run_killed_writer(root: Path) -> tuple[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KILLED_WRITER), str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == -9, done.stderr
    committed, orphan = done.stdout.split()
    return committed, orphan


def test_repair_removes_what_a_killed_writer_left_and_keeps_what_is_referenced(store, area):
    committed, orphan = run_killed_writer(store.root)
    assert set(stored_blobs(store.root)) == {committed, orphan}
    assert len(leftover_files(store.root)) == 3  # two markers and a temporary file

    def referenced(hexes):
        return {h for h in hexes if h == committed}  # the database knows only this one

    looked = area.repair(store, referenced, remove=False)
    assert looked.orphan_blobs == [orphan] and len(looked.temp_files) == 1
    assert looked.lines()[0].startswith("found temporary file")
    assert set(stored_blobs(store.root)) == {committed, orphan}  # report-only changed nothing

    repaired = area.repair(store, referenced)
    assert repaired.orphan_blobs == [orphan] and len(repaired.temp_files) == 1
    assert stored_blobs(store.root) == [committed]
    assert leftover_files(store.root) == []
    assert area.repair(store, referenced).clean


def test_repair_never_touches_a_living_writer(store, area):
    with area.session() as living:
        staged = store.stage(io.BytesIO(b"being committed right now"), living.dir)
        living.intend(staged.hex)
        store.publish(staged)
        temp = store.stage(io.BytesIO(b"being copied right now"), living.dir)
        # the database does not know the blob yet, and a full scan sees it
        report = area.repair(store, lambda hexes: set(), full_scan=True)
        assert report.clean
        assert store.exists(staged.hex) and temp.temp.exists()
        temp.temp.unlink()


def test_full_scan_finds_a_blob_nobody_marked(store, area):
    hex_, _ = store.put(io.BytesIO(b"copied in by hand"), area.session().dir)
    assert area.repair(store, lambda hexes: set()).clean  # no marker: only a full scan sees it
    report = area.repair(store, lambda hexes: set(), full_scan=True)
    assert report.orphan_blobs == [hex_] and not store.exists(hex_)


def test_open_store_follows_the_setting(tmp_path):
    assert isinstance(open_store("", tmp_path), FileStore)
    assert open_store("", tmp_path).root == tmp_path / "blobs"
    assert open_store(str(tmp_path / "elsewhere"), tmp_path).root == tmp_path / "elsewhere"
    s3 = open_store("s3://evidence/vault/", tmp_path, "http://127.0.0.1:9")
    assert isinstance(s3, S3Store)
    assert (s3.bucket, s3.prefix) == ("evidence", "vault")
    assert s3.key("ab" * 32) == f"vault/ab/ab/{'ab' * 32}"
    with pytest.raises(StoreError, match="unknown scheme"):
        open_store("ftp://host/x", tmp_path)
