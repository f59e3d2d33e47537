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

Names are combinations of a few thousand words, so the work is done once per word:

- each distinct normalized word is one ``Token`` (``token``), numbered by ``serial``
  (``TOKENS[serial]``). What blocking needs (the consonant skeleton, the parts of keys made
  from it) is computed when the token is made; what comparison needs (Latin forms, lexicon
  keys, the names it most likely is) on its first comparison (``prepare``);
- each distinct word *as written* ("MOHAMMAD", "Mohammad", "محمد", "علي") is mapped to its
  token when it is *plain*: normalizing it alone gives one word, the same as inside a name
  (``normalization.plain_word``). A name written in plain words costs a split, dictionary
  look-ups and the check for a known compound (``split``); it skips normalizing the whole
  name, which other names go through (``_general``), with the same result.

The caches are bounded: past ``_TOKENS_MAX`` tokens, ``reset`` forgets every token and every
cache that refers to serials. Callers reset only where they hold no serial; tokens that
outlive a reset (in a ``ParsedName``) still compare correctly, uncached.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from dadkhah.names.compiled import SkeletonParts, WordFeatures, compiled, word_features
from dadkhah.names.lexicon import lexicon, spelling_key
from dadkhah.names.normalization import normalize, plain_word
from dadkhah.names.spelling import (
    fold,
    is_persian,
    light_fold,
    romanize,
)

__all__ = [
    "Token",
    "ParsedName",
    "PairScore",
    "parse",
    "split",
    "token",
    "prepare",
    "TOKENS",
    "reset",
    "full",
    "on_reset",
]

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

#: (score, conflict, soft conflict, identified) of a pair of tokens; see compare.py
PairScore = tuple[float, int, int, int]


class Token:
    """One word of a name (normalized, hyphens removed), with what comparison and blocking need.

    There is one token per distinct word, so tokens compare by identity. The fields from
    ``latin`` on are set by ``prepare`` (``ready`` says whether it ran). ``serial`` is -1 once
    a ``reset`` has forgotten the token.
    """

    __slots__ = (
        # blocking (the fields read for every name come first: they share a cache line)
        "skeleton",
        "marker",
        "persian",
        "starts",
        "ends",
        "serial",
        "text",
        "marked",
        "short_marked",
        # comparison
        "row",
        "ready",
        "latin",
        "light",
        "folds",
        "keys",
        "ident",
    )

    skeleton: str  # consonant skeleton, the same in both scripts
    marker: str  # first two consonants in a coarse class (marks this token in others' keys)
    persian: bool  # written in Persian (Arabic) script
    # Latin words: numbers of the folded lexicon spellings that a word beginning with this one,
    # or ending with it, may fold to (see ``_may_join``); empty for Persian words
    starts: frozenset[int]
    ends: frozenset[int]
    serial: int  # ``TOKENS[serial] is self``
    text: str
    # blocking-key parts (see keys.py): "d:" + the skeleton or a form of it with one consonant
    # deleted + "|", each after a NUL and before a SOH (where the other token's mark goes), for
    # forms of two consonants or more (``marked``) and for shorter forms
    marked: str
    short_marked: str
    row: dict[int, PairScore]  # scores against other tokens, by their serial (compare.py)
    ready: bool
    latin: str  # a Latin spelling: the word itself, the lexicon's first, or a romanization
    light: str  # ``spelling.light_fold`` of ``latin``: keeps a, e, i, o apart
    folds: tuple[str, ...]  # Latin comparison forms (spelling.fold), best first
    keys: frozenset[str]  # lexicon keys (Persian spellings) of this spelling; empty when unknown
    ident: frozenset[str]  # the names it most likely is

    def __init__(self, text: str, serial: int, features: WordFeatures) -> None:
        self.text = text
        self.serial = serial
        (
            self.persian,
            self.skeleton,
            self.starts,
            self.ends,
            self.marked,
            self.short_marked,
            self.marker,
        ) = features
        self.row = {}
        self.ready = False

    def __repr__(self) -> str:
        return f"Token({self.text!r}, serial={self.serial})"


# what blocking needs of each word the lexicon lists (``compiled``), filled on first use
_FEATURES: dict[str, WordFeatures] = {}
# the words of _FEATURES that are plain in any name: neither bound nor in a title (``_plain``)
_PLAIN_KNOWN: set[str] = set()
# ``compiled.skeleton_parts`` by skeleton: the lexicon's, and those of other words seen
_SKELETON_PARTS: dict[str, SkeletonParts] = {}
_PARTS_MAX = 1 << 18

#: Every token made since the last ``reset``; a token's serial is its index.
TOKENS: list[Token] = []
_BY_TEXT: dict[str, Token] = {}
_TOKENS_MAX = 1 << 19
# the lexicon's Persian given names and surnames (filled with the first token, with _FEATURES)
_GIVEN: set[str] = set()
_SURNAMES: set[str] = set()
JOINABLE: set[str] = set()  # both: two Persian words joined that make one token


def _load() -> None:
    """Fill the tables taken from the lexicon (on the first token)."""
    found = compiled()
    _FEATURES.update(found.features)
    titles = found.lexicon.title_starts
    _PLAIN_KNOWN.update(
        word
        for word in found.features
        if word not in _BOUND and word not in titles and _SEYYED_SEARCH(word) is None
    )
    _SKELETON_PARTS.update(found.parts)
    _GIVEN.update(found.lexicon.given)
    _SURNAMES.update(found.lexicon.surnames)
    JOINABLE.update(_GIVEN, _SURNAMES)


def token(text: str) -> Token:
    """The token of one normalized word (made once)."""
    found = _BY_TEXT.get(text)
    if found is None:
        found = _BY_TEXT[text] = Token(text, len(TOKENS), features_of(text))
        TOKENS.append(found)
    return found


def features_of(text: str) -> WordFeatures:
    """What blocking needs of one normalized word: the compiled lexicon's, or computed."""
    features = _FEATURES.get(text)
    if features is None:
        if not _GIVEN:
            _load()
            features = _FEATURES.get(text)
        if features is None:
            features = _computed(text)
    return features


def _computed(text: str) -> WordFeatures:
    """``word_features`` of a word the lexicon does not list, the parts of keys of its skeleton
    cached: at most ``_PARTS_MAX`` skeletons, the lexicon's kept when it is emptied."""
    if len(_SKELETON_PARTS) >= _PARTS_MAX:
        _SKELETON_PARTS.clear()
        _SKELETON_PARTS.update(compiled().parts)
    return word_features(text, lexicon(), _SKELETON_PARTS)


def prepare(tok: Token) -> Token:
    """Fill in what comparison needs (once): Latin forms, lexicon keys and ``ident``."""
    if tok.ready:
        return tok
    lex = lexicon()
    text = tok.text
    if tok.persian:
        keys = frozenset(lex.lookup_fa(text))
        spellings = [s.lower() for k in sorted(keys) for s in lex.latin_of(k)[:3]]
        if not spellings:
            spellings = romanize(text)
        latin = spelling_key(spellings[0]) if spellings else text
        folds = tuple(dict.fromkeys(fold(spelling_key(s)) for s in spellings))[:3] or (text,)
    else:
        word = text.replace("-", "")
        # only a spelling the lexicon lists identifies a name for sure; others are identified
        # softly: a typo can fold onto another name (Raheeim → Rahim)
        keys = frozenset(lex.by_spelling.get(word, ()))
        latin = text
        folds = (fold(word),)
        if "ch" in word:  # French spellings write ش as ch (Chirine, Hachemi)
            folds += (fold(word.replace("ch", "sh")),)
    tok.keys = keys
    tok.latin = latin
    tok.light = light_fold(latin.replace("-", ""))
    tok.folds = folds
    # the names a token most likely is: its lexicon keys; for a spelling the lexicon does not
    # list, the names its folded form matches, narrowed to (or else) the names one typo away
    if keys:
        tok.ident = keys
    elif tok.persian:
        tok.ident = frozenset(lex.near_fa(text)[0])
    else:
        word = text.replace("-", "")
        probable = frozenset(lex.lookup_latin(word))
        near = frozenset(lex.near_latin(word)[0])
        tok.ident = (probable & near) or probable or near
    tok.ready = True
    return tok


def ident(tok: Token) -> frozenset[str]:
    """The names a token most likely is (see ``prepare``)."""
    return prepare(tok).ident


# ------------------------------------------------------------------------- general path
def _title_key(text: str) -> str | None:
    """The lexicon key of a title written as ``text`` (pieces joined), or None."""
    lex = lexicon()
    if text in lex.titles_fa:
        return text
    return lex.titles_latin.get(text)


def _known_compound(text: str) -> bool:
    """Whether the lexicon knows ``text`` (two words joined) as a given name or a surname."""
    lex = lexicon()
    if is_persian(text):
        return text in lex.given or text in lex.surnames
    return bool(lex.by_spelling.get(text) or lex.by_fold.get(fold(text)))


known_compound = _known_compound
title_key = _title_key


def _known_join(left: str, right: str) -> bool:
    """``_known_compound(left + right)``, sooner false for words that have tokens."""
    first = _BY_TEXT.get(left)
    if first is not None and not first.persian:
        second = _BY_TEXT.get(right)
        if second is not None and not second.persian and first.starts.isdisjoint(second.ends):
            return False
    return _known_compound(left + right)


def _split_titles(pieces: list[tuple[str, int]]) -> tuple[list[tuple[str, int]], list[str]]:
    """Remove titles (the longest run of up to five pieces that is a title, at each place);
    keep them if nothing else would remain."""
    prefixes = lexicon().title_prefixes
    kept: list[tuple[str, int]] = []
    titles: list[str] = []
    i = 0
    n = len(pieces)
    while i < n:
        joined = ""
        best: tuple[int, str] | None = None
        for length in range(1, min(_MAX_TITLE_PARTS, n - i) + 1):
            joined += pieces[i + length - 1][0]
            if joined not in prefixes:  # no longer run can be a title either
                break
            key = _title_key(joined)
            if key is not None:
                best = (length, key)
        if best is not None:
            titles.append(best[1])
            i += best[0]
            continue
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


def _join_known(words: list[str]) -> list[str]:
    """Join neighbouring words while the lexicon knows the joined word."""
    merged: list[str] = []
    for word in words:
        if merged and _known_join(merged[-1], word):
            merged[-1] += word
        else:
            merged.append(word)
    return merged


def _merge(words: list[str]) -> list[str]:
    """Join bound parts and known compounds (see the module docstring)."""
    if len(words) == 2 and _BOUND.isdisjoint(words):  # the common case
        return [words[0] + words[1]] if _known_join(words[0], words[1]) else words
    out: list[str] = []
    i = 0
    n = len(words)
    while i < n:
        word = words[i]
        last = i == n - 1
        if word in _POUR and out and not last:
            # pour ends the word before (Hassan Pour → Hassanpour) or starts the word after
            # (Pour Mohammadi → Pourmohammadi): the lexicon decides, else the word after
            backward = _known_join(out[-1], word) and not _known_join(word, words[i + 1])
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
    return _join_known(out)


def _words(normalized: str) -> tuple[list[str], list[str]]:
    """(the words that make tokens, the lexicon keys of the titles set aside)."""
    return _words_of(normalized.split(), "-" in normalized, _SEYYED_SEARCH(normalized) is not None)


def _words_of(words: list[str], hyphen: bool, seyyed: bool) -> tuple[list[str], list[str]]:
    """``_words`` of a normalized name split into ``words``: ``hyphen`` and ``seyyed`` say
    whether the name has a hyphen, and Seyyed in any form."""
    titles: list[str] = []
    if hyphen or seyyed or not lexicon().title_starts.isdisjoint(words):
        pieces = [(part, i) for i, word in enumerate(words) for part in word.split("-") if part]
        kept, titles = _split_titles(pieces)
        if hyphen:  # the pieces of a word join again
            words = []
            last = -1
            for part, index in kept:
                if index == last:
                    words[-1] += part
                else:
                    words.append(part)
                last = index
        else:
            words = [part for part, _ in kept]
    return (_merge(words) if len(words) > 1 else words), titles


class ParsedName(NamedTuple):
    normalized: str
    tokens: tuple[Token, ...]
    titles: tuple[str, ...]  # lexicon keys of the titles set aside
    serials: tuple[int, ...]  # the tokens' serials: equal tuples, equal tokens


def parse(name: str) -> ParsedName:
    """Normalize ``name`` and return its tokens, ready for comparison (not cached: the caches
    are per word here, and per name in ``keys`` and ``compare``)."""
    normalized = normalize(name)
    words, titles = _words(normalized)
    tokens = tuple([prepare(token(word)) for word in words])
    return ParsedName(normalized, tokens, tuple(titles), tuple([t.serial for t in tokens]))


# ---------------------------------------------------------------------------- fast path
_RAW: dict[str, Token] = {}  # a plain word as written → its token
_SPECIAL: dict[str, str] = {}  # a plain word as written → the word, when bound or in a title
_NOT_PLAIN: set[str] = set()  # words as written that need the general path
#: a plain word as written → its normalized text and blocking features (``plain_features``)
PLAIN_WORDS: dict[str, tuple[str, WordFeatures]] = {}
_RAW_MAX = 1 << 20
_WORDS_MAX = 1 << 19  # PLAIN_WORDS: each holds the strings of its features (as a token does)
_COMMAS = (",", "،", "٬")  # what ``normalize`` reads as a comma, typed at the end of a word


def plain_features(word: str) -> tuple[str, WordFeatures] | None:
    """The normalized text and the blocking features of a word as written, when the word is
    plain and is neither a bound part nor in a title (it then needs no rule of ``_words``);
    else None. ``match_keys`` needs no more of a word than this, and makes no token."""
    if word in _NOT_PLAIN or word in _SPECIAL:
        return None
    # ASCII letters only (most Latin words): ``plain_word`` lower-cases them, nothing more
    normalized = word.lower() if word.isascii() and word.isalpha() else plain_word(word)
    if normalized is None:
        if len(_NOT_PLAIN) >= _RAW_MAX:
            _NOT_PLAIN.clear()
        _NOT_PLAIN.add(word)
        return None
    if normalized not in _PLAIN_KNOWN and (
        normalized in _BOUND
        or normalized in lexicon().title_starts
        or _SEYYED_SEARCH(normalized) is not None
    ):
        if len(_SPECIAL) >= _RAW_MAX:
            _SPECIAL.clear()
        _SPECIAL[word] = normalized
        return None
    # (the checks above do not need the lexicon's tables: ``_PLAIN_KNOWN`` only skips them)
    # ``features_of`` with its first look-up inlined: this runs for every new word as written
    features = _FEATURES.get(normalized) or features_of(normalized)
    if len(PLAIN_WORDS) >= _WORDS_MAX:
        PLAIN_WORDS.clear()
    found = PLAIN_WORDS[word] = (normalized, features)
    return found


def plain_token(word: str) -> Token | None:
    """The token of a word as written, when the word is plain and is neither a bound part nor
    in a title (``plain_features``); else None."""
    record = PLAIN_WORDS.get(word) or plain_features(word)
    if record is None:
        return None
    text, features = record
    found = _BY_TEXT.get(text)
    if found is None:
        found = _BY_TEXT[text] = Token(text, len(TOKENS), features)
        TOKENS.append(found)
    if len(_RAW) >= _RAW_MAX:
        _RAW.clear()
    _RAW[word] = found
    return found


_plain = plain_token


def _may_join(first: Token, second: Token) -> bool:
    """False when two Latin words, joined, cannot be a spelling the lexicon knows.

    Folding is local: joining two words changes at most the last two letters of the first
    word's folded form and the first two of the second's (a digraph across the join, "tc|h";
    a final e or h; a doubled letter; "ow"). So the joined word folds to a form that begins
    with the first word's form less two letters, and ends with the second's less two; the
    lexicon must have such a form (``Token.starts``, ``Token.ends``).
    """
    return not first.starts.isdisjoint(second.ends)


def _joined(first: Token, second: Token) -> Token | None:
    """The token of two words joined, when the lexicon knows the joined word; else None."""
    if first.persian or second.persian:
        text = first.text + second.text
        if text in _GIVEN or text in _SURNAMES:
            return token(text)
    elif not first.starts.isdisjoint(second.ends) and _known_compound(first.text + second.text):
        return token(first.text + second.text)
    return None


def split(name: str) -> tuple[Token, ...]:
    """The tokens of ``name`` (``parse(name).tokens``, not prepared), without normalizing the
    whole name when its words are plain."""
    parts = name.split()
    if len(parts) == 2:  # the common case (``_joined``, inlined)
        first = _RAW.get(parts[0])
        if first is None:
            head = parts[0]
            if head[-1] in _COMMAS and len(head) > 1 and parts[1][-1] not in _COMMAS:
                # "Family, Given": the tokens of "Given Family"
                first = _RAW.get(parts[1]) or _plain(parts[1])
                second = _RAW.get(head[:-1]) or _plain(head[:-1])
            else:
                first = _plain(head)
                second = _RAW.get(parts[1]) or _plain(parts[1])
        else:
            second = _RAW.get(parts[1]) or _plain(parts[1])
        if first is not None and second is not None:
            if first.persian or second.persian:
                text = first.text + second.text
                if text in _GIVEN or text in _SURNAMES:
                    return (token(text),)
            elif not first.starts.isdisjoint(second.ends) and _known_compound(
                first.text + second.text
            ):
                return (token(first.text + second.text),)
            return first, second
    return _split(name, parts)


def _split(name: str, parts: list[str]) -> tuple[Token, ...]:
    """``split`` for names with a comma, a title, a bound part, or not of two words."""
    if len(parts) == 3 and parts[0] in _SPECIAL:  # "Seyyed Ali Rezaei" (``_one_title``)
        first = _RAW.get(parts[1])
        second = _RAW.get(parts[2])
        if first is not None and second is not None:
            title = _SPECIAL[parts[0]]
            prefixes = lexicon().title_prefixes
            if (
                first.text not in prefixes
                and second.text not in prefixes
                and title + first.text not in prefixes
                and _title_key(title) is not None
            ):
                joined = _joined(first, second)
                return (first, second) if joined is None else (joined,)
    words: list[str] = []
    comma = -1
    special: list[str] = []  # words that are bound parts, begin a title or hold a Seyyed
    for i, part in enumerate(parts):
        if part[-1] in _COMMAS and len(part) > 1:  # "Rezaei, Mohammad"
            if comma >= 0:
                return _general(name)
            comma = i
            part = part[:-1]
        word = _SPECIAL.get(part)
        if word is None:
            found = _RAW.get(part) or _plain(part)
            if found is not None:
                words.append(found.text)
                continue
            word = _SPECIAL.get(part)
            if word is None:
                return _general(name)
        words.append(word)
        special.append(word)
    if 0 <= comma < len(words) - 1:  # "Family, Given" → "Given Family"
        words = words[comma + 1 :] + words[: comma + 1]
    if len(special) == 1:
        rest = _one_title(words, special[0])
        if rest is not None:
            words, special = rest, []
    if not special:  # no rule of ``_words`` applies but joining known words
        if len(words) == 2:
            first, second = _BY_TEXT[words[0]], _BY_TEXT[words[1]]
            joined = _joined(first, second)
            return (first, second) if joined is None else (joined,)
        return tuple([token(word) for word in _join_known(words)])
    seyyed = any(_SEYYED_SEARCH(word) is not None for word in special)
    found_words, _titles = _words_of(words, False, seyyed)
    return tuple([token(word) for word in found_words])


def _one_title(words: list[str], title: str) -> list[str] | None:
    """``words`` without ``title``, when it is a title by itself and the other words (plain)
    begin no title, so that ``_split_titles`` sets it aside and keeps the others unchanged;
    else None."""
    if len(words) < 2 or _title_key(title) is None:
        return None
    prefixes = lexicon().title_prefixes
    at = words.index(title)
    for i, word in enumerate(words):
        if i != at and word in prefixes:
            return None
    if at + 1 < len(words) and title + words[at + 1] in prefixes:
        return None  # a longer title may begin there
    return words[:at] + words[at + 1 :]


def _general(name: str) -> tuple[Token, ...]:
    words, _titles = _words(normalize(name))
    return tuple([token(word) for word in words])


_RESETS: list[Callable[[], None]] = []  # what other modules forget with the tokens


def on_reset(forget: Callable[[], None]) -> None:
    """Register a function that empties a cache holding serials (called by ``reset``)."""
    _RESETS.append(forget)


def reset() -> None:
    """Forget every token, and every cache that refers to serials."""
    for forget in _RESETS:
        forget()
    for tok in TOKENS:
        tok.serial = -1
        tok.row.clear()
    TOKENS.clear()
    _BY_TEXT.clear()
    _RAW.clear()
    PLAIN_WORDS.clear()
    _SPECIAL.clear()
    _NOT_PLAIN.clear()
    _SKELETON_PARTS.clear()
    if _GIVEN:  # the lexicon's skeletons stay
        _SKELETON_PARTS.update(compiled().parts)


def full() -> bool:
    """Whether the token table is past its bound (callers then ``reset`` where they hold no
    serial)."""
    return len(TOKENS) >= _TOKENS_MAX
