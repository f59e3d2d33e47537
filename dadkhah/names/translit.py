"""``transliterate``: ranked spellings of a name in the other script.

Word by word: titles come from the titles table; words the lexicon knows (listed, or split
into a known root or given name and an affix) give the lexicon's spellings, most common first;
other words fall back on the letter rules of ``spelling.romanize`` and ``spelling.persianize``,
which supply short vowels by a syllable rule and are marked by coming after any lexicon
candidate. Candidates for the whole name are the combinations of the words' candidates, ranked
by the sum of their ranks.
"""

from __future__ import annotations

import heapq
from typing import Literal

from dadkhah.names.lexicon import lexicon
from dadkhah.names.normalization import normalize
from dadkhah.names.spelling import fold, is_persian, persianize, romanize

__all__ = ["transliterate", "Target"]

#: The script to transliterate into: Latin letters, or Persian (Arabic) script.
Target = Literal["latin", "fa"]

_PER_WORD = 4


def _capitalize(word: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in word.split("-"))


def _to_latin(word: str) -> list[str]:
    lex = lexicon()
    if not is_persian(word):
        return [_capitalize(word)]
    if word in lex.titles_fa:
        return [lex.title_latin[word]]
    spellings = [s for key in lex.lookup_fa(word) for s in lex.latin_of(key)]
    if not spellings:
        spellings = [_capitalize(s) for s in romanize(word)]
    return list(dict.fromkeys(spellings))[:_PER_WORD]


def _to_persian(word: str) -> list[str]:
    lex = lexicon()
    if is_persian(word):
        return [lex.display.get(word) or lex.titles_fa.get(word) or word]
    joined = word.replace("-", "")
    title = lex.titles_latin.get(fold(joined))
    if title is not None:
        return [lex.titles_fa[title]]
    found = lex.persian_of(joined)
    if not found:
        found = persianize(joined, limit=_PER_WORD, score=lex.spelling_score)
    return list(dict.fromkeys(found))[:_PER_WORD]


def transliterate(name: str, to: Target = "latin", limit: int = 5) -> list[str]:
    """Spellings of ``name`` in the script ``to``, best first (at most ``limit``).

    Words already in the target script are kept (normalized). Empty input gives ``[]``.

    >>> transliterate("ابراهیم رئیسی")[:2]
    ['Ebrahim Raisi', "Ebrahim Ra'isi"]
    >>> transliterate("Mostafa Pour-Mohammadi", to="fa")[0]
    'مصطفی پورمحمدی'
    """
    if to not in ("latin", "fa"):
        raise ValueError(f"to must be 'latin' or 'fa', not {to!r}")
    words = normalize(name).split()
    if not words or limit < 1:
        return []
    convert = _to_latin if to == "latin" else _to_persian
    options = [convert(word) or [word] for word in words]
    # best-first enumeration of the product, ranked by the sum of the words' ranks
    start = (0,) * len(options)
    heap: list[tuple[int, tuple[int, ...]]] = [(0, start)]
    seen = {start}
    out: list[str] = []
    while heap and len(out) < limit:
        rank, choice = heapq.heappop(heap)
        candidate = " ".join(options[i][c] for i, c in enumerate(choice))
        if candidate not in out:
            out.append(candidate)
        for i in range(len(options)):
            if choice[i] + 1 < len(options[i]):
                nxt = choice[:i] + (choice[i] + 1,) + choice[i + 1 :]
                if nxt not in seen:
                    seen.add(nxt)
                    heapq.heappush(heap, (rank + 1, nxt))
    return out
