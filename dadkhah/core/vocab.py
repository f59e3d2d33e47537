"""Versioned vocabularies, loaded from YAML files owned by the app that uses them.

A vocabulary file looks like::

    version: 3
    vocabularies:
      event_type:
        label: {en: Event type, fa: نوع رویداد}
        terms:
          execution: {en: Execution, fa: اعدام}

Terms are looked up by code; unknown codes raise ``UnknownTerm`` naming the vocabulary
and listing the accepted codes, so an import can report the row and field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["Term", "Vocabulary", "UnknownTerm", "load_vocabularies"]


class UnknownTerm(ValueError):
    pass


@dataclass(frozen=True)
class Term:
    code: str
    labels: dict[str, str]
    extra: dict[str, Any] = field(default_factory=dict)

    def label(self, lang: str = "en") -> str:
        return self.labels.get(lang) or self.labels.get("en") or self.code


@dataclass(frozen=True)
class Vocabulary:
    name: str
    version: int
    labels: dict[str, str]
    terms: dict[str, Term]

    def get(self, code: str) -> Term:
        try:
            return self.terms[code]
        except KeyError:
            accepted = ", ".join(sorted(self.terms))
            raise UnknownTerm(f"unknown {self.name} term {code!r}; accepted: {accepted}") from None

    def choices(self, lang: str = "en") -> list[tuple[str, str]]:
        return [(t.code, t.label(lang)) for t in self.terms.values()]


@cache
def load_vocabularies(path: Path) -> dict[str, Vocabulary]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    version = int(data["version"])
    out: dict[str, Vocabulary] = {}
    for name, spec in data["vocabularies"].items():
        terms = {}
        for code, term in spec["terms"].items():
            labels = {k: v for k, v in term.items() if k in ("en", "fa")}
            extra = {k: v for k, v in term.items() if k not in ("en", "fa")}
            terms[str(code)] = Term(str(code), labels, extra)
        out[name] = Vocabulary(name, version, dict(spec.get("label", {})), terms)
    return out
