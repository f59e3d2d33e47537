"""The counting report: list overlaps, estimates by method and stratum, and what they mean.

:func:`render_report` turns capture tables and estimates into an HTML fragment (an
``<article class="counting-report">``) that a page can embed: the staff page at ``/counting/``
does, and the memorial's public statistics page can reuse it. It shows only aggregate numbers
(counts per capture pattern and estimates), so it is safe to publish whenever the tables are.
:func:`render_document` wraps the fragment in a standalone HTML file with its stylesheet, and
``dadkhah.counting.pdf.render_pdf`` prints that file to PDF.

The report has, in this order: a summary (the recommended estimate, or why there is none, and
a notice when the table is synthetic), the lists, their overlap as an UpSet plot, the estimates
by method with their intervals, the LCMCR posterior, the estimates by stratum, and a
plain-language section in English and in Persian (right to left). Headings and captions are in
both languages. A method that could not run is named with the reason, never replaced by a
number. Plots are drawn by :mod:`dadkhah.counting.plots` (SVG, or PNG for the PDF) and embedded as ``data:`` URIs, so
the page and the PDF work offline.

Pure Python (matplotlib for the plots): no Django import.
"""

from __future__ import annotations

import base64
import datetime
import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from dadkhah.core.dates import Calendar, parse_partial_date
from dadkhah.counting import explain, plots
from dadkhah.counting.explain import digits, label, method_name, number
from dadkhah.counting.result import Estimate
from dadkhah.counting.table import CaptureTable

__all__ = [
    "CORE_METHODS",
    "REPORT_CSS",
    "VERSION",
    "Unavailable",
    "disagreement",
    "posterior_estimate",
    "render_document",
    "render_report",
    "row_label",
]

VERSION = "counting-report-v1"
CORE_METHODS = ("loglinear", "lcmcr")  # a report without one of them (or a recommendation) says so
REPORT_CSS = (
    resources.files("dadkhah.counting")
    .joinpath("static", "counting", "report.css")  # also served as a static file
    .read_text("utf-8")
)
# Diagnostics worth a glance in the methods table; the rest stay in the JSON output.
SHOWN_DIAGNOSTICS = (
    "deviance",
    "df",
    "AIC",
    "BIC",
    "SE",
    "rhat",
    "ess_bulk",
    "ess_tail",
    "selected_by",
    "seed",
    "version",
)
# Methods whose intervals are compared for disagreement (Chao is a lower bound, Chapman uses
# two lists only, and the ensemble is made of the others).
COMPARED = ("loglinear", "lcmcr", "stratified")
DRAW_KEYS = ("draws", "posterior", "samples")
STANDALONE_CSS = (
    'body { font-family: system-ui, "Noto Sans", "Segoe UI", Arial, sans-serif; '
    "max-width: 62rem; margin: 2rem auto; padding: 0 1rem; }"
)

Tables = Mapping[str | None, CaptureTable] | Iterable[CaptureTable] | CaptureTable


@dataclass(frozen=True)
class Unavailable:
    """A method the report could not use, and why (shown instead of a number)."""

    method: str
    reason: str


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _tables(tables: Tables) -> list[CaptureTable]:
    if isinstance(tables, CaptureTable):
        return [tables]
    if isinstance(tables, Mapping):
        return list(tables.values())
    return list(tables)


def _combined(tables: Sequence[CaptureTable]) -> CaptureTable:
    total = tables[0]
    for table in tables[1:]:
        total = total.merged(table)
    return total


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def disagreement(estimates: Iterable[Estimate]) -> bool:
    """Whether the methods disagree: the ensemble's judgement when an estimate carries it
    (``diagnostics["disagreement"]["disagree"]``), else whether two of the compared methods
    (overall, not per stratum) have intervals that do not overlap."""
    estimates = list(estimates)
    for e in estimates:
        judged = e.diagnostics.get("disagreement")
        if isinstance(judged, Mapping) and "disagree" in judged:
            return bool(judged["disagree"])
    spans = [
        e.interval
        for e in estimates
        if e.stratum is None and e.method in COMPARED and all(map(_finite, e.interval))
    ]
    return any(a[1] < b[0] or b[1] < a[0] for i, a in enumerate(spans) for b in spans[i + 1 :])


def posterior_estimate(estimates: Iterable[Estimate]) -> Estimate | None:
    """The estimate whose LCMCR posterior the report plots: the overall LCMCR estimate, else
    the stratified LCMCR total (the strata's draws added up)."""
    overall = [e for e in estimates if e.stratum is None]
    return next((e for e in overall if e.method == "lcmcr"), None) or next(
        (
            e
            for e in overall
            if e.method == "stratified" and e.diagnostics.get("combines") == "lcmcr"
        ),
        None,
    )


def _draws(source: Estimate | None, posterior: Any) -> np.ndarray | None:
    if posterior is None and source is not None:
        posterior = next(
            (source.diagnostics[key] for key in DRAW_KEYS if key in source.diagnostics), None
        )
    if posterior is None:
        return None
    values = np.asarray(posterior, dtype=float).ravel()
    values = values[np.isfinite(values)]
    return values if values.size >= 10 else None


def _img(fig: Figure, fmt: str, alt: str) -> str:
    data = base64.b64encode(plots.encode(fig, fmt)).decode("ascii")
    return f'<img src="data:{plots.FORMATS[fmt]};base64,{data}" alt="{_e(alt)}">'


class _Writer:
    """Builds the fragment in one or both languages."""

    def __init__(self, langs: tuple[str, ...]) -> None:
        self.langs = langs
        self.main = langs[0]
        self.both = len(langs) > 1
        self.out: list[str] = []

    def add(self, *parts: str) -> None:
        self.out.extend(parts)

    def num(self, value: float | None) -> str:
        return number(value, self.main)

    def text(self, key: str, inline: bool = False) -> str:
        """``key``'s label in the main language, and in Persian when both are shown: below it,
        or after it on the same line when ``inline``."""
        first = _e(label(key, self.main))
        if not self.both:
            return first
        fa = f'<span lang="fa" dir="rtl">{_e(label(key, "fa"))}</span>'
        return f"{first} · {fa}" if inline else first + fa.replace("<span ", '<span class="tr" ', 1)

    def heading(self, level: int, key: str, anchor: str) -> None:
        self.add(f'<h{level} id="{anchor}">{self.text(key)}</h{level}>')

    def paragraphs(self, key: str) -> str:
        return "".join(
            f'<p lang="{lang}" dir="{"rtl" if lang == "fa" else "ltr"}">{_e(label(key, lang))}</p>'
            for lang in self.langs
        )

    def method(self, method: str, inline: bool = False) -> str:
        first = _e(method_name(method, self.main))
        if not self.both:
            return first
        fa = _e(method_name(method, "fa"))
        if inline:
            return f'{first} · <span lang="fa" dir="rtl">{fa}</span>'
        return f'{first}<span class="tr" lang="fa" dir="rtl">{fa}</span>'


def _diagnostics(estimate: Estimate) -> str:
    """The diagnostics a reader checks first, in :data:`SHOWN_DIAGNOSTICS` order."""
    shown: list[str] = []
    for key in SHOWN_DIAGNOSTICS:
        value = estimate.diagnostics.get(key)
        if isinstance(value, bool) or isinstance(value, str) and len(value) <= 60:
            shown.append(f"{_e(key)}: {_e(value)}")
        elif isinstance(value, int | np.integer):
            shown.append(f"{_e(key)}: {int(value)}")
        elif isinstance(value, float | np.floating) and math.isfinite(value):
            shown.append(f"{_e(key)}: {float(value):.4g}")
    return "; ".join(shown)


def _estimate_rows(w: _Writer, estimates: Sequence[Estimate], with_stratum: bool) -> None:
    head = [w.text("method"), w.text("model"), w.text("observed"), w.text("estimate")]
    head += [w.text("interval"), w.text("diagnostics")]
    if with_stratum:
        head.insert(0, w.text("stratum"))
    w.add("<table><thead><tr>", *(f'<th scope="col">{h}</th>' for h in head))
    w.add("</tr></thead><tbody>")
    for e in estimates:
        recommended = (
            f' <span class="badge">{w.text("recommended", inline=True)}</span>'
            if e.recommended
            else ""
        )
        warnings = "".join(f'<br><span class="warning">{_e(text)}</span>' for text in e.warnings)
        cells = [
            f"{w.method(e.method)}{recommended}",
            f"<bdi>{_e(e.model)}</bdi>",
            f'<span class="num">{w.num(e.observed)}</span>',
            f'<span class="num">{w.num(e.estimate)}</span>',
            f'<span class="num">{w.num(e.interval[0])} – {w.num(e.interval[1])}</span>',
            f'<span class="diag">{_diagnostics(e)}</span>{warnings}',
        ]
        if with_stratum:
            cells.insert(0, f"<bdi>{_e(e.stratum)}</bdi>")
        row_class = ' class="recommended"' if e.recommended else ""
        w.add(f'<tr data-method="{_e(e.method)}"{row_class}>', *(f"<td>{c}</td>" for c in cells))
        w.add("</tr>")
    w.add("</tbody></table>")


SHORT_NAMES = {
    "loglinear": "log-linear",
    "chapman": "Chapman",
    "chao": "Chao",
    "lcmcr": "LCMCR",
    "stratified": "stratified",
    "ensemble": "ensemble",
}
LABEL_LENGTH = 44


def row_label(estimate: Estimate) -> str:
    """A short Latin label for a plot row: the method and its model, without repeating it."""
    short = SHORT_NAMES.get(estimate.method, estimate.method)
    model = estimate.model.strip()
    starts = model.lower().startswith((short.lower(), "recommended"))
    text = model if starts else f"{short} {model}".strip()
    if len(text) > LABEL_LENGTH:
        text = text[: LABEL_LENGTH - 1].rstrip() + "…"
    return plots.plot_label(text, short, limit=LABEL_LENGTH)


def _interval_rows(estimates: Sequence[Estimate]) -> list[plots.Interval]:
    return [
        plots.Interval(
            label=row_label(e),
            estimate=float(e.estimate),
            low=float(e.interval[0]),
            high=float(e.interval[1]),
            method=e.method,
            highlight=e.recommended,
        )
        for e in estimates
    ]


def _generated(when: datetime.datetime, lang: str) -> str:
    day = parse_partial_date(when.date().isoformat())
    if lang == "fa":
        return day.format(Calendar.SOLAR_HIJRI, "fa")
    return f"{when:%Y-%m-%d %H:%M} UTC ({day.format(Calendar.SOLAR_HIJRI, 'en')})"


def _chosen_method(recommended: Estimate) -> str:
    """The method behind a recommendation (the ensemble says which one it chose)."""
    chosen = recommended.diagnostics.get("chosen")
    if isinstance(chosen, Mapping) and isinstance(chosen.get("method"), str):
        return str(chosen["method"])
    return recommended.method


def _missing_methods(
    estimates: Sequence[Estimate], unavailable: Sequence[Unavailable], stratified: bool
) -> list[Unavailable]:
    out = list(unavailable)
    named = {u.method for u in out} | {e.method for e in estimates}
    expected = CORE_METHODS + (("stratified",) if stratified else ())
    out += [Unavailable(m, "no estimate was supplied") for m in expected if m not in named]
    if not any(e.recommended for e in estimates) and "ensemble" not in named:
        out.append(Unavailable("ensemble", "no estimate is marked as recommended"))
    return out


def render_report(
    tables: Tables,
    estimates: Sequence[Estimate],
    lang_both: bool = True,
    *,
    lang: str = "en",
    unavailable: Sequence[Unavailable] = (),
    synthetic: bool = False,
    synthetic_seed: int | None = None,
    true_total: int | None = None,
    seed: int | None = None,
    source: str | None = None,
    posterior: Any = None,
    generated: datetime.datetime | None = None,
    image_format: str = "svg",
) -> str:
    """The report as an HTML fragment (escaped; safe to embed in any page).

    ``tables`` are the capture tables (one per stratum, or one); ``estimates`` what the
    estimators returned, overall (``stratum`` None) and per stratum. With ``lang_both`` every
    heading and caption is in English and Persian and the plain-language section comes in both;
    otherwise only ``lang`` ("en" or "fa") is used. ``unavailable`` names methods that could
    not run (a core method with no estimate and no reason is listed as not supplied).
    ``synthetic`` marks an invented table, made with ``synthetic_seed``, whose simulated
    population was ``true_total``; ``seed`` is the estimators' seed; ``source`` names the table;
    ``posterior`` holds LCMCR draws of the population size (of the table, or summed over the
    strata) when the LCMCR estimate does not carry them in its diagnostics (``draws``). Plots are ``image_format`` ("svg" or "png")
    ``data:`` URIs.
    """
    if lang not in explain.LANGS:
        raise ValueError(f"unknown report language {lang!r}; use one of {explain.LANGS}")
    group = _tables(tables)
    if not group:
        raise ValueError("the report needs at least one capture table")
    langs = explain.LANGS if lang_both else (lang,)
    w = _Writer(langs if lang_both else (lang,))
    total = _combined(group)
    stratified = len(group) > 1 or group[0].stratum is not None
    overall = [e for e in estimates if e.stratum is None]
    by_stratum = [e for e in estimates if e.stratum is not None]
    missing = _missing_methods(estimates, unavailable, stratified)
    recommended = next((e for e in overall if e.recommended), None)
    facts = explain.Facts(
        observed=total.observed,
        lists=total.k,
        estimate=recommended.estimate if recommended else None,
        low=recommended.interval[0] if recommended else None,
        high=recommended.interval[1] if recommended else None,
        method=_chosen_method(recommended) if recommended else None,
        disagree=disagreement(overall),
        unavailable=tuple(dict.fromkeys(u.method for u in missing)),
    )
    when = generated or datetime.datetime.now(datetime.UTC)
    direction = "rtl" if w.main == "fa" else "ltr"
    w.add(
        f'<article class="counting-report" lang="{w.main}" dir="{direction}" '
        f'data-version="{VERSION}">'
    )

    # Summary
    w.add(f'<header><h1 id="counting-title">{w.text("title")}</h1>')
    if synthetic:
        w.add('<div class="synthetic-note" role="note">')
        for lg in langs:
            w.add(
                f'<p lang="{lg}" dir="{"rtl" if lg == "fa" else "ltr"}"><strong>'
                f"{_e(label('synthetic', lg))}.</strong> "
                f"{_e(explain.synthetic_note(synthetic_seed, lg, true_total))}</p>"
            )
        w.add("</div>")
    for lg in langs:
        w.add(
            f'<p class="headline" lang="{lg}" dir="{"rtl" if lg == "fa" else "ltr"}">'
            f"{_e(explain.headline(facts, lg))}</p>"
        )
    meta = [("generated", _e(_generated(when, w.main)))]
    if source:
        meta.insert(0, ("source", f"<bdi>{_e(source)}</bdi>"))
    if seed is not None:
        meta.append(("seed", _e(digits(str(seed), w.main))))
    w.add('<table class="meta"><tbody>')
    w.add(*(f'<tr><th scope="row">{w.text(k, inline=True)}</th><td>{v}</td></tr>' for k, v in meta))
    w.add("</tbody></table></header>")

    # The lists
    codes = [f"L{i + 1}" for i in range(total.k)]
    shown_names = [
        plots.plot_label(name, code) for name, code in zip(total.lists, codes, strict=True)
    ]
    w.heading(2, "lists", "counting-lists")
    w.add(
        f'<table class="lists"><thead><tr><th scope="col">{w.text("list_code")}</th>'
        f'<th scope="col">{w.text("list_name")}</th>'
        f'<th scope="col" class="num">{w.text("list_people")}</th></tr></thead><tbody>'
    )
    for code, (name, people) in zip(codes, total.list_totals().items(), strict=True):
        w.add(
            f'<tr><td>{code}</td><td><bdi>{_e(name)}</bdi></td><td class="num">{w.num(people)}</td></tr>'
        )
    w.add("</tbody></table>")
    strata_names = [t.stratum for t in group if t.stratum is not None]
    if shown_names != list(total.lists) or any(plots.plot_label(s, "") != s for s in strata_names):
        w.add(w.paragraphs("codes_note"))

    # Overlap
    w.heading(2, "overlap", "counting-overlap")
    w.add('<figure class="upset">')
    w.add(_img(plots.upset(total, shown_names), image_format, label("overlap", "en")))
    w.add(f"<figcaption>{w.paragraphs('overlap_caption')}</figcaption></figure>")

    # Methods
    w.heading(2, "methods", "counting-methods")
    if overall:
        w.add('<figure class="methods">')
        w.add(
            _img(
                plots.methods(_interval_rows(overall), total.observed, true_total),
                image_format,
                label("methods", "en"),
            )
        )
        w.add(f"<figcaption>{w.paragraphs('methods_caption')}</figcaption></figure>")
        _estimate_rows(w, overall, with_stratum=False)
    if recommended is not None:
        why = recommended.diagnostics.get("why") or recommended.diagnostics.get("reason")
        if why:
            w.add(f'<p class="why"><strong>{w.text("why", inline=True)}:</strong> {_e(why)}</p>')
    if missing:
        w.add('<ul class="unavailable-list">')
        for u in missing:
            w.add(
                f'<li data-unavailable="{_e(u.method)}"><span class="unavailable">'
                f"{w.text('unavailable', inline=True)}</span> {w.method(u.method, inline=True)}: "
                f"{_e(u.reason)}</li>"
            )
        w.add("</ul>")

    # LCMCR posterior
    w.heading(2, "posterior", "counting-posterior")
    shown = posterior_estimate(estimates)
    draws = _draws(shown, posterior)
    if draws is not None:
        if shown is not None:
            interval = (float(shown.interval[0]), float(shown.interval[1]))
        else:
            low, high = np.quantile(draws, (0.025, 0.975))
            interval = (float(low), float(high))
        w.add('<figure class="posterior">')
        fig = plots.posterior(draws, total.observed, interval)
        w.add(_img(fig, image_format, label("posterior", "en")))
        caption = w.paragraphs("posterior_caption")
        if shown is not None and shown.method == "stratified":
            caption += w.paragraphs("posterior_strata")
        w.add(f"<figcaption>{caption}</figcaption></figure>")
    else:
        has_lcmcr = any(e.method == "lcmcr" for e in estimates)
        reason = "no_draws" if has_lcmcr else "no_lcmcr"
        w.add(
            "".join(
                f'<p class="unavailable" lang="{lg}" dir="{"rtl" if lg == "fa" else "ltr"}">'
                f"{_e(label('no_posterior', lg) + label(reason, lg))}</p>"
                for lg in langs
            )
        )

    # Strata
    w.heading(2, "strata", "counting-strata")
    if by_stratum:
        panels = []
        order = list(dict.fromkeys([t.stratum for t in group] + [e.stratum for e in by_stratum]))
        for i, stratum in enumerate(s for s in order if s is not None):
            rows = [e for e in by_stratum if e.stratum == stratum]
            if rows:
                observed = rows[0].observed
                panels.append(
                    (plots.plot_label(stratum, f"S{i + 1}"), observed, _interval_rows(rows))
                )
        w.add('<figure class="strata">')
        w.add(_img(plots.strata(panels), image_format, label("strata", "en")))
        w.add(f"<figcaption>{w.paragraphs('strata_caption')}</figcaption></figure>")
        _estimate_rows(w, by_stratum, with_stratum=True)
    else:
        w.add(w.paragraphs("no_strata"))

    # Plain language, in each language
    for lg in langs:
        rtl = lg == "fa"
        w.add(
            f'<section class="plain" id="counting-plain-{lg}" lang="{lg}" '
            f'dir="{"rtl" if rtl else "ltr"}"><h2>{_e(label("plain", lg))}</h2>'
        )
        for part in explain.plain_language(facts, lg):
            w.add(f"<h3>{_e(part.heading)}</h3>")
            w.add(*(f"<p>{_e(p)}</p>" for p in part.paragraphs))
            if part.points:
                w.add("<ul>")
                w.add(*(f"<li><strong>{_e(a)}</strong> {_e(b)}</li>" for a, b in part.points))
                w.add("</ul>")
        w.add("</section>")
    w.add("</article>")
    return "\n".join(w.out)


def render_document(
    tables: Tables,
    estimates: Sequence[Estimate],
    lang_both: bool = True,
    *,
    lang: str = "en",
    extra_css: str = "",
    **options: Any,
) -> str:
    """A standalone HTML file: the report fragment with its stylesheet, no external resource."""
    body = render_report(tables, estimates, lang_both, lang=lang, **options)
    main = lang if not lang_both else "en"
    title = label("title", main)
    return (
        f'<!doctype html>\n<html lang="{main}" dir="{"rtl" if main == "fa" else "ltr"}">\n'
        f'<head><meta charset="utf-8"><title>{_e(title)}</title>\n'
        f'<meta name="generator" content="dadkhah {VERSION}">\n'
        f"<style>\n{STANDALONE_CSS}\n{REPORT_CSS}\n{extra_css}\n</style></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )
