"""``dadkhah backup`` and ``dadkhah restore``: real round trips on the engine of the run.

On PostgreSQL (DATABASE_URL set) every restore goes into a new database that the test
creates on the same server and drops after; on SQLite into a new DADKHAH_HOME. Restores
and the concurrent backup run the installed ``dadkhah`` command in child processes, with
their own DADKHAH_HOME and database, exactly as an operator would.
"""

from __future__ import annotations

import io
import json
import os
import random
import secrets
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection

from dadkhah.vault.backup import (
    BackupError,
    KeyFile,
    decrypt_keys,
    encrypt_keys,
    libpq_params,
    make_backup,
    sha_file,
)
from dadkhah.vault.restore import open_backup
from tests.conftest import require_tool
from tests.vault.test_s3 import BUCKET, client, endpoint, keys_under  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)

PASSPHRASE = "synthetic test passphrase: Gohardasht 1367"
DADKHAH = str(Path(sys.executable).with_name("dadkhah"))


# -- helpers --------------------------------------------------------------------------------


@pytest.fixture
def new_database() -> Iterator[Callable[[], str | None]]:
    """Makes an empty database on the test's PostgreSQL server and returns its URL (None on
    SQLite, where the database is a file in DADKHAH_HOME); drops them all after the test."""
    made: list[str] = []
    if connection.vendor == "postgresql":
        require_tool("pg_dump")
        require_tool("pg_restore")
    import_psycopg = connection.vendor == "postgresql"

    def admin() -> Any:
        import psycopg

        params = libpq_params(connection.settings_dict)
        params["dbname"] = "postgres"
        return psycopg.connect(**params, autocommit=True)

    def make() -> str | None:
        if not import_psycopg:
            return None
        name = f"dadkhah_backup_{secrets.token_hex(4)}"
        with admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        s = connection.settings_dict
        login = quote(s["USER"], safe="") + (
            f":{quote(s['PASSWORD'], safe='')}" if s.get("PASSWORD") else ""
        )
        return f"postgres://{login}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"

    yield make
    if made:
        with admin() as conn:
            for name in made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seeded(capsys: pytest.CaptureFixture[str], what: str) -> int:
    seed = int(os.environ.get("DADKHAH_BACKUP_SEED") or random.randrange(2**32))
    with capsys.disabled():
        sys.stdout.write(f"\nbackup test ({what}) seed: {seed} (DADKHAH_BACKUP_SEED replays it)\n")
    return seed


def env_for(home: Path, database_url: str | None, **extra: str) -> dict[str, str]:
    drop = {"DATABASE_URL", "DADKHAH_BLOBS", "DADKHAH_S3_ENDPOINT", "DADKHAH_BACKUP_PASSPHRASE"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["DADKHAH_HOME"] = str(home)
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    env.update(extra)
    return env


def dadkhah(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DADKHAH, *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )


def table_counts(home: Path, database_url: str | None) -> dict[str, int]:
    """Rows per table of a restored database, read directly (not through this process's
    Django connection, which is the test's database)."""
    if database_url is None:
        conn = sqlite3.connect(home / "dadkhah.sqlite3")
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        out = {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in names}
        conn.close()
        return out
    import psycopg

    with psycopg.connect(database_url) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            )
        ]
        return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in names}


def item_hashes(home: Path, database_url: str | None) -> list[str]:
    query = "SELECT sha256 FROM vault_item"
    if database_url is None:
        conn = sqlite3.connect(home / "dadkhah.sqlite3")
        try:
            return sorted(r[0] for r in conn.execute(query))
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(database_url) as conn:
        return sorted(r[0] for r in conn.execute(query))


def source_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        out = {}
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            out[table] = cursor.fetchone()[0]
        return out


def fill_archive(home: Path, tmp_path: Path, rng: random.Random) -> dict[str, Any]:
    """Items (plain, restricted, a zip's members), records, a victim list and ledger events,
    then a signed checkpoint (also kept outside the database)."""
    from huey.contrib.djhuey import HUEY

    from dadkhah.accounts.roles import ensure_groups
    from dadkhah.linkage.services import receive_upload
    from dadkhah.vault import services
    from dadkhah.vault.ingest import ingest_path
    from dadkhah.vault.verify import verify_all
    from tests.factories import make_person, make_source, make_users

    ensure_groups()
    users = make_users()
    folder = tmp_path / "evidence"
    folder.mkdir()
    for n in range(3):
        (folder / f"statement-{n}.txt").write_bytes(
            f"Synthetic statement {n}\n".encode() + rng.randbytes(rng.randint(100, 300_000))
        )
    with zipfile.ZipFile(folder / "letters.zip", "w") as archive:
        archive.writestr("letter-a.txt", "Synthetic letter A, Evin 1367")
        archive.writestr("letter-b.txt", "Synthetic letter B, Gohardasht 1367")
    secret = tmp_path / "witness.txt"
    secret.write_bytes(b"Synthetic protected witness statement\n" + rng.randbytes(70_000))
    assert HUEY.immediate  # text extraction runs in this process: pages and derivatives
    items = ingest_path([folder], "tester")
    items += ingest_path([secret], "tester", restricted=True)
    source = make_source("src-backup")
    make_person("Synthetic Person Backup", source)
    services.record_view(items[0], "tester", "reading before a backup")
    listing = "record_id,list,full_name\nr1,test,Synthetic Name\nr2,test,Another Name\n"
    receive_upload(io.BytesIO(listing.encode()), "victims.csv", users["administrator"])
    report = verify_all(actor="tester")
    assert report.ok, report.problems
    assert (home / "checkpoints" / "latest").is_file()
    return {"items": items}


# -- round trip -----------------------------------------------------------------------------


def test_round_trip_restores_everything_and_verify_passes(
    home, tmp_path, new_database, capsys, huey_immediate
):
    seed = seeded(capsys, "round trip")
    from dadkhah.vault.models import Item, LedgerEntry

    fill_archive(home, tmp_path, random.Random(seed))
    assert Item.objects.filter(encrypted=True).exists()
    counts = source_counts()

    out = tmp_path / "backups" / "b1"
    summary = make_backup(out, PASSPHRASE)
    assert summary.problems == []
    assert summary.items == Item.objects.count() == summary.blobs
    assert summary.entries == LedgerEntry.objects.count()
    assert out.is_dir() and not out.with_name("b1.partial").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["database"]["engine"] == connection.vendor
    assert manifest["database"]["tables"] == {t: counts[t] for t in manifest["database"]["tables"]}
    assert "vault.0001_initial" in manifest["database"]["migrations"]
    # the keys are never in clear in a backup
    for key in (home / "keys").iterdir():
        for file in out.rglob("*"):
            if file.is_file():
                assert key.read_bytes().strip() not in file.read_bytes(), (key.name, file)

    target = tmp_path / "restored"
    database_url = new_database()
    env = env_for(target, database_url, DADKHAH_BACKUP_PASSPHRASE=PASSPHRASE)
    done = dadkhah(env, "restore", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("intact:"), done.stdout
    restored = table_counts(target, database_url)
    assert {t: restored.get(t) for t in manifest["database"]["tables"]} == manifest["database"][
        "tables"
    ]
    for key in (home / "keys").iterdir():
        copy = target / "keys" / key.name
        assert copy.read_bytes() == key.read_bytes(), key.name
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600, key.name
    assert (target / "checkpoints/latest").read_bytes() == (
        home / "checkpoints/latest"
    ).read_bytes()
    lists = sorted(p.name for p in (home / "linkage/files").iterdir())
    assert lists and sorted(p.name for p in (target / "linkage/files").iterdir()) == lists
    for sha in item_hashes(target, database_url):
        hex_ = sha.removeprefix("sha256:")
        assert (target / "blobs" / hex_[:2] / hex_[2:4] / hex_).is_file()

    refused = dadkhah(env, "restore", str(out))
    assert refused.returncode == 2 and "not empty" in refused.stderr, refused.stderr
    forced = dadkhah(env, "restore", str(out), "--force", "--json")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    lines = [json.loads(line) for line in forced.stdout.splitlines()]
    assert lines[0]["restored"] is True and lines[0]["migrated"] == []
    assert lines[-1]["summary"] == "intact" and lines[-1]["items"] == summary.items
    verify = dadkhah(env, "verify")
    assert verify.returncode == 0 and verify.stdout.startswith("intact:"), verify.stdout


# -- refusals -------------------------------------------------------------------------------


def small_backup(home: Path, tmp_path: Path) -> Path:
    from dadkhah.vault.ingest import ingest_path

    (tmp_path / "one.txt").write_text("Synthetic document for a small backup")
    (tmp_path / "two.txt").write_text("Synthetic restricted document")
    ingest_path([tmp_path / "one.txt"], "tester", extract=False)
    ingest_path([tmp_path / "two.txt"], "tester", restricted=True, extract=False)
    out = tmp_path / "small-backup"
    assert make_backup(out, PASSPHRASE).problems == []
    return out


def assert_nothing_written(target: Path, database_url: str | None) -> None:
    assert not target.exists(), sorted(p.name for p in target.iterdir())
    if database_url is not None:
        assert table_counts(target, database_url) == {}


def test_wrong_or_missing_passphrase_writes_nothing(home, tmp_path, new_database):
    out = small_backup(home, tmp_path)
    target = tmp_path / "restored"
    database_url = new_database()
    wrong = tmp_path / "wrong-passphrase"
    wrong.write_text("not the passphrase\n")
    done = dadkhah(
        env_for(target, database_url), "restore", str(out), "--passphrase-file", str(wrong)
    )
    assert done.returncode == 2
    assert "keys.enc: wrong passphrase" in done.stderr, done.stderr
    assert_nothing_written(target, database_url)
    done = dadkhah(env_for(target, database_url), "restore", str(out))
    assert done.returncode == 2 and "no passphrase" in done.stderr, done.stderr
    assert_nothing_written(target, database_url)
    done = dadkhah(env_for(home, None), "backup", "--out", str(tmp_path / "never"))
    assert done.returncode == 2 and "no passphrase" in done.stderr, done.stderr
    assert not (tmp_path / "never").exists() and not (tmp_path / "never.partial").exists()


def flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    os.chmod(path, 0o600)
    path.write_bytes(bytes(data))


def test_tampered_backup_is_refused_naming_the_file(home, tmp_path, new_database):
    out = small_backup(home, tmp_path)
    blob = next(p for p in sorted((out / "blobs").rglob("*")) if p.is_file())
    database = next(out.glob("database.*"))

    def case(name: str, change: Callable[[Path], Path]) -> tuple[Path, str]:
        copy = tmp_path / f"tampered-{name}"
        shutil.copytree(out, copy)
        return copy, str(change(copy))

    def flip(relative: Path) -> Callable[[Path], Path]:
        def change(copy: Path) -> Path:
            flip_last_byte(copy / relative)
            return copy / relative

        return change

    def remove(copy: Path) -> Path:
        (copy / blob.relative_to(out)).unlink()
        return copy / blob.relative_to(out)

    def add(copy: Path) -> Path:
        (copy / "blobs" / "stray").write_text("not listed")
        return copy / "blobs" / "stray"

    def drop_manifest(copy: Path) -> Path:
        (copy / "manifest.json").unlink()
        return copy / "manifest.json"

    def smuggle(copy: Path) -> Path:
        """A file listed with its right hash, but aimed at the keys: refused all the same."""
        foreign = copy / "home" / "keys" / "data.key"
        foreign.parent.mkdir(parents=True)
        foreign.write_text("c3ludGhldGljIGtleSwgbm90IHRoZSB2YXVsdCdzIGtleSEhISEhISEhISEhISE=\n")
        manifest = json.loads((copy / "manifest.json").read_text())
        sha, size = sha_file(foreign)
        manifest["files"].append({"path": "home/keys/data.key", "sha256": sha, "size": size})
        (copy / "manifest.json").write_text(json.dumps(manifest))
        return Path("home/keys/data.key")

    cases = {
        "smuggled": smuggle,
        "blob": flip(blob.relative_to(out)),
        "database": flip(database.relative_to(out)),
        "keys": flip(Path("keys.enc")),
        "key-parameters": flip(Path("keys.enc.json")),
        "removed": remove,
        "added": add,
        "manifest": drop_manifest,
    }
    for name, change in cases.items():
        copy, named = case(name, change)
        with pytest.raises(BackupError) as caught:
            open_backup(copy, PASSPHRASE)
        assert named in str(caught.value), (name, str(caught.value))
        assert caught.value.code == 2

    copy, named = case("cli", flip(blob.relative_to(out)))
    target = tmp_path / "restored"
    database_url = new_database()
    env = env_for(target, database_url, DADKHAH_BACKUP_PASSPHRASE=PASSPHRASE)
    done = dadkhah(env, "restore", str(copy))
    assert done.returncode == 2 and f"{named}: altered" in done.stderr, done.stderr
    assert_nothing_written(target, database_url)


def test_keys_file_opens_only_with_its_passphrase_and_parameters():
    files = [KeyFile("data.key", b"synthetic key\n"), KeyFile("sub/other.key", b"\x00\x01")]
    sealed, params = encrypt_keys(files, PASSPHRASE)
    assert b"synthetic key" not in sealed
    assert decrypt_keys(sealed, params, PASSPHRASE) == files
    with pytest.raises(BackupError, match="wrong passphrase"):
        decrypt_keys(sealed, params, PASSPHRASE + " ")
    # the parameters are the associated data: changing them (here the scrypt cost) fails too
    weaker = json.loads(params)
    weaker["n"] = 1 << 14
    with pytest.raises(BackupError, match="wrong passphrase"):
        decrypt_keys(sealed, json.dumps(weaker).encode(), PASSPHRASE)
    with pytest.raises(BackupError, match="out of bounds"):
        decrypt_keys(sealed, json.dumps({**weaker, "n": 1 << 30}).encode(), PASSPHRASE)


def test_backup_never_writes_over_a_directory(home, tmp_path):
    out = tmp_path / "b"
    out.mkdir()
    with pytest.raises(BackupError, match="exists already"):
        make_backup(out, PASSPHRASE)
    partial = tmp_path / "c.partial"
    partial.mkdir()
    with pytest.raises(BackupError, match="interrupted"):
        make_backup(tmp_path / "c", PASSPHRASE)
    assert not (tmp_path / "c").exists()


# -- while ingestion runs -------------------------------------------------------------------

INGESTER = r"""
import pathlib, random, sys
from dadkhah.cli import setup
setup()
from dadkhah.vault.ingest import ingest_path
stop, folder, seed = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
n = 0
while not stop.exists() and n < 5000:
    path = folder / f"statement-{n}.txt"
    path.write_bytes(b"synthetic statement %d\n" % n + rng.randbytes(rng.randint(10, 400_000)))
    ingest_path([path], "ingest-during-backup", restricted=n % 3 == 0, extract=False)
    n += 1
    print("INGESTED", n, flush=True)
print("DONE", n, flush=True)
"""


def test_backup_while_ingestion_runs_is_consistent(tmp_path, new_database, capsys):
    seed = seeded(capsys, "during ingestion")
    source_home, source_url = tmp_path / "source", new_database()
    folder = tmp_path / "incoming"
    folder.mkdir()
    stop = tmp_path / "stop"
    env = env_for(source_home, source_url, DADKHAH_BACKUP_PASSPHRASE=PASSPHRASE)
    child = subprocess.Popen(
        [sys.executable, "-c", INGESTER, str(stop), str(folder), str(seed)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    ingested: list[tuple[float, int]] = []
    started = threading.Event()

    def read() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("INGESTED"):
                ingested.append((time.monotonic(), int(line.split()[1])))
                if ingested[-1][1] >= 5:
                    started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert started.wait(300), "the ingester did not start"
        began = time.monotonic()
        out = tmp_path / "during"
        backup = dadkhah(env, "backup", "--out", str(out))
        ended = time.monotonic()
        assert backup.returncode == 0, backup.stdout + backup.stderr
        deadline = time.monotonic() + 120
        while not [n for t, n in ingested if t > ended] and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.touch()
        child.wait(timeout=120)
        reader.join(timeout=10)
    assert child.returncode == 0, child.stderr.read() if child.stderr else ""
    during = [n for t, n in ingested if began < t < ended]
    after = [n for t, n in ingested if t > ended]
    assert during and after, "ingestion did not run during and after the backup"
    summary = json.loads(backup.stdout)
    assert summary["problems"] == []
    assert 5 <= summary["items"] < ingested[-1][1]
    assert summary["blobs"] == summary["items"]

    target, target_url = tmp_path / "restored", new_database()
    done = dadkhah(
        env_for(target, target_url, DADKHAH_BACKUP_PASSPHRASE=PASSPHRASE), "restore", str(out)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("intact:"), done.stdout
    hashes = item_hashes(target, target_url)
    assert len(hashes) == summary["items"]
    for sha in hashes:
        hex_ = sha.removeprefix("sha256:")
        assert (target / "blobs" / hex_[:2] / hex_[2:4] / hex_).is_file(), sha
    manifest = json.loads((out / "manifest.json").read_text())
    restored = table_counts(target, target_url)
    assert {t: restored.get(t) for t in manifest["database"]["tables"]} == manifest["database"][
        "tables"
    ]


# -- blobs in S3-compatible object storage ------------------------------------------------


def test_blobs_in_object_storage_round_trip(settings, tmp_path, endpoint, client, new_database):  # noqa: F811
    """From one bucket prefix to another (a moto S3 server on 127.0.0.1), restricted items
    still encrypted on the way."""
    import dataclasses

    from dadkhah.vault.ingest import ingest_path

    home = tmp_path / "home"
    home.mkdir()
    prefix = f"test/backup-{secrets.token_hex(4)}"
    settings.CONFIG = dataclasses.replace(
        settings.CONFIG, home=home, blobs=f"s3://{BUCKET}/{prefix}", s3_endpoint=endpoint
    )
    (tmp_path / "open.txt").write_text("Synthetic document kept in object storage")
    (tmp_path / "closed.txt").write_text("Synthetic restricted document in object storage")
    ingest_path([tmp_path / "open.txt"], "tester", extract=False)
    ingest_path([tmp_path / "closed.txt"], "tester", restricted=True, extract=False)
    out = tmp_path / "backup"
    summary = make_backup(out, PASSPHRASE)
    assert summary.problems == [] and summary.blobs == 2
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["blob_store"]["kind"] == "s3"
    assert b"restricted document" not in b"".join(
        p.read_bytes() for p in (out / "blobs").rglob("*") if p.is_file()
    )

    target_prefix = f"{prefix}-restored"
    env = env_for(
        tmp_path / "restored",
        new_database(),
        DADKHAH_BACKUP_PASSPHRASE=PASSPHRASE,
        DADKHAH_BLOBS=f"s3://{BUCKET}/{target_prefix}",
        DADKHAH_S3_ENDPOINT=endpoint,
    )
    done = dadkhah(env, "restore", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("intact: 2 originals"), done.stdout

    def names(under: str) -> list[str]:
        return [key.rsplit("/", 1)[-1] for key in keys_under(client, under)]

    assert names(target_prefix) == names(prefix) and len(names(prefix)) == 2
    assert not (tmp_path / "restored" / "blobs").exists()


# -- a backup from an older Dadkhah ---------------------------------------------------------

OLDER = r"""
from dadkhah.cli import setup
setup()
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from dadkhah.vault.ingest import ingest_path
import pathlib, sys

# The schema as an older Dadkhah left it: the last migration of one app not yet applied
# (a reversible one, undone for real).
loader = MigrationLoader(connection)
for app, name in sorted(loader.graph.leaf_nodes()):
    node = loader.graph.node_map[(app, name)]
    earlier = [p.key[1] for p in node.parents if p.key[0] == app]
    operations = loader.graph.nodes[(app, name)].operations
    if earlier and not node.children and all(op.reversible for op in operations):
        call_command("migrate", app, earlier[0], verbosity=0)
        break
else:
    sys.exit("no reversible last migration")
ingest_path([pathlib.Path(sys.argv[1])], "tester", extract=False)
print(f"{app}.{name}")
"""


def test_restore_of_an_older_backup_runs_the_missing_migrations(tmp_path, new_database):
    source, source_url = tmp_path / "source", new_database()
    env = env_for(source, source_url, DADKHAH_BACKUP_PASSPHRASE=PASSPHRASE)
    (tmp_path / "old.txt").write_text("Synthetic document preserved by an older version")
    older = subprocess.run(
        [sys.executable, "-c", OLDER, str(tmp_path / "old.txt")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert older.returncode == 0, older.stderr
    undone = older.stdout.split()[-1]
    out = tmp_path / "older-backup"
    made = dadkhah(env, "backup", "--out", str(out))
    assert made.returncode == 0, made.stderr
    assert undone not in json.loads((out / "manifest.json").read_text())["database"]["migrations"]

    target = env_for(tmp_path / "restored", new_database(), DADKHAH_BACKUP_PASSPHRASE=PASSPHRASE)
    done = dadkhah(target, "restore", str(out), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines[0]["migrated"] == [undone]
    assert lines[-1]["summary"] == "intact" and lines[-1]["items"] == 1
