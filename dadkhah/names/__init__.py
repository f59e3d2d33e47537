"""Names across scripts: Persian and Latin spellings of Iranian names.

The stable API (see ``docs/names.md``):

- ``normalize(name) -> str``: one spelling of the letters (Arabic forms to Persian, digits to
  ASCII, no diacritics, tatweel or non-joiner, Latin lower-cased, "Family, Given" reordered);
- ``match_keys(name) -> set[str]``: blocking keys that agree across scripts and
  transliterations;
- ``similarity(a, b) -> float``: calibrated score in [0, 1], symmetric; compare it with
  ``THRESHOLD``;
- ``transliterate(name, to="latin" | "fa") -> list[str]``: ranked candidates in the other script.

``VERSION`` names the algorithm, lexicon and calibration that produce scores and keys; record it
with a published match. Pure Python: no Django import.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from dadkhah.names.keys import match_keys
from dadkhah.names.lexicon import DATA
from dadkhah.names.normalization import normalize
from dadkhah.names.translit import Target, transliterate

if TYPE_CHECKING:
    from dadkhah.names.compare import similarity

__all__ = [
    "normalize",
    "match_keys",
    "similarity",
    "transliterate",
    "Target",
    "VERSION",
    "THRESHOLD",
]

# bump when keys or scores change; 2: a Latin "th" keys both readings (ث, and ت/ط + ح/ه)
_ALGORITHM = 2

# ``similarity`` (and rapidfuzz, which it uses), ``VERSION`` and ``THRESHOLD`` (and yaml, which
# reads them) are loaded on first use, so that ``import dadkhah.names`` for blocking or
# normalizing alone stays quick:
#: ``VERSION``: the algorithm, the lexicon and the calibration, e.g.
#: "names-2/lexicon-1/calibration-1"; ``THRESHOLD``: the score at or above which two names are
#: taken as spellings of the same name (calibrated).


@cache
def _versions() -> dict[str, Any]:
    import yaml

    lexicon_ = yaml.safe_load((DATA / "lexicon.yaml").read_text(encoding="utf-8"))
    calibration = yaml.safe_load((DATA / "calibration.yaml").read_text(encoding="utf-8"))
    return {
        "VERSION": (
            f"names-{_ALGORITHM}/lexicon-{lexicon_['version']}/calibration-{calibration['version']}"
        ),
        "THRESHOLD": float(calibration["threshold"]),
    }


def __getattr__(name: str) -> Any:
    if name == "similarity":
        from dadkhah.names.compare import similarity

        globals()["similarity"] = similarity
        return similarity
    if name in ("VERSION", "THRESHOLD"):
        value = _versions()[name]
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    VERSION: str
    THRESHOLD: float
