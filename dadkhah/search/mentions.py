"""Mentions of known names in documents, and name-like spans nobody has recorded yet.

``NameIndex.build(entries)`` takes ``(record_kind, record_uid, name)`` triples (every name of
every person, body and place, in any script) and builds one Aho-Corasick automaton over their
normalized spellings and variants:

- the name as ``dadkhah.names.normalize`` writes it;
- its ``transliterate`` candidates in the other script (the best three);
- compound variants: bound parts (pour-, mir-, -zadeh, -nejad…) and two given names written
  apart or joined ("Pour Mohammadi", "Pourmohammadi"; "محمد رضا", "محمدرضا"); a hyphen in
  text separates words, so "Pour-Mohammadi" matches the variant written apart;
- for a person, the last word alone (the surname), which counts only when the full name was
  found in the same text or when a title stands before it ("Ayatollah Khomeini").

``NameIndex.scan(text)`` normalizes the text the same way, keeping a map of offsets back to the
original text (normalization removes apostrophes, diacritics and extra spaces, and may expand a
ligature), matches whole words only, confirms each match with ``names.similarity`` between the
words found and the record's name (dropping scores below ``names.THRESHOLD``), and resolves
overlaps: the longest span wins, then the best score; records tied on the same span are all kept.

``candidates(text, known)`` lists name-like spans that are not known: runs of two to four
capitalised Latin words with at least one word the names lexicon knows, and Persian runs of a
given name the lexicon knows followed by a surname-like word.

Pure Python: no Django import.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from pathlib import Path
from typing import Any

import ahocorasick  # type: ignore[import-not-found]

from dadkhah.names import THRESHOLD, normalize, similarity, transliterate
from dadkhah.names.lexicon import lexicon
from dadkhah.names.normalization import PERSIAN_RANGE, is_persian_char

__all__ = ["Found", "NameIndex", "TextMap", "candidates", "VERSION"]

#: Version of the scanning rules; record it with mentions that were found automatically.
VERSION = "mentions-1"

KINDS = ("person", "body", "place")

_REMOVE = "\x00"  # placeholder: the character disappears (apostrophe, diacritic, tatweel)
_EXPAND = "\x01"  # placeholder: the character becomes several (ligatures, æ, þ)
_TRANSLITERATIONS = 3
_MAX_COMPOUND_WORDS = 5  # names with more words are looked for only as written
_MIN_SURNAME = 4  # a surname shorter than this is never matched alone
_SURNAME_FACTOR = 0.85  # score of a surname alone, relative to the full name's
_TITLE_FACTOR = 0.7  # score of a surname after a title, relative to the full name's
_SCORE_CACHE = 1 << 16


@dataclass(frozen=True, slots=True)
class Found:
    """A span of the original text: ``text[start:end] == quote``.

    For known names, ``record_kind`` and ``record_uid`` say whose name it is and ``score`` is
    the similarity of the span to that name; for candidates, ``kind`` is "candidate", the
    record fields are empty and ``score`` says how name-like the span is.
    """

    start: int
    end: int
    quote: str
    record_kind: str = ""
    record_uid: str = ""
    score: float = 1.0
    kind: str = ""

    def overlaps(self, other: Found) -> bool:
        return self.start < other.end and other.start < self.end


# ----------------------------------------------------------------------- text and offsets
class _CharTable(dict[int, str]):
    """Code point → its normalized form in running text (filled on first sight).

    Letters and digits become what ``names.normalize`` makes of them; characters that
    ``normalize`` drops inside a word (apostrophes, diacritics, tatweel, the zero-width
    non-joiner) become ``_REMOVE``; everything else (spaces, punctuation, hyphens) becomes a
    space.
    """

    def __missing__(self, code: int) -> str:
        char = chr(code)
        out = _classify(char)
        self[code] = out
        return out


def _classify(char: str) -> str:
    alone = normalize(char)
    if alone and " " not in alone:
        return alone if len(alone) == 1 else _EXPAND
    for edge in ("x", "ب"):
        probe = normalize(edge + char + edge)
        if probe == edge + edge:
            return _REMOVE
    return " "


_TABLE = _CharTable()
_EXPANSIONS: dict[str, str] = {}


def _expansion(char: str) -> list[str]:
    """The characters one expanding character becomes, each classified again."""
    found = _EXPANSIONS.get(char)
    if found is None:
        found = _EXPANSIONS[char] = normalize(char)
    return [c if _classify(c) not in (_REMOVE, _EXPAND) else _REMOVE for c in found]


_POSSESSIVE = re.compile(f"(?<=[a-z]){_REMOVE}s(?![a-z0-9])")  # Raisi's → "raisi  "
_SPACE_RUN = re.compile(" {2,}")


_MAX_REPLACED = 48


def _translated(original: str) -> str:
    """``original.translate(_TABLE)``, faster for ordinary text.

    ``str.translate`` looks every character up; a page uses few distinct characters and most
    stay as they are, so the ones that change are replaced one by one (each a fast scan)
    unless there are many, or one's replacement is another one that changes.
    """
    changes = [(c, t) for c in set(original) if (t := _TABLE[ord(c)]) != c]
    if len(changes) > _MAX_REPLACED or {t for _, t in changes} & {c for c, _ in changes}:
        return original.translate(_TABLE)
    for char, to in changes:
        original = original.replace(char, to)
    return original


class TextMap:
    """Normalized text (``text``) with a map of its offsets back to the original.

    ``text`` has words as ``names.normalize`` writes them and one space between words (a
    hyphen is a space); ``span(start, end)`` gives the original offsets of a span of it.
    """

    __slots__ = ("original", "text", "_removed", "_collapsed", "_origin")

    def __init__(self, original: str, *, slow: bool = False) -> None:
        self.original = original
        self._removed: list[int] = []
        self._collapsed: list[int] = []
        self._origin: list[int] | None = None
        first = _translated(original)
        if slow or _EXPAND in first:
            self._general(first)
            return
        if _REMOVE in first:
            first = _POSSESSIVE.sub("  ", first)
            self._removed = _deletions(m.start() for m in re.finditer(_REMOVE, first))
            first = first.replace(_REMOVE, "")
        if "  " in first:
            gaps = (i for m in _SPACE_RUN.finditer(first) for i in range(m.start() + 1, m.end()))
            self._collapsed = _deletions(gaps)
            first = _SPACE_RUN.sub(" ", first)
        self.text = first

    def _general(self, first: str) -> None:
        """Character by character, for text with expanding characters (or on request)."""
        chars: list[str] = []
        origin: list[int] = []
        for i, char in enumerate(first):
            parts = _expansion(self.original[i]) if char == _EXPAND else [char]
            for part in parts:
                chars.append(part)
                origin.append(i)
        joined = _POSSESSIVE.sub("  ", "".join(chars))
        text: list[str] = []
        kept: list[int] = []
        for char, where in zip(joined, origin, strict=True):
            if char == _REMOVE or (char == " " and text and text[-1] == " "):
                continue
            text.append(char)
            kept.append(where)
        self.text = "".join(text)
        self._origin = kept

    def position(self, index: int) -> int:
        """Original offset of the character at ``index`` of ``text``."""
        if self._origin is not None:
            return self._origin[index]
        index += bisect_right(self._collapsed, index)
        return index + bisect_right(self._removed, index)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of ``text[start:end]`` (``end`` exclusive, ``start < end``)."""
        return self.position(start), self.position(end - 1) + 1


def _deletions(positions: Iterable[int]) -> list[int]:
    """For deleted positions d0 < d1 < …, the offsets di - i where each would have been."""
    return [d - i for i, d in enumerate(positions)]


# ------------------------------------------------------------------------------ variants
# Bound parts that a compound may write joined, hyphenated or apart (Pour-Mohammadi,
# Pour Mohammadi, Pourmohammadi; پورمحمدی with a non-joiner, پور محمدی); hyphens in text are spaces, so a
# variant with the parts apart matches the hyphenated form too.
_PREFIXES = ("pour", "pur", "poor", "mir", "abdol", "abdul", "abol", "پور", "میر", "عبد")
_SUFFIXES = (
    *("zadeh", "zade", "nejad", "nezhad", "ollah", "allah", "olah", "eddin", "oddin", "aldin"),
    *("زاده", "نژاد", "الله", "الدین"),
)
_MIN_PIECE = 3


def _known_word(word: str) -> bool:
    lex = lexicon()
    return word in lex.latin if is_persian_char(word) else word in lex.by_spelling


def _given_word(word: str) -> bool:
    lex = lexicon()
    if is_persian_char(word):
        return word in lex.given
    return any(k in lex.given for k in lex.by_spelling.get(word, ()))


def _splits(word: str) -> list[tuple[str, str]]:
    """Ways to write ``word`` as two pieces: a bound prefix or suffix, or two given names."""
    out: list[tuple[str, str]] = []
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= _MIN_PIECE:
            out.append((prefix, word[len(prefix) :]))
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_PIECE:
            out.append((word[: -len(suffix)], suffix))
    for i in range(_MIN_PIECE, len(word) - _MIN_PIECE + 1):
        if _given_word(word[:i]) and _given_word(word[i:]):
            out.append((word[:i], word[i:]))
    return out


def _compounds(words: Sequence[str]) -> set[str]:
    """Spellings of a name's words with compounds apart or joined.

    Each word may be split into two pieces (``_splits``); two neighbouring words may be
    joined when the joined word is a name the lexicon knows ("Mohammad Reza",
    "Mohammadreza").
    """
    if len(words) > _MAX_COMPOUND_WORDS:
        return {" ".join(words)}
    options: list[list[str]] = []
    for word in words:
        forms = {word}
        forms.update(f"{a} {b}" for a, b in _splits(word))
        options.append(sorted(forms))
    out: set[str] = set()
    for choice in product(*options):
        out.add(" ".join(choice))
    for i in range(len(words) - 1):
        joined = words[i] + words[i + 1]
        if _known_word(joined):
            out.add(" ".join([*words[:i], joined, *words[i + 2 :]]))
    return out


def _spellings(name: str) -> set[str]:
    """The name, and its best transliterations into the other script and back."""
    base = normalize(name)
    if not base:
        return set()
    out = {base}
    if is_persian_char(base):
        latin = transliterate(base, to="latin")[: _TRANSLITERATIONS + 2]
        persian: list[str] = []
    else:
        persian = transliterate(base, to="fa")[:_TRANSLITERATIONS]
        latin = transliterate(persian[0], to="latin")[: _TRANSLITERATIONS + 2] if persian else []
    out.update(normalize(s) for s in (*latin, *persian))
    return {s for s in out if s}


def variants(name: str) -> set[str]:
    """Normalized spellings under which ``name`` is looked for in text (both scripts)."""
    out: set[str] = set()
    for spelling in _spellings(name):
        words = spelling.replace("-", " ").split()
        if words:
            out |= _compounds(words)
    return out


def _surnames(name: str) -> set[str]:
    """The last word of a name of two or more words, in both scripts (with its compounds)."""
    words = normalize(name).replace("-", " ").split()
    if len(words) < 2 or len(words[-1]) < _MIN_SURNAME:
        return set()
    out: set[str] = set()
    for spelling in _spellings(words[-1]):
        if " " not in spelling and len(spelling) >= _MIN_SURNAME:
            out |= _compounds([spelling])
    return out


# ---------------------------------------------------------------------------- the index
@dataclass(frozen=True, slots=True)
class _Target:
    record_kind: str
    record_uid: str
    name: str
    surname: bool  # matched by the last word alone


class NameIndex:
    """An Aho-Corasick automaton over every spelling of every known name."""

    def __init__(self) -> None:
        self._automaton: Any = ahocorasick.Automaton()
        self._keys: dict[str, list[_Target]] = {}
        self._scores: dict[tuple[str, str], float] = {}
        self.names = 0
        self.min_score = THRESHOLD
        self._dirty = False

    @classmethod
    def build(
        cls, entries: Iterable[tuple[str, str, str]], *, min_score: float | None = None
    ) -> NameIndex:
        """Index ``(record_kind, record_uid, name)`` triples; blank names are skipped."""
        index = cls()
        if min_score is not None:
            index.min_score = min_score
        for kind, uid, name in entries:
            index.add(kind, uid, name)
        index.finish()
        return index

    def add(self, record_kind: str, record_uid: str, name: str) -> None:
        if not name or not name.strip():
            return
        self.names += 1
        found = variants(name)
        for key in found:
            self._target(key, _Target(record_kind, record_uid, name, False))
        if record_kind == "person":
            for key in _surnames(name) - found:
                self._target(key, _Target(record_kind, record_uid, name, True))

    def _target(self, key: str, target: _Target) -> None:
        self._dirty = True
        targets = self._keys.setdefault(key, [])
        if target not in targets:
            targets.append(target)

    def finish(self) -> None:
        """Make the automaton (after the last ``add``)."""
        automaton = ahocorasick.Automaton()
        for key, targets in self._keys.items():
            automaton.add_word(f" {key} ", (len(key) + 2, targets))
        if len(automaton):
            automaton.make_automaton()
        self._automaton = automaton
        self._dirty = False

    def __len__(self) -> int:
        """Number of distinct spellings indexed."""
        return len(self._keys)

    def _score(self, quote: str, name: str) -> float:
        key = (quote, name)
        found = self._scores.get(key)
        if found is None:
            if len(self._scores) >= _SCORE_CACHE:
                self._scores.clear()
            found = self._scores[key] = similarity(quote, name)
        return found

    def scan(self, text: str, *, mapped: TextMap | None = None) -> list[Found]:
        """Known names in ``text``, with original offsets, best first within a span."""
        if not text or not self._keys:
            return []
        if self._dirty:
            self.finish()
        tm = mapped if mapped is not None else TextMap(text)
        padded = f" {tm.text} "
        full: list[Found] = []
        surnames: list[tuple[int, int, _Target]] = []
        for last, (length, targets) in self._automaton.iter(padded):
            start = last - length + 1  # index in tm.text of the name's first character
            end = last - 1  # exclusive end in tm.text
            for target in targets:
                if target.surname:
                    surnames.append((start, end, target))
                    continue
                s, e = tm.span(start, end)
                quote = text[s:e]
                score = self._score(quote, target.name)
                if score >= self.min_score:
                    full.append(Found(s, e, quote, target.record_kind, target.record_uid, score))
        if surnames:
            full += self._surname_hits(text, tm, surnames, full)
        return _resolve(full)

    def _surname_hits(
        self, text: str, tm: TextMap, hits: list[tuple[int, int, _Target]], full: list[Found]
    ) -> list[Found]:
        best: dict[tuple[str, str], float] = {}
        for f in full:
            key = (f.record_kind, f.record_uid)
            best[key] = max(best.get(key, 0.0), f.score)
        out: list[Found] = []
        for start, end, target in hits:
            key = (target.record_kind, target.record_uid)
            if key in best:
                score = best[key] * _SURNAME_FACTOR
            elif _titled(tm.text, start):
                score = _TITLE_FACTOR
            else:
                continue
            s, e = tm.span(start, end)
            out.append(Found(s, e, text[s:e], target.record_kind, target.record_uid, score))
        return out


def _titled(text: str, start: int) -> bool:
    """Whether the word before ``start`` in normalized text is a title (Ayatollah, Seyyed…)."""
    end = start - 1 if start and text[start - 1] == " " else start  # words: one space apart
    before = text[text.rfind(" ", 0, end) + 1 : end].replace("-", "")
    if not before:
        return False
    lex = lexicon()
    return before in lex.titles_latin or before in lex.titles_fa or before in lex.title_starts


def _resolve(found: list[Found]) -> list[Found]:
    """Drop spans overlapping a longer (or, at equal length, better) kept span."""
    found.sort(key=lambda f: (-(f.end - f.start), -f.score, f.start, f.record_uid))
    kept: list[Found] = []
    seen: set[tuple[int, int, str, str]] = set()
    for f in found:
        key = (f.start, f.end, f.record_kind, f.record_uid)
        if key in seen:
            continue
        clash = False
        for k in kept:
            if k.overlaps(f) and not (k.start == f.start and k.end == f.end and k.score == f.score):
                clash = True
                break
        if not clash:
            kept.append(f)
            seen.add(key)
    kept.sort(key=lambda f: (f.start, -f.score, f.record_uid))
    return kept


# ---------------------------------------------------------------------------- candidates
# Capitalised words that are not names (function words, offices, institutions, months); a
# run of capitalised words is cut at them. Data, not code: ``data/mentions-common-words.txt``.
_COMMON_FILE = Path(__file__).resolve().parent / "data" / "mentions-common-words.txt"


def _common_words() -> frozenset[str]:
    words: set[str] = set()
    for line in _COMMON_FILE.read_text(encoding="utf-8").splitlines():
        words.update(normalize(w) for w in line.split("#", 1)[0].split())
    return frozenset(words)


_COMMON = _common_words()
_LATIN_WORD = re.compile("[^\\W\\d_](?:[^\\W\\d_]|['’\\-\u200c](?=[^\\W\\d_]))*")
_MAX_RUN = 4


def _is_title(word: str) -> bool:
    lex = lexicon()
    key = normalize(word).replace("-", "")
    return key in lex.titles_latin or key in lex.title_starts


@lru_cache(maxsize=1 << 16)
def _latin_known(word: str) -> bool:
    lex = lexicon()
    key = normalize(word).replace("-", "")
    return bool(key) and bool(lex.lookup_latin(key))


_GIVEN_CACHE: dict[str, bool] = {}
_GIVEN_MAX = 1 << 16


def _persian_given(word: str) -> bool:
    found = _GIVEN_CACHE.get(word)
    if found is None:
        if len(_GIVEN_CACHE) >= _GIVEN_MAX:
            _GIVEN_CACHE.clear()
        found = _GIVEN_CACHE[word] = normalize(word) in lexicon().given
    return found


@lru_cache(maxsize=1 << 16)
def _persian_surname_like(word: str) -> bool:
    key = normalize(word)
    if len(key) < 3 or key in _COMMON:
        return False
    lex = lexicon()
    return key in lex.surnames or bool(lex.lookup_fa(key))


def _upper_class() -> str:
    """A character class of the upper-case letters (``str.isupper``) of the BMP."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x10000):
        char = chr(code)
        if char.isupper() and char.isalpha():
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(f"\\u{lo:04x}-\\u{hi:04x}" if hi > lo else f"\\u{lo:04x}" for lo, hi in ranges)


_LETTER = re.compile("[^\\W\\d_]")
_JOINERS = "'’-\u200c"
_WORD_REST = "(?:[^\\W\\d_]|['’\\-\u200c](?=[^\\W\\d_]))*"
# Two or more capitalised words on one line, separated by spaces only: the only stretches
# where a Latin candidate can be. The pattern starts with a class of letters, so the regex
# engine skips to them fast; words are looked at one by one only there.
_CAPITAL_WORD = f"[{_upper_class()}]{_WORD_REST}"
_CAPITAL_RUN = re.compile(f"{_CAPITAL_WORD}(?:[ \\t]+{_CAPITAL_WORD})+")
_PERSIAN_LETTERS = "".join(
    c
    for lo, hi in re.findall("(.)-(.)", PERSIAN_RANGE)
    for c in map(chr, range(ord(lo), ord(hi) + 1))
    if _LETTER.match(c)
)
_PERSIAN_TOKEN = re.compile(
    f"[{re.escape(_PERSIAN_LETTERS)}]+(?:['’\\-\u200c][{re.escape(_PERSIAN_LETTERS)}]+)*"
)
_GAP = re.compile("[ \t]+")  # words of a run are on one line, separated by spaces only


def _starts_word(text: str, i: int) -> bool:
    """Whether a word of ``_LATIN_WORD`` starts at ``i`` (not inside one)."""
    if i == 0 or not (_LETTER.match(text, i - 1) or text[i - 1] in _JOINERS):
        return True
    return text[i - 1] in _JOINERS and not (i >= 2 and _LETTER.match(text, i - 2))


def _words(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _LATIN_WORD.finditer(text, start, end)]


def candidates(text: str, known: Iterable[Found] = ()) -> list[Found]:
    """Name-like spans of ``text`` that do not overlap ``known`` spans, in text order."""
    if not text:
        return []
    taken = sorted((f.start, f.end) for f in known)
    out: list[Found] = []
    for m in _CAPITAL_RUN.finditer(text):
        words = _words(text, m.start(), m.end())
        if not _starts_word(text, m.start()):
            words = words[1:]  # "xAli Reza": the run starts inside a word
        out += _latin_runs(text, words)
    if is_persian_char(text):
        out += _persian_candidates(text)
    out.sort(key=lambda f: f.start)
    return [f for f in out if not _overlaps_any(f, taken)]


def _words_of(pattern: re.Pattern[str], text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in pattern.finditer(text)]


def _latin_runs(text: str, run: list[tuple[int, int, str]]) -> list[Found]:
    out: list[Found] = []
    group: list[tuple[int, int, str]] = []
    for word in [*run, (0, 0, "")]:
        w = word[2]
        name_like = (
            bool(w)
            and w[0].isupper()
            and not is_persian_char(w)
            and normalize(w) not in _COMMON
            and not (not group and _is_title(w))
            and len(w) > 1
        )
        if name_like:
            group.append(word)
            continue
        if 2 <= len(group) <= _MAX_RUN:
            known = sum(_latin_known(g[2]) for g in group)
            if known:
                start, end = group[0][0], group[-1][1]
                score = round(0.5 + 0.5 * known / len(group), 3)
                out.append(Found(start, end, text[start:end], score=score, kind="candidate"))
        group = []
    return out


def _persian_candidates(text: str) -> list[Found]:
    """Persian candidates: words are looked up all at once (sets), spans only if needed."""
    words = _PERSIAN_TOKEN.findall(text)
    unknown = set(words).difference(_GIVEN_CACHE)
    if unknown:
        if len(_GIVEN_CACHE) + len(unknown) > _GIVEN_MAX:
            _GIVEN_CACHE.clear()
            unknown = set(words)
        given = lexicon().given
        for word in unknown:
            _GIVEN_CACHE[word] = normalize(word) in given
    if not any(map(_GIVEN_CACHE.__getitem__, words)):
        return []
    return _persian_runs(text, _words_of(_PERSIAN_TOKEN, text))


def _persian_runs(text: str, run: list[tuple[int, int, str]]) -> list[Found]:
    """A given name the lexicon knows, then a surname-like word (or two given names, then
    one), each next to the other on one line."""

    def joined(a: int, b: int) -> bool:
        return _GAP.fullmatch(text, run[a][1], run[b][0]) is not None

    out: list[Found] = []
    i = 0
    while i < len(run) - 1:
        if not _persian_given(run[i][2]) or not joined(i, i + 1):
            i += 1
            continue
        j = i + 1
        if (
            j + 1 < len(run)
            and _persian_given(run[j][2])
            and joined(j, j + 1)
            and _persian_surname_like(run[j + 1][2])
        ):
            j += 1  # two given names: محمد رضا …
        if _persian_surname_like(run[j][2]) and not _persian_given(run[j][2]):
            start, end = run[i][0], run[j][1]
            out.append(Found(start, end, text[start:end], score=0.75, kind="candidate"))
            i = j + 1
        else:
            i += 1
    return out


def _overlaps_any(found: Found, taken: list[tuple[int, int]]) -> bool:
    i = bisect_right(taken, (found.end, -1))
    return any(s < found.end and found.start < e for s, e in taken[max(0, i - 64) : i])
