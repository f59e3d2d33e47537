"""Counting the dead: multiple systems estimation from overlapping lists.

Pure numpy/scipy core (no Django import outside the report views):

- ``table``: :class:`CaptureTable` and the capture-table CSV reader;
- ``result``: :class:`Estimate`, the one result type;
- ``simple``: two-list Chapman and the Chao lower bound;
- ``poisson``: Poisson regression as R's ``glm`` fits it, with aliasing and empty-cell checks;
- ``loglinear``: Rcapture-style log-linear models, model selection and averaging;
- ``run``: what ``dadkhah estimate`` runs, stratum by stratum.

See ``docs/counting.md`` for the method and its assumptions in plain words.
"""

from __future__ import annotations

from dadkhah.counting.result import Estimate
from dadkhah.counting.table import CaptureTable, CaptureTableError, read_capture_csv

__all__ = ["CaptureTable", "CaptureTableError", "Estimate", "read_capture_csv"]
