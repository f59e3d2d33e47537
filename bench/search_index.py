"""Search benchmark: index synthetic pages, then time queries on SQLite (FTS5).

    .venv/bin/python bench/search_index.py [--pages 100000] [--seed N] [--queries 200]

Pages (about 150 words each) mix English and Persian words with synthetic names drawn
from the names lexicon, written in Persian script or in a Latin transliteration. The
benchmark writes vault items and pages in a fresh DADKHAH_HOME (not timed), then times
indexing (``search.indexing.item_entries`` + insert, which fills the FTS5 index through its
triggers) and reports pages per second; then it times ``services.search`` end to end
(engine, visibility rules, grouping, facets, snippets) at internal clearance for
single-term queries and name queries in either script, and reports p50 and p95 latency.
Targets (issue 7): p95 <= 100 ms. Everything is invented; the home is removed at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_EN = """prison letter family witness commission summer grave names court judge prisoner
execution hearing sentence statement testimony mother father brother sister cell ward
transfer trial charge question answer record list document report evidence night day
morning evening month year guard room hall yard gate city village street house road"""
_FA = """زندان اوین گوهردشت اعدام خانواده نامه شهادت کمیسیون مرداد شهریور تیر دادگاه
زندانی قاضی حکم بازجویی سلول بند انتقال محاکمه مادر پدر برادر خواهر شب روز صبح سال ماه
گزارش سند فهرست گور خاوران شهر روستا خیابان خانه"""
EN = _EN.split()
FA = _FA.split()


def _names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(Persian, Latin) spellings of synthetic full names from the lexicon's words."""
    from dadkhah.names import transliterate
    from dadkhah.names.lexicon import lexicon

    given = sorted(lexicon().given)
    surnames = sorted(lexicon().surnames)
    out = []
    for _ in range(count):
        fa = f"{rng.choice(given)} {rng.choice(surnames)}"
        latin = (transliterate(fa, to="latin") or [fa])[0]
        out.append((fa, latin))
    return out


def _page(rng: random.Random, names: list[tuple[str, str]]) -> str:
    words = []
    persian = rng.random() < 0.5
    for _ in range(150):
        r = rng.random()
        if r < 0.04:
            fa, latin = rng.choice(names)
            words.append(fa if persian else latin)
        elif r < 0.1:
            words.append(str(rng.randint(1300, 1400)) if persian else str(rng.randint(1980, 2020)))
        else:
            words.append(rng.choice(FA if persian else EN))
        if rng.random() < 0.08:
            persian = not persian
    return " ".join(words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--per-item", type=int, default=10)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    print(f"seed {seed}", flush=True)
    rng = random.Random(seed)
    home = Path(tempfile.mkdtemp(prefix="dadkhah-bench-search-"))
    os.environ["DADKHAH_HOME"] = str(home)
    os.environ.pop("DATABASE_URL", None)
    try:
        from dadkhah.cli import setup

        setup()
        run(rng, args)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def run(rng: random.Random, args: argparse.Namespace) -> None:
    from django.db import connection, transaction

    from dadkhah.core.confidentiality import Level
    from dadkhah.search.indexing import item_entries
    from dadkhah.search.models import SearchEntry
    from dadkhah.search.services import search
    from dadkhah.vault.models import Item, Page

    names = _names(rng, 2000)
    started = time.perf_counter()
    items = []
    n_items = (args.pages + args.per_item - 1) // args.per_item
    with transaction.atomic():
        for i in range(n_items):
            items.append(
                Item(uid=f"bench-{i}", sha256=f"sha256:{i:064x}", size=0, mime="text/plain",
                     name=f"synthetic-{i}.txt", confidentiality=int(Level.INTERNAL),
                     extraction_status="done")
            )  # fmt: skip
        Item.objects.bulk_create(items, batch_size=2000)
        items = list(Item.objects.order_by("id"))
        pages = []
        for n in range(args.pages):
            item = items[n // args.per_item]
            pages.append(Page(item=item, number=n % args.per_item + 1,
                              text=_page(rng, names), method="plain"))  # fmt: skip
            if len(pages) >= 5000:
                Page.objects.bulk_create(pages)
                pages = []
        Page.objects.bulk_create(pages)
    print(f"wrote {args.pages:,} pages in {time.perf_counter() - started:.1f} s (not timed)")

    started = time.perf_counter()
    done = 0
    for start in range(0, len(items), 200):
        chunk = Item.objects.filter(pk__in=[i.pk for i in items[start : start + 200]])
        with transaction.atomic():
            entries = []
            for item in chunk.prefetch_related("pages"):
                entries.extend(item_entries(item))
            SearchEntry.objects.bulk_create(entries, batch_size=1000)
            done += len(entries)
    seconds = time.perf_counter() - started
    print(f"indexed {done:,} pages in {seconds:.1f} s: {done / seconds:,.0f} pages/s")
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")

    def latency(queries: list[str]) -> tuple[float, float, float]:
        times = []
        hits = 0
        for q in queries:
            t = time.perf_counter()
            results = search(q, Level.INTERNAL, limit=20)
            times.append((time.perf_counter() - t) * 1000)
            hits += results.total_hits
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        return statistics.median(times), p95, hits / len(queries)

    singles = [rng.choice(EN + FA) for _ in range(args.queries)]
    picked = [rng.choice(names) for _ in range(args.queries)]
    surname_latin = [latin.split()[-1] for _, latin in picked]
    surname_fa = [fa.split()[-1] for fa, _ in picked]
    full_latin = [latin for _, latin in picked]
    print(f"{'queries':34} {'p50 ms':>8} {'p95 ms':>8} {'hits/query':>11}")
    for label, queries in (
        ("single term (common word)", singles),
        ("name: surname, Latin", surname_latin),
        ("name: surname, Persian", surname_fa),
        ("name: full name, Latin", full_latin),
    ):
        p50, p95, hits = latency(queries)
        print(f"{label:34} {p50:8.1f} {p95:8.1f} {hits:11.1f}", flush=True)


if __name__ == "__main__":
    main()
