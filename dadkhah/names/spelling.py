"""How Persian letters and Latin spellings of Persian names map to sounds.

Works on one normalized word at a time (see ``normalize``) and knows no names:

- ``fold`` maps a Latin spelling onto a comparison form in which the usual variant classes
  coincide: e/i, o/u/ou/oo, ey/ei, gh/q, kh/x, zh/j, v/w, doubled letters, and a final "h"
  after a vowel (Fatemeh / Fateme);
- ``skeleton`` keeps only the consonants that both scripts write, in classes (س ص ث ش چ and
  s, sh, ch; ز ذ ض ظ and z; ک گ ق غ خ and k, g, q, gh, kh; …), and drops vowels, ا و ی, ع and
  the hamza, and a final h: "Ebrahim", "Ibraheem" and "ابراهیم" all give "brhm";
- ``romanize`` and ``persianize`` are the rule-based fallbacks used for names that the lexicon
  does not know: they supply short vowels by a syllable rule and rank a few candidates.
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
import re
from collections.abc import Callable, Mapping

__all__ = [
    "fold",
    "light_fold",
    "skeleton",
    "latin_forms",
    "squeeze",
    "romanize",
    "persianize",
    "is_persian",
]

_PERSIAN = re.compile("[\u0600-\u06ff]")


def full_table(table: Mapping[int, int | str | None], *extra: range) -> dict[int, str | None]:
    """``table`` (from ``str.maketrans``) with every ASCII character (and those of ``extra``)
    that it does not list mapped to itself, and deletions as None: the same translation, but
    ``str.translate`` then never looks up a missing key (which costs an exception), and for ASCII
    text takes its fast path (a table of single ASCII characters and None)."""
    full: dict[int, str | None] = {code: chr(code) for code in range(0x80)}
    for codes in extra:
        full.update((code, chr(code)) for code in codes)
    for code, value in table.items():
        full[code] = chr(value) if isinstance(value, int) else value or None
    return full


# ------------------------------------------------------------------------------- Latin fold
_DIGRAPHS = (
    ("tch", "C"),
    ("kh", "x"),
    ("gh", "q"),
    ("sh", "S"),
    ("ch", "C"),
    ("zh", "j"),
    ("dj", "j"),
    ("dh", "z"),
    ("th", "s"),
    ("ph", "f"),
    ("ck", "k"),
)
_FOLD_CHARS = full_table(str.maketrans("cCwoey", "kcvuii"))
_OW = re.compile(r"ow(?![aeiou])")
_DOUBLE = re.compile(r"(.)\1+")
# A regular-expression replacement by a C callable: much faster than the template r"\1".
_squeeze = functools.partial(_DOUBLE.sub, operator.itemgetter(1))


_VOWELS = ("a", "e", "i", "o", "u")


def _consonants(word: str) -> str:
    """Latin word → digraphs as one letter, final vowel-h dropped; vowels left as written."""
    if "h" in word or "c" in word or "dj" in word:  # every digraph has an h or a c, or is dj
        for digraph, letter in _DIGRAPHS:
            if digraph in word:
                word = word.replace(digraph, letter)
        if word[-1:] == "h" and word[-2:-1] in _VOWELS:
            word = word[:-1]
    return word


def fold(word: str) -> str:
    """Comparison form of one normalized Latin word.

    >>> fold("hosseyni"), fold("husseini"), fold("hosseini")
    ('husini', 'husini', 'husini')
    >>> fold("fatemeh"), fold("fateme")
    ('fatime', 'fatime')
    """
    return _fold(_consonants(word))


def latin_forms(word: str) -> tuple[str, str]:
    """``(fold(word), skeleton(word))`` of a normalized Latin word, sharing their first step."""
    word = _consonants(word)
    return _fold(word), _squeeze(word.translate(_SKELETON_CHARS))


def _fold(word: str) -> str:
    """``fold`` of a word through ``_consonants``."""
    if "ow" in word:
        word = _OW.sub("u", word)
    if "ee" in word:  # a long i, also at the end (Alee)
        word = word.replace("ee", "i")
    first = word[:1]
    final_e = word.endswith("e")
    word = word.translate(_FOLD_CHARS)
    if first == "y":
        word = "y" + word[1:]
    if final_e:
        word = word[:-1] + "e"
    return _squeeze(word)


_LIGHT_CHARS = full_table(str.maketrans("cCw", "kcv"))


def light_fold(word: str) -> str:
    """A lighter fold that keeps a, e, i and o apart (Hamed ≠ Hamid) but joins ee/i, oo/ou/u,
    consonant digraphs and doubled letters; used to find the nearest name in the lexicon.

    >>> light_fold("hameed"), light_fold("haamed"), light_fold("hamid")
    ('hamid', 'hamed', 'hamid')
    """
    word = _consonants(word).translate(_LIGHT_CHARS)
    word = word.replace("ee", "i").replace("oo", "u").replace("ou", "u")
    return _squeeze(word)


# Skeleton classes: sibilants (س ص ث ش چ; s, sh, ch, th) are one class, and so are the
# velars (ک گ ق غ خ; k, g, q, gh, kh, x, c): spellings and typos confuse them most.
_LATIN_CLASSES = str.maketrans({"S": "s", "C": "s", "c": "k", "q": "k", "g": "k", "x": "k"})


def squeeze(text: str) -> str:
    """Doubled letters as one: "mmd" → "md"."""
    return _squeeze(text)


_SKELETON_MAP = str.maketrans(  # the classes, and no vowels (nor v, w, y)
    {**{chr(k): v for k, v in _LATIN_CLASSES.items()}, **dict.fromkeys("aeiouvwy")}
)
_SKELETON_CHARS = full_table(_SKELETON_MAP)


def latin_skeleton(word: str) -> str:
    """Consonant skeleton of a normalized Latin word."""
    return _squeeze(_consonants(word).translate(_SKELETON_CHARS))


# "th" writes ث (Othman), or two letters: ت or ط, then ح or ه (Fathollah فتح‌الله, Fathi فتحی).
# ``skeleton`` reads the first; ``split_skeleton`` the second.
_APART = "\x02"  # between the two letters of "th" read apart (not a letter itself)


def split_skeleton(word: str) -> str | None:
    """The consonant skeleton of a normalized Latin word with "th" read as two letters, t and
    h (as ``persian_skeleton`` drops a final ح or ه, a final "th" gives t), when the word has a
    "th"; else None.

    >>> latin_skeleton("fathollah"), split_skeleton("fathollah"), split_skeleton("abolfath")
    ('fsl', 'fthl', 'blft')
    """
    if "th" not in word:
        return None
    apart = _consonants(word.replace("th", "t" + _APART + "h"))
    skel = apart.translate(_SKELETON_CHARS).replace(_APART, "")
    if apart.endswith("h"):  # a final ح or ه is not in the Persian skeleton either
        skel = skel[:-1]
    return _squeeze(skel)


# ----------------------------------------------------------------------- Persian skeleton
_FA_LETTERS = str.maketrans(
    {
        "ب": "b",
        "پ": "p",
        "ت": "t",
        "ط": "t",
        "ث": "s",
        "س": "s",
        "ص": "s",
        "ج": "j",
        "ژ": "j",
        "چ": "s",
        "ح": "h",
        "ه": "h",
        "خ": "k",
        "د": "d",
        "ذ": "z",
        "ز": "z",
        "ض": "z",
        "ظ": "z",
        "ر": "r",
        "ش": "s",
        "غ": "k",
        "ق": "k",
        "ف": "f",
        "ک": "k",
        "گ": "k",
        "ل": "l",
        "م": "m",
        "ن": "n",
        "ا": None,
        "آ": None,
        "و": None,
        "ی": None,
        "ع": None,
        "ئ": None,
        "ء": None,
    }
)
_FA_CLASSES = full_table(_FA_LETTERS, range(0x600, 0x700), range(0x200C, 0x200E))


def persian_skeleton(word: str) -> str:
    """Consonant skeleton of a normalized Persian word (a final ه or ح is a vowel sign or dropped)."""
    if word.endswith("های") and len(word) > 3:  # خامنه‌ای written without the non-joiner
        word = word[:-3] + "ای"
    while word and word[-1] in "هح":
        word = word[:-1]
    return _squeeze(word.translate(_FA_CLASSES))


def is_persian(word: str) -> bool:
    return not word.isascii() and _PERSIAN.search(word) is not None


def skeleton(word: str) -> str:
    """Consonant skeleton of one normalized word in either script.

    >>> skeleton("ebrahim"), skeleton("ابراهیم")
    ('brhm', 'brhm')
    """
    return persian_skeleton(word) if is_persian(word) else latin_skeleton(word)


# -------------------------------------------------------------- Persian → Latin (fallback)
_FA_LATIN = {
    "ب": "b",
    "پ": "p",
    "ت": "t",
    "ط": "t",
    "ث": "s",
    "س": "s",
    "ص": "s",
    "ج": "j",
    "ژ": "zh",
    "چ": "ch",
    "ح": "h",
    "ه": "h",
    "خ": "kh",
    "د": "d",
    "ذ": "z",
    "ز": "z",
    "ض": "z",
    "ظ": "z",
    "ر": "r",
    "ش": "sh",
    "غ": "gh",
    "ق": "gh",
    "ف": "f",
    "ک": "k",
    "گ": "g",
    "ل": "l",
    "م": "m",
    "ن": "n",
}
_FA_VOWELS = "اآوی"


def _fa_segments(word: str) -> list[tuple[str, str]]:
    """Split a Persian word into (kind, letter) with kind "c" (consonant) or "v" (vowel letter).

    و and ی are consonants at the start of the word and after a vowel letter when a vowel
    follows; otherwise they write the vowels u/o and i/ey. ع is kept as "a" (glottal stop plus
    vowel); the silent final ه is a vowel "eh".
    """
    out: list[tuple[str, str]] = []
    n = len(word)
    for i, ch in enumerate(word):
        prev = out[-1][0] if out else ""
        nxt = word[i + 1] if i + 1 < n else ""
        if ch in "اآ":
            out.append(("v", "a"))
        elif ch == "و":
            # a consonant at the start, between vowels, or after ا (داوود, کاوه)
            after_a = prev == "v" and out[-1][1] == "a"
            if not out or (prev == "v" and nxt != "" and nxt in _FA_VOWELS) or after_a:
                out.append(("c", "v"))
            else:
                out.append(("v", "ou"))
        elif ch == "ی":
            if not out or (prev == "v" and nxt in _FA_VOWELS and nxt != ""):
                out.append(("c", "y"))
            else:
                out.append(("v", "i"))
        elif ch in "عئء":
            if out and prev == "c" and nxt and nxt not in _FA_VOWELS:
                out.append(("v", "a"))
        elif ch == "ه" and i == n - 1 and out:
            out.append(("v", "eh"))
        elif ch in _FA_LATIN:
            out.append(("c", _FA_LATIN[ch]))
        else:
            out.append(("c", ch))
    if out and out[0] == ("v", "a") and len(word) > 1:
        second = word[1]
        if second == "ی":
            out[:2] = [("v", "i")]
        elif second == "و":
            out[:2] = [("v", "ou")]
    return out


def romanize(word: str, limit: int = 3) -> list[str]:
    """Latin candidates for a Persian word the lexicon does not know, best first.

    Short vowels are not written in Persian: a consonant that neither has a vowel letter after
    it nor can close the syllable before it gets an inserted vowel ("a", then "e" as the second
    candidate).

    >>> romanize("کلانتری")[0]
    'kalantari'
    """
    segments = _fa_segments(word)
    results: list[str] = []
    for short, long_u in (("a", "ou"), ("e", "o"), ("o", "u")):
        out: list[str] = []
        open_syllable = False  # the last sound written is a vowel that a consonant may close
        for i, (kind, value) in enumerate(segments):
            if kind == "v":
                out.append(long_u if value == "ou" else value)
                open_syllable = True
                continue
            nxt = segments[i + 1][0] if i + 1 < len(segments) else ""
            if nxt == "v":
                out.append(value)
            elif nxt == "":
                if not open_syllable and out:  # "hsn" → "hasan", not "hasn"
                    out[-1] += short
                out.append(value)
            elif open_syllable:
                out.append(value)
                open_syllable = False
            else:
                out.append(value + short)
                open_syllable = True
        candidate = "".join(out)
        if candidate and candidate not in results:
            results.append(candidate)
        if len(results) >= limit:
            break
    return results


# -------------------------------------------------------------- Latin → Persian (fallback)
_LATIN_FA = (
    ("kh", "خ"),
    ("gh", "ق"),
    ("sh", "ش"),
    ("ch", "چ"),
    ("zh", "ژ"),
    ("ou", "و"),
    ("oo", "و"),
    ("ee", "ی"),
    ("ei", "ی"),
    ("ey", "ی"),
    ("b", "ب"),
    ("p", "پ"),
    ("t", "ت"),
    ("j", "ج"),
    ("h", "ه"),
    ("x", "خ"),
    ("d", "د"),
    ("r", "ر"),
    ("z", "ز"),
    ("s", "س"),
    ("f", "ف"),
    ("q", "ق"),
    ("k", "ک"),
    ("c", "ک"),
    ("g", "گ"),
    ("l", "ل"),
    ("m", "م"),
    ("n", "ن"),
    ("v", "و"),
    ("w", "و"),
    ("y", "ی"),
    ("u", "و"),
    ("i", "ی"),
)
_LATIN_FA_RE = re.compile("|".join(re.escape(k) for k, _ in _LATIN_FA) + "|[aeo]|.")
_LATIN_FA_MAP = dict(_LATIN_FA)
_DOUBLE_CONSONANT = re.compile(r"([b-df-hj-np-tv-z])\1+")


# Letters that one Latin letter may stand for, the usual one first.
_LATIN_FA_CHOICES = {
    "s": ("س", "ص", "ث"),
    "z": ("ز", "ض", "ذ", "ظ"),
    "t": ("ت", "ط"),
    "h": ("ه", "ح"),
    "gh": ("ق", "غ"),
    "q": ("ق", "غ"),
}
_MAX_CANDIDATES = 4096
_UNUSUAL = 2.0  # log-probability cost of a letter that is not the usual one for its sound


def _persian_options(pieces: list[str]) -> list[tuple[str, ...]]:
    """For each piece of a Latin word, the Persian letters it may be written with."""
    options: list[tuple[str, ...]] = []
    for i, piece in enumerate(pieces):
        first, last = i == 0, i == len(pieces) - 1
        if piece in ("a", "e", "o"):
            if first:
                options.append(("ا", "آ") if piece == "a" else ("ا",))
            elif last:
                options.append(("ا",) if piece == "a" else ("ه",) if piece == "e" else ("و",))
            else:  # a short vowel is not written, a long one is: a → ا or nothing, o → و or nothing
                options.append(("ا", "") if piece == "a" else ("", "و") if piece == "o" else ("",))
        elif piece in ("i", "ee", "ei", "ey") and first:
            options.append(("ای",))
        elif piece in ("u", "ou", "oo") and first:
            options.append(("او",))
        elif piece in _LATIN_FA_CHOICES:
            options.append(_LATIN_FA_CHOICES[piece])
        elif piece in _LATIN_FA_MAP:
            options.append((_LATIN_FA_MAP[piece],))
    return options


def persianize(word: str, limit: int = 2, score: Callable[[str], float] | None = None) -> list[str]:
    """Persian candidates for a Latin word the lexicon does not know, best first.

    Long vowels are written (i → ی, u/ou → و), e inside a word is short and left unwritten, a
    final e or eh is ه; "a" and "o" inside a word may be either, and s, z, t, h and gh each
    stand for several letters. Without ``score``, the usual letters come first. With it (the
    log-probability of a Persian spelling, see ``lexicon.Lexicon.spelling_score``) candidates
    are ranked by it, less ``_UNUSUAL`` for each letter that is not the usual one.

    >>> persianize("kalantari")[:2]
    ['کالانتاری', 'کالانتری']
    """
    if word.endswith("eh"):
        word = word[:-2] + "e"
    word = _DOUBLE_CONSONANT.sub(r"\1", word)
    options = _persian_options(_LATIN_FA_RE.findall(word))
    if not options:
        return []
    ranked: dict[str, float] = {}
    indexed = [list(enumerate(option)) for option in options]
    for order, combo in enumerate(itertools.islice(itertools.product(*indexed), _MAX_CANDIDATES)):
        candidate = "".join(letter for _, letter in combo)
        if not candidate:
            continue
        if score is None:
            value = -float(order)
        else:
            value = score(candidate) - _UNUSUAL * sum(i > 0 for i, _ in combo)
        if value > ranked.get(candidate, -math.inf):
            ranked[candidate] = value
    return sorted(ranked, key=lambda c: -ranked[c])[:limit]
