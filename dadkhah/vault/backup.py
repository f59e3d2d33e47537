"""``dadkhah backup`` and ``dadkhah restore``: a whole installation in one directory.

A backup is a directory (never an archive, so that each part can be checked and copied on
its own)::

    manifest.json          written last: every other file's SHA-256 and size, the versions,
                           the database engine, the migrations applied, the row counts
    database.sqlite3       SQLite, through the online backup API (one read transaction), or
    database.pgdump        PostgreSQL: ``pg_dump --format=custom`` of one exported snapshot
    blobs/ab/cd/<hex>      every blob the database refers to, byte for byte as stored
                           (restricted items stay encrypted with the vault's data key)
    home/checkpoints/latest, home/linkage/files/…
                           files the database refers to that live outside it
    keys.enc               the keys directory, encrypted: scrypt, then AES-256-GCM
    keys.enc.json          the scrypt and AES-GCM parameters; its exact bytes are the
                           associated data of the encryption, so they cannot be changed

Consistent without stopping the writers, by order: the copy of the latest checkpoint kept
outside the database is read first (it only grows, and names a checkpoint whose rows are
committed already); then the database snapshot; then the blobs and files that snapshot
refers to (content-addressed and never modified: each exists before its row commits, and
one written after the snapshot is simply not copied), each checked against its SHA-256
while it is copied; then the keys (each is created before anything uses it). The huey task
queue is not backed up: after a restore, ``dadkhah work`` (or ``serve``) queues the text
extraction of the originals still waiting for it.

A backup is written into ``DIR.partial`` and renamed to ``DIR`` once ``manifest.json`` is
in it: a crash leaves no ``DIR`` that looks complete. Restoring is ``dadkhah.vault.restore``;
the operator's guide is docs/backup.md.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import platform
import shutil
import subprocess
import threading
import time
import unicodedata
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from dadkhah.vault.crypto import CryptoError, decrypt_chunks
from dadkhah.vault.store import CHUNK, sync_files

__all__ = [
    "BackupError",
    "BackupSummary",
    "KeyFile",
    "make_backup",
    "read_passphrase",
]

FORMAT = "dadkhah-backup"
VERSION = 1
MANIFEST = "manifest.json"
KEYS_FILE = "keys.enc"
KEYS_PARAMS = "keys.enc.json"
KEYS_FORMAT = "dadkhah-keys-v1"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
PASSPHRASE_ENV = "DADKHAH_BACKUP_PASSPHRASE"
# scrypt: 2^17 × 8 × 128 bytes = 128 MiB of memory and about half a second per guess.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 1 << 17, 8, 1
NOT_INCLUDED = [
    "the task queue (huey): `dadkhah work` or `dadkhah serve` queues again the text "
    "extraction of originals still waiting for it",
    "static files, uploads in progress, temporary files and caches: rebuilt",
    "the development mail sink (DADKHAH_HOME/mail)",
]
# Rows these tables get from migrations alone: a target holding only them is still empty.
SETUP_TABLES = {
    "contenttypes.contenttype",
    "auth.permission",
    "auth.group",
    "auth.group_permissions",
    "sessions.session",
}
_LIBPQ_ENV = {
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "dbname": "PGDATABASE",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "service": "PGSERVICE",
    "passfile": "PGPASSFILE",
}


class BackupError(Exception):
    """A backup or restore refused or failed; the message names the file. ``code`` is the
    exit status: 2 for bad input or a refusal (nothing written), 1 for a failure."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


@dataclasses.dataclass(frozen=True)
class KeyFile:
    path: str  # relative to DADKHAH_HOME/keys, with "/"
    data: bytes = dataclasses.field(repr=False)


@dataclasses.dataclass
class BackupSummary:
    path: Path
    engine: str
    items: int
    blobs: int
    bytes: int
    files: int
    keys: int
    entries: int
    seconds: float
    problems: list[str]

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["path"] = str(self.path)
        out["seconds"] = round(self.seconds, 2)
        return out


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def sha_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return f"sha256:{digest.hexdigest()}", size


def safe_relative(text: str, where: str) -> PurePosixPath:
    """A relative path without ``..``: what a backup may name inside itself or the home."""
    path = PurePosixPath(text)
    if not text or path.is_absolute() or any(part in ("", ".", "..") for part in path.parts):
        raise BackupError(f"{where}: unsafe path {text!r}")
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only, fsynced, replacing what was there."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# -- the passphrase and the keys ------------------------------------------------------------


def read_passphrase(path: Path | None, environ: Mapping[str, str] | None = None) -> str:
    """The passphrase from the file's first line, else from DADKHAH_BACKUP_PASSPHRASE."""
    env = os.environ if environ is None else environ
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BackupError(f"--passphrase-file {path}: {exc}") from None
        passphrase = text.splitlines()[0] if text else ""
        if not passphrase:
            raise BackupError(f"--passphrase-file {path}: line 1 is empty: no passphrase")
        return passphrase
    passphrase = env.get(PASSPHRASE_ENV, "")
    if not passphrase:
        raise BackupError(
            f"no passphrase: give --passphrase-file FILE or set {PASSPHRASE_ENV} "
            "(the keys are never written unencrypted)"
        )
    return passphrase


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(secret)


def encrypt_keys(files: list[KeyFile], passphrase: str) -> tuple[bytes, bytes]:
    """(keys.enc, keys.enc.json): the files as JSON, sealed with AES-256-GCM under a key
    derived from the passphrase by scrypt; the parameters are the associated data."""
    salt, nonce = os.urandom(16), os.urandom(12)
    params = {
        "format": KEYS_FORMAT,
        "kdf": "scrypt",
        "n": SCRYPT_N,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
        "salt": base64.b64encode(salt).decode(),
        "cipher": "AES-256-GCM",
        "nonce": base64.b64encode(nonce).decode(),
    }
    params_bytes = (json.dumps(params, indent=2, sort_keys=True) + "\n").encode()
    payload = json.dumps(
        {"files": [{"path": f.path, "data": base64.b64encode(f.data).decode()} for f in files]}
    ).encode()
    key = _derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return AESGCM(key).encrypt(nonce, payload, params_bytes), params_bytes


def decrypt_keys(sealed: bytes, params_bytes: bytes, passphrase: str) -> list[KeyFile]:
    """The key files; BackupError naming keys.enc when the passphrase is wrong."""
    try:
        params = json.loads(params_bytes)
        if params.get("format") != KEYS_FORMAT or params.get("kdf") != "scrypt":
            raise ValueError(f"format {params.get('format')!r}, kdf {params.get('kdf')!r}")
        n, r, p = int(params["n"]), int(params["r"]), int(params["p"])
        # bounds, so that a crafted file cannot ask for gigabytes of memory
        if not (n & (n - 1) == 0 and 1 << 10 <= n <= 1 << 20 and 1 <= r <= 32 and 1 <= p <= 16):
            raise ValueError(f"scrypt parameters out of bounds (n={n}, r={r}, p={p})")
        salt = base64.b64decode(params["salt"], validate=True)
        nonce = base64.b64decode(params["nonce"], validate=True)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupError(f"{KEYS_PARAMS}: unreadable parameters ({exc})") from None
    key = _derive(passphrase, salt, n, r, p)
    try:
        payload = AESGCM(key).decrypt(nonce, sealed, params_bytes)
    except InvalidTag:
        raise BackupError(
            f"{KEYS_FILE}: wrong passphrase (the keys do not decrypt with it); nothing was restored"
        ) from None
    files = []
    for n_file, entry in enumerate(json.loads(payload)["files"]):
        path = safe_relative(str(entry["path"]), f"{KEYS_FILE}: file {n_file}")
        files.append(KeyFile(str(path), base64.b64decode(entry["data"], validate=True)))
    return files


def read_keys(keys_dir: Path) -> list[KeyFile]:
    """Every key file (not the temporary and lock files, whose names start with a dot)."""
    if not keys_dir.is_dir():
        return []
    found = []
    for path in sorted(keys_dir.rglob("*")):
        relative = path.relative_to(keys_dir)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            found.append(KeyFile(relative.as_posix(), path.read_bytes()))
    return found


# -- the database snapshot ------------------------------------------------------------------


@dataclasses.dataclass
class Snapshot:
    engine: str
    file: str
    server: str
    tables: dict[str, int]
    migrations: list[str]  # "app.name", sorted
    blobs: list[tuple[str, int, bool]]  # (hex, size, encrypted) of every item
    home_files: list[tuple[str, str, int]]  # (path under DADKHAH_HOME, sha256:…, size)


def _model_tables() -> dict[str, str]:
    from django.apps import apps

    return {
        label: apps.get_model(label)._meta.db_table
        for label in ("vault.Item", "vault.LedgerEntry", "linkage.ListImport")
    }


def _read_snapshot(cursor: Any, tables: list[str], engine: str, file: str) -> Snapshot:
    """What the snapshot holds, read inside it: counts, migrations, the files it names."""
    counts = {}
    for table in sorted(tables):
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        counts[table] = int(cursor.fetchone()[0])
    names = _model_tables()
    migrations: list[str] = []
    if "django_migrations" in counts:
        cursor.execute("SELECT app, name FROM django_migrations")
        migrations = sorted(f"{app}.{name}" for app, name in cursor.fetchall())
    blobs: list[tuple[str, int, bool]] = []
    if names["vault.Item"] in counts:
        cursor.execute(f'SELECT sha256, size, encrypted FROM "{names["vault.Item"]}"')
        blobs = sorted(
            (sha.removeprefix("sha256:"), int(size), bool(enc))
            for sha, size, enc in cursor.fetchall()
        )
    home_files: list[tuple[str, str, int]] = []
    if names["linkage.ListImport"] in counts:
        cursor.execute(f'SELECT stored_path, sha256, size FROM "{names["linkage.ListImport"]}"')
        home_files = sorted((path, sha, int(size)) for path, sha, size in cursor.fetchall() if path)
    return Snapshot(engine, file, "", counts, migrations, blobs, home_files)


def _snapshot_sqlite(folder: Path) -> Snapshot:
    import sqlite3

    from django.db import connection

    target_path = folder / DATABASE_FILES["sqlite"]
    connection.ensure_connection()
    source = connection.connection
    target = sqlite3.connect(target_path)
    try:
        # One step (pages=-1): one read transaction, so one consistent state while writers
        # go on in WAL mode.
        source.backup(target, pages=-1)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        cursor = target.cursor()
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        tables = [row[0] for row in cursor.fetchall()]
        snap = _read_snapshot(cursor, tables, "sqlite", target_path.name)
        target.commit()
    finally:
        target.close()
    snap.server = f"SQLite {sqlite3.sqlite_version}"
    return snap


def libpq_params(settings_dict: Mapping[str, Any]) -> dict[str, str]:
    """libpq keywords for Django's database settings (for psycopg and PG* variables)."""
    params = {
        "host": settings_dict.get("HOST") or "",
        "port": str(settings_dict.get("PORT") or ""),
        "user": settings_dict.get("USER") or "",
        "password": settings_dict.get("PASSWORD") or "",
        "dbname": settings_dict.get("NAME") or "",
    }
    options = settings_dict.get("OPTIONS") or {}
    params.update({k: str(options[k]) for k in _LIBPQ_ENV if k in options})
    return {k: v for k, v in params.items() if v}


def pg_env(params: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _LIBPQ_ENV.values()}
    env.update({_LIBPQ_ENV[k]: v for k, v in params.items()})
    return env


def pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: it comes with PostgreSQL's client tools "
            "(Debian: postgresql-client)"
        )
    return found


def run_tool(command: list[str], env: dict[str, str], what: str, code: int) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{what}: {Path(command[0]).name} failed: {done.stderr.strip()}", code)
    return done.stdout


def _snapshot_postgresql(folder: Path) -> Snapshot:
    import psycopg
    from django.db import connection

    pg_dump = pg_tool("pg_dump")
    params = libpq_params(connection.settings_dict)
    target = folder / DATABASE_FILES["postgresql"]
    with psycopg.connect(**params) as conn:  # type: ignore[arg-type]
        # One exported snapshot serves both the reads below and pg_dump, so the blobs
        # copied are exactly those the dump refers to.
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        row = conn.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None
        cursor = conn.cursor()
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
        tables = [r[0] for r in cursor.fetchall()]
        snap = _read_snapshot(cursor, tables, "postgresql", target.name)
        command = [pg_dump, "--format=custom", "--no-password", f"--snapshot={row[0]}"]
        run_tool([*command, f"--file={target}"], pg_env(params), "database snapshot", 1)
        server = conn.info.server_version
        conn.rollback()
    version = run_tool([pg_dump, "--version"], pg_env(params), "pg_dump", 1).strip()
    snap.server = f"PostgreSQL {server // 10000}.{server % 10000}; {version}"
    return snap


def engine_vendor() -> str:
    from django.db import connection

    if connection.vendor not in DATABASE_FILES:
        raise BackupError(f"the database engine {connection.vendor!r} is not supported")
    return str(connection.vendor)


# -- copying what the snapshot refers to ----------------------------------------------------


class _Tee:
    """Reads from ``raw``, writing and hashing every byte on the way."""

    def __init__(self, raw: IO[bytes], out: IO[bytes]) -> None:
        self.raw, self.out = raw, out
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size if size > 0 else CHUNK)
        if data:
            self.digest.update(data)
            self.out.write(data)
            self.size += len(data)
        return data


class _Copier:
    """Copies blobs out of the configured store into ``folder/blobs``, checking each."""

    def __init__(self, folder: Path) -> None:
        from dadkhah.vault import keys, services

        self.folder = folder
        self.store = services.get_store()
        self.keys_dir = keys.keys_dir()
        self._data_keys: dict[bytes, bytes] | None = None
        self._lock = threading.Lock()

    def data_keys(self) -> dict[bytes, bytes]:
        from dadkhah.vault import keys, services

        with self._lock:
            if self._data_keys is None:
                if not (self.keys_dir / keys.DATA_KEY_FILE).exists():  # never create one here
                    raise CryptoError(
                        f"the data key {self.keys_dir / keys.DATA_KEY_FILE} is missing"
                    )
                self._data_keys = services._data_keys()
            return self._data_keys

    def copy(self, blob: tuple[str, int, bool]) -> tuple[dict[str, Any] | None, str | None]:
        """(manifest entry, None), or (None, problem) when the blob is missing or altered."""
        hex_, size, encrypted = blob
        relative = f"blobs/{hex_[:2]}/{hex_[2:4]}/{hex_}"
        dest = self.folder / relative
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self.store.open(hex_) as raw, dest.open("xb") as out:
                tee = _Tee(raw, out)
                if encrypted:
                    plain, plain_size = hashlib.sha256(), 0
                    for chunk in decrypt_chunks(cast(IO[bytes], tee), self.data_keys()):
                        plain.update(chunk)
                        plain_size += len(chunk)
                    while tee.read(CHUNK):
                        pass
                    got, got_size = plain.hexdigest(), plain_size
                else:
                    while tee.read(CHUNK):
                        pass
                    got, got_size = tee.digest.hexdigest(), tee.size
        except FileNotFoundError:
            dest.unlink(missing_ok=True)
            return None, f"blob sha256:{hex_} is missing from {self.store.describe()}"
        except (CryptoError, OSError) as exc:
            dest.unlink(missing_ok=True)
            return None, f"blob sha256:{hex_} cannot be read: {exc}"
        if got != hex_ or got_size != size:
            dest.unlink(missing_ok=True)
            return None, (
                f"blob sha256:{hex_} is altered in {self.store.describe()}: its content hashes "
                f"to sha256:{got} ({got_size} bytes, the item says {size})"
            )
        entry = {"path": relative, "sha256": f"sha256:{tee.digest.hexdigest()}", "size": tee.size}
        return entry, None


def _copy_home_file(
    home: Path, folder: Path, path: str, sha: str, size: int
) -> tuple[dict[str, Any] | None, str | None]:
    relative = safe_relative(path, "a file the database names")
    source = home / relative
    dest = folder / "home" / relative
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copyfile(source, dest)
    except FileNotFoundError:
        return None, f"{source} is missing (the database refers to it)"
    got, got_size = sha_file(dest)
    if got != sha or got_size != size:
        dest.unlink()
        return None, f"{source} is altered: it hashes to {got}, not {sha}"
    return {"path": f"home/{relative}", "sha256": got, "size": got_size}, None


# -- making a backup ------------------------------------------------------------------------


def make_backup(
    out: Path,
    passphrase: str,
    *,
    workers: int = 4,
    on_progress: Callable[[str], None] | None = None,
) -> BackupSummary:
    """Write a backup of the configured installation to ``out`` (which must not exist)."""
    say = on_progress or (lambda message: None)
    out = Path(os.path.abspath(out))
    if out.exists():
        raise BackupError(f"{out}: exists already (a backup is never written over anything)")
    partial = out.with_name(out.name + ".partial")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        partial.mkdir(mode=0o700)
    except FileExistsError:
        raise BackupError(
            f"{partial}: exists: another backup is being written there, or one was "
            "interrupted; remove it and start again"
        ) from None
    try:
        summary = _write_backup(partial, out, passphrase, workers, say)
        os.rename(partial, out)
        sync_files([out.parent])
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return summary


def _write_backup(
    folder: Path, out: Path, passphrase: str, workers: int, say: Callable[[str], None]
) -> BackupSummary:
    from django.conf import settings

    from dadkhah.vault import keys, ledger, services

    started, created = time.monotonic(), _now()
    home = keys.home_dir()
    entries: list[dict[str, Any]] = []
    problems: list[str] = []

    # 1. the checkpoint kept outside the database, before the snapshot (it only grows)
    latest = ledger.latest_published()
    if latest is not None:
        write_private(folder / "home/checkpoints" / ledger.LATEST_FILE, latest.encode())
        entries.append({"path": f"home/checkpoints/{ledger.LATEST_FILE}"})

    # 2. the database
    engine = engine_vendor()
    say(f"database snapshot ({engine})")
    snap = _snapshot_sqlite(folder) if engine == "sqlite" else _snapshot_postgresql(folder)
    entries.append({"path": snap.file})

    # 3. the blobs and files the snapshot refers to
    copier = _Copier(folder)
    say(f"copying {len(snap.blobs)} blobs from {copier.store.describe()}")
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for entry, problem in pool.map(copier.copy, snap.blobs):
            if problem is not None:
                problems.append(problem)
            elif entry is not None:
                entries.append(entry)
    for path, sha, size in snap.home_files:
        entry, problem = _copy_home_file(home, folder, path, sha, size)
        if problem is not None:
            problems.append(problem)
        elif entry is not None:
            entries.append(entry)

    # 4. the keys, encrypted
    key_files = read_keys(keys.keys_dir())
    sealed, params = encrypt_keys(key_files, passphrase)
    write_private(folder / KEYS_FILE, sealed)
    write_private(folder / KEYS_PARAMS, params)
    entries += [{"path": KEYS_FILE}, {"path": KEYS_PARAMS}]

    # 5. hashes of what was not hashed on the way, durability, then the manifest
    for entry in entries:
        if "sha256" not in entry:
            entry["sha256"], entry["size"] = sha_file(folder / entry["path"])
    entries.sort(key=lambda e: str(e["path"]))
    directories = {p for e in entries for p in (folder / e["path"]).parents if folder in p.parents}
    sync_files([*(folder / e["path"] for e in entries), *sorted(directories), folder])
    blob_entries = [e for e in entries if str(e["path"]).startswith("blobs/")]
    import django

    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": created,
        "finished_at": _now(),
        "dadkhah_version": services.tool_version(),
        "django_version": django.get_version(),
        "python_version": platform.python_version(),
        "database": {
            "engine": snap.engine,
            "file": snap.file,
            "server": snap.server,
            "migrations": snap.migrations,
            "tables": snap.tables,
        },
        "blob_store": {
            "kind": "s3" if settings.CONFIG.blobs.startswith("s3://") else "filesystem",
            "location": copier.store.describe(),
            "blobs": len(blob_entries),
            "bytes": sum(int(e["size"]) for e in blob_entries),
        },
        "keys": {"file": KEYS_FILE, "parameters": KEYS_PARAMS, "count": len(key_files)},
        "not_included": NOT_INCLUDED,
        "problems": problems,
        "files": entries,
    }
    write_private(
        folder / MANIFEST, (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()
    )
    sync_files([folder])
    item_table, entry_table = _model_tables()["vault.Item"], _model_tables()["vault.LedgerEntry"]
    return BackupSummary(
        path=out,
        engine=snap.engine,
        items=snap.tables.get(item_table, 0),
        blobs=len(blob_entries),
        bytes=sum(int(e["size"]) for e in blob_entries),
        files=len(entries) + 1,
        keys=len(key_files),
        entries=snap.tables.get(entry_table, 0),
        seconds=time.monotonic() - started,
        problems=problems,
    )
