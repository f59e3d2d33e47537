"""The lexicon of Persian names: data files under ``data/``, loaded once.

It supplies what Persian script does not write (the short vowels) for names it knows, and a
common identity for the spellings of one name in both scripts: every entry is keyed by its
normalized Persian spelling, and every Latin spelling it lists (after ``spelling.fold``) points
back to that key.

Surnames come from three files: whole surnames (``surnames.csv``), and roots
(``surname_roots.csv``) composed with affixes (``affixes.csv``: -i, -zadeh, -pour, -nia, -far,
-vand, -lou, -ian, -nejad, pour-, mir-, …). Words that are not listed are still recognised when
they split into a known root or given name and an affix, or into two given names
("Hosseingholi"), so the lexicon is productive.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

from dadkhah.names.normalization import normalize
from dadkhah.names.spelling import fold, light_fold

__all__ = [
    "Lexicon",
    "Affix",
    "lexicon",
    "build_lexicon",
    "fa_key",
    "latin_key",
    "spelling_key",
    "DATA",
]

DATA = Path(__file__).resolve().parent / "data"

# Orthography of the junction between a root and an affix, Persian side.
_FA_LONG_VOWEL_END = ("ا", "و")
_MIN_PART = 2  # shortest root or given name accepted when a word is split


def fa_key(text: str) -> str:
    """Key of a Persian spelling: normalized, without spaces or hyphens."""
    return normalize(text).replace(" ", "").replace("-", "")


def spelling_key(text: str) -> str:
    """Key of a Latin spelling as written: normalized, without spaces or hyphens."""
    return normalize(text).replace(" ", "").replace("-", "")


def latin_key(text: str) -> str:
    """Key of a Latin spelling: normalized and folded, without spaces or hyphens."""
    return fold(spelling_key(text))


_NEAR_EDITS = 1  # a name is "near" a word one typo away (optimal string alignment)


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if line.strip() and not line.startswith("#"))
        for row in csv.DictReader(lines):
            yield {k: (v or "").strip() for k, v in row.items()}


def _spellings(text: str) -> list[str]:
    return [s.strip() for s in text.split("|") if s.strip()]


@dataclass(frozen=True)
class Affix:
    code: str
    prefix: bool
    fa: str
    latin: tuple[str, ...]


@dataclass
class Lexicon:
    """Indexes over the data files; build with ``lexicon()``."""

    version: int
    latin: dict[str, list[str]] = field(default_factory=dict)  # fa key → Latin spellings
    display: dict[str, str] = field(default_factory=dict)  # fa key → Persian as written
    given: set[str] = field(default_factory=set)  # fa keys of given names
    surnames: set[str] = field(default_factory=set)  # fa keys of surnames (listed or composed)
    by_spelling: dict[str, list[str]] = field(default_factory=dict)  # Latin spelling → fa keys
    by_fold: dict[str, list[str]] = field(default_factory=dict)  # folded Latin → fa keys
    given_by_fold: dict[str, list[str]] = field(default_factory=dict)
    roots: dict[str, list[str]] = field(default_factory=dict)  # fa key → Latin, roots and given
    root_by_fold: dict[str, list[str]] = field(default_factory=dict)
    suffixes: list[Affix] = field(default_factory=list)
    prefixes: list[Affix] = field(default_factory=list)
    titles_fa: dict[str, str] = field(default_factory=dict)  # fa key → Persian as written
    titles_latin: dict[str, str] = field(default_factory=dict)  # Latin spelling key → fa key
    title_latin: dict[str, str] = field(default_factory=dict)  # fa key → first Latin spelling
    title_starts: set[str] = field(default_factory=set)  # first words of titles, normalized
    title_prefixes: set[str] = field(default_factory=set)  # beginnings of the titles' keys
    # numbers of the folded Latin spellings (``by_fold``), by their beginnings and endings
    fold_starts: dict[str, frozenset[int]] = field(default_factory=dict)
    fold_ends: dict[str, frozenset[int]] = field(default_factory=dict)

    # ------------------------------------------------------------------------- building
    def add(self, fa: str, spellings: Iterable[str], *, given: bool) -> str:
        key = fa_key(fa)
        if not key:
            return key
        self.display.setdefault(key, fa)
        known = self.latin.setdefault(key, [])
        for spelling in spellings:
            if spelling not in known:
                known.append(spelling)
            exact = spelling_key(spelling)
            targets = self.by_spelling.setdefault(exact, [])
            if key not in targets:
                targets.append(key)
            folded = fold(exact)
            targets = self.by_fold.setdefault(folded, [])
            if key not in targets:
                targets.append(key)
            if given:
                targets = self.given_by_fold.setdefault(folded, [])
                if key not in targets:
                    targets.append(key)
        (self.given if given else self.surnames).add(key)
        return key

    def add_root(self, fa: str, spellings: Iterable[str]) -> None:
        key = fa_key(fa)
        known = self.roots.setdefault(key, [])
        for spelling in spellings:
            if spelling not in known:
                known.append(spelling)
            targets = self.root_by_fold.setdefault(latin_key(spelling), [])
            if key not in targets:
                targets.append(key)

    # --------------------------------------------------------------------------- lookup
    def lookup_fa(self, word: str) -> tuple[str, ...]:
        """Lexicon keys for one normalized Persian word (listed, or split into known parts)."""
        if word in self.latin:
            return (word,)
        return (word,) if _split_fa(self, word) is not None else ()

    def lookup_latin(self, word: str) -> tuple[str, ...]:
        """Lexicon keys for one normalized Latin word (hyphens allowed).

        A spelling the lexicon lists gives exactly the names that list it ("hamed" → حامد);
        otherwise the folded spelling is looked up ("hamedd" → حامد, حمید), then split.
        """
        word = word.replace("-", "")
        found = self.by_spelling.get(word) or self.by_fold.get(fold(word))
        if found:
            return tuple(found)
        split = _split_latin(self, word)
        return (split[0],) if split is not None else ()

    def latin_of(self, key: str) -> list[str]:
        """Latin spellings of a Persian key, most common first (empty when unknown)."""
        if key in self.latin:
            return self.latin[key]
        split = _split_fa(self, key)
        return split[1] if split is not None else []

    def persian_of(self, word: str) -> list[str]:
        """Persian spellings (as written) for a normalized Latin word, best first."""
        return [self.display.get(k, k) for k in self.lookup_latin(word)]

    def near_fa(self, word: str) -> tuple[tuple[str, ...], float]:
        """Keys of the closest Persian spellings in the lexicon, and their similarity."""
        return _near(self, word, persian=True)

    def near_latin(self, word: str) -> tuple[tuple[str, ...], float]:
        """Keys of the names whose Latin spellings are closest (``light_fold``), and the similarity."""
        return _near(self, light_fold(word.replace("-", "")), persian=False)

    def spelling_score(self, word: str) -> float:
        """Log-probability of a Persian spelling under the pairs of letters of the Persian names
        in the lexicon (smoothed); ranks the fallback candidates of ``spelling.persianize``."""
        pairs, letters = _letter_pairs()
        text = f"^{word}$"
        total = 0.0
        for a, b in zip(text, text[1:], strict=False):
            total += math.log((pairs.get(a + b, 0) + 0.1) / (letters.get(a, 0) + 4.0))
        return total

    def forms(self) -> int:
        """Number of distinct surname forms (listed and composed)."""
        return len(self.surnames)


# ---------------------------------------------------------------------------- composition
def _join_fa(root: str, affix: Affix, root_latin: str) -> str:
    if affix.prefix:
        return affix.fa + root
    if affix.code == "i":
        if root.endswith(_FA_LONG_VOWEL_END):
            return root + "یی"
        if root.endswith("ه") and root_latin.lower().endswith(("eh", "e")):
            return root + "ای"
        return root + "ی"
    if affix.code == "ian":
        if root.endswith(_FA_LONG_VOWEL_END):
            return root + "ییان"
        if root.endswith("ی"):
            return root + "ان"
    return root + affix.fa


def _join_latin(root: str, affix: Affix, *, silent_h: bool = True) -> list[str]:
    """Latin spellings of root + affix; ``silent_h`` when a final "eh" writes a vowel (ه)."""
    low = root.lower()
    out: list[str] = []
    for spelling in affix.latin[:2]:
        if affix.prefix:
            out.append(spelling.capitalize() + low)
        elif affix.code == "i":
            if low.endswith("a"):
                out += [root + "ei", root + "i", root + "ee"]
            elif low.endswith("eh") and silent_h:
                out += [root[:-1] + "i", root + "i"]
            elif low.endswith("e"):
                out += [root + "i", root[:-1] + "i"]
            else:
                out.append(root + "i")
        elif affix.code == "ian":
            if low.endswith("a"):
                out += [root + "eian", root + "ian", root + "yan"]
            elif low.endswith("i"):
                out.append(root + "an")
            else:
                out.append(root + spelling)
        else:
            out.append(root + spelling)
    return list(dict.fromkeys(out))


def _compose(lex: Lexicon, root_fa: str, root_latin: list[str], pattern: str) -> None:
    """Add the surname made of a root and the affixes in ``pattern`` ("i", "pour-+i", "i+nejad")."""
    affixes = {a.code: a for a in lex.suffixes + lex.prefixes}
    try:
        parts = [affixes[code] for code in pattern.split("+")]
    except KeyError as error:
        raise ValueError(f"surname_roots.csv: unknown affix {error} in {pattern!r}") from None
    fa = root_fa
    spellings = list(root_latin[:2])
    for affix in sorted(parts, key=lambda a: a.prefix):  # suffixes in order, then the prefix
        silent_h = fa.endswith("ه")
        fa = _join_fa(fa, affix, spellings[0] if spellings else "")
        spellings = [j for s in spellings for j in _join_latin(s, affix, silent_h=silent_h)]
    lex.add(fa, spellings[:6], given=False)


# ------------------------------------------------------------------------------ splitting
def _root_latin(lex: Lexicon, key: str) -> list[str]:
    return lex.roots.get(key) or lex.latin.get(key) or []


def _is_root(lex: Lexicon, key: str, *, surnames: bool = False) -> bool:
    """A root or given name; with ``surnames``, a listed surname too (Hosseini + -nejad)."""
    if len(key) < _MIN_PART:
        return False
    return key in lex.roots or key in lex.given or (surnames and key in lex.surnames)


def _split_fa(lex: Lexicon, word: str) -> tuple[str, list[str]] | None:
    """(key, Latin spellings) when a Persian word splits into known parts."""
    return _split_fa_cached(word) if lex is lexicon() else None


@lru_cache(maxsize=1 << 15)
def _split_fa_cached(word: str) -> tuple[str, list[str]] | None:
    lex = lexicon()
    if len(word) < 2 * _MIN_PART:
        return None
    # prefix + known word: پورمحمدی, میرحسینی
    for affix in lex.prefixes:
        if word.startswith(affix.fa) and len(word) - len(affix.fa) >= _MIN_PART:
            rest = word[len(affix.fa) :]
            rest_latin = lex.latin.get(rest) or (_split_fa(lex, rest) or ("", []))[1]
            if rest_latin:
                return word, [affix.latin[0].capitalize() + s.lower() for s in rest_latin[:2]]
    # known root + suffix: محمودنژاد, رضاییان
    for affix in lex.suffixes:
        ends = [affix.fa]
        if affix.code == "i":
            ends = ["یی", "ای", "ی"]
        elif affix.code == "ian":
            ends = ["ییان", "یان", "ان"]
        for end in ends:
            if not word.endswith(end):
                continue
            root = word[: -len(end)]
            if end == "ان" and not root.endswith("ی"):
                continue
            if end == "ای":
                root += "ه"
            if _is_root(lex, root, surnames=affix.code != "i"):
                latin = _root_latin(lex, root)
                silent = root.endswith("ه")
                joined = [j for s in latin[:2] for j in _join_latin(s, affix, silent_h=silent)]
                return word, joined[:4]
    # two given names: حسینقلی, محمدکریم
    for i in range(_MIN_PART, len(word) - _MIN_PART + 1):
        head, tail = word[:i], word[i:]
        if head in lex.given and tail in lex.given:
            heads, tails = lex.latin[head][:2], lex.latin[tail][:2]
            return word, [h + t.lower() for h, t in itertools.product(heads, tails)]
    return None


_LATIN_I = ("ei", "ie", "yi", "ee", "i")
_LATIN_IAN = ("eian", "ian", "yan", "an")


def _split_latin(lex: Lexicon, word: str) -> tuple[str, list[str]] | None:
    """(Persian key, Latin spellings) when a Latin word splits into known parts."""
    return _split_latin_cached(word) if lex is lexicon() else None


def _latin_root(
    lex: Lexicon, word: str, *, given_only: bool = False, surnames: bool = False
) -> str | None:
    if len(word) < _MIN_PART:
        return None
    folded = fold(word)
    if given_only:
        found = lex.given_by_fold.get(folded)
    else:
        found = lex.root_by_fold.get(folded) or lex.given_by_fold.get(folded)
        if not found and surnames:
            found = [k for k in lex.by_fold.get(folded, []) if k in lex.surnames]
    return found[0] if found else None


@lru_cache(maxsize=1 << 15)
def _split_latin_cached(word: str) -> tuple[str, list[str]] | None:
    lex = lexicon()
    if len(word) < 2 * _MIN_PART:
        return None
    for affix in lex.prefixes:
        for spelling in affix.latin:
            low = spelling.lower()
            if word.startswith(low) and len(word) - len(low) >= 3:
                rest = lex.lookup_latin(word[len(low) :])
                if rest:
                    return affix.fa + rest[0], [word.capitalize()]
    for affix in lex.suffixes:
        ends = _LATIN_I if affix.code == "i" else _LATIN_IAN if affix.code == "ian" else affix.latin
        for end in ends:
            end = end.lower()
            if not word.endswith(end) or len(word) - len(end) < _MIN_PART:
                continue
            stem = word[: -len(end)]
            candidates = [stem]
            if affix.code == "i" and end in ("ei", "ie", "yi", "ee"):
                candidates += [stem + "a", stem + "e", stem + "eh"]
            elif affix.code == "ian" and end == "an":
                candidates = [stem] if stem.endswith("i") else []
            for candidate in candidates:
                root = _latin_root(lex, candidate, surnames=affix.code != "i")
                if root is not None:
                    root_spelling = _root_latin(lex, root)[:1] or [candidate]
                    return _join_fa(root, affix, root_spelling[0]), [word.capitalize()]
    for i in range(3, len(word) - 2):
        head = _latin_root(lex, word[:i], given_only=True)
        tail = _latin_root(lex, word[i:], given_only=True) if head else None
        if head and tail:
            return head + tail, [word.capitalize()]
    return None


@cache
def _letter_pairs() -> tuple[dict[str, int], dict[str, int]]:
    pairs: dict[str, int] = {}
    letters: dict[str, int] = {}
    for key in lexicon().latin:
        text = f"^{key}$"
        for a, b in zip(text, text[1:], strict=False):
            pairs[a + b] = pairs.get(a + b, 0) + 1
            letters[a] = letters.get(a, 0) + 1
    return pairs, letters


# ------------------------------------------------------------------------- nearest names
@cache
def _near_choices(persian: bool) -> dict[int, tuple[list[str], list[list[str]]]]:
    """Spellings to search for near names, by length: (spellings, their keys)."""
    lex = lexicon()
    table: dict[str, list[str]] = {}
    if persian:
        table = {key: [key] for key in lex.latin}
    else:
        for spelling, names in lex.by_spelling.items():
            targets = table.setdefault(light_fold(spelling), [])
            targets.extend(k for k in names if k not in targets)
    by_length: dict[int, tuple[list[str], list[list[str]]]] = {}
    for choice in sorted(table):
        choices, keys = by_length.setdefault(len(choice), ([], []))
        choices.append(choice)
        keys.append(table[choice])
    return by_length


@lru_cache(maxsize=1 << 15)
def _near_cached(query: str, persian: bool) -> tuple[tuple[str, ...], float]:
    """Names whose spelling is at most one typo from ``query`` (the closest), and similarity."""
    if len(query) < 4:  # one typo in a short word can make any other short name
        return (), 0.0
    from rapidfuzz import process  # not at import: blocking alone never needs it
    from rapidfuzz.distance import OSA

    by_length = _near_choices(persian)
    best = _NEAR_EDITS + 1
    names: list[str] = []
    for length in range(len(query) - _NEAR_EDITS, len(query) + _NEAR_EDITS + 1):
        if length not in by_length:
            continue
        choices, keys = by_length[length]
        for _choice, distance, index in process.extract(
            query, choices, scorer=OSA.distance, limit=8, score_cutoff=_NEAR_EDITS
        ):
            if distance < best:
                best, names = distance, []
            if distance == best:
                names.extend(k for k in keys[index] if k not in names)
    if not names:
        return (), 0.0
    return tuple(names), 1.0 - best / len(query)


def _near(lex: Lexicon, query: str, *, persian: bool) -> tuple[tuple[str, ...], float]:
    if not query or lex is not lexicon():
        return (), 0.0
    return _near_cached(query, persian)


# ---------------------------------------------------------------------------------- load
@cache
def lexicon() -> Lexicon:
    """The lexicon, loaded on first use: from the compiled file when it is current, else built
    from the data files (see ``compiled``)."""
    from dadkhah.names.compiled import compiled  # it builds on this module

    return compiled().lexicon


def build_lexicon(data: Path = DATA) -> Lexicon:
    """Build the lexicon from the data files in ``data`` (``lexicon()`` is the one to use)."""
    import yaml  # not at import: the compiled lexicon file is read without it

    manifest = yaml.safe_load((data / "lexicon.yaml").read_text(encoding="utf-8"))
    files = {name: data / file for name, file in manifest["files"].items()}
    lex = Lexicon(version=int(manifest["version"]))
    for row in _rows(files["affixes"]):
        affix = Affix(
            row["code"],
            row["position"] == "prefix",
            fa_key(row["fa"]),
            tuple(_spellings(row["latin"])),
        )
        (lex.prefixes if affix.prefix else lex.suffixes).append(affix)
    lex.suffixes.sort(key=lambda a: -max(len(a.fa), 2))
    for row in _rows(files["given_names"]):
        key = lex.add(row["fa"], _spellings(row["latin"]), given=True)
        lex.add_root(key, lex.latin[key])
    for row in _rows(files["surnames"]):
        lex.add(row["fa"], _spellings(row["latin"]), given=False)
    for row in _rows(files["surname_roots"]):
        key = fa_key(row["fa"])
        spellings = _spellings(row["latin"]) or lex.latin.get(key, [])
        if not spellings:
            raise ValueError(f"surname_roots.csv: root {row['fa']!r} has no Latin spelling")
        lex.add_root(key, spellings)
        for pattern in row["affixes"].split():
            _compose(lex, key, spellings, pattern)
    for row in _rows(files["titles"]):
        key = fa_key(row["fa"])
        lex.titles_fa[key] = row["fa"]
        spellings = _spellings(row["latin"])
        lex.title_latin[key] = spellings[0] if spellings else row["fa"]
        for spelling in spellings:
            lex.titles_latin[spelling_key(spelling)] = key
        for written in (row["fa"], *spellings):
            words = normalize(written.replace("\u200c", " ")).replace("-", " ").split()
            lex.title_starts.update(words[:1])
        lex.title_starts.add(key)
    for key in (*lex.titles_fa, *lex.titles_latin):
        lex.title_prefixes.update(key[:i] for i in range(1, len(key) + 1))
    starts: dict[str, set[int]] = {}
    ends: dict[str, set[int]] = {}
    for number, folded in enumerate(lex.by_fold):
        for i in range(len(folded) + 1):
            starts.setdefault(folded[:i], set()).add(number)
            ends.setdefault(folded[i:], set()).add(number)
    lex.fold_starts = {text: frozenset(numbers) for text, numbers in starts.items()}
    lex.fold_ends = {text: frozenset(numbers) for text, numbers in ends.items()}
    return lex
