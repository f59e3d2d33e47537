"""The report's plots, drawn server-side with matplotlib and encoded as SVG or PNG.

Four plots, each a function of plain data that returns a matplotlib :class:`Figure`;
:func:`encode` turns a figure into SVG (for web pages) or PNG (rasterised by the Agg backend;
WeasyPrint draws it much faster than a detailed SVG, so the PDF uses it):

- :func:`upset`: the overlap of the lists as an UpSet plot (people per capture pattern,
  the pattern as a dot matrix below, people per list on the left);
- :func:`methods`: the estimate of each method with its 95% interval;
- :func:`posterior`: a histogram of the LCMCR posterior draws of the population size;
- :func:`strata`: the estimates by stratum, one panel per stratum.

Figures are built with :class:`matplotlib.figure.Figure` (no pyplot state, safe in a server).
In SVG, text is drawn as paths and ids are salted, so the same data gives the same bytes and no
font is needed where the SVG is shown. matplotlib cannot shape Persian, so names that are not
in Latin script are replaced by the short codes (``L1``, ``S1``, …) the report's tables explain;
see :func:`plot_label`.

Pure matplotlib and numpy: no Django import.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, cast

import matplotlib
import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from dadkhah.counting.table import CaptureTable

__all__ = [
    "FORMATS",
    "Interval",
    "encode",
    "methods",
    "plot_label",
    "posterior",
    "strata",
    "upset",
]

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
INK = "#1c1f23"
MUTED = "#8a9099"
FAINT = "#d5d9de"
BLUE = "#0072B2"
ORANGE = "#D55E00"
GREEN = "#009E73"
PURPLE = "#CC79A7"
PURPLE_DARK = "#5b2a86"  # the synthetic-data colour of the site
SKY = "#56B4E9"
YELLOW = "#E69F00"
METHOD_COLOURS = {
    "loglinear": BLUE,
    "chapman": SKY,
    "chao": MUTED,
    "lcmcr": GREEN,
    "stratified": PURPLE,
    "ensemble": YELLOW,
}
STYLE: dict[str, Any] = {
    "svg.fonttype": "path",  # no font needed where the SVG is shown
    "svg.hashsalt": "dadkhah-counting",  # stable ids: same data, same bytes
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
MAX_PATTERNS = 40  # an UpSet plot of 6 lists has up to 63 columns; the smallest are summed
_LATIN = re.compile(r"^[\x20-\x7e\u00a0-\u024f\u2010-\u2027]*$")  # Latin, dashes, "…"


@dataclass(frozen=True)
class Interval:
    """One row of an interval plot: a label, the estimate and its 95% interval."""

    label: str
    estimate: float
    low: float
    high: float
    method: str = ""
    highlight: bool = False


def _style() -> AbstractContextManager[None]:
    """matplotlib's settings for the report's plots, for the duration of a ``with`` block."""
    return matplotlib.rc_context(cast(Any, STYLE))


def plot_label(name: str, code: str, limit: int = 28) -> str:
    """``name`` when matplotlib can draw it (Latin script) and it is short, else ``code``."""
    if name and _LATIN.match(name) and len(name) <= limit:
        return name
    return code


FORMATS = {"svg": "image/svg+xml", "png": "image/png"}
PNG_DPI = 200


def encode(fig: Figure, fmt: str = "svg") -> bytes:
    """``fig`` as SVG or PNG bytes (see :data:`FORMATS`), without a creation date."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown image format {fmt!r}; use one of {', '.join(FORMATS)}")
    out = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    with _style():
        fig.savefig(out, format=fmt, dpi=PNG_DPI, bbox_inches="tight", metadata=metadata)
    return out.getvalue()


def _figure(width: float, height: float) -> Figure:
    with _style():
        return Figure(figsize=(width, height), layout="constrained")


def _number(value: float) -> str:
    return f"{value:,.0f}"


def _finite(value: float) -> bool:
    return value is not None and math.isfinite(value)


def upset(table: CaptureTable, list_labels: Sequence[str] | None = None) -> Figure:
    """The UpSet plot of ``table``: one column per observed pattern, largest first."""
    labels = list(list_labels) if list_labels is not None else list(table.lists)
    k = table.k
    order = np.lexsort((table.patterns.sum(axis=1), -table.counts))
    patterns = table.patterns[order]
    counts = table.counts[order]
    rest = 0
    if len(counts) > MAX_PATTERNS:
        rest = int(counts[MAX_PATTERNS - 1 :].sum())
        patterns, counts = patterns[: MAX_PATTERNS - 1], counts[: MAX_PATTERNS - 1]
    m = len(counts) + (1 if rest else 0)
    totals = table.counts @ table.patterns
    with _style():
        fig = _figure(max(4.5, 1.8 + 0.32 * m), 2.6 + 0.28 * k)
        grid = fig.add_gridspec(
            2, 2, width_ratios=(1.2, max(2.0, 0.32 * m)), height_ratios=(2.2, 0.22 * k + 0.3)
        )
        bars = fig.add_subplot(grid[0, 1])
        matrix = fig.add_subplot(grid[1, 1], sharex=bars)
        sizes = fig.add_subplot(grid[1, 0], sharey=matrix)
        fig.add_subplot(grid[0, 0]).set_axis_off()

        x = np.arange(m)
        heights = list(counts) + ([rest] if rest else [])
        colours = [BLUE] * len(counts) + ([MUTED] if rest else [])
        drawn = bars.bar(x, heights, color=colours, width=0.7)
        bars.bar_label(drawn, labels=[_number(h) for h in heights], fontsize=7, padding=1.5)
        bars.set_ylabel("People with this pattern")
        bars.tick_params(axis="x", bottom=False, labelbottom=False)
        bars.margins(y=0.12)

        y = np.arange(k)[::-1]
        for col, pattern in enumerate(patterns):
            on = np.flatnonzero(pattern)
            matrix.scatter(np.full(k, col), y, s=34, color=FAINT, zorder=1)
            matrix.scatter(np.full(len(on), col), y[on], s=34, color=INK, zorder=3)
            if len(on) > 1:
                matrix.plot([col, col], [y[on].min(), y[on].max()], color=INK, lw=1.6, zorder=2)
        if rest:
            matrix.text(
                m - 1,
                (k - 1) / 2,
                "other\npatterns",
                ha="center",
                va="center",
                fontsize=6.5,
                color=MUTED,
            )
        matrix.set_yticks(y, labels)
        matrix.set_ylim(-0.6, k - 0.4)
        matrix.set_xlim(-0.6, m - 0.4)
        matrix.tick_params(axis="both", length=0)
        matrix.tick_params(axis="x", labelbottom=False)
        for spine in matrix.spines.values():
            spine.set_visible(False)
        for row in range(k):
            if row % 2 == 0:
                matrix.axhspan(row - 0.5, row + 0.5, color="#f4f5f7", zorder=0)

        sizes.barh(y, totals, color=MUTED, height=0.55)
        sizes.invert_xaxis()
        sizes.set_xlabel("People on the list")
        sizes.tick_params(axis="y", left=False, labelleft=False)
        sizes.spines["left"].set_visible(False)
        sizes.spines["right"].set_visible(True)
        sizes.xaxis.set_major_locator(ticker.MaxNLocator(3))
        sizes.set_xlim(max(int(totals.max()), 1) * 1.15, 0)
    return fig


def _interval_panel(
    ax: Axes, rows: Sequence[Interval], observed: float | None, truth: float | None = None
) -> None:
    finite = [v for row in rows for v in (row.estimate, row.low, row.high) if _finite(v)]
    finite += [v for v in (observed, truth) if v is not None]
    top = max(finite) if finite else 1.0
    low = min(finite) if finite else 0.0
    span = max(top - low, 1.0)
    right = top + 0.08 * span
    left = max(0.0, low - 0.08 * span)
    y = np.arange(len(rows))[::-1]
    for yi, row in zip(y, rows, strict=True):
        colour = METHOD_COLOURS.get(row.method, INK)
        lo = row.low if _finite(row.low) else left
        hi = row.high if _finite(row.high) else right
        ax.plot(
            [lo, hi],
            [yi, yi],
            color=colour,
            lw=3.2 if row.highlight else 2.2,
            solid_capstyle="butt",
        )
        if not _finite(row.high):
            ax.annotate(
                "",
                xy=(right, yi),
                xytext=(right - 0.02 * span, yi),
                arrowprops={"arrowstyle": "->", "color": colour},
            )
        if _finite(row.estimate):
            ax.plot(
                [row.estimate],
                [yi],
                marker="D" if row.highlight else "o",
                ms=7 if row.highlight else 5.5,
                color=colour,
                mec=INK if row.highlight else colour,
                zorder=3,
            )
    if observed is not None:
        ax.axvline(observed, color=ORANGE, ls="--", lw=1.1)
        ax.text(observed, len(rows) - 0.45, " observed", color=ORANGE, fontsize=7, va="bottom")
    if truth is not None:
        ax.axvline(truth, color=PURPLE_DARK, ls=":", lw=1.4)
        ax.text(
            truth, len(rows) - 0.45, " simulated truth", color=PURPLE_DARK, fontsize=7, va="bottom"
        )
    ax.set_yticks(y, [row.label for row in rows])
    for tick, row in zip(ax.get_yticklabels(), rows, strict=True):
        if row.highlight:
            tick.set_fontweight("bold")
    ax.set_ylim(-0.7, len(rows) - 0.1)
    ax.set_xlim(left, right)
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: _number(v)))
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", color=FAINT, lw=0.6)
    ax.set_axisbelow(True)


def methods(rows: Sequence[Interval], observed: int, truth: int | None = None) -> Figure:
    """Each method's estimate (dot) and 95% interval (bar); the dashed line is the observed
    count, the dotted one the true size of a simulated population (``truth``)."""
    with _style():
        fig = _figure(7.0, 0.9 + 0.38 * max(len(rows), 1))
        ax = fig.add_subplot()
        _interval_panel(ax, rows, observed, truth)
        ax.set_xlabel("Population size (recorded + estimated unrecorded), 95% interval")
    return fig


def strata(panels: Sequence[tuple[str, int, Sequence[Interval]]]) -> Figure:
    """One panel per stratum ``(label, observed, rows)``, each on its own scale."""
    heights = [0.55 + 0.34 * max(len(rows), 1) for _, _, rows in panels]
    with _style():
        fig = _figure(7.0, 0.5 + sum(heights))
        axes = fig.subplots(len(panels), 1, squeeze=False, gridspec_kw={"height_ratios": heights})[
            :, 0
        ]
        for ax, (label, observed, rows) in zip(axes, panels, strict=True):
            _interval_panel(ax, rows, observed)
            ax.set_title(label, loc="left", fontsize=9, fontweight="bold")
        axes[-1].set_xlabel("Population size in the stratum, 95% interval")
    return fig


def posterior(draws: np.ndarray, observed: int, interval: tuple[float, float]) -> Figure:
    """Histogram of the posterior draws of the population size, with median and 95% interval."""
    values = np.asarray(draws, dtype=float)
    values = values[np.isfinite(values)]
    median = float(np.median(values))
    with _style():
        fig = _figure(7.0, 2.8)
        ax = fig.add_subplot()
        bins = min(60, max(10, int(np.sqrt(len(values)))))
        ax.hist(values, bins=bins, color=GREEN, alpha=0.75, edgecolor="white", linewidth=0.4)
        ax.axvspan(interval[0], interval[1], color=GREEN, alpha=0.08, zorder=0)
        ax.axvline(median, color=INK, lw=1.4)
        ax.text(median, ax.get_ylim()[1], f" median {_number(median)}", va="top", fontsize=7.5)
        for bound in interval:
            ax.axvline(bound, color=GREEN, ls=":", lw=1.2)
        ax.axvline(observed, color=ORANGE, ls="--", lw=1.1)
        ax.text(observed, ax.get_ylim()[1] * 0.9, " observed", color=ORANGE, fontsize=7, va="top")
        ax.set_xlabel("Population size (posterior draws); dotted lines: 95% interval")
        ax.set_ylabel("Draws")
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: _number(v)))
        left = min(observed, float(values.min()))
        ax.set_xlim(left - 0.03 * (values.max() - left + 1), values.max() * 1.02 + 1)
    return fig
