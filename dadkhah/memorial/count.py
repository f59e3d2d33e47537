"""The count: victims known by name, per city and per prison; and the figures in the record.

:func:`known_by_name` counts the published victims (the memorial's index,
:class:`~dadkhah.memorial.models.VictimEntry`, which exists only while a victim's
publication is current and is built from PUBLIC claims only), per city and per prison as
the list's facets see them, with the victims whose city or prison the public record does not
give. The counts of the list's facets and of this page are therefore the same numbers.

:func:`record_figures` finds the figures that the record quotes about the killings — "thousands
of political prisoners", "up to several hundred victims", "30,000" — in the PUBLIC claims of
the general record (places, bodies, posts, events that name no victim, people who are not
victims) and in the words their citations quote, so that the page shows each figure with
the sentence it stands in and its sources, instead of asserting one. :func:`find_figures`
is the pure text matcher, in English and Persian.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Count

from dadkhah.core.confidentiality import Level
from dadkhah.memorial.mapping import SourceRef, preferred, shown_names, source_refs
from dadkhah.memorial.models import VictimEntry, VictimFacet
from dadkhah.records.claims import shown_claims, visible_records
from dadkhah.records.models import RECORD_MODELS, Claim, Participation
from dadkhah.records.values import detect_script, prop_spec

__all__ = [
    "CountRow",
    "Counts",
    "Figure",
    "FigureMatch",
    "find_figures",
    "known_by_name",
    "record_figures",
]

PUBLIC = Level.PUBLIC
COUNTED_FACETS = ("city", "prison")


@dataclass(frozen=True)
class CountRow:
    value: str  # the place uid, the list's facet value
    label: str
    count: int


@dataclass
class Counts:
    total: int
    synthetic: int
    by_facet: dict[str, list[CountRow]] = field(default_factory=dict)
    unknown: dict[str, int] = field(default_factory=dict)


def known_by_name(lang: str = "en") -> Counts:
    """Published victims: the total, how many are synthetic, and per city and prison."""
    total = VictimEntry.objects.count()
    synthetic = VictimEntry.objects.filter(is_synthetic=True).count()
    counts = Counts(total=total, synthetic=synthetic)
    label = "label_fa" if lang == "fa" else "label_en"
    for facet in COUNTED_FACETS:
        rows = (
            VictimFacet.objects.filter(facet=facet)
            .values("value", "label_en", "label_fa")
            .annotate(n=Count("entry", distinct=True))
            .order_by("-n", label, "value")
        )
        found = [
            CountRow(r["value"], r[label] or r["label_en"] or r["value"], r["n"]) for r in rows
        ]
        counts.by_facet[facet] = found
        with_value = VictimFacet.objects.filter(facet=facet).values("entry_id").distinct().count()
        counts.unknown[facet] = total - with_value
    return counts


# ---------------------------------------------------------------------------- figures

_QUALIFIER_EN = (
    r"(?:(?:up to|at least|more than|over|about|some|nearly|around|as many as|almost|"
    r"an estimated|approximately|estimated|roughly|perhaps|possibly)\s+)?"
)
_FIGURE_EN = (
    _QUALIFIER_EN + r"(?:"
    r"(?:several\s+|many\s+|tens\s+of\s+)?(?:hundreds|thousands)\b"
    r"|(?:several|a\s+few|a)\s+(?:hundred|thousand)\b"
    r"|(?<![\d۰-۹])\d{1,3}(?:[,٬]\d{3})+(?!\d)"
    r"|\d+(?:\.\d+)?\s+(?:hundred|thousand)\b"
    r"|(?<![\d۰-۹])(?!(?:1[34]|19|20)\d\d\b)\d{2,}(?=\s+(?:political\s+)?(?:prisoners|victims|people|"
    r"persons|executions|bodies|"
    r"graves|men|women|dead)\b)"
    r")"
)
_FIGURE_FA = (
    r"(?:(?:حدود|بیش\s+از|بیش‌از|دست‌کم|دستکم|نزدیک\s+به|تا)\s+)?"
    r"(?:هزاران|صدها|ده‌ها\s+هزار|چند\s*(?:\u200c)?(?:صد|هزار)"
    r"|(?<![۰-۹0-9])[۰-۹0-9]{1,3}(?:[٬,][۰-۹0-9]{3})+(?![۰-۹0-9])"
    r"|(?<![۰-۹0-9])(?!(?:1[34]|19|20|۱[۳۴]|۱۹|۲۰)[۰-۹0-9]{2}(?![۰-۹0-9]))[۰-۹0-9]{2,}"
    r"(?=\s+(?:زندانی|قربانی|نفر|تن)(?!\w)))"
)
_FIGURE = re.compile(f"{_FIGURE_EN}|{_FIGURE_FA}", re.IGNORECASE)
_KIND_LABELS = {
    "place": {"en": "a place", "fa": "یک مکان"},
    "body": {"en": "a body", "fa": "یک نهاد"},
    "post": {"en": "a post", "fa": "یک سمت"},
    "event": {"en": "an event", "fa": "یک رویداد"},
    "person": {"en": "a person", "fa": "یک شخص"},
}
_SENTENCE_END = re.compile(r"(?<=[.!?؟…])\s+")


@dataclass(frozen=True)
class FigureMatch:
    phrase: str
    sentence: str


def _sentences(text: str) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def find_figures(text: str) -> list[FigureMatch]:
    """The figures of people in ``text``, each with the sentence it stands in, in order.

    A figure is a number of people as sources word it: "thousands", "several hundred",
    "up to several hundred", "30,000", "4,500 prisoners", "هزاران", "۳۰٬۰۰۰". A bare year
    (1988, 1367) is not a figure: a number without thousands separators counts only when a
    word for people follows it."""
    text = " ".join(text.split())
    spans = _sentences(text)
    out = []
    for match in _FIGURE.finditer(text):
        sentence = next((text[a:b] for a, b in spans if a <= match.start() < b + 1), text).strip()
        out.append(FigureMatch(match.group(0), sentence))
    return out


@dataclass
class Figure:
    phrase: str
    sentence: str
    quoted: bool  # True when the words are the source's own (a citation's quote)
    subject_kind: str
    subject_uid: str
    subject_label: str
    disputed: bool
    sources: list[SourceRef]
    is_synthetic: bool

    @property
    def phrase_lang(self) -> str:
        return "fa" if detect_script(self.phrase) == "fa" else "en"

    @property
    def sentence_lang(self) -> str:
        return "fa" if detect_script(self.sentence) == "fa" else "en"


def _general_subjects() -> dict[str, set[int]]:
    """The PUBLIC records whose claims the figures are read from: no victims, and no
    events that name victims (those are the victims' own pages)."""
    victims = visible_records(Participation.objects.filter(role="victim"), PUBLIC)
    victim_people = set(victims.values_list("person_id", flat=True))
    victim_events = set(victims.values_list("event_id", flat=True))
    out: dict[str, set[int]] = {}
    for kind in ("place", "body", "post", "event", "person"):
        ids = set(visible_records(RECORD_MODELS[kind], PUBLIC).values_list("pk", flat=True))
        if kind == "person":
            ids -= victim_people
        elif kind == "event":
            ids -= victim_events
        out[kind] = ids
    return out


def record_figures(lang: str = "en") -> list[Figure]:
    """Every figure the PUBLIC general record states or quotes, with its sources."""
    out: list[Figure] = []
    seen: set[tuple[str, str, str]] = set()  # record, property, phrase
    for kind, ids in _general_subjects().items():
        if not ids:
            continue
        rows = Claim.objects.filter(subject_kind=kind, subject_id__in=ids).order_by(
            "subject_id", "prop", "id"
        )
        shown = preferred(shown_claims(rows, PUBLIC, lang))
        if not shown:
            continue
        records = RECORD_MODELS[kind].objects.in_bulk({s.claim.subject_id for s in shown})
        if kind == "post":  # a post is named by the person who held it
            people = shown_names("person", {r.person_id for r in records.values()}, lang)
            names = {pk: people.get(r.person_id, "") for pk, r in records.items()}
        else:
            names = shown_names(kind, records, lang)
        kind_label = _KIND_LABELS[kind].get(lang, kind)
        for claim in shown:
            record = records[claim.claim.subject_id]
            label = names.get(record.pk) or kind_label
            # The source's own words first: a figure the record states after a quote is the same
            # figure, and is shown once, as quoted.
            texts = [(c.quote, True, source_refs([c])) for c in claim.citations if c.quote]
            if prop_spec(kind, claim.claim.prop).type == "text":
                texts.append((claim.text, False, source_refs(claim.citations)))
            for text, quoted, refs in texts:
                for found in find_figures(text):
                    key = (record.uid, claim.claim.prop, found.phrase.casefold())
                    if key in seen:
                        continue
                    seen.add(key)
                    out.append(
                        Figure(
                            phrase=found.phrase,
                            sentence=found.sentence,
                            quoted=quoted,
                            subject_kind=kind,
                            subject_uid=record.uid,
                            subject_label=label,
                            disputed=claim.claim.status == "disputed",
                            sources=refs,
                            is_synthetic=record.is_synthetic,
                        )
                    )
    return out
