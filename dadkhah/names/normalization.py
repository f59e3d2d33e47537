"""Normalization: one spelling of the letters, so that names can be compared.

``normalize`` keeps the script the name was written in and changes only how it is typed:

- Arabic letter forms become Persian (ي ى → ی, ك → ک, ة → ه); hamza and madda marks are
  dropped from their carrier (أ إ آ → ا, ؤ → و, ئ → ی) and a lone hamza (ء) is dropped;
- Persian and Arabic digits become ASCII digits;
- diacritics (harakat, tashdid, Latin accents), tatweel and the zero-width non-joiner are removed,
  so that "پور‌محمدی" (with a non-joiner) and "پورمحمدی" (without) are the same string;
- Latin is lower-cased; apostrophes and the ʿayn and hamza marks (' ’ ʿ ʾ `) are removed;
- hyphens are kept, as one ASCII "-" inside a word; other punctuation, symbols and emoji
  become spaces; Latin and Persian letters that touch are split into two words;
- "Family, Given" (one comma) becomes "Given Family".

The result is idempotent: ``normalize(normalize(x)) == normalize(x)``.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize", "plain_word", "is_persian_char", "PERSIAN_RANGE"]

#: Letters of the Arabic script blocks (Persian is written in them).
PERSIAN_RANGE = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"

# Marks that stand for ʿayn or hamza in Latin transliterations; they are removed. The spacing
# acute accent (´) is listed because NFKD would turn it into a space and a combining accent.
_APOSTROPHES = "'`´ʹʻʼʽʾʿˈ‘’‛′＇"
_PRE = str.maketrans({c: "'" for c in _APOSTROPHES})

_LETTERS = {
    "ي": "ی",  # Arabic yeh
    "ى": "ی",  # alef maksura
    "ۍ": "ی",
    "ې": "ی",
    "ے": "ی",
    "ۑ": "ی",
    "ك": "ک",  # Arabic kaf
    "ڪ": "ک",
    "ة": "ه",  # teh marbuta
    "ۀ": "ه",
    "ە": "ه",
    "ھ": "ه",
    "ہ": "ه",
    "ٱ": "ا",  # alef wasla
    "ٲ": "ا",
    "ٳ": "ا",
    "ء": "",  # lone hamza
    "ـ": "",  # tatweel
    "ı": "i",
    "ł": "l",
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "æ": "ae",
    "œ": "oe",
    "'": "",
    "-": "-",
    ",": ",",
    "،": ",",  # Arabic comma
    "٬": ",",
}
_HYPHENS = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u058a\u1806\u2e3a\u2e3b\ufe58\ufe63"


class _CharTable(dict[int, str]):
    """Code point → replacement, filled on first sight; used with ``str.translate``."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        replacement = _replace(char)
        self[code] = replacement
        return replacement


def _replace(char: str) -> str:
    if char in _LETTERS:
        return _LETTERS[char]
    if char in _HYPHENS:
        return "-"
    if char == "\u200c" or char == "\u200d":  # (zero-width) non-joiner and joiner
        return ""
    category = unicodedata.category(char)
    if category == "Nd":
        return str(unicodedata.decimal(char))
    if category[0] == "L":
        return char
    if category[0] == "M" or category == "Cf":
        return ""
    return " "


_CHARS = _CharTable()
_MIXED = re.compile(
    rf"(?<=[^\W\d_{PERSIAN_RANGE}])(?=[{PERSIAN_RANGE}])|(?<=[{PERSIAN_RANGE}])(?=[^\W\d_{PERSIAN_RANGE}])"
)
_HYPHEN_RUN = re.compile(r"\s*-[\s-]*")
_EDGE_HYPHEN = re.compile(r"(?:^|(?<=\s))-+|-+(?=\s|$)")
_PERSIAN_CHAR = re.compile(f"[{PERSIAN_RANGE}]")


def is_persian_char(text: str) -> bool:
    """True when ``text`` contains a letter of the Arabic script."""
    return _PERSIAN_CHAR.search(text) is not None


def _letters_slow(name: str) -> str:
    """Any text: compatibility decomposition, case folding, then the character table."""
    text = unicodedata.normalize("NFKD", name.translate(_PRE))
    # decomposing or case folding can make an apostrophe (ŉ → ʼn): remove it too
    return unicodedata.normalize("NFKD", text.casefold()).translate(_PRE).translate(_CHARS)


# Text made only of ASCII and the Arabic block (nearly every name) takes one translate with a
# table of the same per-character results as ``_letters_slow`` (which works character by
# character: decomposition and case folding of one character do not depend on the others).
_SIMPLE = re.compile("[\x00-\x7f\u0600-\u06ff\u200c\u200d]*")
# Deletions are None, so that ASCII text takes the fast path of ``str.translate``.
_SIMPLE_TABLE = {
    code: _letters_slow(chr(code)) or None
    for code in (*range(0x80), *range(0x600, 0x700), 0x200C, 0x200D)
}
_LATIN_LETTER = re.compile("[a-z]")


def _letters(name: str) -> str:
    if name.isascii():
        return name.translate(_SIMPLE_TABLE)
    if _SIMPLE.fullmatch(name):
        text = name.translate(_SIMPLE_TABLE)
        if _LATIN_LETTER.search(text) is None:
            return text
    else:
        text = _letters_slow(name)
    return _MIXED.sub(" ", text) if is_persian_char(text) else text


def plain_word(word: str) -> str | None:
    """``normalize(word)`` for one word as written (no white space), when the word normalizes
    the same way alone as inside a name: to one word, with no hyphen or comma. Else None.

    >>> plain_word("RA'ISI"), plain_word("علي"), plain_word("Rezaei,"), plain_word("Pour-")
    ('raisi', 'علی', None, None)
    """
    text = _letters(word)
    if not text or " " in text or "-" in text or "," in text:
        return None
    return text


def normalize(name: str) -> str:
    """Return ``name`` with one spelling of its letters; see the module docstring.

    >>> normalize("Ibrahim Ra'isi")
    'ibrahim raisi'
    >>> normalize("علي رضائي")
    'علی رضایی'
    >>> normalize("Pour-Mohammadi, Mostafa")
    'mostafa pour-mohammadi'
    """
    if not name:
        return ""
    text = _letters(name)
    if "-" in text:
        text = _EDGE_HYPHEN.sub("", _HYPHEN_RUN.sub("-", text))
    if "," in text:
        parts = [part for part in (p.strip() for p in text.split(",")) if part]
        if len(parts) == 2:
            parts.reverse()
        text = " ".join(parts)
        if "-" in text:  # a comma next to a hyphen leaves it at the edge of a word
            text = _EDGE_HYPHEN.sub("", text)
    return " ".join(text.split())
