"""Time mentions scanning: pages per second against a gazetteer of synthetic names.

Builds a ``NameIndex`` of N synthetic names (given name + surname from the names lexicon,
half in Persian script and half in Latin, seeded), then scans synthetic pages that mix
Persian and English filler with some of those names (in either script, with Arabic letter
forms), dates and numbers. Three rates are reported: names only (``NameIndex.scan``), names
and candidates, and everything ``mentioning.scan_item`` looks for per page (names,
candidates, dates, numbers). Every name and page is invented. Pure Python: no database.

    .venv/bin/python bench/search_mentions.py [--names 10000] [--pages 5000] [--seed N]
"""

from __future__ import annotations

import argparse
import random
import time

from dadkhah.names import transliterate
from dadkhah.names.lexicon import lexicon
from dadkhah.search.dates import ascii_digits, find_dates, find_numbers
from dadkhah.search.mentions import NameIndex, candidates

FILLER_EN = [
    "the",
    "prisoners",
    "were",
    "taken",
    "to",
    "the",
    "hall",
    "and",
    "questioned",
    "about",
    "their",
    "affiliation",
    "before",
    "the",
    "commission",
    "in",
    "the",
    "summer",
    "of",
    "that",
    "year",
    "while",
    "families",
    "waited",
    "outside",
    "without",
    "news",
]
FILLER_FA = [
    "زندانیان",
    "را",
    "به",
    "سالن",
    "بردند",
    "و",
    "درباره",
    "وابستگی",
    "آنان",
    "پرسیدند",
    "خانواده\u200cها",
    "بیرون",
    "منتظر",
    "بودند",
    "و",
    "هیچ",
    "خبری",
    "نبود",
    "گزارش",
    "شاهدان",
    "نشان",
    "می\u200cدهد",
]
EXTRAS = ["14 August 1988", "۲۳ مرداد ۱۳۶۷", "Mordad 1367", "30,000", "۳۰ هزار", "thousands"]


def gazetteer(count: int, rng: random.Random) -> list[tuple[str, str, str]]:
    lex = lexicon()
    given = sorted(k for k in lex.given if len(k) >= 3)
    surnames = sorted(k for k in lex.surnames if len(k) >= 4)
    names: dict[str, str] = {}
    while len(names) < count:
        fa = f"{rng.choice(given)} {rng.choice(surnames)}"
        if fa in names:
            continue
        latin = transliterate(fa)
        names[fa] = latin[0] if latin and len(names) % 2 else fa
    return [("person", f"p{i}", written) for i, written in enumerate(names.values())]


def pages(count: int, entries: list[tuple[str, str, str]], rng: random.Random) -> list[str]:
    out = []
    for _ in range(count):
        words: list[str] = []
        for _ in range(rng.randint(250, 400)):  # about 2,000 characters
            roll = rng.random()
            if roll < 0.01:
                words.append(rng.choice(entries)[2].replace("ی", "ي"))
            elif roll < 0.015:
                words.append(rng.choice(EXTRAS))
            elif roll < 0.5:
                words.append(
                    rng.choice(FILLER_EN).capitalize() if roll < 0.03 else rng.choice(FILLER_EN)
                )
            else:
                words.append(rng.choice(FILLER_FA))
        out.append(" ".join(words))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1367)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"seed={args.seed} names={args.names} pages={args.pages}")

    t = time.perf_counter()
    entries = gazetteer(args.names, rng)
    texts = pages(args.pages, entries, rng)
    print(
        f"generated in {time.perf_counter() - t:.1f} s; {sum(map(len, texts)) / len(texts):.0f} chars/page"
    )

    t = time.perf_counter()
    index = NameIndex.build(entries)
    print(
        f"index: {index.names} names, {len(index)} spellings, built in {time.perf_counter() - t:.1f} s"
    )

    index.scan(texts[0])  # warm the caches of the first call only
    print("(pages/s on the clock, and on this process's CPU time: the cores are shared)")
    clock = Clock()
    found = sum(len(index.scan(text)) for text in texts)
    clock.report("names only", args.pages, f"{found} mentions")

    clock = Clock()
    cands = 0
    for text in texts:
        cands += len(candidates(text, index.scan(text)))
    clock.report("names + candidates", args.pages, f"{cands} candidates")

    clock = Clock()
    total = 0
    for text in texts:
        known = index.scan(text)
        digits = ascii_digits(text)
        dates = find_dates(text, digits=digits)
        total += len(known) + len(candidates(text, known)) + len(dates)
        total += len(find_numbers(text, dates=dates, digits=digits))
    clock.report("everything per page", args.pages, f"{total} mentions")


class Clock:
    """Wall-clock and CPU time since it was made."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def report(self, what: str, pages: int, found: str) -> None:
        wall = time.perf_counter() - self.wall
        cpu = time.process_time() - self.cpu
        print(f"{what + ':':22}{pages / wall:8.0f} pages/s  (CPU {pages / cpu:6.0f})  ({found})")


if __name__ == "__main__":
    main()
