"""Dossier figures as markup: a timeline and an offline locator map (the command graph is in
:mod:`dadkhah.dossiers.graph`, built on the inputs and text helpers here).

Each figure function returns one well-formed ``<figure>`` element (HTML, parseable as XML)
that needs nothing outside itself: no URL, no script, no font of its own. Lines, bars and
markers are HTML boxes or an inline SVG *without text*; every word is HTML text, absolutely
positioned where needed. WeasyPrint 70 draws SVG ``<text>`` without Arabic shaping or
right-to-left ordering, while its HTML text is shaped by Pango and HarfBuzz; so Persian labels
are correct both in a browser and in the PDF (see docs/dossiers.md, "Figures").

- :func:`timeline`: spans on a time axis with year ticks in both calendars, grouped.
- :func:`place_map`: equirectangular plot of points with a graticule; lists the points
  without coordinates.
- ``graph.sat_with`` and ``graph.command_graph``: who sat with whom, as a table and a graph.

With ``lang="fa"`` the text is Persian (``label_fa``, falling back to ``label``), the
figure is ``dir="rtl"`` and time runs from right to left; maps are never mirrored.
Same input, same bytes: nothing depends on the clock, the locale or hash order.
No Django import.
"""

from __future__ import annotations

import datetime
import html
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

from dadkhah.core.dates import (
    Calendar,
    PartialDate,
    Precision,
    gregorian_to_sh,
    sh_days_in_month,
    sh_to_gregorian,
)
from dadkhah.core.vocab import UnknownTerm, load_vocabularies

__all__ = [
    "FIGURE_CSS",
    "Overlap",
    "Point",
    "Seat",
    "Span",
    "place_map",
    "timeline",
]

SPAN_KINDS = ("post", "event", "membership")
GRAVE_KINDS = frozenset({"mass_grave", "cemetery", "grave", "grave_site", "burial"})
_TERMS = Path(__file__).resolve().parents[1] / "records" / "vocab" / "terms.yaml"

FIGURE_CSS = resources.files("dadkhah.dossiers").joinpath("figures.css").read_text("utf-8")

_WORDS = {  # key: (English, Persian)
    "no_dated": ("No dated items.", "هیچ موردِ تاریخ\u200cدار وجود ندارد."),
    "undated": ("Not dated", "بدون تاریخ"),
    "c.": ("c.", "حدود"),
    "unknown_start": ("start unknown", "آغاز نامعلوم"),
    "open_end": ("to date or end unknown", "تا کنون یا پایان نامعلوم"),
    "legend_tl": (
        "solid: dated; dashed: approximate; fading end: open (to date or not known); diamond: "
        "a single day. Years: Gregorian / Solar Hijri.",
        "نوار پر: تاریخ\u200cدار؛ خط\u200cچین: تقریبی؛ انتهای محو: باز (تا کنون یا نامعلوم)؛ "
        "لوزی: یک روز. سال\u200cها: هجری شمسی / میلادی.",
    ),
    "post": ("post", "سمت"),
    "membership": ("membership", "عضویت"),
    "event": ("event", "رویداد"),
    "no_places": ("No places.", "مکانی ثبت نشده است."),
    "no_coords": ("Location not known", "مکان نامعلوم"),
    "num": ("No.", "شماره"),
    "place": ("Place", "مکان"),
    "kind": ("Kind", "نوع"),
    "coords": ("Coordinates", "مختصات"),
    "status": ("Status", "وضعیت"),
    "legend_map": (
        "Offline locator map, equirectangular projection; circle: place, square: grave site; "
        "red outline: a status is recorded. No borders are drawn.",
        "نقشهٔ راهنمای آفلاین با تصویر استوانه\u200cای هم\u200cفاصله؛ دایره: مکان، مربع: محل "
        "دفن؛ حاشیهٔ قرمز: وضعیتی ثبت شده است. مرزها رسم نشده\u200cاند.",
    ),
    "no_posts": ("No posts recorded.", "سمتی ثبت نشده است."),
    "body": ("Body", "نهاد"),
    "person": ("Person", "شخص"),
    "with": ("Sat with", "هم\u200cزمان با"),
    "overlap": ("Overlap", "دورهٔ هم\u200cزمانی"),
    "unsure": ("uncertain: a date is unknown", "نامطمئن: تاریخی نامعلوم است"),
    "no_pairs": (
        "Nobody held a post in the same body at an overlapping time.",
        "هیچ دو نفری هم\u200cزمان در یک نهاد سمت نداشته\u200cاند.",
    ),
    "more_pairs": ("{n} further pairs are not listed.", "{n} جفت دیگر فهرست نشده است."),
    "legend_graph": (
        "Persons, their posts (role, years Gregorian / Solar Hijri) and the bodies. ?: start "
        "unknown; …: to date or end unknown.",
        "اشخاص، سمت\u200cهایشان (نقش، سال\u200cهای هجری شمسی / میلادی) و نهادها. ؟: آغاز "
        "نامعلوم؛ …: تا کنون یا پایان نامعلوم.",
    ),
    "unnamed": ("(no name)", "(بی\u200cنام)"),
    "no_role": ("post", "سمت"),
    "sat_title": ("Who sat with whom, when", "چه کسی با چه کسی، و چه زمانی"),
}
_T = {lang: {k: v[i] for k, v in _WORDS.items()} for i, lang in enumerate(("en", "fa"))}


# ------------------------------------------------------------------------------ inputs


@dataclass(frozen=True)
class Span:
    """Something on the timeline: a post, a membership or an event (``start == end``)."""

    label: str
    label_fa: str
    group: str
    start: date | None
    end: date | None
    approximate: bool = False
    kind: str = "post"


@dataclass(frozen=True)
class Point:
    """A place on the map; ``lat``/``lon`` in WGS84 degrees, or None when not known."""

    label: str
    label_fa: str
    lat: float | None
    lon: float | None
    kind: str = "place"
    status: str = ""


@dataclass(frozen=True)
class Seat:
    """A post held by a person in a body; ``start``/``end`` None = not known (end: or to date)."""

    person: str
    person_fa: str
    body: str
    body_fa: str
    role: str
    start: date | None
    end: date | None
    focus: bool = False


@dataclass(frozen=True)
class Overlap:
    """Two seats in one body whose dates overlap, ``a`` before ``b`` by person name.

    ``start``/``end`` bound the overlap (None: that bound is not known); ``uncertain`` is
    True when any of the four dates is unknown, so the overlap is possible but not shown.
    """

    body: str
    body_fa: str
    a: Seat
    b: Seat
    start: date | None
    end: date | None
    uncertain: bool


# ------------------------------------------------------------------------ text helpers

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_FA_DIGITS = str.maketrans("0123456789.", "۰۱۲۳۴۵۶۷۸۹٫")


def _lang(lang: str) -> str:
    if lang not in _T:
        raise ValueError(f"lang must be 'en' or 'fa', not {lang!r}")
    return lang


def _esc(text: str) -> str:
    """Escaped for HTML and XML; control characters become U+FFFD (XML forbids them)."""
    return html.escape(_CONTROL.sub("\ufffd", text), quote=True)


def _direction(text: str) -> str | None:
    """The direction of the first strong character (as ``dir="auto"`` would find it)."""
    for ch in text:
        bidi = unicodedata.bidirectional(ch)
        if bidi == "L":
            return "ltr"
        if bidi in ("R", "AL"):
            return "rtl"
    return None


def _bdi(text: str) -> str:
    """Text isolated from its neighbours, with its own direction spelled out (not "auto")."""
    d = _direction(text)
    return f'<bdi dir="{d}">{_esc(text)}</bdi>' if d else f"<bdi>{_esc(text)}</bdi>"


def _num(value: int | str, lang: str) -> str:
    return str(value).translate(_FA_DIGITS) if lang == "fa" else str(value)


def _name(en: str, fa: str, lang: str) -> str:
    first, second = (fa, en) if lang == "fa" else (en, fa)
    return first.strip() or second.strip() or _T[lang]["unnamed"]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _width(text: str, size: float) -> float:
    """A generous estimate of the rendered width in px (no font metrics at hand)."""
    total = 0.0
    for ch in text:
        if ch.isspace() or ch in "il.,:;'|!":
            total += 0.32
        elif ch.isupper() or ch in "mwMW@%":
            total += 0.72
        elif unicodedata.east_asian_width(ch) in ("W", "F"):
            total += 1.0
        else:
            total += 0.56
    return total * size * 1.08


def _lines(text: str, size: float, width: float) -> int:
    return max(1, math.ceil(_width(text, size) * 1.12 / max(width, 1.0)))


def _figure(kind: str, lang: str, body: str, css: bool) -> str:
    direction = "rtl" if lang == "fa" else "ltr"
    style = f"<style>{FIGURE_CSS}</style>" if css else ""
    return f'<figure class="dkf dkf-{kind}" lang="{lang}" dir="{direction}">{style}{body}</figure>'


# ------------------------------------------------------------------------ date helpers


def _sh_month(d: date) -> PartialDate:
    y, m, _ = gregorian_to_sh(d)
    first, last = sh_to_gregorian(y, m, 1), sh_to_gregorian(y, m, sh_days_in_month(y, m))
    return PartialDate(Calendar.SOLAR_HIJRI, Precision.MONTH, first, last, "", year=y, month=m)


def _gr_month(d: date) -> PartialDate:
    first = d.replace(day=1)
    last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    return PartialDate(
        Calendar.GREGORIAN, Precision.MONTH, first, last, "", year=d.year, month=d.month
    )


def _day_text(d: date, lang: str) -> str:
    """A day in both calendars; Solar Hijri first in Persian."""
    if lang == "fa":
        y, m, dd = gregorian_to_sh(d)
        pd = PartialDate(Calendar.SOLAR_HIJRI, Precision.DAY, d, d, "", year=y, month=m, day=dd)
    else:
        pd = PartialDate(Calendar.GREGORIAN, Precision.DAY, d, d, "", d.year, d.month, d.day)
    return pd.both(lang)


def _month_text(d: date, lang: str) -> str:
    """The month of ``d`` in both calendars: "July 1988 (Tir 1367)"."""
    gr, sh = _gr_month(d).format(lang=lang), _sh_month(d).format(lang=lang)
    return f"{sh} ({gr})" if lang == "fa" else f"{gr} ({sh})"


def _sh_year_starting_in(year: int) -> int:
    return year - 621  # Nowruz (20 or 21 March) of Gregorian ``year`` starts this year


# ---------------------------------------------------------------------------- timeline


def _check_spans(spans: Sequence[Span]) -> None:
    for i, s in enumerate(spans):
        where = f"span {i} ({s.label!r})"
        if s.kind not in SPAN_KINDS:
            raise ValueError(f"{where}: kind {s.kind!r} is not one of {', '.join(SPAN_KINDS)}")
        if s.start is not None and s.end is not None and s.end < s.start:
            raise ValueError(f"{where}: end {s.end} is before start {s.start}")


def _nice_step(extent: float, most: int, steps: Iterable[float]) -> float:
    for step in steps:
        if extent / step <= most:
            return step
    return extent


def _span_when(s: Span, lang: str) -> str:
    t = _T[lang]
    fmt = _month_text if s.approximate else _day_text
    prefix = f"{t['c.']} " if s.approximate else ""
    if s.start is not None and s.start == s.end:
        return prefix + fmt(s.start, lang)
    first = prefix + fmt(s.start, lang) if s.start is not None else t["unknown_start"]
    last = prefix + fmt(s.end, lang) if s.end is not None else t["open_end"]
    return f"{first} – {last}"


def timeline(
    spans: Sequence[Span], lang: str = "en", *, today: date | None = None, css: bool = True
) -> str:
    """Spans on a time axis, grouped by ``group``; undated spans are listed below it.

    ``today`` (optional) is where open-ended spans stop; without it they run to the end of
    the axis, one year past the latest date. Raises ValueError naming a bad span.
    """
    t = _T[_lang(lang)]
    _check_spans(spans)
    dated = [s for s in spans if s.start is not None or s.end is not None]
    undated = [s for s in spans if s.start is None and s.end is None]
    parts: list[str] = []
    if not dated:
        parts.append(f'<p class="dkf-note">{_esc(t["no_dated"])}</p>')
    else:
        parts.append(_timeline_table(dated, lang, today))
    if undated:
        items = "".join(
            f"<li>{_bdi(_name(s.label, s.label_fa, lang))} ({_esc(t[s.kind])}, {_bdi(s.group)})</li>"
            for s in sorted(undated, key=lambda s: (s.group, s.label, s.label_fa, s.kind))
        )
        parts.append(f'<p class="dkf-note">{_esc(t["undated"])}:</p><ul>{items}</ul>')
    return _figure("timeline", lang, "".join(parts), css)


def _timeline_table(spans: list[Span], lang: str, today: date | None) -> str:
    t = _T[lang]
    side = "right" if lang == "fa" else "left"
    known = [d for s in spans for d in (s.start, s.end) if d is not None]
    lo, hi = min(known), max(known)
    open_end = any(s.end is None for s in spans)
    if open_end and today is not None:
        hi = max(hi, today)
    first_year = lo.year - (1 if any(s.start is None for s in spans) else 0)
    last_year = hi.year + (1 if open_end and today is None else 0)
    step = int(_nice_step(last_year - first_year + 1, 9, (1, 2, 5, 10, 20, 25, 50, 100)))
    first_year -= first_year % step
    last_year += step - 1 - (last_year % step)
    axis0, axis1 = date(first_year, 1, 1), date(last_year + 1, 1, 1)
    total = (axis1 - axis0).days
    stop = today if today is not None and today <= axis1 else axis1

    def pct(d: date) -> float:
        return 100.0 * (d - axis0).days / total

    ticks = [date(y, 1, 1) for y in range(first_year, last_year + 1, step)]
    grid = "".join(f'<div class="dkf-tick" style="{side}:{pct(d):.3f}%"></div>' for d in ticks)
    labels = []
    for d in ticks:
        gy, sy = _num(d.year, lang), _num(_sh_year_starting_in(d.year), lang)
        top, bottom = (sy, gy) if lang == "fa" else (gy, sy)
        labels.append(f'<div class="dkf-tkl" style="{side}:{pct(d):.3f}%">{top}<br/>{bottom}</div>')
    head = (
        f'<thead><tr><th class="dkf-lab"></th><th><div class="dkf-axis">{grid}{"".join(labels)}'
        "</div></th></tr></thead>"
    )
    groups: dict[str, list[Span]] = {}
    for s in spans:
        groups.setdefault(s.group, []).append(s)

    def key(s: Span) -> tuple[date, date, str, str, str]:
        first = s.start or s.end or axis0
        return first, s.end or axis1, s.label, s.label_fa, s.kind

    rows: list[str] = []
    for group in sorted(groups, key=lambda g: (min(key(s)[:2] for s in groups[g]), g)):
        rows.append(f'<tr class="dkf-grp"><th colspan="2">{_bdi(group or "—")}</th></tr>')
        for s in sorted(groups[group], key=key):
            if s.start is not None and s.start == s.end:
                mark = f'<div class="dkf-point" style="{side}:{pct(s.start):.3f}%"></div>'
            else:
                a = pct(s.start) if s.start is not None else 0.0
                b = pct(s.end + datetime.timedelta(days=1)) if s.end is not None else pct(stop)
                cls = ["dkf-bar", f"dkf-k-{s.kind}"]
                cls += ["dkf-approx"] if s.approximate else []
                cls += ["dkf-open-start"] if s.start is None else []
                cls += ["dkf-open-end"] if s.end is None else []
                mark = (
                    f'<div class="{" ".join(cls)}" '
                    f'style="{side}:{a:.3f}%;width:{max(b - a, 0.4):.3f}%"></div>'
                )
            rows.append(
                f'<tr class="dkf-row"><td class="dkf-lab">{_bdi(_name(s.label, s.label_fa, lang))}'
                f'<div class="dkf-when">{_esc(t[s.kind])} · {_bdi(_span_when(s, lang))}</div></td>'
                f'<td><div class="dkf-trk">{grid}{mark}</div></td></tr>'
            )
    legend = f'<div class="dkf-legend">{_esc(t["legend_tl"])}</div>'
    return f'<table class="dkf-tl">{head}<tbody>{"".join(rows)}</tbody></table>{legend}'


# ---------------------------------------------------------------------------- the map


def _kind_label(kind: str, lang: str) -> str:
    try:
        return load_vocabularies(_TERMS)["place_type"].get(kind).label(lang)
    except (UnknownTerm, KeyError, OSError):
        return kind.replace("_", " ")


def _degrees(value: float, positive: str, negative: str, lang: str, digits: int) -> str:
    letter = positive if value >= 0 else negative
    hemisphere = {"N": "شمالی", "S": "جنوبی", "E": "شرقی", "W": "غربی"} if lang == "fa" else {}
    return f"{_num(f'{abs(value):.{digits}f}', lang)}° {hemisphere.get(letter, letter)}"


def _check_points(points: Sequence[Point]) -> None:
    for i, p in enumerate(points):
        for name, value, limit in (("lat", p.lat, 90.0), ("lon", p.lon, 180.0)):
            if value is not None and not (math.isfinite(value) and -limit <= value <= limit):
                raise ValueError(f"point {i} ({p.label!r}): {name} {value!r} is not in ±{limit:g}")


def place_map(
    points: Sequence[Point], lang: str = "en", *, width: int = 640, css: bool = True
) -> str:
    """An offline locator map of the points with coordinates, and a table of all points.

    Points lacking a latitude or a longitude are listed as "location not known".
    """
    t = _T[_lang(lang)]
    _check_points(points)
    if not points:
        return _figure("map", lang, f'<p class="dkf-note">{_esc(t["no_places"])}</p>', css)
    located = [p for p in points if p.lat is not None and p.lon is not None]
    missing = [p for p in points if p.lat is None or p.lon is None]
    order = sorted(located, key=lambda p: (-(p.lat or 0.0), p.lon or 0.0, p.label, p.label_fa))
    parts = [_map_box(order, lang, width)] if order else []
    if order:
        rows = []
        for n, p in enumerate(order, 1):
            coords = (
                f"{_degrees(p.lat or 0.0, 'N', 'S', lang, 4)}, "
                f"{_degrees(p.lon or 0.0, 'E', 'W', lang, 4)}"
            )
            rows.append(
                f"<tr><td>{_num(n, lang)}</td><td>{_bdi(_name(p.label, p.label_fa, lang))}</td>"
                f"<td>{_bdi(_kind_label(p.kind, lang))}</td><td>{_esc(coords)}</td>"
                f"<td>{_bdi(p.status) if p.status else ''}</td></tr>"
            )
        head = "".join(
            f"<th>{_esc(t[k])}</th>" for k in ("num", "place", "kind", "coords", "status")
        )
        parts.append(
            f'<table class="dkf-sw"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        )
    if missing:
        items = "".join(
            f"<li>{_bdi(_name(p.label, p.label_fa, lang))} ({_bdi(_kind_label(p.kind, lang))})"
            + (f": {_bdi(p.status)}" if p.status else "")
            + "</li>"
            for p in sorted(missing, key=lambda p: (p.label, p.label_fa, p.kind, p.status))
        )
        parts.append(
            f'<p class="dkf-note">{_esc(t["no_coords"])}:</p><ul class="dkf-missing">{items}</ul>'
        )
    return _figure("map", lang, "".join(parts), css)


def _map_box(points: list[Point], lang: str, width: int) -> str:
    t = _T[lang]
    margin_x, margin_top, margin_bottom = 44, 8, 18
    inner_w = width - 2 * margin_x
    lats = [p.lat or 0.0 for p in points]
    lons = [p.lon or 0.0 for p in points]
    kx = max(math.cos(math.radians((max(lats) + min(lats)) / 2)), 0.05)
    lat_c, lon_c = (max(lats) + min(lats)) / 2, (max(lons) + min(lons)) / 2
    # extent in "map degrees" (longitude scaled by cos(latitude)), padded, at least 0.5°
    ext_x = max((max(lons) - min(lons)) * kx * 1.2 + 0.12, 0.5)
    ext_y = max((max(lats) - min(lats)) * 1.2 + 0.12, 0.5)
    inner_h = int(round(min(max(inner_w * ext_y / ext_x, inner_w * 0.45), inner_w * 0.85)))
    # one scale for both axes: widen whichever extent is short of the box's shape
    scale = min(inner_w / ext_x, inner_h / ext_y)
    ext_x, ext_y = inner_w / scale, inner_h / scale
    lon0, lat1 = lon_c - ext_x / kx / 2, lat_c + ext_y / 2

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return margin_x + (lon - lon0) * kx * scale, margin_top + (lat1 - lat) * scale

    height = inner_h + margin_top + margin_bottom
    steps = (0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 20, 30, 45, 90)
    step = _nice_step(max(ext_x / kx, ext_y), 7, steps)
    digits = 0 if step >= 1 else 2 if step < 0.1 or step == 0.25 else 1
    svg = [
        f'<svg width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-hidden="true">',
        f'<rect x="{margin_x}" y="{margin_top}" width="{inner_w}" height="{inner_h}" '
        'fill="#f7f9fb" stroke="#8a939c" stroke-width="1"/>',
    ]
    labels: list[str] = []
    lon_first = math.ceil(lon0 / step) * step
    for i in range(int((lon0 + ext_x / kx - lon_first) / step) + 1):
        lon = lon_first + i * step
        x = xy(lat1, lon)[0]
        svg.append(
            f'<line x1="{x:.1f}" y1="{margin_top}" x2="{x:.1f}" '
            f'y2="{margin_top + inner_h}" stroke="#d5d9de" stroke-width="0.8"/>'
        )
        text = _esc(_degrees(lon, "E", "W", lang, digits))
        labels.append(
            f'<div class="dkf-gl" style="left:{x - 30:.1f}px;top:{margin_top + inner_h + 3}px;'
            f'width:60px;text-align:center">{text}</div>'
        )
    lat_first = math.ceil((lat1 - ext_y) / step) * step
    for i in range(int((lat1 - lat_first) / step) + 1):
        lat = lat_first + i * step
        y = xy(lat, lon0)[1]
        svg.append(
            f'<line x1="{margin_x}" y1="{y:.1f}" x2="{margin_x + inner_w}" '
            f'y2="{y:.1f}" stroke="#d5d9de" stroke-width="0.8"/>'
        )
        text = _esc(_degrees(lat, "N", "S", lang, digits))
        labels.append(
            f'<div class="dkf-gl" style="left:0;top:{y - 6:.1f}px;width:{margin_x - 3}px;'
            f'text-align:right">{text}</div>'
        )
    # markers: points closer than 9 px share one marker and one label "1, 2, 5"
    clusters: list[tuple[float, float, list[int]]] = []
    for n, p in enumerate(points, 1):
        x, y = xy(p.lat or 0.0, p.lon or 0.0)
        near = next((c for c in clusters if math.hypot(c[0] - x, c[1] - y) < 9), None)
        if near is None:
            clusters.append((x, y, [n]))
        else:
            near[2].append(n)
    taken: list[tuple[float, float, float, float]] = [
        (x - 6, y - 6, x + 6, y + 6) for x, y, _ in clusters
    ]
    for x, y, members in clusters:
        grave = any(points[n - 1].kind in GRAVE_KINDS for n in members)
        status = any(points[n - 1].status for n in members)
        stroke = "#b3261e" if status else "#1d2329"
        if grave:
            svg.append(
                f'<rect x="{x - 4.5:.1f}" y="{y - 4.5:.1f}" width="9" height="9" '
                f'fill="#5b4636" stroke="{stroke}" stroke-width="{2 if status else 1}"/>'
            )
        else:
            svg.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="#2f5d8a" '
                f'stroke="{stroke}" stroke-width="{2 if status else 1}"/>'
            )
        number = ("، " if lang == "fa" else ", ").join(_num(n, lang) for n in members)
        texts = [number]
        if len(members) == 1:
            p = points[members[0] - 1]
            texts.insert(0, f"{number} {_clip(_name(p.label, p.label_fa, lang), 40)}")
        labels.append(_place_label(x, y, texts, taken, width, height))
    svg.append("</svg>")
    legend = f'<div class="dkf-legend">{_esc(t["legend_map"])}</div>'
    return (
        f'<div class="dkf-box dkf-map-box" style="width:{width}px;height:{height}px">'
        f"{''.join(svg)}{''.join(labels)}</div>{legend}"
    )


def _place_label(
    x: float,
    y: float,
    texts: list[str],
    taken: list[tuple[float, float, float, float]],
    width: int,
    height: int,
) -> str:
    """A label beside the marker at (x, y), where it hits no other label nor marker."""
    h = 13.0
    for text in texts:
        w = _width(text, 10) + 6
        for dx, dy in ((8, -h / 2), (-8 - w, -h / 2), (-w / 2, -8 - h), (-w / 2, 8),
                       (6, -4 - h), (6, 4), (-6 - w, -4 - h), (-6 - w, 4)):  # fmt: skip
            box = (x + dx, y + dy, x + dx + w, y + dy + h)
            inside = box[0] >= 1 and box[1] >= 1 and box[2] <= width - 1 and box[3] <= height - 1
            if inside and not any(
                box[0] < o[2] and o[0] < box[2] and box[1] < o[3] and o[1] < box[3] for o in taken
            ):
                taken.append(box)
                return (
                    f'<div class="dkf-ml" style="left:{box[0]:.1f}px;top:{box[1]:.1f}px">'
                    f"{_bdi(text)}</div>"
                )
    # nowhere free: the number goes on the marker's right, overlapping if it must
    return (
        f'<div class="dkf-ml" style="left:{x + 7:.1f}px;top:{y - 6:.1f}px">{_bdi(texts[-1])}</div>'
    )
