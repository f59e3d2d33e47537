"""``dadkhah restore``: put a backup (``dadkhah.vault.backup``) back into the configured
database and DADKHAH_HOME.

``open_backup`` needs no Django and writes nothing: it checks every file against the
manifest (a backup without its manifest is incomplete and refused), refuses on any
mismatch naming each file, then decrypts the keys in memory, so that a wrong passphrase
is found before anything is written. ``restore_backup`` then checks the target (the same
database engine, no migration newer than this code, an empty target unless forced) and
writes: blobs, files outside the database, keys (0600), and the database last; then it
compares the row counts with the manifest and runs the migrations a backup from an older
Dadkhah lacks.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from dadkhah.vault.backup import (
    DATABASE_FILES,
    FORMAT,
    KEYS_FILE,
    KEYS_PARAMS,
    MANIFEST,
    SETUP_TABLES,
    VERSION,
    BackupError,
    KeyFile,
    decrypt_keys,
    engine_vendor,
    libpq_params,
    pg_env,
    pg_tool,
    read_keys,
    run_tool,
    safe_relative,
    sha_file,
    write_private,
)
from dadkhah.vault.store import HEX, sync_files

__all__ = ["OpenedBackup", "RestoreSummary", "open_backup", "restore_backup"]

_SHA = re.compile(r"^sha256:[0-9a-f]{64}$")
# The only files a backup may write into DADKHAH_HOME (never the keys or the database).
HOME_FILES = re.compile(r"^home/(checkpoints/latest|linkage/files/[^/]+)$")


@dataclasses.dataclass
class RestoreSummary:
    engine: str
    blobs: int
    files: int
    keys: int
    migrated: list[str]
    waiting: int  # originals whose text extraction must be queued again
    problems: list[str]
    warnings: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"restored": True, **dataclasses.asdict(self)}


# -- opening a backup (no Django, nothing written) ------------------------------------------


@dataclasses.dataclass
class OpenedBackup:
    root: Path
    manifest: dict[str, Any]
    keys: list[KeyFile]

    @property
    def engine(self) -> str:
        return str(self.manifest["database"]["engine"])

    @property
    def database_file(self) -> Path:
        return self.root / str(self.manifest["database"]["file"])

    def paths(self, prefix: str) -> Iterator[str]:
        for entry in self.manifest["files"]:
            if str(entry["path"]).startswith(prefix):
                yield str(entry["path"])

    def sha256(self, path: str) -> str:
        return next(str(e["sha256"]) for e in self.manifest["files"] if e["path"] == path)


def _listed_files(manifest: dict[str, Any], where: Path) -> dict[str, tuple[str, int]]:
    listed: dict[str, tuple[str, int]] = {}
    try:
        if manifest.get("format") != FORMAT:
            raise ValueError(f"format {manifest.get('format')!r}, not {FORMAT!r}")
        if manifest.get("version") != VERSION:
            raise ValueError(f"version {manifest.get('version')!r}: this Dadkhah reads {VERSION}")
        if manifest["database"]["engine"] not in DATABASE_FILES:
            raise ValueError(f"unknown database engine {manifest['database']['engine']!r}")
        for n, entry in enumerate(manifest["files"]):
            path = str(safe_relative(str(entry["path"]), f"{where}: files[{n}].path"))
            sha, size = entry["sha256"], entry["size"]
            if not isinstance(sha, str) or not _SHA.match(sha) or not isinstance(size, int):
                raise ValueError(f"files[{n}] ({path}): bad sha256 or size")
            if not (
                path.startswith("blobs/")
                or HOME_FILES.match(path)
                or path in (KEYS_FILE, KEYS_PARAMS, *DATABASE_FILES.values())
            ):
                raise ValueError(f"files[{n}]: {path} has no place in a backup")
            if path.startswith("blobs/") and not HEX.match(PurePosixPath(path).name):
                raise ValueError(f"files[{n}]: {path} is not named by a SHA-256")
            listed[path] = (sha, size)
        for needed in (KEYS_FILE, KEYS_PARAMS, str(manifest["database"]["file"])):
            if needed not in listed:
                raise ValueError(f"files: {needed} is not listed")
    except (KeyError, TypeError, ValueError) as exc:
        raise BackupError(f"{where}: not a Dadkhah backup manifest: {exc}") from None
    return listed


def open_backup(root: Path, passphrase: str) -> OpenedBackup:
    """Check every file against the manifest, then decrypt the keys (in memory only).

    Raises BackupError naming every file that is missing, unlisted or altered, or the
    keys file when the passphrase is wrong."""
    root = Path(root)
    if not root.is_dir():
        raise BackupError(f"{root}: no such directory")
    where = root / MANIFEST
    if not where.is_file():
        raise BackupError(
            f"{where} is missing: the backup is incomplete (it was interrupted before it "
            "finished) and cannot be restored"
        )
    try:
        manifest = json.loads(where.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{where}: unreadable: {exc}") from None
    if not isinstance(manifest, dict):
        raise BackupError(f"{where}: not a Dadkhah backup manifest")
    listed = _listed_files(manifest, where)
    present = {
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink()
    } - {MANIFEST}
    bad = [f"{root / p}: not listed in the manifest" for p in sorted(present - set(listed))]
    bad += [f"{root / p}: missing" for p in sorted(set(listed) - present)]
    for path in sorted(set(listed) & present):
        if (root / path).is_symlink():
            bad.append(f"{root / path}: a symbolic link, not a file")
            continue
        got, size = sha_file(root / path)
        if (got, size) != listed[path]:
            bad.append(
                f"{root / path}: altered (SHA-256 {got}, {size} bytes; the manifest says {listed[path][0]}, {listed[path][1]} bytes)"
            )
    if bad:
        raise BackupError(
            "the backup does not match its manifest, so nothing was restored:\n  "
            + "\n  ".join(bad)
        )
    keys = decrypt_keys(
        (root / KEYS_FILE).read_bytes(), (root / KEYS_PARAMS).read_bytes(), passphrase
    )
    return OpenedBackup(root, manifest, keys)


# -- restoring ------------------------------------------------------------------------------


def _known_migrations() -> set[str]:
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {f"{app}.{name}" for app, name in loader.disk_migrations}


def _target_in_use() -> list[str]:
    """Why the configured database and DADKHAH_HOME are not empty (nothing: empty)."""
    from django.apps import apps
    from django.db import connection

    from dadkhah.vault import keys, ledger, services

    reasons: list[str] = []
    filled: list[str] = []
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if model._meta.label_lower in SETUP_TABLES or table not in tables:
                continue
            cursor.execute(f'SELECT 1 FROM "{table}" LIMIT 1')
            if cursor.fetchone() is not None:
                filled.append(table)
    if filled:
        more = f" and {len(filled) - 3} more tables" if len(filled) > 3 else ""
        reasons.append(f"the database has rows in {', '.join(sorted(filled)[:3])}{more}")
    store = services.get_store()
    if next(iter(store.iter_hexes()), None) is not None:
        reasons.append(f"the blob store {store.describe()} holds blobs")
    held = [f.path for f in read_keys(keys.keys_dir()) if f.path != "django-secret"]
    if held:
        reasons.append(f"{keys.keys_dir()} holds {', '.join(held)}")
    if ledger.latest_published() is not None:
        reasons.append(f"{keys.checkpoints_dir() / ledger.LATEST_FILE} exists")
    linkage = keys.home_dir() / "linkage" / "files"
    if linkage.is_dir() and any(linkage.iterdir()):
        reasons.append(f"{linkage} holds files")
    return reasons


def _restore_blobs(opened: OpenedBackup) -> int:
    from dadkhah.vault import services
    from dadkhah.vault.store import WorkArea, stage_file

    store = services.get_store()
    count = 0
    with WorkArea(store.work_root).session() as session:
        batch = []
        for path in opened.paths("blobs/"):
            staged = stage_file(opened.root / path, session.dir, sync=False)
            if f"sha256:{staged.hex}" != opened.sha256(path):  # changed since it was checked
                staged.temp.unlink(missing_ok=True)
                raise BackupError(f"{opened.root / path}: changed while it was being restored", 1)
            # stored under the item's hash: the plaintext's, also for encrypted blobs
            batch.append(dataclasses.replace(staged, hex=PurePosixPath(path).name))
            if len(batch) == 64:
                sync_files(s.temp for s in batch)
                store.publish_many(batch)
                batch = []
            count += 1
        sync_files(s.temp for s in batch)
        store.publish_many(batch)
    return count


def _restore_home(opened: OpenedBackup) -> int:
    from dadkhah.vault import keys, ledger

    home = keys.home_dir()
    count = 0
    for path in opened.paths("home/"):
        relative = safe_relative(path.removeprefix("home/"), path)
        write_private(home / relative, (opened.root / path).read_bytes())
        count += 1
    latest = keys.checkpoints_dir() / ledger.LATEST_FILE
    if f"home/checkpoints/{ledger.LATEST_FILE}" not in set(opened.paths("home/")):
        latest.unlink(missing_ok=True)  # a newer one than the ledger restored would say rollback
    for key in opened.keys:
        write_private(keys.keys_dir() / key.path, key.data)
    os.chmod(keys.keys_dir(), 0o700)
    return count


def _restore_database(opened: OpenedBackup) -> None:
    from django.db import connection

    if opened.engine == "sqlite":
        name = str(connection.settings_dict["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise BackupError("the configured SQLite database is in memory: nowhere to restore")
        connection.close()
        target = Path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.restore-{os.getpid()}.tmp")
        try:
            shutil.copyfile(opened.database_file, tmp)
            sync_files([tmp])
            for suffix in ("-wal", "-shm", "-journal"):  # the old database's, never the new's
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        sync_files([target.parent])
        return
    pg_restore = pg_tool("pg_restore")
    params = libpq_params(connection.settings_dict)
    connection.close()
    command = [
        pg_restore,
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-acl",
        "--single-transaction",  # all of it or none of it
        "--no-password",
        f"--dbname={params.get('dbname', '')}",
        str(opened.database_file),
    ]
    run_tool(command, pg_env(params), f"restoring {opened.database_file}", 1)


def _count_tables(names: list[str]) -> dict[str, int]:
    from django.db import connection

    counts = {}
    with connection.cursor() as cursor:
        present = set(connection.introspection.table_names(cursor))
        for table in names:
            if table in present:
                cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
                counts[table] = int(cursor.fetchone()[0])
    return counts


def restore_backup(opened: OpenedBackup, *, force: bool = False) -> RestoreSummary:
    """Restore an opened backup into the configured database and DADKHAH_HOME.

    Refuses (BackupError, nothing written) another engine than the backup's, a backup from
    a newer Dadkhah (migrations this one does not know), and a target that is not empty
    unless ``force``. Then: blobs, files outside the database, keys (0600), the database
    (last: what makes the rest count), migrations when the backup is older."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    from dadkhah.accounts.roles import ensure_groups
    from dadkhah.vault.models import Item

    engine = engine_vendor()
    if engine != opened.engine:
        raise BackupError(
            f"{opened.root / MANIFEST}: the backup holds a {opened.engine} database but the "
            f"configured one is {engine} ({'DATABASE_URL' if engine == 'postgresql' else 'no DATABASE_URL'}); "
            "restore it into the same kind of database"
        )
    unknown = sorted(set(opened.manifest["database"]["migrations"]) - _known_migrations())
    if unknown:
        raise BackupError(
            f"{opened.root / MANIFEST}: the backup comes from a newer Dadkhah "
            f"({opened.manifest.get('dadkhah_version')}); migrations unknown here: "
            f"{', '.join(unknown[:5])}{'…' if len(unknown) > 5 else ''}. Upgrade first."
        )
    in_use = _target_in_use()
    if in_use and not force:
        raise BackupError(
            "the target is not empty (" + "; ".join(in_use) + "): restore into an empty "
            "DADKHAH_HOME and database, or give --force to replace what is there"
        )
    warnings = [
        f"the backup was made with a problem: {p}" for p in opened.manifest.get("problems", [])
    ]
    blobs = _restore_blobs(opened)
    files = _restore_home(opened)
    _restore_database(opened)
    expected: dict[str, int] = opened.manifest["database"]["tables"]
    got = _count_tables(sorted(expected))
    problems = [
        f"table {table}: {got.get(table, 'no table')} rows restored, the backup holds {rows}"
        for table, rows in sorted(expected.items())
        if got.get(table) != rows
    ]
    before = set(MigrationRecorder(connection).applied_migrations())
    call_command("migrate", interactive=False, verbosity=0)
    ensure_groups()
    migrated = sorted(
        f"{app}.{name}"
        for app, name in set(MigrationRecorder(connection).applied_migrations()) - before
    )
    waiting = Item.objects.filter(
        extraction_status__in=("pending", "running"), is_derivative=False
    ).count()
    return RestoreSummary(
        engine=engine,
        blobs=blobs,
        files=files,
        keys=len(opened.keys),
        migrated=migrated,
        waiting=waiting,
        problems=problems,
        warnings=warnings,
    )
