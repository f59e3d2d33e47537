"""Text for the search index: words with their offsets, normalized, and cross-script keys.

Pure Python (no Django). A *word* is cut from the original text with its character span;
``dadkhah.names.normalize`` gives its normalized parts (Arabic letter forms, ZWNJ,
diacritics, Persian and Arabic digits, Latin case and accents: the same rules as names), a
hyphenated word gives its parts ("Pour-Mohammadi" → pour, mohammadi). A *name-like* word
(capitalised in Latin script, or a Persian word of three letters or more that is not a
common word) also gets a key: the consonant skeleton of ``names.tokens``, which is the same
for "Raisi", "Ra'isi" and "رئیسی". Offsets always point into the original text, so that
snippets highlight the text exactly as it was written.

Stemming is light and done on the query side (``stem``): a few English and Persian
suffixes are stripped and the stem is matched as a prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from dadkhah.names import normalize
from dadkhah.names.normalization import is_persian_char
from dadkhah.names.tokens import token

__all__ = [
    "WORD_RE",
    "Word",
    "Analysis",
    "analyzed_word",
    "words",
    "analyze",
    "normalize_words",
    "key_of",
    "stem",
]

_MARKS = "\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u200c\u200d"
_JOINERS = "'’ʼʻ`\\-\u2010\u2011\u2013"
WORD_RE = re.compile(rf"[\w{_MARKS}]+(?:[{_JOINERS}][\w{_MARKS}]+)*")  # "_" splits later

MIN_KEY = 2  # a skeleton of one consonant says too little to be a key

# Common words that are capitalised at the start of a sentence, and common Persian words:
# they are not names, and get no key.
_STOP_EN = """a an and are as at be but by for from had has have he her his in into is it its of on
    or our she that the their there these they this those to was we were which while who
    with after before during when where what under over between since also not no all any
    some such than then about against among more most other only upon per via"""
_STOP_FA = """از به با در که این آن را و یا برای تا بر هم نیز است بود شد شده خود ما او آنها یک
    هر پس اما اگر چه کرد کند شود باید دیگر همه بین سال پیش می های ها ایشان آنان وی نه
    چون زیرا همین همان کنند کردند بودند شدند"""
STOP = frozenset(_STOP_EN.split()) | frozenset(_STOP_FA.split())
_POUR = frozenset({"pour", "pur", "poor", "پور"})
_BACK = frozenset({"zadeh", "zade", "nejad", "nezhad", "زاده", "نژاد"})


@dataclass(frozen=True, slots=True)
class Word:
    start: int
    end: int
    parts: tuple[str, ...]  # normalized
    key: str  # cross-script key, "" when not name-like


@lru_cache(maxsize=200_000)
def _skeleton(joined: str) -> str:
    skel = token(joined).skeleton
    return skel if len(skel) >= MIN_KEY else ""


def key_of(parts: tuple[str, ...]) -> str:
    """The cross-script key of a word made of ``parts`` ("" when too short to say much)."""
    joined = "".join(parts)
    if not joined or joined in STOP or joined.isdigit():
        return ""
    return _skeleton(joined)


@lru_cache(maxsize=400_000)
def _word(raw: str) -> tuple[tuple[str, ...], str]:
    norm = normalize(raw)
    parts = tuple(norm.replace("-", " ").split())
    if not parts:
        return parts, ""
    persian = is_persian_char(raw)
    if persian:
        name_like = len("".join(parts)) >= 3
    else:
        name_like = raw[:1].isupper() and len("".join(parts)) >= 3
    return parts, key_of(parts) if name_like else ""


def words(text: str) -> list[Word]:
    """Every word of ``text`` with its span, normalized parts and key."""
    out: list[Word] = []
    for match in WORD_RE.finditer(text):
        parts, key = _word(match.group())
        if parts:
            out.append(Word(match.start(), match.end(), parts, key))
    return out


def normalize_words(text: str) -> list[str]:
    """The normalized parts of every word of ``text``, in order."""
    return [part for word in words(text) for part in word.parts]


@dataclass(frozen=True, slots=True)
class Analysis:
    normalized: str
    keys: str


_ANALYZED: dict[str, tuple[str, str, str, str]] = {}


def analyzed_word(raw: str) -> tuple[str, str, str, str]:
    """(normalized parts joined by spaces, key, first part, last part) of one written word."""
    found = _ANALYZED.get(raw)
    if found is None:
        parts, key = _word(raw)
        found = (" ".join(parts), key, parts[0], parts[-1]) if parts else ("", "", "", "")
        if len(_ANALYZED) > 500_000:
            _ANALYZED.clear()
        _ANALYZED[raw] = found
    return found


def analyze(text: str) -> Analysis:
    """The normalized text and the keys text of ``text`` (what the index stores)."""
    normalized: list[str] = []
    keys: list[str] = []
    extra: list[str] = []
    last = ("", "", "", "")
    for raw in WORD_RE.findall(text):
        current = analyzed_word(raw)
        if not current[0]:
            continue
        normalized.append(current[0])
        if current[1]:
            keys.append(current[1])
        if last[3] in _POUR or current[2] in _BACK:  # a compound written as two words
            key = key_of(tuple(last[0].split()) + tuple(current[0].split()))
            if key:
                extra.append(key)
        last = current
    keys.extend(extra)
    return Analysis(" ".join(normalized), " ".join(keys))


_EN_SUFFIXES = (
    "ations", "ation", "ments", "ment", "ings", "ing", "ions", "ion", "ies", "ied",
    "ers", "er", "ed", "es", "ly", "s",
)  # fmt: skip
_FA_SUFFIXES = ("هایی", "های", "ها", "ان", "ات", "ین", "ی")


def stem(word: str) -> str | None:
    """The prefix to match for a normalized query word, or None (too short to widen).

    English words of four letters or more lose one common suffix (executions → execut);
    Persian words of three or more lose a plural or adjective suffix (زندانیان → زندانی).
    """
    if word.isdigit():
        return None
    if is_persian_char(word):
        if len(word) < 3:
            return None
        for suffix in _FA_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                return word[: -len(suffix)]
        return word
    if len(word) < 4:
        return None
    for suffix in _EN_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word
