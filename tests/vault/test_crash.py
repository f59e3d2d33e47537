"""Kill an ingest with SIGKILL at random points, then check that the next run repairs what it
left and that nothing is ever half there: no item without its blob, receipt or ledger
entry, no blob without an item, no ledger entry about an item that does not exist.

Each round runs the ingest in a child process. The child reports every step of every item
(staged, published, recorded inside the transaction, committed) on stdout; the parent kills
it at a step chosen by a seeded random generator, or after a random delay. The seed is
printed; set DADKHAH_CRASH_SEED to replay a run.
"""

from __future__ import annotations

import email.message
import hashlib
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)

CHILD = r"""
import json, sys, time
from dadkhah.cli import setup
migrate, pause, targets = sys.argv[1] == "migrate", sys.argv[2], sys.argv[3:]
setup(migrate=migrate)
from dadkhah.vault import services
from dadkhah.vault.ingest import Ingest
from dadkhah.vault.models import Item, LedgerEntry, Receipt

step_name, _, nth = pause.partition(":")
seen = {}

def progress(step, name):
    seen[step] = seen.get(step, 0) + 1
    if step == step_name and seen[step] == int(nth):
        print("PAUSED", step, name, flush=True)
        time.sleep(600)

run = Ingest("crash-test", progress=progress, extract=False)
store = services.get_store()
items = {i.sha256: i.pk for i in Item.objects.all()}
blobs = sorted(store.iter_hexes())
state = {
    "repair": {"temp": run.repaired.temp_files, "orphans": run.repaired.orphan_blobs},
    "items": sorted(items),
    "blobs": blobs,
    "items_without_blob": sorted(s for s in items if s[7:] not in set(blobs)),
    "blobs_without_item": sorted(h for h in blobs if "sha256:" + h not in items),
    "items_without_receipt": sorted(
        s for s, pk in items.items() if not Receipt.objects.filter(item_id=pk).exists()
    ),
    "receipts_off_their_entry": [
        r.pk for r in Receipt.objects.select_related("ledger_entry", "item")
        if r.ledger_entry.item_sha256 != r.item.sha256
    ],
    "dangling_entries": sorted(
        e.seq for e in LedgerEntry.objects.exclude(item_sha256="")
        if e.item_sha256 not in items
    ),
    "ingest_entries_without_receipt": sorted(
        LedgerEntry.objects.filter(event="ingest", receipt__isnull=True)
        .values_list("seq", flat=True)
    ),
    "leftovers": sorted(
        str(p.relative_to(store.work_root)) for p in store.work_root.rglob("*")
        if p.is_file() and p.name not in ("lock", "guard.lock")
    ),
}
print("STATE " + json.dumps(state), flush=True)
for target in targets:
    run.add(target)
print("DONE", len(run.items), flush=True)
"""


def child_env(home: Path) -> dict[str, str]:
    """The child's own DADKHAH_HOME; on PostgreSQL it shares this test's database."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DADKHAH_HOME"] = str(home)
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        login = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
        env["DATABASE_URL"] = (
            f"postgres://{login}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        )
    return env


class Child:
    def __init__(self, home: Path, targets: list[Path], pause: str = "-") -> None:
        first = not (home / "dadkhah.sqlite3").exists() and connection.vendor == "sqlite"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, "migrate" if first else "-", pause, *map(str, targets)],
            env=child_env(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.state: dict = {}

    def read_until(self, prefix: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError(f"child ended before {prefix}: {self.proc.stderr.read()}")
            if line.startswith("STATE "):
                self.state = json.loads(line[6:])
            if line.startswith(prefix):
                return line
        raise AssertionError(f"no {prefix} within {timeout} s")

    def kill(self, may_have_finished: bool = False) -> None:
        """Kill the child; an unpaused one may have finished its run just before the signal."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        if may_have_finished and self.proc.returncode == 0:
            return
        assert self.proc.returncode == -signal.SIGKILL, self.proc.returncode

    def finish(self) -> str:
        line = self.read_until("DONE")
        self.proc.wait(timeout=60)
        assert self.proc.returncode == 0, self.proc.stderr.read()
        return line


def assert_whole(state: dict) -> None:
    """Nothing half there, nothing left over, after the repair at the start of a run."""
    for finding in (
        "items_without_blob",
        "blobs_without_item",
        "items_without_receipt",
        "receipts_off_their_entry",
        "dangling_entries",
        "ingest_entries_without_receipt",
        "leftovers",
    ):
        assert state[finding] == [], (finding, state[finding])


def make_inputs(root: Path, rng: random.Random, tag: str) -> set[str]:
    """A folder of small and larger files, a zip and an e-mail; returns every hash in it."""
    root.mkdir(parents=True)
    hashes: set[str] = set()

    def keep(data: bytes) -> bytes:
        hashes.add("sha256:" + hashlib.sha256(data).hexdigest())
        return data

    for i in range(rng.randint(25, 40)):
        size = rng.choice([rng.randint(0, 2000), rng.randint(2000, 64 << 10)])
        (root / f"{tag}-{i:03}.bin").write_bytes(keep(tag.encode() + rng.randbytes(size)))
    for i in range(2):
        (root / f"{tag}-large-{i}.bin").write_bytes(keep(rng.randbytes(6 << 20)))
    members = io.BytesIO()
    with zipfile.ZipFile(members, "w") as zf:
        for i in range(5):
            zf.writestr(f"docs/{tag}-member-{i}.txt", keep(f"{tag} member {i}".encode()))
    (root / f"{tag}.zip").write_bytes(keep(members.getvalue()))
    message = email.message.EmailMessage()
    message["Subject"] = f"synthetic {tag}"
    message["From"] = "family@example.org"
    message.set_content("two attachments")
    for i in range(2):
        message.add_attachment(
            keep(f"{tag} attachment {i}".encode()),
            maintype="text",
            subtype="plain",
            filename=f"a{i}.txt",
        )
    (root / f"{tag}.eml").write_bytes(keep(bytes(message)))
    return hashes


def test_sigkill_at_random_points_leaves_nothing_half_done(tmp_path, capsys):
    seed = int(os.environ.get("DADKHAH_CRASH_SEED") or random.randrange(2**32))
    with capsys.disabled():
        sys.stdout.write(f"\ncrash test seed: {seed} (DADKHAH_CRASH_SEED={seed} replays it)\n")
    rng = random.Random(seed)
    home = tmp_path / "home"
    home.mkdir()
    rounds = [("staged", True), ("published", True), ("recorded", True), ("committed", True)]
    rng.shuffle(rounds)
    rounds.append(("random", False))
    expected: set[str] = set()
    folders = []
    state: dict = {}
    previous = ""
    for number, (step, targeted) in enumerate(rounds):
        folder = tmp_path / f"in-{number}"
        expected |= make_inputs(folder, rng, f"r{number}")
        folders.append(folder)
        pause = f"{step}:{rng.randint(1, 20)}" if targeted else "-"
        child = Child(home, [folder], pause)
        if targeted:
            child.read_until("PAUSED")
        else:
            child.read_until("STATE")
            time.sleep(rng.uniform(0.0, 1.5))
        if child.proc.poll() is None:
            child.kill(may_have_finished=not targeted)
        state = child.state
        assert_whole(state)
        if previous:
            check_repair_of(previous, state["repair"])
        previous = step
    # one more run repairs the last kill, and every input goes in again, whole
    child = Child(home, folders)
    child.finish()
    assert_whole(child.state)
    check_repair_of(previous, child.state["repair"])
    final = Child(home, [])
    final.finish()
    assert_whole(final.state)
    assert final.state["repair"] == {"temp": [], "orphans": []}
    assert expected <= set(final.state["items"])
    verify = subprocess.run(
        [sys.executable, "-m", "dadkhah", "verify"],
        env=child_env(home),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


def check_repair_of(step: str, repair: dict) -> None:
    """What the next run found depends on where the last one was killed."""
    if step == "staged":  # temporary files, nothing published yet
        assert repair["temp"] and not repair["orphans"], repair
    elif step in ("published", "recorded"):  # blobs in the store, their records never committed
        assert repair["orphans"], repair
    elif step == "committed":  # the batch is whole (zip members may wait staged)
        assert not repair["orphans"], repair
