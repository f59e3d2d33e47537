"""Everything the report shows, computed once: the estimates and the methods that could not run.

:func:`collect` runs exactly what ``dadkhah estimate --method all`` runs
(:func:`dadkhah.counting.run.run`), so the report and the command give the same numbers for
the same table and seed (LCMCR estimates carry their posterior draws, which the report
plots). One thing is added for the report:

- **a method that fails does not take the others with it.** ``run`` stops at the first method
  that cannot estimate the table (right for the command, which exits with the message). The
  report then runs each method on its own, shows those that work and names the others with
  the reason (:class:`~dadkhah.counting.report.Unavailable`), and recommends nothing.

Pure Python over the counting core: no Django import.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dadkhah.counting import run as runner
from dadkhah.counting import simple
from dadkhah.counting.report import Unavailable
from dadkhah.counting.result import Estimate
from dadkhah.counting.table import CaptureTable

__all__ = ["REPORT_SUFFIXES", "Collected", "collect", "write_report"]

REPORT_SUFFIXES = (".html", ".htm", ".pdf")
# What a method raises when it cannot estimate a table (bad model, too few lists, no overlap).
ESTIMATION_ERRORS = (ValueError, ArithmeticError, np.linalg.LinAlgError)


@dataclass
class Collected:
    """What the report needs from the estimators."""

    estimates: list[Estimate]
    seed: int
    unavailable: list[Unavailable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _one_by_one(
    tables: Mapping[str | None, CaptureTable], seed: int, failure: Exception
) -> tuple[list[Estimate], list[Unavailable]]:
    """Each method on its own, after ``run`` failed with ``failure``."""
    estimates: list[Estimate] = []
    unavailable: list[Unavailable] = []
    for stratum, table in tables.items():
        where = f" (stratum {stratum})" if stratum is not None else ""
        baselines = [simple.chapman] if table.k == 2 else []
        for baseline in [*baselines, simple.chao]:
            try:
                estimates.append(baseline(table))
            except ESTIMATION_ERRORS as exc:
                unavailable.append(Unavailable(baseline.__name__, f"{exc}{where}"))
    for method in ("loglinear", "lcmcr"):
        try:
            estimates.extend(runner.run(dict(tables), method=method, seed=seed).estimates)
        except ESTIMATION_ERRORS as exc:
            unavailable.append(Unavailable(method, str(exc)))
    unavailable.append(
        Unavailable("ensemble", f"no estimate is recommended because a method failed: {failure}")
    )
    return estimates, unavailable


def collect(tables: Mapping[str | None, CaptureTable], seed: int | None = None) -> Collected:
    """Run every method over ``tables`` (one per stratum) with ``seed`` (random when None)."""
    seed = secrets.randbits(32) if seed is None else int(seed)
    try:
        result = runner.run(dict(tables), method="all", seed=seed)
    except ESTIMATION_ERRORS as exc:
        estimates, unavailable = _one_by_one(tables, seed, exc)
        return Collected(estimates, seed, unavailable)
    return Collected(result.estimates, seed, [], list(result.notes))


def write_report(
    path: Path,
    tables: Mapping[str | None, CaptureTable],
    estimates: Sequence[Estimate],
    **options: Any,
) -> None:
    """Write the report on ``estimates`` to ``path``: standalone HTML, or PDF for ``.pdf``.
    ``options`` are :func:`~dadkhah.counting.report.render_report`'s."""
    from dadkhah.counting import pdf, report

    suffix = path.suffix.lower()
    if suffix not in REPORT_SUFFIXES:
        raise ValueError(
            f"{path}: the report is written as .html or .pdf, not {suffix or 'no suffix'!r}"
        )
    if suffix == ".pdf":
        path.write_bytes(pdf.report_pdf(tables, estimates, **options))
    else:
        path.write_text(report.render_document(tables, estimates, **options), encoding="utf-8")
