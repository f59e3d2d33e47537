"""``similarity``: how likely two written names are the same name, in [0, 1].

The method, in plain words:

1. Both names are parsed into tokens (``tokens.parse``): normalized, titles set aside,
   compounds joined.
2. Every token of one name is compared with every token of the other. Two tokens that the
   lexicon identifies with the same Persian name score 1 (Hossein, Husain and حسین). Otherwise
   they score by edit distance (normalized Indel similarity: the share of letters in common,
   in order): Persian with Persian on the letters, anything else on the folded Latin forms
   (``spelling.fold``).
   When one side is Persian that the lexicon does not know, its vowels are guesses, so the
   consonant skeletons are compared as well.
3. Two tokens that the lexicon knows as *different* names (Rezaei and Rahimi) are a conflict. A
   spelling the lexicon does not list is identified softly, with the name its folded form
   matches or the name one typo away ("Hosesini" is حسینی); two tokens softly identified with
   different names are a soft conflict, and are compared on spellings that keep a, e, i and o
   apart (Hameed and حامد are not the same name).
4. Tokens are aligned one to one, in any order ("Family, Given" and "Given Family" align). When
   the counts differ, neighbouring tokens of the longer name are joined while that improves the
   alignment ("Hossein Ali" and "حسینعلی").
5. Five numbers describe the alignment (``FEATURES``: the worst and the mean token score, the
   number of conflicts and of soft conflicts, and the share of tokens identified with the same
   name); a logistic model turns them into a probability. Its coefficients are data
   (``data/calibration.yaml``), fitted by ``bench/names/calibrate.py`` on the evaluation set, so
   a threshold (``THRESHOLD``) means the same from version to version.

Everything is cached per written name (the serials of its tokens, a tuple of integers that
costs the garbage collector nothing), per token (``tokens.prepare``) and per pair of tokens (a
small dict on each token, by the other's serial): names repeat in lists, and linkage compares
one name with many. A name of two tokens against another (nearly every pair) takes a path of a
few look-ups and one exponential.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from itertools import permutations

from rapidfuzz.distance import Indel, Levenshtein

from dadkhah.names.lexicon import DATA
from dadkhah.names.tokens import (
    TOKENS,
    PairScore,
    ParsedName,
    Token,
    full,
    on_reset,
    prepare,
    reset,
    split,
    token,
)

__all__ = ["similarity", "features", "Calibration", "calibration", "FEATURES", "clear_caches"]

FEATURES = ("worst", "mean", "conflicts", "soft_conflicts", "identified")

_lev = Levenshtein.normalized_similarity
_edit = Indel.normalized_similarity  # 1 - (insertions + deletions) / (total length)
_SCORES: dict[PairScore, PairScore] = {}
_PAIRS_MAX = 1 << 22  # scores kept on tokens (each pair twice), before they are all forgotten
_pairs = [0]  # scores kept
_NAMES: dict[str, tuple[int, ...]] = {}  # name as written → serials of its tokens
_NAMES_MAX = 1 << 20
on_reset(_NAMES.clear)
_MAX_PERMUTED = 5  # beyond this many tokens, align greedily
_MAX_JOINED = 6  # beyond this many tokens (not a name), do not try joins


@dataclass(frozen=True)
class Calibration:
    """Logistic model over ``FEATURES``; see ``data/calibration.yaml``."""

    version: int
    intercept: float
    weights: tuple[float, ...]
    threshold: float


@cache
def calibration() -> Calibration:
    import yaml  # not at import: ``import dadkhah.names`` for blocking alone does not need it

    data = yaml.safe_load((DATA / "calibration.yaml").read_text(encoding="utf-8"))
    weights = data["weights"]
    missing = [name for name in FEATURES if name not in weights]
    if missing:
        raise ValueError(
            f"data/calibration.yaml has no weight for {', '.join(missing)}: "
            "refit it with bench/names/calibrate.py --write"
        )
    return Calibration(
        version=int(data["version"]),
        intercept=float(data["intercept"]),
        weights=tuple(float(weights[name]) for name in FEATURES),
        threshold=float(data["threshold"]),
    )


def _score_tokens(x: Token, y: Token) -> PairScore:
    ix, iy = x.ident, y.ident
    if x.text == y.text:
        return 1.0, 0, 0, int(bool(ix))
    shared = not ix.isdisjoint(iy)
    if x.keys and y.keys:
        if shared:
            return 1.0, 0, 0, 1
        # known as different names: compare spellings that keep the vowels apart
        score = _edit(x.light, y.light)
        if not x.keys.isdisjoint(y.keys):  # one spelling listed for two names
            return score, 0, 1, 0
        return score, 1, 0, 0
    if x.persian and y.persian:
        score = _edit(x.text, y.text)
    else:
        xf, yf = x.folds, y.folds
        if len(xf) == 1 and len(yf) == 1:
            score = _edit(xf[0], yf[0])
        else:
            score = max([_edit(a, b) for a in xf for b in yf])
        if ((x.persian and not x.keys) or (y.persian and not y.keys)) and x.skeleton and y.skeleton:
            score = max(score, 0.9 * _lev(x.skeleton, y.skeleton))
    if ix and iy:
        if shared:
            return score, 0, 0, 1
        return min(score, _edit(x.light, y.light)), 0, 1, 0
    return score, 0, 0, 0


def _pair(x: Token, y: Token) -> PairScore:
    found = x.row.get(y.serial)
    if found is None:
        found = _remember(x, y)
    return found


def _remember(x: Token, y: Token) -> PairScore:
    """Score two tokens and keep the score on both (a look-up then needs no order)."""
    if _pairs[0] >= _PAIRS_MAX:
        _forget_pairs()
    score = _score_tokens(prepare(x), prepare(y))
    found = _SCORES.setdefault(score, score)  # few distinct scores: share them, save memory
    if x.serial >= 0 and y.serial >= 0:  # not tokens forgotten by a reset
        x.row[y.serial] = y.row[x.serial] = found
        _pairs[0] += 2
    return found


def _forget_pairs() -> None:
    for tok in TOKENS:
        tok.row.clear()
    _SCORES.clear()
    _pairs[0] = 0


def _serials(name: str) -> tuple[int, ...]:
    found = _NAMES[name] = tuple([t.serial for t in split(name)])
    return found


def _both(a: str, b: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The serials of two names, made where no serial is held (a reset is safe)."""
    if full():
        reset()
    if len(_NAMES) >= _NAMES_MAX:
        _NAMES.clear()
    sa = _NAMES.get(a)
    if sa is None:
        sa = _serials(a)
    sb = _NAMES.get(b)
    if sb is None:
        sb = _serials(b)
    return sa, sb


def _align(a: tuple[Token, ...], b: tuple[Token, ...]) -> tuple[float, list[tuple[int, int]]]:
    """Best one-to-one alignment of the shorter token list into the longer: (sum of scores,
    pairs of indices into ``a`` and ``b``)."""
    if len(a) > len(b):
        total, pairs = _align(b, a)
        return total, [(i, j) for j, i in pairs]
    rows = [[_pair(x, y)[0] for y in b] for x in a]
    if len(b) <= _MAX_PERMUTED:
        best_total = -1.0
        best: tuple[int, ...] = ()
        for choice in permutations(range(len(b)), len(a)):
            total = sum(rows[i][j] for i, j in enumerate(choice))
            if total > best_total:
                best_total, best = total, choice
        return best_total, list(enumerate(best))
    free = set(range(len(b)))
    greedy: list[tuple[int, int]] = []
    total = 0.0
    for i in sorted(range(len(a)), key=lambda i: -max(rows[i])):
        j = max(free, key=lambda j: rows[i][j])
        free.discard(j)
        greedy.append((i, j))
        total += rows[i][j]
    return total, sorted(greedy)


def _joins(tokens: tuple[Token, ...]) -> list[tuple[Token, ...]]:
    """The token lists made by joining one pair of neighbours in the same script."""
    return [
        tokens[:i] + (token(tokens[i].text + tokens[i + 1].text),) + tokens[i + 2 :]
        for i in range(len(tokens) - 1)
        if tokens[i].persian == tokens[i + 1].persian
    ]


def _general(a: tuple[Token, ...], b: tuple[Token, ...]) -> tuple[float, float, int, int, float]:
    total, pairs = _align(a, b)
    # when the counts differ, join neighbours on the longer side while that helps: a join
    # that costs less than one token's worth of score is worth one token less left over
    while len(a) != len(b) and max(len(a), len(b)) <= _MAX_JOINED:
        longer_is_a = len(a) > len(b)
        longer, shorter = (a, b) if longer_is_a else (b, a)
        best: tuple[float, tuple[Token, ...], list[tuple[int, int]]] | None = None
        for joined in _joins(longer):
            joined_total, joined_pairs = (
                _align(joined, shorter) if longer_is_a else _align(shorter, joined)
            )
            if best is None or joined_total > best[0]:
                best = (joined_total, joined, joined_pairs)
        if best is None or best[0] + 1.0 <= total:
            break
        total, pairs = best[0], best[2]
        if longer_is_a:
            a = best[1]
        else:
            b = best[1]
    worst = 1.0
    conflicts = soft = identified = 0
    for i, j in pairs:
        score, conflict, soft_conflict, known = _pair(a[i], b[j])
        worst = min(worst, score)
        conflicts += conflict
        soft += soft_conflict
        identified += known
    return worst, total / len(pairs), conflicts, soft, identified / len(pairs)


def _features(a: tuple[Token, ...], b: tuple[Token, ...]) -> tuple[float, float, int, int, float]:
    if len(a) == 2 and len(b) == 2:
        p, q = _pair(a[0], b[0]), _pair(a[1], b[1])
        r, s = _pair(a[0], b[1]), _pair(a[1], b[0])
        if r[0] + s[0] > p[0] + q[0]:
            p, q = r, s
        return (
            min(p[0], q[0]),
            0.5 * (p[0] + q[0]),
            p[1] + q[1],
            p[2] + q[2],
            0.5 * (p[3] + q[3]),
        )
    if len(a) == 1 and len(b) == 1:
        p = _pair(a[0], b[0])
        return p[0], p[0], p[1], p[2], float(p[3])
    return _general(a, b)


def features(a: ParsedName, b: ParsedName) -> tuple[float, ...] | None:
    """The numbers the calibrated model uses (``FEATURES``), or None when a name is empty."""
    if not a.tokens or not b.tokens:
        return None
    return tuple(float(v) for v in _features(a.tokens, b.tokens))


def similarity(a: str, b: str) -> float:
    """Probability-like score in [0, 1] that ``a`` and ``b`` are spellings of the same name.

    Symmetric; 1.0 for names that parse to the same tokens; 0.0 when either has no letters.
    Compare it with ``THRESHOLD`` (``docs/names.md`` gives the measured precision and recall).

    >>> similarity("Ibrahim Ra'isi", "ابراهیم رئیسی") > 0.9
    True
    """
    sa = _NAMES.get(a)
    sb = _NAMES.get(b)
    if sa is None or sb is None:
        sa, sb = _both(a, b)
    if not sa or not sb:
        return 0.0
    if sa == sb:
        return 1.0
    c = _COEFFICIENTS or _coefficients()
    if len(sa) == 2 and len(sb) == 2:  # the common case, inlined (see _pair and _features)
        # symmetric without ordering the names: the four scores are the same either way, and
        # the sums below are sums of the same two numbers
        b0, b1 = sb
        x0 = TOKENS[sa[0]]
        x1 = TOKENS[sa[1]]
        row0 = x0.row
        row1 = x1.row
        p = row0.get(b0) or _remember(x0, TOKENS[b0])
        q = row1.get(b1) or _remember(x1, TOKENS[b1])
        ps = p[0]
        qs = q[0]
        if ps + qs < 2.0:  # else no other alignment scores more (a score is at most 1)
            r = row0.get(b1) or _remember(x0, TOKENS[b1])
            u = row1.get(b0) or _remember(x1, TOKENS[b0])
            if r[0] + u[0] > ps + qs:
                p, q = r, u
                ps = p[0]
                qs = q[0]
        z = (
            c[0]
            + c[1] * (ps if ps < qs else qs)
            + c[2] * 0.5 * (ps + qs)
            + c[3] * (p[1] + q[1])
            + c[4] * (p[2] + q[2])
            + c[5] * 0.5 * (p[3] + q[3])
        )
    else:
        if a > b:  # the general path is symmetric only in this order
            sa, sb = sb, sa
        v = _features(
            tuple([prepare(TOKENS[s]) for s in sa]), tuple([prepare(TOKENS[s]) for s in sb])
        )
        z = c[0] + c[1] * v[0] + c[2] * v[1] + c[3] * v[2] + c[4] * v[3] + c[5] * v[4]
    if z < -40.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))


_COEFFICIENTS: list[float] = []


def _coefficients() -> list[float]:
    model = calibration()
    _COEFFICIENTS[:] = [model.intercept, *model.weights]
    return _COEFFICIENTS


def clear_caches() -> None:
    """Forget every cached name, token and pair (for benchmarks and tests of cold behaviour)."""
    from dadkhah.names import keys, lexicon, tokens

    tokens.reset()
    keys._KEYS.clear()
    _SCORES.clear()
    _pairs[0] = 0
    _COEFFICIENTS.clear()
    calibration.cache_clear()
    lexicon._split_fa_cached.cache_clear()
    lexicon._split_latin_cached.cache_clear()
    lexicon._near_cached.cache_clear()
