"""Searching: ``search(query, viewer, filters, limit, offset)`` and what it returns.

The engine (``backends``) finds candidate entries at or below the viewer's clearance that
pass the filters; then the exact visibility rules run on every candidate:

- pages: only for staff clearances (``internal`` and up: the vault is for staff only), and
  only items at or below the clearance (encrypted items are never indexed);
- records: ``records.claims.visible_records`` (a record's level; a link's two ends);
- claims: ``records.claims.shown_claims`` (the claim, its record, a visible citation, and
  the record its value names).

Totals, groups and facets are computed over the surviving entries only, and snippets are
cut from their own text, so nothing a viewer may not see shows in any of them. Results are
grouped by document (a vault item) or by record (a record and its claims), best first.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from dadkhah.core.confidentiality import Level
from dadkhah.search.backends import Filters, backend
from dadkhah.search.models import SearchEntry
from dadkhah.search.query import Query, QueryError, parse
from dadkhah.search.text import WORD_RE, analyzed_word

__all__ = [
    "MAX_CANDIDATES",
    "Filters",
    "Group",
    "Hit",
    "QueryError",
    "Results",
    "clearance_for",
    "parse_date_filter",
    "search",
    "snippet",
    "word_marks",
]

MAX_CANDIDATES = 500
MAX_LIMIT = 200
MAX_QUERY_FORM = 10_000  # characters read from a form; the parser cuts further
SNIPPET_WORDS = 28
HITS_PER_GROUP = 3  # snippets shown per document or record; ``Group.count`` has them all
STAFF = Level.INTERNAL  # the lowest clearance that may see vault pages


@dataclass
class Hit:
    kind: str
    id: str
    title: str
    page: int | None
    snippet_html: str
    snippet: str
    marks: list[tuple[int, int]]
    rank: float
    url: str

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "title": self.title,
            "snippet": self.snippet,
            "page": self.page,
            "marks": [list(m) for m in self.marks],
            "rank": round(self.rank, 6),
            "url": self.url,
        }


@dataclass
class Group:
    key: str
    kind: str  # "item" or a record kind
    title: str
    url: str
    rank: float
    hits: list[Hit] = field(default_factory=list)
    count: int = 0


@dataclass
class Results:
    query: Query
    groups: list[Group]
    total_hits: int
    total_groups: int
    capped: bool
    facets: dict[str, list[tuple[str, str, int]]]
    notes: list[str]
    limit: int
    offset: int


def clearance_for(viewer: Any) -> Level:
    """A ``Level`` as given, or the clearance of a user (anonymous: public)."""
    if isinstance(viewer, Level):
        return viewer
    if isinstance(viewer, int):
        return Level(viewer)
    from dadkhah.accounts.roles import clearance_of

    return clearance_of(viewer)


def parse_date_filter(text: str, end: bool = False) -> date | None:
    """A date filter as typed ("1367/05", "Tir 1367", "1988-08-14"): its first or last day."""
    from dadkhah.core.dates import parse_partial_date

    text = (text or "").strip()
    if not text:
        return None
    when = parse_partial_date(text)  # InvalidDate (a ValueError) says what is wrong
    return when.end if end else when.start


# ------------------------------------------------------------------ snippets


@dataclass(frozen=True)
class _Matcher:
    exact: frozenset[str]
    prefixes: tuple[str, ...]
    keys: frozenset[str]

    @classmethod
    def of(cls, query: Query) -> _Matcher:
        exact: set[str] = set()
        prefixes: set[str] = set()
        keys: set[str] = set()
        for term in query.terms():
            exact.update(term.words)
            if term.prefix:
                prefixes.add(term.prefix)
            keys.update(term.keys)
        return cls(frozenset(exact), tuple(sorted(prefixes)), frozenset(keys))

    def hits(self, parts: tuple[str, ...], key: str) -> bool:
        if key and key in self.keys:
            return True
        return any(p in self.exact or p.startswith(self.prefixes) for p in parts)


def word_marks(text: str, query: Query) -> list[tuple[int, int]]:
    """Offsets of the words of ``text`` that the query matches (as the snippets mark them)."""
    matcher = _Matcher.of(query)
    seen: dict[str, bool] = {}
    out: list[tuple[int, int]] = []
    for match in WORD_RE.finditer(text):
        raw = match.group()
        flag = seen.get(raw)
        if flag is None:
            joined, key, _, _ = analyzed_word(raw)
            flag = seen[raw] = bool(joined) and matcher.hits(tuple(joined.split()), key)
        if flag:
            out.append(match.span())
    return out


def snippet(
    text: str, query: Query, size: int = SNIPPET_WORDS
) -> tuple[str, str, list[tuple[int, int]]]:
    """(HTML with <mark>, plain text, marks as offsets into the plain text) around the best
    window of ``size`` words of ``text``. Everything but the marks is HTML-escaped."""
    matcher = _Matcher.of(query)
    seen: dict[str, bool] = {}
    spans: list[tuple[int, int]] = []
    flags: list[bool] = []
    first: int | None = None
    for match in WORD_RE.finditer(text):
        raw = match.group()
        flag = seen.get(raw)
        if flag is None:
            joined, key, _, _ = analyzed_word(raw)
            if not joined:
                continue
            flag = seen[raw] = matcher.hits(tuple(joined.split()), key)
        spans.append(match.span())
        flags.append(flag)
        if first is None and flag:
            first = len(spans) - 1
        elif first is not None and len(spans) >= first + size:
            break  # the window around the first match is enough
    if not spans:
        plain = text[:200]
        return html.escape(plain), plain, []
    best, best_count, count = 0, -1, 0
    for i, flag in enumerate(flags):
        count += flag
        if i >= size:
            count -= flags[i - size]
        start = max(0, i - size + 1)
        if count > best_count:
            best, best_count = start, count
    inside = [i for i in range(best, min(best + size, len(spans))) if flags[i]]
    if inside:  # centre the matches in the window
        spread = inside[-1] - inside[0] + 1
        best = max(0, min(inside[0] - (size - spread) // 2, len(spans) - size))
    window = spans[best : best + size]
    lo, hi = window[0][0], window[-1][1]
    if best == 0:
        lo = 0
    plain_parts: list[str] = []
    html_parts: list[str] = []
    marks: list[tuple[int, int]] = []
    lead = "… " if lo > 0 else ""
    plain_parts.append(lead)
    html_parts.append(lead)
    pos = lo
    length = len(lead)
    for (word_start, word_end), flag in zip(window, flags[best : best + size], strict=False):
        if not flag:
            continue
        between = text[pos:word_start]
        plain_parts.append(between)
        html_parts.append(html.escape(between))
        length += len(between)
        marked = text[word_start:word_end]
        marks.append((length, length + len(marked)))
        plain_parts.append(marked)
        html_parts.append(f"<mark>{html.escape(marked)}</mark>")
        length += len(marked)
        pos = word_end
    tail = text[pos:hi]
    plain_parts.append(tail)
    html_parts.append(html.escape(tail))
    if hi < len(text.rstrip()):
        plain_parts.append(" …")
        html_parts.append(" …")
    plain = "".join(plain_parts)
    # one line: white space runs become one space (marks are recomputed to stay exact)
    return _squeeze("".join(html_parts)), *_squeeze_marked(plain, marks)


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def _squeeze_marked(plain: str, marks: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    out: list[str] = []
    mapping = [0] * (len(plain) + 1)
    space = True  # drop leading white space
    for i, char in enumerate(plain):
        mapping[i] = len(out)
        if char.isspace():
            if not space:
                out.append(" ")
            space = True
        else:
            out.append(char)
            space = False
    mapping[len(plain)] = len(out)
    text = "".join(out).rstrip()
    return text, [(mapping[a], mapping[b]) for a, b in marks]


# ------------------------------------------------------------------ search


def _visible_entries(entries: list[SearchEntry], clearance: Level) -> list[SearchEntry]:
    """The exact visibility rules over candidate entries (see the module docstring)."""
    from dadkhah.records.claims import shown_claims, visible_records
    from dadkhah.records.models import RECORD_MODELS, Claim

    record_uids: dict[str, set[str]] = defaultdict(set)
    claim_uids: set[str] = set()
    for entry in entries:
        if entry.kind == "claim":
            claim_uids.add(entry.object_id)
        elif entry.kind != "page":
            record_uids[entry.kind].add(entry.object_id)
    seen_records = {
        (kind, uid)
        for kind, uids in record_uids.items()
        for uid in visible_records(RECORD_MODELS[kind], clearance)
        .filter(uid__in=uids)
        .values_list("uid", flat=True)
    }
    seen_claims = (
        {s.claim.uid for s in shown_claims(Claim.objects.filter(uid__in=claim_uids), clearance)}
        if claim_uids
        else set()
    )
    out = []
    for entry in entries:
        if entry.kind == "page":
            ok = clearance >= STAFF and entry.confidentiality <= int(clearance)
        elif entry.kind == "claim":
            ok = entry.object_id in seen_claims
        else:
            ok = (entry.kind, entry.object_id) in seen_records
        if ok:
            out.append(entry)
    return out


def _url(entry: SearchEntry, query: str = "") -> str:
    """A page in the document viewer (its words highlighted), or the record's page."""
    if entry.kind == "page":
        item_uid = entry.group.removeprefix("item:")
        params = {"page": entry.page, **({"q": query} if query else {})}
        return f"/search/documents/{item_uid}/?{urlencode(params)}"
    kind, _, uid = entry.group.partition(":")
    return f"/records/{kind}/{uid}/"


def _group_url(entry: SearchEntry) -> str:
    if entry.kind == "page":
        return f"/vault/items/{entry.group.removeprefix('item:')}/"
    return _url(entry)


def _facets(entries: list[SearchEntry], clearance: Level) -> dict[str, list[tuple[str, str, int]]]:
    """Counts by kind, by document and by place, over visible entries only; a place is
    named only when the viewer may see it, and left out otherwise."""
    from dadkhah.records.claims import visible_records
    from dadkhah.records.models import Place

    kinds = Counter(e.kind for e in entries)
    documents = Counter(
        (e.group.removeprefix("item:"), e.title) for e in entries if e.kind == "page"
    )
    places = Counter(uid for e in entries for uid in e.place_uid.split())
    labels = {p.uid: str(p) for p in visible_records(Place, clearance).filter(uid__in=list(places))}
    return {
        "kind": [(k, k, n) for k, n in kinds.most_common()],
        "document": [(uid, title, n) for (uid, title), n in documents.most_common(10)],
        "place": [(uid, labels[uid], n) for uid, n in places.most_common() if uid in labels][:10],
    }


def search(
    query: str | Query,
    viewer: Any = Level.PUBLIC,
    filters: Filters | None = None,
    limit: int = 20,
    offset: int = 0,
) -> Results:
    """Search for ``query`` as ``viewer`` (a user or a clearance ``Level``).

    Raises ``QueryError`` for a query with nothing to look for; ``limit`` groups from
    ``offset`` are returned, each with its hits (pages, or a record and its claims).
    """
    parsed = query if isinstance(query, Query) else parse(query)
    clearance = clearance_for(viewer)
    filters = filters or Filters()
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    if clearance < STAFF:
        allowed = frozenset(k for k in (filters.kinds or _ALL_KINDS) if k != "page")
        filters = Filters(**{**filters.__dict__, "kinds": allowed})
    if filters.place and not _place_visible(filters.place, clearance):
        filters = Filters(kinds=frozenset())  # a place one may not see filters out everything
    engine = backend()
    found = engine.match(parsed, int(clearance), filters, MAX_CANDIDATES)
    capped = len(found) >= MAX_CANDIDATES
    ranks = dict(found)
    rows = SearchEntry.objects.filter(pk__in=list(ranks)).only(*_LISTED)
    entries = _visible_entries(list(rows), clearance)
    position = {pk: i for i, (pk, _) in enumerate(found)}
    entries.sort(key=lambda e: position[e.pk])  # the engine's order
    grouped: dict[str, list[SearchEntry]] = {}
    for entry in entries:
        grouped.setdefault(entry.group, []).append(entry)
    order = list(grouped)
    shown = order[offset : offset + limit]
    wanted = [e.pk for key in shown for e in grouped[key][:HITS_PER_GROUP]]
    texts = dict(SearchEntry.objects.filter(pk__in=wanted).values_list("pk", "text"))
    titles = _group_titles(shown, grouped)
    groups = []
    for key in shown:
        members = grouped[key]
        head = members[0]
        group = Group(
            key=key,
            kind="item" if head.kind == "page" else key.partition(":")[0],
            title=titles[key],
            url=_group_url(head),
            rank=ranks[head.pk],
            count=len(members),
        )
        for entry in members[:HITS_PER_GROUP]:
            html_snippet, plain, marks = snippet(texts.get(entry.pk, ""), parsed)
            group.hits.append(
                Hit(
                    kind=entry.kind,
                    id=entry.object_id,
                    title=entry.title,
                    page=entry.page,
                    snippet_html=html_snippet,
                    snippet=plain,
                    marks=marks,
                    rank=ranks[entry.pk],
                    url=_url(entry, parsed.text[:200]),
                )
            )
        groups.append(group)
    notes = list(parsed.notes)
    if not engine.ranked:
        notes.append("too many matches to rank: the newest come first; narrow the search")
    if capped:
        notes.append(f"only the best {MAX_CANDIDATES} matches were considered; narrow the search")
    return Results(
        query=parsed,
        groups=groups,
        total_hits=len(entries),
        total_groups=len(order),
        capped=capped,
        facets=_facets(entries, clearance),
        notes=notes,
        limit=limit,
        offset=offset,
    )


def _place_visible(uid: str, clearance: Level) -> bool:
    from dadkhah.records.claims import visible_records
    from dadkhah.records.models import Place

    return visible_records(Place, clearance).filter(uid=uid).exists()


_LISTED = ("id", "kind", "object_id", "group", "title", "page", "confidentiality", "place_uid")
_ALL_KINDS = ("page", "person", "body", "place", "event", "claim")


def _group_titles(keys: list[str], grouped: dict[str, list[SearchEntry]]) -> dict[str, str]:
    """A document's name; a record's label (the title of its own entry, or of a claim's)."""
    titles = {}
    for key in keys:
        head = grouped[key][0]
        own = next((e for e in grouped[key] if e.kind != "claim"), None)
        if own is not None:
            titles[key] = own.title
        else:
            titles[key] = head.title.split(" — ")[0]
    return titles
