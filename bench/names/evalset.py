"""The evaluation set for dadkhah.names: labelled pairs of written names, generated with a seed.

From ``variants.yaml`` (hand-written spellings of given names and surnames in Persian script and
in Latin), it composes invented full names and writes each several times, as lists do:

- Persian: sometimes with Arabic letter forms (ي ك), the non-joiner dropped or turned into a
  space, the family name first, a title (سید, حاج) or a typo (dots confused, a letter lost);
- Latin: a spelling chosen per word among the variants, sometimes "Family, Given", upper case,
  a title (Seyyed, Haj) or a typo (a letter dropped, doubled, swapped or replaced by a
  neighbouring key).

Positive pairs are two writings of the same name. Negative pairs are different names: hard
negatives (the same given name with a confusable surname such as Rezaei/Rahimi, or the reverse,
from the ``confusable`` lists) and names that share one token with another name. Each pair says
whether it crosses scripts, whether it contains a typo, and whether every word of both names is
known to the lexicon. Half the name groups calibrate the model, the other half test it.

    .venv/bin/python bench/names/evalset.py [--groups 600] [--seed N]   # prints a summary
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ZWNJ = "\u200c"
KEYBOARD = {
    "a": "qsz",
    "b": "vn",
    "d": "sf",
    "e": "wr",
    "f": "dg",
    "g": "fh",
    "h": "gj",
    "i": "uo",
    "j": "hk",
    "k": "jl",
    "l": "k",
    "m": "n",
    "n": "bm",
    "o": "ip",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "u": "yi",
    "v": "cb",
    "y": "tu",
    "z": "as",
}
PERSIAN_CONFUSED = {
    "ب": "پت",
    "پ": "ب",
    "ت": "بث",
    "ج": "چخ",
    "چ": "ج",
    "ح": "خج",
    "خ": "ح",
    "ر": "ز",
    "ز": "رژ",
    "ژ": "ز",
    "س": "ش",
    "ش": "س",
    "ک": "گ",
    "گ": "ک",
    "ی": "ن",
    "ن": "ی",
}


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    same: bool
    cross: bool  # one name in Persian script, the other in Latin
    typo: bool
    known: bool  # every word of both names is in variants' lexicon-independent list and lexicon
    kind: str  # variant | hard | shared
    split: str  # calibration | test


@dataclass(frozen=True)
class Variants:
    given: dict[str, list[str]]
    surnames: dict[str, list[str]]
    confusable_given: list[tuple[str, str]]
    confusable_surnames: list[tuple[str, str]]


@cache
def load(path: Path = HERE / "variants.yaml") -> Variants:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))

    def dedupe(table: dict[str, list[str]]) -> dict[str, list[str]]:
        return {fa: list(dict.fromkeys(latin)) for fa, latin in table.items()}

    conf = data["confusable"]
    return Variants(
        dedupe(data["given"]),
        dedupe(data["surnames"]),
        [tuple(p) for p in conf["given"]],  # type: ignore[misc]
        [tuple(p) for p in conf["surnames"]],  # type: ignore[misc]
    )


def _latin_typo(rng: random.Random, word: str) -> str:
    """One keyboard slip inside the word (never the first or last letter)."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    op = rng.choice(("drop", "double", "swap", "key"))
    if op == "drop":
        return word[:i] + word[i + 1 :]
    if op == "double":
        return word[:i] + word[i] + word[i:]
    if op == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    near = KEYBOARD.get(word[i].lower())
    return word[:i] + rng.choice(near) + word[i + 1 :] if near else word[:i] + word[i + 1 :]


def _persian_typo(rng: random.Random, word: str) -> str:
    positions = [i for i, c in enumerate(word) if c in PERSIAN_CONFUSED]
    if positions and rng.random() < 0.7:
        i = rng.choice(positions)
        return word[:i] + rng.choice(PERSIAN_CONFUSED[word[i]]) + word[i + 1 :]
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1 :]


@cache
def _real_words() -> frozenset[str]:
    """Every spelling in variants.yaml: a typo must not produce another real name."""
    v = load()
    words = set(v.given) | set(v.surnames)
    for table in (v.given, v.surnames):
        for spellings in table.values():
            words.update(s.lower() for s in spellings)
    return frozenset(words)


def write_persian(rng: random.Random, given: str, surname: str) -> tuple[str, bool]:
    words = [given, surname]
    typo = False
    if rng.random() < 0.12:
        k = rng.randrange(2)
        changed = _persian_typo(rng, words[k])
        if changed not in _real_words():
            typo = changed != words[k]
            words[k] = changed
    if rng.random() < 0.2:
        words.reverse()  # family name first, as many Persian lists write it
    text = " ".join(words)
    if ZWNJ in text:
        text = rng.choice((text, text.replace(ZWNJ, ""), text.replace(ZWNJ, " ")))
    if rng.random() < 0.4:
        text = text.replace("ی", "ي").replace("ک", "ك")
    if rng.random() < 0.08:
        text = rng.choice(("سید ", "حاج ", "شهید ")) + text
    return text, typo


def write_latin(rng: random.Random, given: list[str], surname: list[str]) -> tuple[str, bool]:
    def pick(options: list[str]) -> str:
        return options[0] if rng.random() < 0.35 else rng.choice(options)

    words = [pick(given), pick(surname)]
    typo = False
    if rng.random() < 0.25:
        k = rng.randrange(2)
        changed = _latin_typo(rng, words[k])
        if changed.lower() not in _real_words():
            typo = changed != words[k]
            words[k] = changed
    text = f"{words[1]}, {words[0]}" if rng.random() < 0.15 else f"{words[0]} {words[1]}"
    if rng.random() < 0.08:
        text = rng.choice(("Seyyed ", "Haj ", "Sayed ", "Hajj ")) + text
    if rng.random() < 0.1:
        text = text.upper()
    return text, typo


def _known(given: str, surname: str) -> bool:
    from dadkhah.names.lexicon import fa_key, lexicon

    lex = lexicon()
    return all(lex.lookup_fa(fa_key(w)) for w in (given, surname))


def generate(groups: int = 600, seed: int = 0) -> list[Pair]:
    """The labelled pairs (deterministic for a seed)."""
    rng = random.Random(seed)
    v = load()
    given_names, surnames = sorted(v.given), sorted(v.surnames)
    conf_given: dict[str, list[str]] = {}
    for x, y in v.confusable_given:
        conf_given.setdefault(x, []).append(y)
        conf_given.setdefault(y, []).append(x)
    conf_surnames: dict[str, list[str]] = {}
    for x, y in v.confusable_surnames:
        conf_surnames.setdefault(x, []).append(y)
        conf_surnames.setdefault(y, []).append(x)

    def writings(g: str, s: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
        fa = [write_persian(rng, g, s) for _ in range(2)]
        la = [write_latin(rng, v.given[g], v.surnames[s]) for _ in range(3)]
        return fa, la

    pairs: list[Pair] = []
    for _ in range(groups):
        split = "calibration" if rng.random() < 0.5 else "test"
        # a third of the names use a confusable given name or surname, so hard negatives exist
        g = rng.choice(sorted(conf_given)) if rng.random() < 0.35 else rng.choice(given_names)
        s = rng.choice(sorted(conf_surnames)) if rng.random() < 0.5 else rng.choice(surnames)
        known = _known(g, s)
        fa, la = writings(g, s)
        for x, tx in fa:
            for y, ty in la:
                pairs.append(Pair(x, y, True, True, tx or ty, known, "variant", split))
        for i in range(len(la)):
            for j in range(i + 1, len(la)):
                (x, tx), (y, ty) = la[i], la[j]
                pairs.append(Pair(x, y, True, False, tx or ty, known, "variant", split))
        (x, tx), (y, ty) = fa
        pairs.append(Pair(x, y, True, False, tx or ty, known, "variant", split))

        others: list[tuple[str, str, str]] = []
        for s2 in conf_surnames.get(s, []):
            others.append((g, s2, "hard"))
        for g2 in conf_given.get(g, []):
            others.append((g2, s, "hard"))
        others.append((g, rng.choice([x for x in surnames if x != s]), "shared"))
        others.append((rng.choice([x for x in given_names if x != g]), s, "shared"))
        for g2, s2, kind in others:
            known2 = known and _known(g2, s2)
            fa2, la2 = writings(g2, s2)
            (x, tx), (y, ty) = rng.choice(fa), rng.choice(la2)
            pairs.append(Pair(x, y, False, True, tx or ty, known2, kind, split))
            (x, tx), (y, ty) = rng.choice(fa2), rng.choice(la)
            pairs.append(Pair(x, y, False, True, tx or ty, known2, kind, split))
            (x, tx), (y, ty) = rng.choice(la), rng.choice(la2)
            pairs.append(Pair(x, y, False, False, tx or ty, known2, kind, split))
    return pairs


def lexicon_names(rng: random.Random, records: int) -> list[str]:
    """Rows of an invented victim list (names only), drawn from the lexicon: the common names
    more often (Zipf weights in the order of the data files, which list common names first),
    written as lists write them (``write_persian``, ``write_latin``)."""
    from dadkhah.names.lexicon import lexicon

    lex = lexicon()
    given = [k for k in lex.latin if k in lex.given]
    surnames = [k for k in lex.latin if k in lex.surnames and k not in lex.given]
    given_weights = [1 / (rank + 5) for rank in range(len(given))]
    surname_weights = [1 / (rank + 20) for rank in range(len(surnames))]
    rows = []
    for _ in range(records):
        g = rng.choices(given, given_weights)[0]
        s = rng.choices(surnames, surname_weights)[0]
        if rng.random() < 0.5:
            text, _typo = write_persian(rng, lex.display.get(g, g), lex.display.get(s, s))
        else:
            text, _typo = write_latin(rng, lex.latin[g], lex.latin_of(s))
        rows.append(text)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=600)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    pairs = generate(args.groups, seed)
    print(f"seed {seed}: {len(pairs)} pairs")
    for same in (True, False):
        sub = [p for p in pairs if p.same == same]
        print(
            f"  {'positive' if same else 'negative'}: {len(sub)} "
            f"(cross-script {sum(p.cross for p in sub)}, typo {sum(p.typo for p in sub)}, "
            f"unknown to the lexicon {sum(not p.known for p in sub)})"
        )
    for p in random.Random(seed).sample(pairs, 12):
        print(f"  {'same' if p.same else 'diff'} {p.kind:8} {p.a!r:40} {p.b!r}")


if __name__ == "__main__":
    main()
