"""Places gazetteer: cities and prisons under one key each, in both scripts and their variants.

``Gazetteer.default()`` loads ``data/places.yaml`` (versioned data, not code). ``lookup`` finds
the key of a place as a list writes it:

1. the text is normalized (``dadkhah.names.normalize``: Arabic letter forms, the non-joiner,
   case and accents), and tried whole, then each of its comma-separated parts ("Evin, Tehran");
2. exact on the normalized spellings, then with the kind's generic words set aside ("Evin
   Prison", "زندان اوین", "Tehran, Iran");
3. else the most similar spelling of the same kind among those that share a blocking key
   (``names.match_keys``), if ``names.similarity`` reaches ``SIMILARITY`` (cross-script
   "Gohardasht" and "گوهردشت", unlisted transliterations). Ties between keys find nothing.

A lookup without a kind searches every kind and finds nothing when two kinds' keys match
equally well. Results are cached per gazetteer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from dadkhah.names import match_keys, normalize, similarity

__all__ = ["Gazetteer", "KINDS", "SIMILARITY", "PLACES"]

KINDS = ("city", "prison")
#: ``names.similarity`` at or above which an unlisted spelling is taken as a known place. Above
#: the score of near neighbours (Kerman / Kermanshah: 0.79), below the cross-script scores of
#: single words (Gohardasht / گوهردشت: 0.89).
SIMILARITY = 0.85
PLACES = Path(__file__).parent / "data" / "places.yaml"
_PARTS = str.maketrans({"،": ",", "؛": ",", ";": ",", "/": ",", "(": ",", ")": ","})


@dataclass(frozen=True)
class _Entry:
    key: str
    kind: str


class Gazetteer:
    """Known places by kind; see the module docstring."""

    def __init__(
        self, generic: dict[str, Iterable[str]] | None = None, version: str | None = None
    ) -> None:
        self.version = version
        self._generic: dict[str, frozenset[str]] = {
            kind: frozenset(normalize(w) for w in (generic or {}).get(kind, ())) for kind in KINDS
        }
        self._names: dict[str, list[str]] = {}  # key -> spellings as given
        self._kind: dict[str, str] = {}  # key -> kind
        self._exact: dict[tuple[str, str], str] = {}  # (kind, normalized spelling) -> key
        self._stripped: dict[tuple[str, str], str] = {}  # (kind, spelling sans generic) -> key
        self._by_key: dict[tuple[str, str], set[str]] = {}  # (kind, match key) -> spellings
        self._cache: dict[tuple[str, str | None], str | None] = {}

    # --------------------------------------------------------------------------- building

    @classmethod
    def default(cls) -> Gazetteer:
        """The gazetteer of ``data/places.yaml``: a fresh copy, so ``add`` changes only it."""
        return _default().copy()

    @classmethod
    def from_yaml(cls, path: Path) -> Gazetteer:
        """Load a places file (see ``data/places.yaml``); raise ValueError naming the problem."""
        data: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("places"), list):
            raise ValueError(f"{path}: a places file needs a 'places' list")
        gazetteer = cls(data.get("generic") or {}, str(data.get("version", "")) or None)
        for i, entry in enumerate(data["places"], 1):
            if not isinstance(entry, dict) or not {"key", "kind", "names"} <= set(entry):
                raise ValueError(f"{path}: place {i} needs a key, a kind and names")
            try:
                gazetteer.add(
                    str(entry["key"]), [str(n) for n in entry["names"]], str(entry["kind"])
                )
            except ValueError as exc:
                raise ValueError(f"{path}: place {i} ({entry['key']}): {exc}") from exc
        return gazetteer

    def copy(self) -> Gazetteer:
        other = Gazetteer(version=self.version)
        other._generic = dict(self._generic)
        other._names = {k: list(v) for k, v in self._names.items()}
        other._kind = dict(self._kind)
        other._exact = dict(self._exact)
        other._stripped = dict(self._stripped)
        other._by_key = {k: set(v) for k, v in self._by_key.items()}
        return other

    def add(self, key: str, names: Iterable[str], kind: str) -> None:
        """Add spellings of place ``key`` of ``kind`` ("city" or "prison").

        Raises ValueError when the kind is unknown, the key has another kind, or a spelling
        already belongs to another place of the same kind.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
        if not key:
            raise ValueError("a place needs a key")
        if self._kind.get(key, kind) != kind:
            raise ValueError(f"key {key!r} is a {self._kind[key]}, not a {kind}")
        spellings = [n for n in names if n and n.strip()]
        if not spellings and key not in self._kind:
            raise ValueError(f"place {key!r} needs at least one name")
        for name in spellings:
            norm = normalize(name)
            if (owner := self._exact.get((kind, norm), key)) != key:
                raise ValueError(f"{name!r} already names {kind} {owner!r}")
        self._kind[key] = kind
        known = self._names.setdefault(key, [])
        for name in spellings:
            norm = normalize(name)
            known.append(name)
            self._exact[kind, norm] = key
            stripped = self._strip(norm, kind)
            if stripped and stripped != norm:
                self._stripped.setdefault((kind, stripped), key)
            for form in {norm, stripped} - {""}:
                for mk in match_keys(form):
                    self._by_key.setdefault((kind, mk), set()).add(form)
        self._cache.clear()

    # ----------------------------------------------------------------------------- reading

    def keys(self, kind: str | None = None) -> list[str]:
        """The keys of ``kind`` (every kind when None), sorted."""
        return sorted(k for k, v in self._kind.items() if kind is None or v == kind)

    def names(self, key: str) -> list[str]:
        """The spellings of ``key`` as given (KeyError when unknown)."""
        return list(self._names[key])

    def kind_of(self, key: str) -> str:
        return self._kind[key]

    def lookup(self, text: str | None, kind: str | None = None) -> str | None:
        """The key of the place ``text`` names, or None; see the module docstring."""
        if text is None or not text.strip():
            return None
        if kind is not None and kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
        cache_key = (text, kind)
        if cache_key in self._cache:
            return self._cache[cache_key]
        found = self._lookup(text, kind)
        if len(self._cache) > 1 << 16:
            self._cache.clear()
        self._cache[cache_key] = found
        return found

    def key_or_text(self, text: str | None, kind: str) -> str | None:
        """The key of the place, else its normalized text without generic words (so that
        unknown places still compare), None when empty."""
        key = self.lookup(text, kind)
        if key is not None or text is None:
            return key
        norm = normalize(text.translate(_PARTS).replace(",", " "))
        return self._strip(norm, kind) or norm or None

    # ---------------------------------------------------------------------------- matching

    def _strip(self, norm: str, kind: str | None) -> str:
        generic = (
            self._generic.get(kind, frozenset())
            if kind
            else frozenset().union(*self._generic.values())
        )
        return " ".join(w for w in norm.split() if w not in generic)

    def _forms(self, text: str) -> list[str]:
        """Normalized forms to try: the whole text, then each comma-separated part."""
        parts = [p.strip() for p in text.translate(_PARTS).split(",") if p.strip()]
        forms = [normalize(" ".join(parts))] if len(parts) > 1 else []
        forms += [normalize(p) for p in parts]
        return [f for f in dict.fromkeys(forms) if f]

    def _lookup(self, text: str, kind: str | None) -> str | None:
        kinds = (kind,) if kind is not None else KINDS
        forms = self._forms(text)
        for index in (self._exact, None):
            for form in forms:
                found = set()
                for k in kinds:
                    if index is None:  # the text without generic words, among exact spellings
                        stripped = self._strip(form, k)
                        hit = self._exact.get((k, stripped)) or self._stripped.get((k, stripped))
                    else:
                        hit = index.get((k, form))
                    if hit is not None:
                        found.add(hit)
                if len(found) == 1:
                    return found.pop()
                if found:
                    return None  # ambiguous between kinds
        return self._similar(forms, kinds)

    def _similar(self, forms: list[str], kinds: tuple[str, ...]) -> str | None:
        best: dict[str, float] = {}
        for form in forms:
            for k in kinds:
                probe = self._strip(form, k) or form
                candidates: set[str] = set()
                for mk in match_keys(probe):
                    candidates |= self._by_key.get((k, mk), set())
                for spelling in candidates:
                    score = similarity(probe, spelling)
                    if score >= SIMILARITY:
                        key = self._exact.get((k, spelling)) or self._stripped[k, spelling]
                        best[key] = max(best.get(key, 0.0), score)
        if not best:
            return None
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))
        if len(ranked) > 1 and ranked[1][1] == ranked[0][1]:
            return None
        return ranked[0][0]


@cache
def _default() -> Gazetteer:
    return Gazetteer.from_yaml(PLACES)
