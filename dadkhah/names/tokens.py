"""A name as tokens with the features that comparison and blocking need, computed once.

``parse`` normalizes a name, sets titles aside (Seyyed, Haj, Hojjat-ol-Eslam…), and joins the
pieces of compounds so that a name gets the same tokens however the compound is written:

- the parts of a hyphenated word are one token (Pour-Mohammadi → pourmohammadi);
- bound parts join their neighbour: -zadeh, -ollah, -eddin, -nejad and a separated Persian
  ی/ای join the word before; Abdol-, Abol- and the article (ol, al) the word after; pour joins
  the word after it, or the word before when it ends the name (Ali Pour → alipour) or when
  only that join is a surname the lexicon knows (حسن پور بهروز → حسنپور بهروز);
- two neighbouring words join when the lexicon knows the joined word as a given name or a
  surname (Hossein Ali → hosseinali, Ali Zadeh → alizadeh, محمد رضا → محمدرضا).

Each token carries its Latin comparison forms (``spelling.fold``), its consonant skeleton and
its lexicon keys; tokens and parsed names are cached, since names repeat in lists.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from dadkhah.names.lexicon import lexicon, spelling_key
from dadkhah.names.normalization import normalize
from dadkhah.names.spelling import fold, is_persian, light_fold, romanize, skeleton, squeeze

__all__ = ["Token", "ParsedName", "parse", "token"]

_BACKWARD = frozenset(
    {
        *("zadeh", "zade", "zada", "zadegan", "nejad", "nezhad", "nejhad"),
        *("ollah", "allah", "ullah", "olah", "olla", "eddin", "oddin", "addin", "uddin", "aldin"),
        *("زاده", "زادگان", "نژاد", "الله", "اله", "الدین", "ی", "ای"),
    }
)
_FORWARD = frozenset(
    {"abdol", "abdul", "abdal", "abd", "abol", "abul", "abu", "عبد", "عبدال", "ابو", "ابوال"}
)
_ARTICLE = frozenset({"ol", "al", "ul", "el", "ال"})
_POUR = frozenset({"pour", "pur", "poor", "پور"})
_BOUND = _BACKWARD | _FORWARD | _ARTICLE | _POUR
_SEYYED_GLUED = ("سید", "seyyed", "seyed")
_SEYYED_SEARCH = re.compile("|".join(_SEYYED_GLUED)).search
_MAX_TITLE_PARTS = 5

_serial = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a name, with what comparison and blocking need to know about it."""

    text: str  # normalized, hyphens removed
    persian: bool  # written in Persian (Arabic) script
    latin: str  # a Latin spelling: the word itself, the lexicon's first, or a romanization
    light: str  # ``spelling.light_fold`` of ``latin``: keeps a, e, i, o apart
    folds: tuple[str, ...]  # Latin comparison forms (spelling.fold), best first
    skeleton: str  # consonant skeleton, the same in both scripts
    keys: frozenset[str]  # lexicon keys (Persian spellings) of this spelling; empty when unknown
    serial: int  # identity for the caches
    # blocking-key parts (see keys.py): "d:" + the skeleton or a form of it with one consonant
    # deleted + "|", for forms of two consonants or more, and for shorter forms
    deletions: tuple[str, ...]
    short_deletions: tuple[str, ...]
    marker: str  # first two consonants in a coarse class
    keyed: dict[
        str, tuple[str, ...]
    ]  # ``deletions`` followed by a mark, by mark (filled by keys.py)


class ParsedName(NamedTuple):
    normalized: str
    tokens: tuple[Token, ...]
    titles: tuple[str, ...]  # lexicon keys of the titles set aside
    serials: tuple[int, ...]  # the tokens' serials: equal tuples, equal tokens
    shifted: tuple[int, ...]  # the serials << 32 (half of a key of compare's pair cache)


# The consonants that mark a token in another token's blocking key (its first two) are taken in
# a coarser class, so that letters Persian writes with one shape and different dots (ب پ ت,
# ر ز ژ) still agree; an initial h (ح ه, often dropped) is skipped.
_MARKER = str.maketrans("ptzj", "bbrr")


def _marker(skeleton: str) -> str:
    rest = skeleton.lstrip("h") or skeleton
    return rest[:2].translate(_MARKER)


@lru_cache(maxsize=1 << 17)
def token(text: str) -> Token:
    """Features of one normalized word (cached)."""
    lex = lexicon()
    persian = is_persian(text)
    if persian:
        keys = frozenset(lex.lookup_fa(text))
        spellings = [s.lower() for k in sorted(keys) for s in lex.latin_of(k)[:3]]
        if not spellings:
            spellings = romanize(text)
        latin = spelling_key(spellings[0]) if spellings else text
        folds = tuple(dict.fromkeys(fold(spelling_key(s)) for s in spellings))[:3] or (text,)
    else:
        word = text.replace("-", "")
        # only a spelling the lexicon lists identifies a name for sure; others are identified
        # softly, when needed (``ident``): a typo can fold onto another name (Raheeim → Rahim)
        keys = frozenset(lex.by_spelling.get(word, ()))
        latin = text
        folds = (fold(word),)
        if "ch" in word:  # French spellings write ش as ch (Chirine, Hachemi)
            folds += (fold(word.replace("ch", "sh")),)
    skel = skeleton(text)
    forms = {skel, *(squeeze(skel[:i] + skel[i + 1 :]) for i in range(len(skel)))} - {""}
    if len(skel) < 2:
        forms = {skel}
    return Token(
        text,
        persian,
        latin,
        light_fold(latin.replace("-", "")),
        folds,
        skel,
        keys,
        next(_serial),
        tuple(sorted(f"d:{f}|" for f in forms if len(f) > 1)),
        tuple(sorted(f"d:{f}|" for f in forms if len(f) <= 1)),
        _marker(skel),
        {},
    )


_IDENT: dict[int, frozenset[str]] = {}
_IDENT_MAX = 1 << 18


def ident(tok: Token) -> frozenset[str]:
    """The names a token most likely is: its lexicon keys; for a spelling the lexicon does not
    list, the names its folded form matches, narrowed to (or else) the names one typo away."""
    found = _IDENT.get(tok.serial)
    if found is None:
        lex = lexicon()
        if tok.keys:
            found = tok.keys
        elif tok.persian:
            found = frozenset(lex.near_fa(tok.text)[0])
        else:
            word = tok.text.replace("-", "")
            probable = frozenset(lex.lookup_latin(word))
            near = frozenset(lex.near_latin(word)[0])
            found = (probable & near) or probable or near
        if len(_IDENT) >= _IDENT_MAX:
            _IDENT.clear()
        _IDENT[tok.serial] = found
    return found


def _title_key(text: str) -> str | None:
    """The lexicon key of a title written as ``text`` (pieces joined), or None."""
    lex = lexicon()
    if text in lex.titles_fa:
        return text
    return lex.titles_latin.get(text)


@lru_cache(maxsize=1 << 16)
def _known_compound(text: str) -> bool:
    lex = lexicon()
    if is_persian(text):
        return text in lex.given or text in lex.surnames
    return bool(lex.by_spelling.get(text) or lex.by_fold.get(fold(text)))


def _split_titles(pieces: list[tuple[str, int]]) -> tuple[list[tuple[str, int]], list[str]]:
    """Remove titles (runs of up to five pieces); keep them if nothing else would remain."""
    kept: list[tuple[str, int]] = []
    titles: list[str] = []
    i = 0
    while i < len(pieces):
        for length in range(min(_MAX_TITLE_PARTS, len(pieces) - i), 0, -1):
            key = _title_key("".join(p for p, _ in pieces[i : i + length]))
            if key is not None:
                titles.append(key)
                i += length
                break
        else:
            text, word = pieces[i]
            glued = _glued_seyyed(text)
            if glued is not None:
                titles.append("سید")
                text = glued
            kept.append((text, word))
            i += 1
    if not kept:
        return pieces, []
    return kept, titles


def _glued_seyyed(text: str) -> str | None:
    """The given name after a glued Seyyed ("سیدعلی", "seyedali"), when the lexicon knows it."""
    lex = lexicon()
    for prefix in _SEYYED_GLUED:
        if text.startswith(prefix) and len(text) > len(prefix) + 1:
            rest = text[len(prefix) :]
            if rest in lex.given or lex.given_by_fold.get(fold(rest)):
                return rest
    return None


def _merge(words: list[str]) -> list[str]:
    """Join bound parts and known compounds (see the module docstring)."""
    if len(words) == 2 and _BOUND.isdisjoint(words):  # the common case
        joined = words[0] + words[1]
        return [joined] if _known_compound(joined) else words
    out: list[str] = []
    i = 0
    n = len(words)
    while i < n:
        word = words[i]
        last = i == n - 1
        if word in _POUR and out and not last:
            # pour ends the word before (Hassan Pour → Hassanpour) or starts the word after
            # (Pour Mohammadi → Pourmohammadi): the lexicon decides, else the word after
            backward = _known_compound(out[-1] + word) and not _known_compound(word + words[i + 1])
            if backward:
                out[-1] += word
            else:
                words[i + 1] = word + words[i + 1]
        elif out and (word in _BACKWARD or (word in _POUR and last)):
            out[-1] += word
        elif not last and (word in _FORWARD or word in _POUR):
            words[i + 1] = word + words[i + 1]
        elif out and not last and word in _ARTICLE:
            words[i + 1] = out.pop() + word + words[i + 1]
        else:
            out.append(word)
        i += 1
    merged: list[str] = []
    for word in out:
        if merged and _known_compound(merged[-1] + word):
            merged[-1] += word
        else:
            merged.append(word)
    return merged


@lru_cache(maxsize=1 << 17)
def _parse_normalized(normalized: str) -> ParsedName:
    words = normalized.split()
    titles: list[str] = []
    starts = lexicon().title_starts
    if "-" in normalized or not starts.isdisjoint(words) or _SEYYED_SEARCH(normalized):
        pieces = [(part, i) for i, word in enumerate(words) for part in word.split("-") if part]
        kept, titles = _split_titles(pieces)
        words = [
            "".join(part for part, _ in group)
            for _index, group in itertools.groupby(kept, key=lambda piece: piece[1])
        ]
    tokens = tuple(map(token, _merge(words) if len(words) > 1 else words))
    serials = tuple([t.serial for t in tokens])
    return ParsedName(normalized, tokens, tuple(titles), serials, tuple([s << 32 for s in serials]))


@lru_cache(maxsize=1 << 17)
def parse(name: str) -> ParsedName:
    """Normalize ``name`` and return its tokens (cached)."""
    return _parse_normalized(normalize(name))
