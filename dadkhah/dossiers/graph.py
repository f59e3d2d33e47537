"""The command-responsibility figure: who held posts in which bodies, when, and who sat with
whom (held a post in the same body at overlapping times).

- :func:`sat_with`: the overlaps, a pure computation.
- :func:`command_graph`: persons, bodies and posts as a graph, plus the "sat with" table.

Markup as in :mod:`dadkhah.dossiers.figures` (whose inputs, ``Seat`` and ``Overlap``, and
text helpers it uses): HTML text over an SVG without text, deterministic. No Django import.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from dadkhah.core.dates import gregorian_to_sh
from dadkhah.dossiers.figures import (
    _T,
    Overlap,
    Seat,
    _bdi,
    _esc,
    _figure,
    _lang,
    _lines,
    _month_text,
    _name,
    _num,
)

__all__ = ["command_graph", "sat_with"]


def _person_key(s: Seat) -> tuple[str, str]:
    return s.person, s.person_fa


def _body_key(s: Seat) -> tuple[str, str]:
    return s.body, s.body_fa


def _seat_key(s: Seat) -> tuple[str, str, str, str, str, date, date, bool]:
    return (*_person_key(s), *_body_key(s), s.role, s.start or date.min, s.end or date.max, s.focus)


def _check_seats(seats: Sequence[Seat]) -> None:
    for i, s in enumerate(seats):
        if s.start is not None and s.end is not None and s.end < s.start:
            raise ValueError(
                f"seat {i} ({s.person!r} in {s.body!r}): end {s.end} is before start {s.start}"
            )


def _overlap(a: Seat, b: Seat) -> Overlap | None:
    """The overlap of two seats of different persons in one body, or None if there is none.

    An unknown start may be any day up to the known end, an unknown end any day from the
    known start on; the pair overlaps unless the known dates rule it out.
    """
    if _person_key(a) == _person_key(b) or _body_key(a) != _body_key(b):
        return None
    if _seat_key(b) < _seat_key(a):
        a, b = b, a
    starts = [d for d in (a.start, b.start) if d is not None]
    ends = [d for d in (a.end, b.end) if d is not None]
    start, end = (max(starts) if starts else None), (min(ends) if ends else None)
    if start is not None and end is not None and end < start:
        return None
    uncertain = len(starts) + len(ends) < 4
    return Overlap(a.body, a.body_fa, a, b, start, end, uncertain)


def sat_with(seats: Sequence[Seat]) -> list[Overlap]:
    """For each body, every pair of persons whose posts there overlap in time.

    Deterministic and independent of the order of ``seats``; no one is paired with
    themselves. Raises ValueError naming a seat that ends before it starts.
    """
    _check_seats(seats)
    bodies: dict[tuple[str, str], list[Seat]] = {}
    for s in sorted(set(seats), key=_seat_key):
        bodies.setdefault(_body_key(s), []).append(s)
    out: list[Overlap] = []
    for body in sorted(bodies):
        members = bodies[body]
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                o = _overlap(a, b)
                if o is not None:
                    out.append(o)
    out.sort(key=lambda o: (o.body, o.body_fa, o.start or date.min, _seat_key(o.a), _seat_key(o.b)))
    return out


def _years(s: Seat, lang: str) -> str:
    """The years of a post in both calendars: "1988–1989 (1367–1368)"; Persian: SH first."""
    unknown = "؟" if lang == "fa" else "?"

    def years(cal_year: int | None, other: int | None) -> str:
        a = str(cal_year) if cal_year is not None else unknown
        b = str(other) if other is not None else "…"
        return a if a == b else f"{a}–{b}"

    gs, ge = (s.start.year if s.start else None), (s.end.year if s.end else None)
    ss = gregorian_to_sh(s.start)[0] if s.start else None
    se = gregorian_to_sh(s.end)[0] if s.end else None
    gr, sh = years(gs, ge), years(ss, se)
    return _num(f"{sh} ({gr})", lang) if lang == "fa" else f"{gr} ({sh})"


def _overlap_when(o: Overlap, lang: str) -> str:
    t = _T[lang]
    first = _month_text(o.start, lang) if o.start is not None else t["unknown_start"]
    last = _month_text(o.end, lang) if o.end is not None else t["open_end"]
    return f"{first} – {last}"


def command_graph(
    seats: Sequence[Seat],
    lang: str = "en",
    *,
    width: int = 680,
    max_pairs: int = 150,
    panel_height: int = 860,
    css: bool = True,
) -> str:
    """Persons and bodies as nodes, posts as edges (role and years), then who sat with whom.

    The focus person (``Seat.focus``) is drawn in red, and their pairs come first in the
    table, which lists at most ``max_pairs`` pairs and says how many more there are. A graph
    taller than ``panel_height`` px is cut into panels between persons.
    """
    t = _T[_lang(lang)]
    _check_seats(seats)
    if not seats:
        return _figure("graph", lang, f'<p class="dkf-note">{_esc(t["no_posts"])}</p>', css)
    unique = sorted(set(seats), key=_seat_key)
    persons, bodies = _graph_order(unique)
    focus = {_person_key(s) for s in unique if s.focus}
    panels: list[list[tuple[str, str]]] = [[]]
    used = 0.0
    for p in persons:
        h = _person_height(p, [s for s in unique if _person_key(s) == p], lang, width)
        if panels[-1] and used + h > panel_height:
            panels.append([])
            used = 0.0
        panels[-1].append(p)
        used += h
    parts = [
        _graph_panel(
            [s for s in unique if _person_key(s) in set(group)], group, bodies, focus, lang, width
        )
        for group in panels
    ]
    parts.append(f'<div class="dkf-legend">{_esc(t["legend_graph"])}</div>')
    parts.append(_sat_table(sat_with(unique), focus, lang, max_pairs))
    return _figure("graph", lang, "".join(parts), css)


def _graph_order(seats: list[Seat]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Persons and bodies ordered to reduce edge crossings (barycentre sweeps, ties by name)."""
    first_date: dict[tuple[str, str], date] = {}
    for s in seats:
        d = s.start or s.end or date.max
        first_date[_body_key(s)] = min(first_date.get(_body_key(s), date.max), d)
    bodies = sorted(first_date, key=lambda b: (first_date[b], b))
    persons = sorted({_person_key(s) for s in seats})
    links: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for s in seats:
        links.setdefault(_person_key(s), []).append(_body_key(s))
    back: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for p, bs in links.items():
        for b in bs:
            back.setdefault(b, []).append(p)
    for _ in range(4):
        b_pos = {b: i for i, b in enumerate(bodies)}
        persons.sort(key=lambda p: (sum(b_pos[b] for b in links[p]) / len(links[p]), p))
        p_pos = {p: i for i, p in enumerate(persons)}
        bodies.sort(key=lambda b: (sum(p_pos[p] for p in back[b]) / len(back[b]), b))
    return persons, bodies


_LINE = {"en": 13.0, "fa": 16.0}  # px; must match figures.css (Naskh needs more)
_GAP = 5.0


def _columns(width: int) -> tuple[float, float, float, float]:
    """x of person column end, post label start and end, body column start (left to right)."""
    person_w = width * 0.22
    label_w = width * 0.3
    body_w = width * 0.24
    return person_w, person_w + 6, person_w + 6 + label_w, width - body_w


def _post_text(s: Seat, lang: str) -> str:
    return f"{s.role.strip() or _T[lang]['no_role']} · {_years(s, lang)}"


def _post_html(s: Seat, lang: str) -> str:
    return f"{_bdi(s.role.strip() or _T[lang]['no_role'])} · {_bdi(_years(s, lang))}"


def _person_height(p: tuple[str, str], posts: list[Seat], lang: str, width: int) -> float:
    person_end, label_x, label_end, _ = _columns(width)
    name_h = _lines(_name(*p, lang), 10.5, person_end - 10) * _LINE[lang] + 4
    posts_h = sum(
        _lines(_post_text(s, lang), 9.5, label_end - label_x - 4) * _LINE[lang] for s in posts
    )
    return max(name_h, posts_h) + _GAP


def _graph_panel(
    seats: list[Seat],
    persons: list[tuple[str, str]],
    all_bodies: list[tuple[str, str]],
    focus: set[tuple[str, str]],
    lang: str,
    width: int,
) -> str:
    person_end, label_x, label_end, body_x = _columns(width)
    rtl = lang == "fa"

    def box(cls: str, x0: float, x1: float, y: float, h: float, text: str) -> str:
        side = x0  # from the left, or from the right when mirrored
        return (
            f'<div class="{cls}" style="{"right" if rtl else "left"}:{side:.1f}px;'
            f'top:{y:.1f}px;width:{x1 - x0:.1f}px;height:{h:.1f}px">{text}</div>'
        )

    def mx(x: float) -> float:
        return width - x if rtl else x

    html_parts: list[str] = []
    ports: list[tuple[float, tuple[str, str], bool]] = []  # (y, body, focus)
    y = 2.0
    for p in persons:
        posts = sorted(
            (s for s in seats if _person_key(s) == p),
            key=lambda s: (all_bodies.index(_body_key(s)), s.start or date.min, _seat_key(s)),
        )
        h = _person_height(p, posts, lang, width) - _GAP
        cls = "dkf-pn dkf-focus" if p in focus else "dkf-pn"
        html_parts.append(box(cls, 0, person_end, y, h, _bdi(_name(*p, lang))))
        py = y
        for s in posts:
            text = _post_text(s, lang)
            ph = _lines(text, 9.5, label_end - label_x - 4) * _LINE[lang]
            html_parts.append(box("dkf-pl", label_x, label_end, py, ph, _post_html(s, lang)))
            ports.append((py + _LINE[lang] / 2, _body_key(s), p in focus))
            py += ph
        y += h + _GAP
    # bodies at the mean height of their edges, pushed down so that they do not overlap
    bodies = [b for b in all_bodies if any(b == port[1] for port in ports)]
    body_h = {
        b: _lines(_name(*b, lang), 10.5, width - body_x - 10) * _LINE[lang] + 4 for b in bodies
    }
    wanted = {b: sum(pt[0] for pt in ports if pt[1] == b) / sum(1 for pt in ports if pt[1] == b)
              for b in bodies}  # fmt: skip
    top: dict[tuple[str, str], float] = {}
    cursor = 2.0
    for b in sorted(bodies, key=lambda b: (wanted[b], all_bodies.index(b))):
        top[b] = max(cursor, wanted[b] - body_h[b] / 2)
        cursor = top[b] + body_h[b] + _GAP
        html_parts.append(box("dkf-bn", body_x, width, top[b], body_h[b], _bdi(_name(*b, lang))))
    height = max(y, cursor) + 2
    svg = [
        f'<svg width="{width}" height="{height:.0f}" '
        f'viewBox="0 0 {width} {height:.0f}" aria-hidden="true">'
    ]
    for b in bodies:
        mine = [pt for pt in ports if pt[1] == b]
        for k, (py, _, is_focus) in enumerate(mine):
            by = top[b] + body_h[b] * (k + 1) / (len(mine) + 1)
            x0, x1, mid = label_end + 2, body_x, (label_end + body_x) / 2
            colour, stroke = ("#9b1c1c", 2.0) if is_focus else ("#6f7b87", 1.0)
            svg.append(
                f'<path d="M{mx(x0):.1f},{py:.1f} C{mx(mid):.1f},{py:.1f} {mx(mid):.1f},{by:.1f} {mx(x1):.1f},{by:.1f}" '
                f'fill="none" stroke="{colour}" stroke-width="{stroke}"/>'
            )
    svg.append("</svg>")
    return (
        f'<div class="dkf-box dkf-graph-panel" style="width:{width}px;height:{height:.0f}px">'
        f"{''.join(svg)}{''.join(html_parts)}</div>"
    )


def _sat_table(pairs: list[Overlap], focus: set[tuple[str, str]], lang: str, limit: int) -> str:
    t = _T[lang]
    title = f'<p class="dkf-note">{_esc(t["sat_title"])}</p>'
    if not pairs:
        return f'{title}<p class="dkf-note">{_esc(t["no_pairs"])}</p>'
    # pairs with the focus person first, that person in the first column
    rows: list[tuple[bool, str]] = []
    for o in pairs:
        a, b = (
            (o.b, o.a)
            if _person_key(o.b) in focus and _person_key(o.a) not in focus
            else (o.a, o.b)
        )
        flag = f' <span class="dkf-unsure">({_esc(t["unsure"])})</span>' if o.uncertain else ""
        cls = ' class="dkf-focus-row"' if _person_key(a) in focus else ""
        rows.append((
            _person_key(a) not in focus,
            f"<tr{cls}><td>{_bdi(_name(o.body, o.body_fa, lang))}</td>"
            f"<td>{_bdi(_name(a.person, a.person_fa, lang))}</td>"
            f"<td>{_bdi(_name(b.person, b.person_fa, lang))}</td>"
            f"<td>{_bdi(_overlap_when(o, lang))}{flag}</td></tr>",
        ))  # fmt: skip
    rows.sort(key=lambda r: r[0])  # stable: keeps sat_with's order within each part
    head = "".join(f"<th>{_esc(t[k])}</th>" for k in ("body", "person", "with", "overlap"))
    body = "".join(r[1] for r in rows[:limit])
    more = ""
    if len(rows) > limit:
        more = f'<p class="dkf-note">{_esc(t["more_pairs"].format(n=_num(len(rows) - limit, lang)))}</p>'
    return f'{title}<table class="dkf-sw"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}'
