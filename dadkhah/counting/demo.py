"""A SYNTHETIC capture table for demonstrations: four invented lists over three invented regions.

Nothing here describes a real person, list or place. The table comes from a seeded simulation
of a population of known size, so a reader of the demo report can compare each method with the
truth. The simulation has what real lists have and what makes counting hard:

- heterogeneity: a "visible" class of people (easy to record) and a "hidden" one (hard);
- list dependence: the NGO list was partly compiled from the families' list;
- regions that differ in size and in how well the lists cover them (a reason to stratify).

The same seed gives the same table on every machine (numpy's PCG64 ``Generator``).

Pure numpy: no Django import.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dadkhah.counting.table import CaptureTable, write_capture_csv

__all__ = ["DEMO_SEED", "LISTS", "STRATA_COLUMN", "Demo", "demo"]

DEMO_SEED = 1988
LISTS = ("families", "ngo", "press", "survivors")
STRATA_COLUMN = "region"
VERSION = "demo-table-v1"


@dataclass(frozen=True)
class _Region:
    name: str
    size: int
    hidden_share: float
    coverage: float  # multiplies every list's chance of recording someone


REGIONS = (
    _Region("Region A", 1900, 0.30, 1.00),
    _Region("Region B", 1100, 0.45, 0.75),
    _Region("Region C", 500, 0.60, 0.55),
)
# Chance that each list records a person of each class (before the region's coverage).
VISIBLE = np.array([0.50, 0.35, 0.25, 0.40])
HIDDEN = np.array([0.22, 0.14, 0.10, 0.18])
COPIED = 0.35  # chance the NGO list recorded someone because the families' list had them


@dataclass(frozen=True)
class Demo:
    """The demo tables by region, the true population sizes, and how they were made."""

    tables: dict[str | None, CaptureTable]
    true_sizes: dict[str, int]
    seed: int
    version: str = VERSION

    @property
    def true_total(self) -> int:
        return sum(self.true_sizes.values())

    def csv(self) -> str:
        """The tables as a capture CSV with a ``region`` strata column."""
        return write_capture_csv(self.tables.values(), strata=STRATA_COLUMN)


def demo(seed: int = DEMO_SEED) -> Demo:
    """Simulate the demo population with ``seed`` and tally its capture patterns by region."""
    rng = np.random.default_rng(seed)
    tables: dict[str | None, CaptureTable] = {}
    for region in REGIONS:
        hidden = rng.random(region.size) < region.hidden_share
        chance = np.where(hidden[:, None], HIDDEN, VISIBLE) * region.coverage
        captured = rng.random((region.size, len(LISTS))) < chance
        copied = captured[:, 0] & (rng.random(region.size) < COPIED)
        captured[:, 1] |= copied
        seen = captured[captured.any(axis=1)].astype(np.int64)
        patterns, counts = np.unique(seen, axis=0, return_counts=True)
        tables[region.name] = CaptureTable(LISTS, patterns, counts, region.name)
    return Demo(tables, {region.name: region.size for region in REGIONS}, seed)
