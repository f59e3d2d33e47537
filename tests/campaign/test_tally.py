"""The batched count: exactly once, never down, milestones once, a bounded lag.

Every campaign and signer here is synthetic."""

from __future__ import annotations

import json
import os
import random
import secrets
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from dadkhah.campaign import tally
from dadkhah.campaign.models import Milestone, Signature, Tally
from tests.campaign.conftest import make_campaign

SEED = int(os.environ.get("DADKHAH_TEST_SEED", "1988"))
COUNTRIES = ["DE", "FR", "GB", "IR", "SE", "US"]


@pytest.fixture
def immediate() -> Any:
    from huey.contrib.djhuey import HUEY

    before = HUEY.immediate
    HUEY.immediate = True
    try:
        yield HUEY
    finally:
        HUEY.immediate = before


def _sign(campaign: Any, n: int, state: str, *, rng: random.Random, start: int = 0) -> list[Any]:
    now = timezone.now()
    rows = [
        Signature(
            campaign=campaign,
            state=state,
            name=f"Synthetic signer {start + i}",
            email=f"s{start + i}@example.org",
            email_normalized=f"s{start + i}@example.org",
            email_domain="example.org",
            country=rng.choice(COUNTRIES),
            consent=True,
            confirmed_at=now if state == Signature.State.VALIDATED else None,
        )
        for i in range(n)
    ]
    return Signature.objects.bulk_create(rows)


def _tallies(campaign: Any) -> dict[str, tuple[int, int]]:
    return {
        t.country: (t.signed, t.removed)
        for t in Tally.objects.filter(campaign=campaign).order_by("country")
    }


@pytest.mark.django_db
def test_run_counts_each_validated_signature_once_by_country(open_campaign: Any) -> None:
    print(f"seed {SEED}")  # noqa: T201 (the seed, to replay a failure)
    rng = random.Random(SEED)
    validated = _sign(open_campaign, 40, Signature.State.VALIDATED, rng=rng)
    _sign(open_campaign, 7, Signature.State.PENDING, rng=rng, start=100)
    _sign(open_campaign, 5, Signature.State.FRAUDULENT, rng=rng, start=200)  # never counted
    other = make_campaign("another-call")
    _sign(other, 3, Signature.State.VALIDATED, rng=rng, start=300)

    assert tally.run(limit=7) == 43  # several batches of 7, in one call
    assert tally.run() == 0  # nothing left: nothing counted twice
    expected: dict[str, int] = {}
    for s in validated:
        expected[s.country] = expected.get(s.country, 0) + 1
    assert {c: v[0] for c, v in _tallies(open_campaign).items()} == expected
    assert sum(v[0] for v in _tallies(other).values()) == 3
    assert not Signature.objects.filter(state="validated", counted_at__isnull=True).exists()
    assert (
        not Signature.objects.exclude(state="validated").filter(counted_at__isnull=False).exists()
    )
    count = tally.public_count(open_campaign)
    assert (count.signed, count.removed, count.by_country) == (40, 0, expected)
    assert count.goal == 1000


@pytest.mark.django_db
def test_removals_are_shown_apart_and_signed_never_goes_down(open_campaign: Any) -> None:
    rng = random.Random(SEED)
    signatures = _sign(open_campaign, 12, Signature.State.VALIDATED, rng=rng)
    tally.run()
    before = tally.public_count(open_campaign)
    gone = [s.pk for s in signatures[:4]]
    Signature.objects.filter(pk__in=gone[:3]).update(
        state=Signature.State.INVALIDATED, removed_at=timezone.now()
    )
    Signature.objects.filter(pk=gone[3]).update(state=Signature.State.FRAUDULENT)
    # removed before it was ever counted: neither signed nor removed
    late = _sign(open_campaign, 1, Signature.State.PENDING, rng=rng, start=50)[0]
    Signature.objects.filter(pk=late.pk).update(state=Signature.State.INVALIDATED)
    assert tally.run() == 0  # no new signature counted; the removals are
    assert tally.run() == 0
    after = tally.public_count(open_campaign)
    assert (before.signed, before.removed) == (12, 0)
    assert (after.signed, after.removed) == (12, 4)
    assert Signature.objects.filter(removal_counted_at__isnull=False).count() == 4
    assert sum(after.by_country.values()) == after.signed


@pytest.mark.django_db(transaction=True)
def test_milestones_are_recorded_once_and_the_organizer_told(immediate: Any) -> None:
    organizer = get_user_model().objects.create_user(
        "organizer", email="organizer@example.org", password="x-synthetic-x"
    )
    campaign = make_campaign(milestones=[2, 5, 50], goal=6, created_by=organizer)
    rng = random.Random(SEED)
    _sign(campaign, 3, Signature.State.VALIDATED, rng=rng)
    tally.run()
    assert list(
        Milestone.objects.filter(campaign=campaign).values_list("threshold", flat=True)
    ) == [2]
    _sign(campaign, 4, Signature.State.VALIDATED, rng=rng, start=10)
    tally.run()
    tally.run()
    reached = list(Milestone.objects.filter(campaign=campaign).values_list("threshold", flat=True))
    assert reached == [2, 5, 6]  # the goal is a milestone too; 50 is not reached
    assert tally.public_count(campaign).milestones_reached == [2, 5, 6]
    assert len(mail.outbox) == 3, [m.subject for m in mail.outbox]
    assert all(m.to == ["organizer@example.org"] for m in mail.outbox)


@pytest.mark.django_db
def test_request_schedules_few_tasks_and_after_commit(
    open_campaign: Any, immediate: Any, django_capture_on_commit_callbacks: Any
) -> None:
    before = len(immediate.scheduled())
    with django_capture_on_commit_callbacks(execute=False) as pending:
        tally.request(open_campaign.id)
    assert len(immediate.scheduled()) == before  # nothing before the commit
    assert len(pending) == 1
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(50):
            tally.request(open_campaign.id)
    scheduled = [t for t in immediate.scheduled() if t.name.endswith("count_signatures")]
    assert len(scheduled) - before == 1  # a burst of 50 requests: one delayed batch
    assert all(t.eta is not None for t in scheduled)
    time.sleep(1.1)  # the key lives a second: the next request schedules again
    with django_capture_on_commit_callbacks(execute=True):
        tally.request(open_campaign.id)
    scheduled = [t for t in immediate.scheduled() if t.name.endswith("count_signatures")]
    assert len(scheduled) - before == 2
    immediate.flush()  # the delayed batches never run in this test


@pytest.mark.django_db
def test_the_read_path_counts_when_the_last_run_is_old(open_campaign: Any) -> None:
    rng = random.Random(SEED)
    _sign(open_campaign, 5, Signature.State.VALIDATED, rng=rng)
    assert tally.public_count(open_campaign).signed == 5  # no run yet: the read runs one
    _sign(open_campaign, 2, Signature.State.VALIDATED, rng=rng, start=10)
    assert tally.public_count(open_campaign).signed == 5  # ran less than 10 s ago: as is
    from django.core.cache import caches

    caches[tally.CACHE].set("campaign:tally-last-run", time.time() - tally.STALE_AFTER - 1)
    count = tally.public_count(open_campaign)
    assert count.signed == 7
    assert timezone.now() - count.as_of < timedelta(seconds=5)


def test_run_refuses_a_nonsense_limit() -> None:
    with pytest.raises(ValueError, match="limit=0"):
        tally.run(limit=0)


# --- concurrency: confirmations and several batches at once --------------------------------

WORKER = """
import json, sys, time
from dadkhah.cli import setup
setup(migrate=False)
from django.core.management import call_command
from django.db import transaction
role, arg = sys.argv[1], sys.argv[2]
if role == "migrate":
    call_command("migrate", "campaign", verbosity=0)
    sys.exit(0)
if role == "confirm":
    from dadkhah.campaign import signing
    outcomes = [signing.confirm(t).outcome for t in json.loads(open(arg).read())]
    print(json.dumps({"confirmed": outcomes.count("confirmed")}))
elif role == "count":
    from pathlib import Path
    from dadkhah.campaign import tally
    total = 0
    while not Path(arg).exists():
        total += tally.run(limit=25)
        time.sleep(0.01)
    total += tally.run(limit=25)
    print(json.dumps({"counted": total}))
"""


def _prepare(n: int, rng: random.Random) -> tuple[Any, list[str]]:
    from dadkhah.campaign.signing import token_hash

    campaign = make_campaign("concurrent-call")
    tokens = [secrets.token_urlsafe(32) for _ in range(n)]
    expires = timezone.now() + timedelta(hours=1)
    Signature.objects.bulk_create(
        Signature(
            campaign=campaign,
            name=f"Synthetic signer {i}",
            email=f"c{i}@example.org",
            email_normalized=f"c{i}@example.org",
            email_domain="example.org",
            country=rng.choice(COUNTRIES),
            consent=True,
            token_sha256=token_hash(token),
            token_expires_at=expires,
        )
        for i, token in enumerate(tokens)
    )
    return campaign, tokens


def _check_exactly_once(confirmed: int, counted: int, n: int) -> None:
    validated = Signature.objects.filter(state=Signature.State.VALIDATED)
    assert confirmed == n == validated.count()
    assert not validated.filter(counted_at__isnull=True).exists()
    signed = Tally.objects.aggregate(n=Sum("signed"))["n"]
    assert signed == counted == n  # each confirmation counted once, by one batch
    for country in COUNTRIES:
        in_tally = Tally.objects.filter(country=country).aggregate(n=Sum("signed"))["n"] or 0
        assert in_tally == validated.filter(country=country).count(), country


@pytest.mark.django_db(transaction=True)
def test_concurrent_confirmations_and_batches_count_each_exactly_once(tmp_path: Path) -> None:
    print(f"seed {SEED}")  # noqa: T201 (the seed, to replay a failure)
    rng = random.Random(SEED)
    n, confirmers, counters = 240, 4, 3
    if connection.vendor == "sqlite":  # as deployed: a WAL file, one process per writer
        home = tmp_path / "concurrent"
        env = {**os.environ, "DADKHAH_HOME": str(home), "DATABASE_URL": ""}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        worker = [sys.executable, "-c", WORKER]
        subprocess.run([*worker, "migrate", "-"], env=env, check=True, timeout=300)
        prepare = (
            "from dadkhah.cli import setup; setup(migrate=False)\n"
            "import json, random, sys\n"
            "from tests.campaign import test_tally as t\n"
            f"c, tokens = t._prepare({n}, random.Random({SEED}))\n"
            "print(json.dumps(tokens))\n"
        )
        made = subprocess.run(
            [sys.executable, "-c", prepare],
            env=env,
            check=True,
            timeout=300,
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        tokens = json.loads(made.stdout.strip().splitlines()[-1])
        stop = tmp_path / "stop"
        slices = []
        for k in range(confirmers):
            part = tmp_path / f"tokens-{k}.json"
            part.write_text(json.dumps(tokens[k::confirmers]))
            slices.append(part)
        counting = [
            subprocess.Popen([*worker, "count", str(stop)], env=env, stdout=subprocess.PIPE)
            for _ in range(counters)
        ]
        confirming = [
            subprocess.Popen([*worker, "confirm", str(p)], env=env, stdout=subprocess.PIPE)
            for p in slices
        ]
        outs = [p.communicate(timeout=300)[0] for p in confirming]
        stop.write_text("done")
        counts = [p.communicate(timeout=300)[0] for p in counting]
        assert [p.returncode for p in confirming + counting] == [0] * (confirmers + counters)
        confirmed = sum(json.loads(o)["confirmed"] for o in outs)
        counted = sum(json.loads(o)["counted"] for o in counts)
        split = sorted(json.loads(o)["counted"] for o in counts)
        print(f"counted per batch runner: {split}")  # noqa: T201 (how the work split)
        import sqlite3
        from contextlib import closing

        with closing(sqlite3.connect(home / "dadkhah.sqlite3")) as db:
            rows = db.execute(
                "SELECT state, country, counted_at IS NOT NULL FROM campaign_signature"
            ).fetchall()
            sums = db.execute(
                "SELECT country, SUM(signed) FROM campaign_tally GROUP BY country"
            ).fetchall()
        assert confirmed == n == sum(1 for r in rows if r[0] == "validated")
        assert all(r[2] for r in rows)
        assert sum(s for _, s in sums) == counted == n
        for country, signed in sums:
            assert signed == sum(1 for r in rows if r[1] == country)
        return

    from dadkhah.campaign import signing

    _, tokens = _prepare(n, rng)
    errors: list[BaseException] = []
    confirmed_by: list[int] = []
    counted_by: list[int] = []
    done = threading.Event()

    def confirm(part: list[str]) -> None:
        try:
            confirmed_by.append(sum(signing.confirm(t).outcome == "confirmed" for t in part))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    def count() -> None:
        total = 0
        try:
            while not done.is_set():
                total += tally.run(limit=25)
            total += tally.run(limit=25)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            counted_by.append(total)
            connection.close()

    counting = [threading.Thread(target=count) for _ in range(counters)]
    confirming = [
        threading.Thread(target=confirm, args=(tokens[k::confirmers],)) for k in range(confirmers)
    ]
    for t in counting + confirming:
        t.start()
    for t in confirming:
        t.join()
    done.set()
    for t in counting:
        t.join()
    assert errors == []
    print(f"counted per batch runner: {sorted(counted_by)}")  # noqa: T201 (how the work split)
    _check_exactly_once(sum(confirmed_by), sum(counted_by), n)
