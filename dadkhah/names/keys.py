"""``match_keys``: blocking keys that agree across scripts and transliterations.

Keys are built from consonant skeletons (``spelling.skeleton``), which Persian script and every
usual Latin spelling share: vowels, ا و ی, ع and the hamza, and a final h are dropped, and
letters that sound alike fall into one class ("Ebrahim", "Ibraheem" and "ابراهیم" give "brhm").

For a name of several tokens, the keys are:

- ``c:`` the skeleton of the whole name, tokens in their order, which survives compounds
  written joined, split or hyphenated (Pourmohammadi, Pour Mohammadi, پورمحمدی);
- ``d:`` for each token, its skeleton followed by a mark of each other token: its first two
  consonants, in a coarser class (ب پ ت, ر ز ژ) and skipping an initial h (ح ه, often
  dropped). In names of two tokens, also every form of each skeleton with one consonant
  deleted, so that a typo or an unusual spelling of one consonant (Hachemi, گاظمی, ويد for
  وحید) still meets the right name; a form of one consonant is followed by the whole skeleton
  of the other token instead of its mark. A name of three tokens also gets the keys of the
  two names of two tokens made by joining neighbours (Mohammad Reza Lajevardi, محمدرضا لاجوردی).

Two writings of one name therefore share a key unless both of its tokens are misspelled, and
names that share a common given name share none unless their other tokens begin alike
(Mohammad Rezaei and Mohammad Rahimi share none). A name of one token gets its ``c:`` key and
its deletion forms.

A Latin word with "th" gets the deletion forms of two skeletons, "th" read as ث and as ت/ط
then ح/ه (``compiled.word_features``), so that Fathollah meets فتح‌الله and Othman عثمان.

A name of two plain words, or of three words that make two tokens (a title and two plain
words, "Title Family, Given", a bound part that joins the word before: قطب زاده, or two words
the lexicon knows joined: Mohammad Reza), nearly every name of a list, takes a short path in
``match_keys`` (``split`` and ``_make`` inlined, the same keys). It reads
what blocking needs of each word as written (``tokens.plain_features``: the normalized word
and its ``WordFeatures``) and makes no ``Token``: tokens are for comparison. Other names take
``_make``. The keys of each written name are made once and kept, in a bounded dict, as one
string (keys separated by NUL characters): a string holds no references, so it costs the
garbage collector nothing, however many names are kept. The parts of keys that depend on one
word are made with its features (``marked``), so the keys of a name of known words take three
string operations.
"""

from __future__ import annotations

from dadkhah.names.compiled import WordFeatures
from dadkhah.names.lexicon import lexicon
from dadkhah.names.tokens import (
    _BACKWARD,
    _COMMAS,
    _SPECIAL,
    _TOKENS_MAX,
    JOINABLE,
    PLAIN_WORDS,
    TOKENS,
    Token,
    features_of,
    known_compound,
    plain_features,
    reset,
    split,
    title_key,
    token,
)

__all__ = ["match_keys"]

_Word = tuple[str, WordFeatures]  # a plain word's text and features (``plain_features``)
_MAX_TOKENS = 4  # tokens that make keys (the longest skeletons)

_KEYS: dict[str, str] = {}  # name as written → its keys, joined by NUL
_MARK = "\x01"  # in ``Token.marked``, where the other token's mark goes
_KEYS_MAX = 1 << 20


def _two(a: Token, b: Token) -> str:
    """The ``d:`` keys of a name of two tokens, each after a NUL."""
    keys = a.marked.replace(_MARK, b.marker) + b.marked.replace(_MARK, a.marker)
    if a.short_marked:
        keys += a.short_marked.replace(_MARK, b.skeleton)
    if b.short_marked:
        keys += b.short_marked.replace(_MARK, a.skeleton)
    return keys


def _keys(tokens: list[Token]) -> str:
    """The keys of a name of ``tokens`` (each with a skeleton), joined by NUL."""
    whole = "c:" + "".join(t.skeleton for t in tokens)
    if len(tokens) == 1:
        only = tokens[0]
        # the forms of its skeleton, each without the mark of another token: "d:<form>"
        return whole + (only.marked + only.short_marked).replace("|\x01", "")
    if len(tokens) == 2:
        return whole + _two(tokens[0], tokens[1])
    ranked = sorted(tokens, key=lambda t: -len(t.skeleton))[:_MAX_TOKENS]
    keys = {whole}
    for x in ranked:
        for y in ranked:
            if y is not x:
                other = y.marker if len(x.skeleton) > 1 else y.skeleton
                keys.add(f"d:{x.skeleton}|{other}")
    if len(tokens) == 3:  # a compound written in two words: key it as a name of two tokens
        first, middle, last = tokens
        keys.update(_two(token(first.text + middle.text), last).split("\x00")[1:])
        keys.update(_two(first, token(middle.text + last.text)).split("\x00")[1:])
    return "\x00".join(sorted(keys))


def _make(name: str) -> str:
    """Parse a name and make its keys."""
    if len(TOKENS) >= _TOKENS_MAX:
        reset()
    with_skeleton = [t for t in split(name) if t.skeleton]
    keys = _keys(with_skeleton) if with_skeleton else ""
    if len(_KEYS) >= _KEYS_MAX:
        _KEYS.clear()
    _KEYS[name] = keys
    return keys


def _plain(word: str) -> _Word | None:
    return PLAIN_WORDS.get(word) or plain_features(word)


def _joined(x: _Word, y: _Word) -> _Word | None:
    """The record of two plain words joined, when the lexicon knows the joined word
    (``tokens._known_join``); else None."""
    text = x[0] + y[0]
    if x[1][0] or y[1][0]:  # Persian
        if text not in JOINABLE:
            return None
    elif x[1][2].isdisjoint(y[1][3]) or not known_compound(text):
        return None
    return text, features_of(text)


def _after_title(parts: list[str]) -> tuple[_Word | None, _Word | None]:
    """The records (``plain_features``) of the given name and the surname of a name of three
    words (``parts``) that begins with a title, "Title Given Family" or "Title Family, Given",
    when the title is set aside and nothing else changes (``tokens._one_title``); else Nones."""
    title = _SPECIAL[parts[0]]
    first, second = parts[1], parts[2]
    if second[-1] in _COMMAS or title_key(title) is None:
        return None, None
    if first[-1] in _COMMAS:  # "Title Family, Given" reads "Given Title Family"
        if len(first) == 1:
            return None, None
        a = _plain(second)
        b = _plain(first[:-1])
    else:
        a = _plain(first)
        b = _plain(second)
    if a is None or b is None:
        return None, None
    after = b if first[-1] in _COMMAS else a  # the word after the title
    prefixes = lexicon().title_prefixes
    if a[0] in prefixes or b[0] in prefixes or title + after[0] in prefixes:
        return None, None
    return a, b


def _three(parts: list[str]) -> tuple[_Word | None, _Word | None]:
    """The records of the two tokens of a name of three words (``parts``) with no title and
    no comma, when they make two: two plain words the lexicon knows joined (Mohammad Reza
    Lajevardi, علی آبادی), or a plain word followed by a bound part that joins it (قطب زاده,
    روح الله, خامنه ای) (``tokens._merge``); else Nones."""
    first, second, third = parts
    x = _plain(first)
    if x is None:
        if first in _SPECIAL:
            return _after_title(parts)
        return None, None
    y = _plain(second)
    z = _plain(third)
    if y is not None and z is not None:  # ``_join_known``
        joined = _joined(x, y)
        if joined is not None:
            return (None, None) if _joined(joined, z) is not None else (joined, z)
        joined = _joined(y, z)
        return (x, joined) if joined is not None else (None, None)
    # one bound part that joins the word before it, and is not a title (``_split``)
    if y is None and z is not None:
        bound, word = _SPECIAL.get(second), x
    elif z is None and y is not None:
        bound, word = _SPECIAL.get(third), y
    else:
        return None, None
    if bound not in _BACKWARD or bound in lexicon().title_starts:
        return None, None
    text = word[0] + bound
    left, right = ((text, features_of(text)), z) if word is x else (x, (text, features_of(text)))
    if right is None or _joined(left, right) is not None:
        return None, None
    return left, right


def match_keys(name: str) -> set[str]:
    """Blocking keys of ``name``: two spellings of one name share at least one.

    >>> sorted(match_keys("Ebrahim Raisi"))[:4]
    ['c:brhmrs', 'd:bhm|rs', 'd:brhm|rs', 'd:brh|rs']
    >>> match_keys("Ebrahim Raisi") == match_keys("ابراهیم رئیسی")
    True
    """
    found = _KEYS.get(name)
    if found is None:
        # A new name of two plain words, or of a title and two plain words, that make two
        # tokens with skeletons (nearly every name of a list): ``split`` and ``_make``
        # inlined, with the same result, from what blocking needs of each word (no token is
        # made). Other names take ``_make``.
        parts = name.split()
        a = b = None
        if len(parts) == 2:
            head, tail = parts
            a = PLAIN_WORDS.get(head)
            if a is None and head[-1] in _COMMAS:
                if len(head) > 1 and tail[-1] not in _COMMAS:
                    # "Family, Given": the tokens of "Given Family"
                    a = PLAIN_WORDS.get(tail) or plain_features(tail)
                    b = PLAIN_WORDS.get(head[:-1]) or plain_features(head[:-1])
            else:
                if a is None:
                    a = plain_features(head)
                if a is not None:
                    b = PLAIN_WORDS.get(tail) or plain_features(tail)
        elif len(parts) == 3:
            a, b = _after_title(parts) if parts[0] in _SPECIAL else _three(parts)
        if b is not None and a is not None:
            ta, (pa, sa, starts, _, ma, sma, mka) = a
            tb, (pb, sb, _, ends, mb, smb, mkb) = b
            if sa and sb:
                if pa or pb:
                    single = ta + tb in JOINABLE
                else:
                    single = not starts.isdisjoint(ends) and known_compound(ta + tb)
                if not single:
                    found = f"c:{sa}{sb}{ma.replace(_MARK, mkb)}{mb.replace(_MARK, mka)}"
                    if sma:
                        found += sma.replace(_MARK, sb)
                    if smb:
                        found += smb.replace(_MARK, sa)
                    if len(_KEYS) >= _KEYS_MAX:
                        _KEYS.clear()
                    _KEYS[name] = found
                    return set(found.split("\x00"))
        found = _make(name)
    return set(found.split("\x00")) if found else set()
