"""The one result type every estimator returns.

An :class:`Estimate` is a population size (people recorded on at least one list plus those no
list recorded) with a 95% interval and the diagnostics that let a reader judge it: goodness of
fit, effective sample size, warnings, the random seed and the algorithm's version. ``to_json``
gives the JSON line that ``dadkhah estimate --json`` prints.

Pure Python: no Django import.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Estimate", "jsonable"]


def jsonable(value: Any) -> Any:
    """``value`` made of plain JSON types: numpy scalars and arrays become Python numbers and
    lists, tuples become lists, and infinite or undefined numbers become ``None``."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(item) for item in value]
    if isinstance(value, np.ndarray):
        return [jsonable(item) for item in value.tolist()]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    return value


@dataclass
class Estimate:
    """A population size estimate from one method (and model) on one table."""

    method: str
    model: str
    observed: int
    estimate: float
    interval: tuple[float, float]
    diagnostics: dict[str, Any] = field(default_factory=dict)
    stratum: str | None = None
    recommended: bool = False

    @property
    def unobserved(self) -> float:
        """The estimated number of people no list recorded."""
        return self.estimate - self.observed

    @property
    def warnings(self) -> list[str]:
        """The warnings in the diagnostics (a list, possibly empty)."""
        found = self.diagnostics.get("warnings", [])
        return list(found) if isinstance(found, list | tuple) else [str(found)]

    def warn(self, message: str) -> None:
        """Add a warning to the diagnostics (kept once)."""
        found = self.diagnostics.setdefault("warnings", [])
        if message not in found:
            found.append(message)

    def to_json(self) -> dict[str, Any]:
        """``{"method","model","observed","estimate","interval":[lo,hi],"diagnostics":{…}}``,
        plus ``"stratum"`` and ``"recommended"`` when set. Non-finite numbers become null.
        Posterior draws stay in memory (the report plots them); the JSON line carries their
        count, not thousands of numbers."""
        diagnostics = dict(self.diagnostics)
        draws = diagnostics.pop("draws", None)
        if draws is not None:
            diagnostics["n_draws"] = len(draws)
        out: dict[str, Any] = {
            "method": self.method,
            "model": self.model,
            "observed": int(self.observed),
            "estimate": jsonable(self.estimate),
            "interval": [jsonable(self.interval[0]), jsonable(self.interval[1])],
            "diagnostics": jsonable(diagnostics),
        }
        if self.stratum is not None:
            out["stratum"] = self.stratum
        if self.recommended:
            out["recommended"] = True
        return out
