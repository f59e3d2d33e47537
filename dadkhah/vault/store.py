"""Content-addressed blob stores for the originals. Pure: no Django import.

A blob is stored under the hex SHA-256 of the original bytes (of the plaintext, also for
encrypted blobs) and is written once, never modified. Writing is two steps, so that the
caller can put its database transaction between them and after them:

1. ``stage(source, work_dir)`` copies the bytes into a temporary file in ``work_dir`` (on
   the same filesystem as the blobs), hashing while it copies (the hash is of exactly the
   bytes written), optionally encrypting, then fsyncs the file.
2. ``publish(staged)`` links the temporary file into place under ``ab/cd/<hex>`` (a link
   never overwrites: when the blob is there already, the same bytes are stored once) and
   fsyncs the directory.

Crash safety is the job of ``WorkArea``: every writer works in a session directory that it
holds an exclusive ``flock`` on, and leaves an intent marker ``<hex>.pending`` there before
it publishes. A killed process leaves its session unlocked; ``WorkArea.repair`` then removes
its temporary files and every blob whose marker has no database row (an orphan), never
touching the blobs of sessions that are still alive.

Backends: ``FileStore`` (``DADKHAH_HOME/blobs``, the default) and ``S3Store``
(``DADKHAH_BLOBS=s3://bucket/prefix``; the temporary files are then local, under
``DADKHAH_HOME/spool``).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import io
import os
import re
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import urlsplit

from dadkhah.vault.crypto import Encryptor

__all__ = [
    "CHUNK",
    "HEAD",
    "BlobStore",
    "FileStore",
    "RepairReport",
    "S3Store",
    "Session",
    "Staged",
    "StoreError",
    "WorkArea",
    "open_store",
    "stage_file",
    "sync_files",
]

CHUNK = 1 << 20  # hashing and streaming unit
COPY_STEP = 4 << 20  # in-kernel copy unit for files (measured best in bench/vault_ingest.py)
HEAD = 256 << 10  # bytes kept for MIME detection
HEX = re.compile(r"^[0-9a-f]{64}$")
PENDING = ".pending"
TEMP = ".tmp"


class StoreError(Exception):
    pass


@dataclass
class Staged:
    """Bytes written to a temporary file, hashed and fsynced, not yet in the store."""

    hex: str
    size: int
    temp: Path
    head: bytes = field(repr=False)  # the first plaintext bytes, for MIME detection
    encrypted: bool = False


class BlobStore(Protocol):
    """What the vault needs from a place that keeps originals."""

    work_root: Path

    def stage(self, source: Path | IO[bytes], work_dir: Path, encrypt: Encryptor | None = None, sync: bool = True) -> Staged: ...  # fmt: skip
    def publish(self, staged: Staged) -> bool: ...
    def publish_many(self, batch: list[Staged]) -> list[bool]: ...
    def put(self, source: Path | IO[bytes], work_dir: Path) -> tuple[str, int]: ...
    def open(self, hex: str) -> IO[bytes]: ...
    def exists(self, hex: str) -> bool: ...
    def iter_hexes(self) -> Iterator[str]: ...
    def delete_orphan(self, hex: str) -> None: ...
    def describe(self) -> str: ...


# ---------------------------------------------------------------------------- writing


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _sync_file_range() -> Callable[[int, int, int], None] | None:
    """Linux's sync_file_range(SYNC_FILE_RANGE_WRITE): start writing back a range without
    waiting, so that the final fsync finds the data on its way to disk already."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        func = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    func.restype = ctypes.c_int

    def start_writeback(fd: int, offset: int, length: int) -> None:
        func(fd, offset, length, 2)  # errors only mean no early writeback; fsync still runs

    return start_writeback


_START_WRITEBACK = _sync_file_range()
_copier: ThreadPoolExecutor | None = None
_copier_lock = threading.Lock()


def _copy_pool() -> ThreadPoolExecutor:
    global _copier
    with _copier_lock:
        if _copier is None:
            _copier = ThreadPoolExecutor(max_workers=2, thread_name_prefix="blob-copy")
        return _copier


_syncer: ThreadPoolExecutor | None = None


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_files(paths: Iterable[Path]) -> None:
    """fsync files or directories, several at once: concurrent fsyncs share the
    filesystem's journal commits, which makes many small files much cheaper."""
    global _syncer
    todo = list(dict.fromkeys(paths))
    if len(todo) <= 1:
        for path in todo:
            _fsync_path(path)
        return
    with _copier_lock:
        if _syncer is None:
            _syncer = ThreadPoolExecutor(max_workers=8, thread_name_prefix="blob-sync")
    for future in [_syncer.submit(_fsync_path, path) for path in todo]:
        future.result()


def _stream_copy(source: IO[bytes], fd: int, encrypt: Encryptor | None) -> tuple[str, int, bytes]:
    """Read ``source`` in 1 MiB chunks, hash each chunk and write it (encrypted if asked)."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        if len(head) < HEAD:
            head += chunk[: HEAD - len(head)]
        size += len(chunk)
        _write_all(fd, encrypt.update(chunk) if encrypt is not None else chunk)
    if encrypt is not None:
        _write_all(fd, encrypt.finalize())
    return digest.hexdigest(), size, head


def _kernel_copy(src: int, fd: int) -> tuple[str, int, bytes] | None:
    """Copy a file in the kernel (copy_file_range) while this thread hashes what was written.

    The copy of step k+1 runs in a worker thread while this thread reads step k back from
    the page cache and hashes it, so the hash is of exactly the stored bytes and the source
    is read once. Returns None when the kernel cannot copy between these files.
    """
    copy_file_range = getattr(os, "copy_file_range", None)
    if copy_file_range is None:
        return None
    try:
        first = copy_file_range(src, fd, COPY_STEP)
    except OSError as exc:
        if exc.errno in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF):
            return None
        raise
    written = first
    digest = hashlib.sha256()
    head = b""

    def hash_until(offset: int, end: int, view: memoryview) -> int:
        nonlocal head
        while offset < end:
            n = os.preadv(fd, [view[: min(len(view), end - offset)]], offset)
            if n == 0:
                raise StoreError("temporary file shrank while hashing")
            digest.update(view[:n])
            if len(head) < HEAD:
                head += bytes(view[: min(n, HEAD - len(head))])
            offset += n
        return offset

    if first < COPY_STEP:  # a small file: no thread, one buffer of its size
        while n := copy_file_range(src, fd, COPY_STEP):
            written += n
        offset = hash_until(0, written, memoryview(bytearray(min(COPY_STEP, max(written, 1)))))
        return digest.hexdigest(), offset, head

    def copy_step() -> int:
        nonlocal written
        n = copy_file_range(src, fd, COPY_STEP)
        if n and _START_WRITEBACK is not None:
            _START_WRITEBACK(fd, written, n)
        written += n
        return n

    view = memoryview(bytearray(COPY_STEP))
    offset = 0
    pending: Future[int] | None = _copy_pool().submit(copy_step)
    try:
        while offset < written or pending is not None:
            if offset >= written and pending is not None:
                if pending.result() == 0:
                    pending = None
                    continue
                pending = _copy_pool().submit(copy_step)
            offset = hash_until(offset, written, view)  # bytes up to ``written`` are in the file
    finally:
        if pending is not None:
            pending.result()
    return digest.hexdigest(), offset, head


def stage_file(
    source: Path | IO[bytes],
    work_dir: Path,
    encrypt: Encryptor | None = None,
    sync: bool = True,
) -> Staged:
    """Write ``source`` to a new temporary file in ``work_dir``, hashed while written, and
    fsynced unless ``sync`` is False (then ``sync_files`` must run before publishing)."""
    temp = work_dir / f"{secrets.token_hex(12)}{TEMP}"
    fd = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        if isinstance(source, Path):
            with source.open("rb", buffering=0) as handle:
                done = None if encrypt is not None else _kernel_copy(handle.fileno(), fd)
                if done is None:
                    handle.seek(0)
                    os.ftruncate(fd, 0)
                    os.lseek(fd, 0, os.SEEK_SET)
                    done = _stream_copy(handle, fd, encrypt)  # type: ignore[arg-type]
        else:
            done = _stream_copy(source, fd, encrypt)
        if sync:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        temp.unlink(missing_ok=True)
        raise
    os.close(fd)
    hex_, size, head = done
    return Staged(hex=hex_, size=size, temp=temp, head=head, encrypted=encrypt is not None)


# ---------------------------------------------------------------------------- backends


class FileStore:
    """Blobs as read-only files ``<root>/ab/cd/<hex>``; temporary files under ``<root>/.work``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.work_root = self.root / ".work"
        self._known_dirs: set[Path] = set()

    def describe(self) -> str:
        return str(self.root)

    def path(self, hex: str) -> Path:
        if not HEX.match(hex):
            raise StoreError(f"not a SHA-256 hex digest: {hex!r}")
        return self.root / hex[:2] / hex[2:4] / hex

    def stage(
        self,
        source: Path | IO[bytes],
        work_dir: Path,
        encrypt: Encryptor | None = None,
        sync: bool = True,
    ) -> Staged:
        return stage_file(source, work_dir, encrypt, sync)

    def _ensure_dir(self, directory: Path, created: list[Path]) -> None:
        """Make ``ab/cd``; the parents of what was made go into ``created`` to be fsynced."""
        if directory in self._known_dirs:
            return
        for level in (directory.parent, directory):
            if not level.is_dir():
                with contextlib.suppress(FileExistsError):
                    level.mkdir()
                created.append(level.parent)
        self._known_dirs.add(directory)

    def publish(self, staged: Staged) -> bool:
        """Link the staged file into place; False (and the temporary file dropped) when the
        same bytes are stored already. Never overwrites."""
        return self.publish_many([staged])[0]

    def publish_many(self, batch: list[Staged]) -> list[bool]:
        """Publish several staged files, then fsync their directories together."""
        added: list[bool] = []
        touched: list[Path] = []
        try:
            for staged in batch:
                dest = self.path(staged.hex)
                if dest.exists():
                    added.append(False)
                    continue
                self._ensure_dir(dest.parent, touched)
                os.chmod(staged.temp, 0o444)
                try:
                    os.link(staged.temp, dest)
                except FileExistsError:
                    added.append(False)
                    continue
                added.append(True)
                touched.append(dest.parent)
            sync_files(touched)
        finally:
            for staged in batch:
                staged.temp.unlink(missing_ok=True)
        return added

    def put(self, source: Path | IO[bytes], work_dir: Path) -> tuple[str, int]:
        staged = self.stage(source, work_dir)
        self.publish(staged)
        return staged.hex, staged.size

    def open(self, hex: str) -> IO[bytes]:
        return self.path(hex).open("rb")

    def exists(self, hex: str) -> bool:
        return self.path(hex).is_file()

    def size(self, hex: str) -> int:
        return self.path(hex).stat().st_size

    def iter_hexes(self) -> Iterator[str]:
        for first in sorted(os.scandir(self.root), key=lambda e: e.name):
            if len(first.name) != 2 or not first.is_dir():
                continue
            for second in sorted(os.scandir(first.path), key=lambda e: e.name):
                if len(second.name) != 2 or not second.is_dir():
                    continue
                for blob in sorted(os.scandir(second.path), key=lambda e: e.name):
                    if HEX.match(blob.name):
                        yield blob.name

    def delete_orphan(self, hex: str) -> None:
        path = self.path(hex)
        path.unlink(missing_ok=True)
        _fsync_dir(path.parent)


class _S3Reader(io.RawIOBase):
    def __init__(self, body: Any) -> None:
        super().__init__()
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._body.read(len(target))
        target[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class S3Store:
    """Blobs as objects ``<prefix>/ab/cd/<hex>`` in an S3-compatible bucket (boto3).

    An object appears only once its upload is complete, so the object store gives the
    rename step for free; staging happens in local temporary files under ``spool``.
    """

    def __init__(self, bucket: str, prefix: str, spool: Path, client: Any) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client
        self.work_root = Path(spool)
        self.work_root.mkdir(parents=True, exist_ok=True)

    @classmethod
    def from_url(cls, url: str, spool: Path, endpoint: str = "") -> S3Store:
        import boto3

        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise StoreError(f"DADKHAH_BLOBS must look like s3://bucket/prefix, not {url!r}")
        client = boto3.client("s3", endpoint_url=endpoint or None)
        return cls(parts.netloc, parts.path, spool, client)

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def key(self, hex: str) -> str:
        if not HEX.match(hex):
            raise StoreError(f"not a SHA-256 hex digest: {hex!r}")
        tail = f"{hex[:2]}/{hex[2:4]}/{hex}"
        return f"{self.prefix}/{tail}" if self.prefix else tail

    def stage(
        self,
        source: Path | IO[bytes],
        work_dir: Path,
        encrypt: Encryptor | None = None,
        sync: bool = True,
    ) -> Staged:
        return stage_file(source, work_dir, encrypt, sync)

    def publish_many(self, batch: list[Staged]) -> list[bool]:
        return [self.publish(staged) for staged in batch]

    def publish(self, staged: Staged) -> bool:
        from boto3.s3.transfer import TransferConfig

        try:
            if self.exists(staged.hex):
                return False
            config = TransferConfig(multipart_chunksize=64 << 20, multipart_threshold=64 << 20)
            self.client.upload_file(
                str(staged.temp),
                self.bucket,
                self.key(staged.hex),
                ExtraArgs={"Metadata": {"sha256": staged.hex}},
                Config=config,
            )
            return True
        finally:
            staged.temp.unlink(missing_ok=True)

    def put(self, source: Path | IO[bytes], work_dir: Path) -> tuple[str, int]:
        staged = self.stage(source, work_dir)
        self.publish(staged)
        return staged.hex, staged.size

    def open(self, hex: str) -> IO[bytes]:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.key(hex))["Body"]
        except self.client.exceptions.NoSuchKey:
            raise FileNotFoundError(f"{self.describe()}: no blob {hex}") from None
        return io.BufferedReader(_S3Reader(body), buffer_size=CHUNK)

    def exists(self, hex: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(hex))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def size(self, hex: str) -> int:
        head = self.client.head_object(Bucket=self.bucket, Key=self.key(hex))
        return int(head["ContentLength"])

    def iter_hexes(self) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        start = f"{self.prefix}/" if self.prefix else ""
        for page in paginator.paginate(Bucket=self.bucket, Prefix=start):
            for obj in page.get("Contents", []):
                name = obj["Key"].rsplit("/", 1)[-1]
                if HEX.match(name) and obj["Key"] == self.key(name):
                    yield name

    def delete_orphan(self, hex: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(hex))


def open_store(blobs: str, home: Path, s3_endpoint: str = "") -> FileStore | S3Store:
    """The store that ``DADKHAH_BLOBS`` names: empty for ``home/blobs``, a path, or s3://."""
    if not blobs:
        return FileStore(home / "blobs")
    if blobs.startswith("s3://"):
        return S3Store.from_url(blobs, home / "spool", s3_endpoint)
    if "://" in blobs:
        raise StoreError(f"DADKHAH_BLOBS: unknown scheme in {blobs!r} (empty, a path or s3://)")
    return FileStore(Path(blobs).expanduser())


# ---------------------------------------------------------------------------- crash safety


@dataclass
class RepairReport:
    temp_files: list[str] = field(default_factory=list)
    orphan_blobs: list[str] = field(default_factory=list)
    sessions: int = 0
    removed: bool = True  # False: found and reported only

    @property
    def clean(self) -> bool:
        return not self.temp_files and not self.orphan_blobs

    def lines(self) -> list[str]:
        verb = "removed" if self.removed else "found"
        out = [f"{verb} temporary file {name}" for name in self.temp_files]
        out += [f"{verb} orphan blob sha256:{hex} (no item)" for hex in self.orphan_blobs]
        return out


class Session:
    """A writer's private directory under the work area, locked while the writer lives."""

    def __init__(self, area: WorkArea) -> None:
        self.area = area
        with area.guard(exclusive=False):
            self.dir = Path(tempfile.mkdtemp(prefix=f"s{os.getpid()}-", dir=area.root))
            self._lock_fd = os.open(self.dir / "lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.closed = False

    def intend(self, hex: str) -> str:
        """Say, durably, that a blob is about to be published and is not yet in the database.
        Returns the marker, for ``settle``."""
        return self.intend_many([hex])[0]

    def intend_many(self, hexes: Iterable[str]) -> list[str]:
        """``intend`` for several blobs, with one fsync of the directory."""
        markers = []
        for hex in hexes:
            marker = f"{hex}.{secrets.token_hex(6)}{PENDING}"
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
            os.close(os.open(self.dir / marker, flags, 0o600))
            markers.append(marker)
        _fsync_dir(self.dir)
        return markers

    def settle(self, *markers: str) -> None:
        """The database now holds the items the markers were for (or it was rolled back
        and the blobs are left to ``repair``)."""
        for marker in markers:
            (self.dir / marker).unlink(missing_ok=True)

    @property
    def dirty(self) -> bool:
        """Temporary files or intent markers are still in the session's directory."""
        try:
            return any(p.name != "lock" for p in self.dir.iterdir())
        except FileNotFoundError:
            return False

    def close(self) -> None:
        """Release the session; a clean one is removed, a dirty one is left for ``repair``."""
        if self.closed:
            return
        self.closed = True
        if not self.dirty:
            shutil.rmtree(self.dir, ignore_errors=True)
        os.close(self._lock_fd)

    def forget(self) -> None:
        """Drop this process's handle without touching the directory (after a fork)."""
        if not self.closed:
            self.closed = True
            os.close(self._lock_fd)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class WorkArea:
    """The sessions of all writers of one store, and the repair of what crashed ones left.

    Locks: publishing takes ``guard(exclusive=False)`` between writing the intent marker and
    linking the blob; repair takes ``guard(exclusive=True)`` while it reads the markers of
    the living sessions and deletes orphans. So a blob that a living writer is about to
    reuse is never deleted under it.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._guard_path = self.root / "guard.lock"

    @contextlib.contextmanager
    def guard(self, exclusive: bool) -> Iterator[None]:
        fd = os.open(self._guard_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)

    def session(self) -> Session:
        return Session(self)

    def _sessions(self) -> Iterator[tuple[Path, bool]]:
        """(directory, alive) of every session directory; a dead one stays locked by the caller
        until the directory is removed."""
        for entry in sorted(self.root.iterdir()):
            if not entry.is_dir():
                continue
            lock = entry / "lock"
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CLOEXEC)
            except FileNotFoundError:
                yield entry, False  # never locked: its creator died before locking
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                yield entry, True
                continue
            try:
                yield entry, False
            finally:
                os.close(fd)

    @staticmethod
    def _markers(directory: Path) -> set[str]:
        return {p.name.split(".", 1)[0] for p in directory.glob(f"*{PENDING}")}

    def repair(
        self,
        store: BlobStore,
        referenced: Callable[[Iterable[str]], set[str]],
        remove: bool = True,
        full_scan: bool = False,
    ) -> RepairReport:
        """Find what crashed writers left: temporary files, and blobs whose intent marker has
        no item (``referenced(hexes)`` returns those that have one). With ``remove`` they are
        deleted, otherwise only reported. ``full_scan`` also lists every stored blob against
        the database, which costs a listing of the whole store."""
        report = RepairReport(removed=remove)
        with self.guard(exclusive=True):
            dead: list[Path] = []
            candidates: set[str] = set()
            live: set[str] = set()
            for directory, alive in self._sessions():
                report.sessions += 1
                markers = self._markers(directory)
                if alive:
                    live |= markers
                    continue
                dead.append(directory)
                candidates |= markers
                leftovers = sorted(
                    p for p in directory.iterdir() if p.name != "lock" and p.suffix != PENDING
                )
                report.temp_files += [f"{directory.name}/{p.name}" for p in leftovers]
                if remove:
                    # Drop temporary files while the dead session is locked by us.
                    for temp in leftovers:
                        if temp.is_dir():
                            shutil.rmtree(temp, ignore_errors=True)
                        else:
                            temp.unlink(missing_ok=True)
            if full_scan:
                candidates |= set(store.iter_hexes())
            candidates = {h for h in candidates if HEX.match(h)} - live
            kept = referenced(sorted(candidates)) if candidates else set()
            for hex in sorted(candidates - kept):
                if store.exists(hex):
                    report.orphan_blobs.append(hex)
                    if remove:
                        store.delete_orphan(hex)
            if remove:
                for directory in dead:
                    shutil.rmtree(directory, ignore_errors=True)
        return report
