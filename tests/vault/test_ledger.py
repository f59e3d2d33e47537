from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from contextlib import closing

import pytest
from django.db import connection, transaction

from dadkhah.vault import keys, ledger, merkle
from dadkhah.vault.canonical import canonical_json
from dadkhah.vault.checkpoint import open_checkpoint
from dadkhah.vault.models import Checkpoint, LedgerEntry
from tests.vault.factories_vault import use_home

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def home(settings, tmp_path):
    return use_home(settings, tmp_path)


def test_keys_are_files_0600_created_once(home):
    signer = keys.signing_key()
    assert str(keys.signing_key()) == str(signer)  # read back, not regenerated
    assert signer.name.startswith("dadkhah.local/")
    data_key = keys.data_key()
    assert len(data_key) == 32 and keys.data_key() == data_key
    for name in (keys.SIGNING_KEY_FILE, keys.DATA_KEY_FILE):
        mode = stat.S_IMODE(os.stat(home / "keys" / name).st_mode)
        assert mode == 0o600, name
    assert keys.public_key_note() == str(signer.verifier)
    assert keys.public_key_note().startswith(signer.name + "+")
    # no temporary files left behind
    assert sorted(p.name for p in (home / "keys").iterdir()) == sorted(
        [keys.SIGNING_KEY_FILE, keys.DATA_KEY_FILE]
    )


def test_concurrent_first_use_agrees_on_one_key(home):
    seen: list[str] = []

    def make() -> None:
        seen.append(keys.public_key_note(home))

    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 1


def test_append_writes_canonical_body_and_leaf_hash():
    sha = "sha256:" + "ab" * 32
    entry = ledger.append("view", "alice", "review for the dossier", sha, {"page": 3})
    body = json.loads(entry.body)
    assert body == {
        "seq": 0,
        "time": ledger.rfc3339(entry.created_at),
        "event": "view",
        "actor": "alice",
        "purpose": "review for the dossier",
        "item": sha,
        "details": {"page": 3},
    }
    assert entry.body.encode() == canonical_json(body)
    assert entry.leaf_hash == merkle.leaf_hash(entry.body.encode()).hex()
    assert body["time"].endswith("Z")
    second = ledger.append("audit", "verifier", "")
    assert second.seq == 1 and json.loads(second.body)["item"] is None


@pytest.mark.parametrize(
    ("event", "actor", "item"),
    [("delete", "a", ""), ("view", "", ""), ("view", "a", "ab" * 32), ("view", "a", "sha256:XY")],
)
def test_append_rejects_bad_input(event, actor, item):
    with pytest.raises(ledger.LedgerError):
        ledger.append(event, actor, "", item)
    assert LedgerEntry.objects.count() == 0


def test_append_rolls_back_with_the_callers_transaction():
    ledger.append("audit", "a", "")
    with pytest.raises(RuntimeError), transaction.atomic():
        ledger.append("audit", "a", "")
        raise RuntimeError
    assert ledger.append("audit", "a", "").seq == 1  # no gap


def test_checkpoint_signs_size_and_root(django_capture_on_commit_callbacks, home):
    assert ledger.checkpoint() is None  # nothing to sign yet
    entries = [ledger.append("audit", "a", f"p{i}") for i in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        cp = ledger.checkpoint()
    assert cp is not None and cp.size == 5
    data = open_checkpoint(cp.note, keys.verifier(), origin=keys.signing_key().name)
    leaves = [bytes.fromhex(e.leaf_hash) for e in entries]
    assert data.size == 5 and data.root == merkle.root(leaves)
    assert cp.root_hash == data.root.hex()
    assert ledger.checkpoint().pk == cp.pk  # same size: not signed again
    # the copy outside the database
    assert (home / "checkpoints" / "latest").read_text() == cp.note
    ledger.append("audit", "a", "more")
    with django_capture_on_commit_callbacks(execute=True):
        assert ledger.checkpoint().size == 6
    assert open_checkpoint(ledger.latest_published(), keys.verifier()).size == 6
    assert Checkpoint.objects.count() == 2


def test_publish_never_moves_the_outside_copy_backwards(django_capture_on_commit_callbacks):
    ledger.append("audit", "a", "")
    small = ledger.checkpoint()
    ledger.append("audit", "a", "")
    large = ledger.checkpoint()
    assert ledger.publish(large.note)
    assert not ledger.publish(small.note)
    assert ledger.latest_published() == large.note


def test_checkpoint_refuses_to_sign_over_altered_history():
    for i in range(4):
        ledger.append("audit", "a", f"{i}")
    ledger.checkpoint()
    ledger.append("audit", "a", "later")
    entry = LedgerEntry.objects.get(seq=1)
    body = entry.body.replace('"1"', '"X"')
    LedgerEntry.objects.filter(pk=entry.pk).update(
        body=body, leaf_hash=merkle.leaf_hash(body.encode()).hex()
    )
    with pytest.raises(ledger.LedgerError, match="no longer matches checkpoint 4"):
        ledger.checkpoint()
    # nor does rewriting the stored root beside the signed note help
    root = ledger.load_tree(4).root().hex()
    Checkpoint.objects.filter(size=4).update(root_hash=root)
    with pytest.raises(ledger.LedgerError, match="no longer matches checkpoint 4"):
        ledger.checkpoint()


def test_checkpoint_refuses_when_the_outside_copy_is_ahead():
    for _ in range(3):
        ledger.append("audit", "a", "")
    cp = ledger.checkpoint()
    ledger.publish(cp.note)
    Checkpoint.objects.all().delete()
    LedgerEntry.objects.filter(seq=2).delete()
    with pytest.raises(ledger.LedgerError, match="outside the database"):
        ledger.checkpoint()


def test_inclusion_and_consistency_proofs():
    entries = [ledger.append("audit", "a", str(i)) for i in range(13)]
    proof = ledger.proof(7)  # signs a checkpoint since none covers entry 7
    assert proof.size == 13 and proof.checkpoint and proof.verify()
    data = open_checkpoint(proof.checkpoint, keys.verifier())
    assert data.root.hex() == proof.root
    assert proof.leaf_hash == entries[7].leaf_hash
    old = ledger.proof(3, size=5)
    assert old.verify() and old.checkpoint == ""
    wrong = ledger.InclusionProof(**{**proof.as_dict(), "seq": 6})
    assert not wrong.verify()
    cons = ledger.consistency(5, 13)
    assert cons.verify() and cons.root_m == old.root
    assert not ledger.ConsistencyProof(5, 13, cons.root_n, cons.root_n, cons.hashes).verify()
    with pytest.raises(ledger.LedgerError):
        ledger.proof(13, size=13)
    with pytest.raises(ledger.LedgerError):
        ledger.consistency(9, 5)


APPENDER = """
import sys
from dadkhah.cli import setup
setup(migrate=False)
from django.core.management import call_command
if sys.argv[1] == "migrate":
    call_command("migrate", "vault", verbosity=0)  # the vault's tables are enough here
from django.db import transaction
from dadkhah.vault import ledger
for i in range(int(sys.argv[2])):
    with transaction.atomic():
        ledger.append("audit", sys.argv[3], str(i))
"""


def _appenders_on_sqlite_file(home, workers: int, each: int) -> list[tuple[int, str]]:
    """SQLite as deployed (a WAL file, BEGIN IMMEDIATE), with one process per writer."""
    env = {**os.environ, "DADKHAH_HOME": str(home), "DATABASE_URL": ""}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    run = [sys.executable, "-c", APPENDER]
    subprocess.run([*run, "migrate", "0", "none"], env=env, check=True, timeout=120)
    procs = [subprocess.Popen([*run, "-", str(each), f"w{n}"], env=env) for n in range(workers)]
    assert [p.wait(timeout=120) for p in procs] == [0] * workers
    with closing(sqlite3.connect(home / "dadkhah.sqlite3")) as db:
        return db.execute("SELECT seq, body FROM vault_ledgerentry ORDER BY seq").fetchall()


@pytest.mark.django_db(transaction=True)
def test_seq_is_gapless_under_concurrent_appends(tmp_path):
    workers, each = 4, 15
    if connection.vendor == "sqlite":
        rows = _appenders_on_sqlite_file(tmp_path / "concurrent", workers, each)
    else:
        errors: list[BaseException] = []

        def work(n: int) -> None:
            try:
                for i in range(each):
                    with transaction.atomic():
                        ledger.append("audit", f"w{n}", str(i))
            except BaseException as exc:  # reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        rows = list(LedgerEntry.objects.order_by("seq").values_list("seq", "body"))
    assert [seq for seq, _ in rows] == list(range(workers * each))
    assert all(json.loads(body)["seq"] == seq for seq, body in rows)
    actors = [json.loads(body)["actor"] for _, body in rows]
    assert sorted(set(actors)) == [f"w{n}" for n in range(workers)]
