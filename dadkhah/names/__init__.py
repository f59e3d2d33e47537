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

import yaml

from dadkhah.names.compare import similarity
from dadkhah.names.keys import match_keys
from dadkhah.names.lexicon import DATA
from dadkhah.names.normalization import normalize
from dadkhah.names.translit import Target, transliterate

__all__ = [
    "normalize",
    "match_keys",
    "similarity",
    "transliterate",
    "Target",
    "VERSION",
    "THRESHOLD",
]

_ALGORITHM = 1
_LEXICON = yaml.safe_load((DATA / "lexicon.yaml").read_text(encoding="utf-8"))
_CALIBRATION = yaml.safe_load((DATA / "calibration.yaml").read_text(encoding="utf-8"))

#: Version of the algorithm, the lexicon and the calibration, e.g. "names-1/lexicon-1/calibration-1".
VERSION: str = (
    f"names-{_ALGORITHM}/lexicon-{_LEXICON['version']}/calibration-{_CALIBRATION['version']}"
)

#: Score at or above which two names are taken as spellings of the same name (calibrated).
THRESHOLD: float = float(_CALIBRATION["threshold"])
