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
"""

from __future__ import annotations

from functools import lru_cache

from dadkhah.names.tokens import Token, parse, token

__all__ = ["match_keys"]

_MAX_TOKENS = 4  # tokens that make keys (the longest skeletons)


def _marked(a: Token, mark: str) -> tuple[str, ...]:
    """``a``'s deletion forms followed by ``mark`` (cached on the token: marks are few)."""
    found = a.keyed.get(mark)
    if found is None:
        found = a.keyed[mark] = tuple([form + mark for form in a.deletions])
    return found


def _two(a: Token, b: Token) -> tuple[str, ...]:
    """The ``d:`` keys of a name of two tokens."""
    keys = _marked(a, b.marker) + _marked(b, a.marker)
    if a.short_deletions:
        keys += tuple([form + b.skeleton for form in a.short_deletions])
    if b.short_deletions:
        keys += tuple([form + a.skeleton for form in b.short_deletions])
    return keys


@lru_cache(maxsize=1 << 17)
def _keys(name: str) -> frozenset[str]:
    tokens = [t for t in parse(name).tokens if t.skeleton]
    if not tokens:
        return frozenset()
    whole = "c:" + "".join(t.skeleton for t in tokens)
    if len(tokens) == 1:
        only = tokens[0]
        return frozenset({whole, *(f[:-1] for f in only.deletions + only.short_deletions)})
    if len(tokens) == 2:
        return frozenset((whole, *_two(tokens[0], tokens[1])))
    ranked = sorted(tokens, key=lambda t: -len(t.skeleton))[:_MAX_TOKENS]
    keys = {whole}
    for x in ranked:
        for y in ranked:
            if y is not x:
                other = y.marker if len(x.skeleton) > 1 else y.skeleton
                keys.add(f"d:{x.skeleton}|{other}")
    if len(tokens) == 3:  # a compound written in two words: key it as a name of two tokens
        first, middle, last = tokens
        keys.update(_two(token(first.text + middle.text), last))
        keys.update(_two(first, token(middle.text + last.text)))
    return frozenset(keys)


def match_keys(name: str) -> set[str]:
    """Blocking keys of ``name``: two spellings of one name share at least one.

    >>> sorted(match_keys("Ebrahim Raisi"))[:4]
    ['c:brhmrs', 'd:bhm|rs', 'd:brhm|rs', 'd:brh|rs']
    >>> match_keys("Ebrahim Raisi") == match_keys("ابراهیم رئیسی")
    True
    """
    return set(_keys(name))
