"""The parts every dossier is made of, and the ``Reader`` that fills them for one requester.

Every part is a dataclass of plain values (strings, numbers, booleans, lists), so a whole
``Dossier`` turns into canonical JSON and back. The ``Reader`` is the only way a dossier
reads a record: it applies the requester's clearance (``records.claims.shown_claims``),
replaces protected identities by their pseudonyms (``protect.Protector``), keeps every
source a shown claim cites (for the bibliography and the evidence), and notes whether a
synthetic record appears.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from dadkhah.core.confidentiality import Level
from dadkhah.core.dates import InvalidDate, PartialDate, Precision
from dadkhah.dossiers.protect import Protector
from dadkhah.records import claims, values
from dadkhah.records.claims import PropGroup, ShownClaim
from dadkhah.records.models import Participation, Person, Record, Source

__all__ = [
    "CitationView",
    "ClaimGroupView",
    "ClaimSection",
    "ClaimView",
    "Counts",
    "DateView",
    "Dossier",
    "DossierError",
    "EventView",
    "EvidenceView",
    "FactValue",
    "FactView",
    "Note",
    "ParticipantView",
    "PlaceView",
    "PostView",
    "Reader",
    "Ref",
    "SeatView",
    "SourceView",
    "TestimonyView",
    "term_labels",
]


class DossierError(ValueError):
    """The dossier cannot be made: unknown id, wrong kind, unreadable option."""


def term_labels(vocab: str, code: str) -> tuple[str, str]:
    """English and Persian labels of a vocabulary term (the code when it is unknown)."""
    term = values.vocabularies()[vocab].terms.get(code)
    return (term.label("en"), term.label("fa")) if term else (code, code)


@dataclass
class Note:
    """One sentence in English and in Persian."""

    en: str
    fa: str


@dataclass
class Ref:
    """A record as the dossier names it (a pseudonym for a protected identity)."""

    kind: str
    uid: str
    label: str
    label_fa: str
    synthetic: bool = False
    protected: bool = False


@dataclass
class DateView:
    text: str  # entry calendar first, the other in brackets (English)
    text_fa: str
    start: str | None  # ISO, the earliest day it may denote
    end: str | None
    approximate: bool


@dataclass
class CitationView:
    source: str  # the source's key in ``Dossier.sources``
    title: str
    reliability: str
    confidence: str
    locator: str
    quote: str


@dataclass
class ClaimView:
    text: str
    text_fa: str
    status: str
    note: str
    level: str
    citations: list[CitationView]


@dataclass
class ClaimGroupView:
    prop: str
    label: str
    label_fa: str
    conflict: bool
    claims: list[ClaimView]


@dataclass
class ClaimSection:
    record: Ref
    groups: list[ClaimGroupView]


@dataclass
class FactValue:
    text: str
    text_fa: str
    status: str
    sources: list[str]


@dataclass
class FactView:
    prop: str
    label: str
    label_fa: str
    conflict: bool
    values: list[FactValue]


@dataclass
class PostView:
    ref: Ref
    role: str
    body: Ref
    start: DateView | None
    end: DateView | None
    sources: list[str]


@dataclass
class EventView:
    ref: Ref
    event_type: str
    type_label: str
    type_label_fa: str
    date: DateView | None
    date_conflict: bool
    place: Ref | None
    role: str
    role_label: str
    role_label_fa: str
    mode: str
    mode_label: str
    mode_label_fa: str
    relation: str  # incidents: "within" / "overlaps" the period, or ""
    sources: list[str]


@dataclass
class ParticipantView:
    person: Ref
    event: Ref
    role: str
    role_label: str
    role_label_fa: str
    mode: str
    mode_label: str
    mode_label_fa: str
    relation: str
    sources: list[str]


@dataclass
class TestimonyView:
    source: str  # key in ``Dossier.sources``, or the vault item for a document mention
    title: str
    about: str
    about_fa: str
    quote: str
    locator: str
    via: str  # "citation" (a testimony cited by a claim) or "mention" (a vault document)


@dataclass
class SeatView:
    person: Ref
    body: Ref
    role: str
    start: str | None
    end: str | None
    focus: bool


@dataclass
class PlaceView:
    ref: Ref
    type_label: str
    type_label_fa: str
    lat: float | None
    lon: float | None
    statuses: list[str]
    statuses_fa: list[str]
    basis: Note
    sources: list[str]


@dataclass
class Counts:
    named_victims: int
    events: int
    estimate: dict[str, Any] | None  # {"estimate", "interval": [lo, hi], "method"} if stored
    note: Note


@dataclass
class SourceView:
    key: str
    title: str
    citation: str
    kind: str
    kind_label: str
    kind_label_fa: str
    reliability: str
    url: str
    synthetic: bool
    protected: bool


@dataclass
class EvidenceView:
    item_uid: str
    name: str
    sha256: str
    mime: str
    size: int
    level: str
    sources: list[str]
    custody: list[dict[str, str]]
    proof: dict[str, Any]
    verified: bool
    in_bundle: bool


@dataclass
class Dossier:
    kind: str
    subject: Ref
    title: str
    title_fa: str
    clearance: str = "public"
    requester: str = ""
    period: Note | None = None
    synthetic: bool = False
    identity: list[FactView] = field(default_factory=list)
    photographs: list[str] = field(default_factory=list)
    posts: list[PostView] = field(default_factory=list)
    events: list[EventView] = field(default_factory=list)
    participants: list[ParticipantView] = field(default_factory=list)
    victims: list[ParticipantView] = field(default_factory=list)
    testimonies: list[TestimonyView] = field(default_factory=list)
    seats: list[SeatView] = field(default_factory=list)
    places: list[PlaceView] = field(default_factory=list)
    graves: list[PlaceView] = field(default_factory=list)
    counts: Counts | None = None
    unknown: list[Note] = field(default_factory=list)
    claims: list[ClaimSection] = field(default_factory=list)
    sources: list[SourceView] = field(default_factory=list)
    evidence: list[EvidenceView] = field(default_factory=list)
    evidence_withheld: int = 0
    missing: list[Note] = field(default_factory=list)

    @property
    def claim_count(self) -> int:
        return sum(len(g.claims) for s in self.claims for g in s.groups)


def _date_view(value: Any) -> DateView | None:
    try:
        when = PartialDate.from_json(value) if isinstance(value, dict) else None
    except InvalidDate:
        return None
    if when is None:
        return None
    return DateView(
        text=when.both("en"),
        text_fa=when.both("fa"),
        start=when.start.isoformat(),
        end=when.end.isoformat(),
        approximate=when.precision is not Precision.DAY,
    )


class Reader:
    """Reads records for one requester: clearance, pseudonyms, cited sources, synthetic."""

    def __init__(self, clearance: Level, protector: Protector | None = None) -> None:
        self.clearance = clearance
        self.protector = protector or Protector.load()
        self.synthetic = False
        self._sources: dict[str, Source] = {}

    # -------------------------------------------------------------------- names
    def ref(self, record: Record) -> Ref:
        """How the dossier names ``record``."""
        self.synthetic = self.synthetic or record.is_synthetic
        prot = self.protector
        if isinstance(record, Person) and prot.is_protected_person(record.uid):
            return Ref(
                "person",
                prot.person_code(record.uid),
                prot.person_label(record.uid, "en"),
                prot.person_label(record.uid, "fa"),
                record.is_synthetic,
                True,
            )
        if isinstance(record, Participation):
            who, what = self.ref(record.person), self.ref(record.event)
            role_en, role_fa = term_labels("participant_role", record.role or "")
            return Ref(
                "participation",
                record.uid if not who.protected else f"participation-{who.uid}",
                f"{who.label} — {role_en or 'participant'} — {what.label}",
                f"{who.label_fa or who.label} — {role_fa or 'مشارکت‌کننده'} — "
                f"{what.label_fa or what.label}",
                record.is_synthetic,
                who.protected,
            )
        return Ref(
            record.KIND,
            record.uid,
            prot.scrub(record.label or record.uid),
            prot.scrub(record.label_fa),
            record.is_synthetic,
        )

    # ------------------------------------------------------------------- claims
    def _hidden(self, shown: ShownClaim) -> bool:
        """Names claimed at the protected level never appear, whatever the clearance."""
        return shown.claim.prop == "name" and shown.claim.confidentiality >= Level.PROTECTED

    def text(self, shown: ShownClaim) -> str:
        return self.protector.scrub(shown.text)

    def text_fa(self, shown: ShownClaim) -> str:
        labels = {}
        if shown.target is not None:
            labels[shown.target.uid] = shown.target.label_fa or str(shown.target)
        return self.protector.scrub(values.display(shown.spec, shown.claim.value, "fa", labels))

    def source_key(self, source: Source) -> str:
        self._sources.setdefault(source.uid, source)
        self.synthetic = self.synthetic or source.is_synthetic
        if self.protector.is_protected_source(source.uid):
            return self.protector.sources[source.uid]
        return source.uid

    def cite_uids(self, shown: ShownClaim) -> list[str]:
        return [self.source_key(c.source) for c in shown.citations]

    def _citation(self, cite: Any) -> CitationView:
        source: Source = cite.source
        key = self.source_key(source)
        title = (
            self.protector.source_label(source.uid)
            if self.protector.is_protected_source(source.uid)
            else source.title
        )
        return CitationView(
            source=key,
            title=title,
            reliability=source.reliability,
            confidence=cite.confidence,
            locator=self.protector.scrub(cite.locator),
            quote=self.protector.scrub(cite.quote),
        )

    def claim_view(self, shown: ShownClaim) -> ClaimView:
        return ClaimView(
            text=self.text(shown),
            text_fa=self.text_fa(shown),
            status=shown.claim.status,
            note=self.protector.scrub(shown.claim.note),
            level=Level(shown.claim.confidentiality).label,
            citations=[self._citation(c) for c in shown.citations],
        )

    def groups(self, record: Record) -> list[PropGroup]:
        if isinstance(record, Person) and self.protector.is_protected_person(record.uid):
            return []  # a protected identity's own claims would identify them
        out = []
        for group in claims.claim_groups(record, self.clearance):
            group.claims = [c for c in group.claims if not self._hidden(c)]
            if group.claims:
                out.append(group)
        return out

    def claim_section(self, record: Record) -> ClaimSection:
        return ClaimSection(
            record=self.ref(record),
            groups=[
                ClaimGroupView(
                    prop=g.spec.name,
                    label=g.spec.label("en"),
                    label_fa=g.spec.label("fa"),
                    conflict=g.conflict,
                    claims=[self.claim_view(c) for c in g.claims],
                )
                for g in self.groups(record)
            ],
        )

    def best_date(self, group: PropGroup | None) -> DateView | None:
        """The date of the best-supported claim: accepted first, then the order shown."""
        if group is None:
            return None
        live = [c for c in group.claims if c.claim.status != "rejected"]
        live.sort(key=lambda c: c.claim.status != "accepted")
        return _date_view(live[0].claim.value) if live else None

    def facts(self, person: Person, props: tuple[str, ...]) -> list[FactView]:
        """What the record says about ``person``, property by property, with sources."""
        groups = {g.spec.name: g for g in self.groups(person)}
        out = []
        for prop in props:
            group = groups.get(prop)
            if group is None:
                continue
            out.append(
                FactView(
                    prop=prop,
                    label=group.spec.label("en"),
                    label_fa=group.spec.label("fa"),
                    conflict=group.conflict,
                    values=[
                        FactValue(self.text(c), self.text_fa(c), c.claim.status, self.cite_uids(c))
                        for c in group.claims
                    ],
                )
            )
        return out

    # -------------------------------------------------------------- testimonies
    def testimonies(self, records: list[Record], subject: Record) -> list[TestimonyView]:
        """Testimonies cited by the claims on ``records``, and vault documents that
        mention ``subject``; every protected string replaced by its pseudonym."""
        out: list[TestimonyView] = []
        for record in records:
            about = self.ref(record)
            for group in self.groups(record):
                for shown in group.claims:
                    for cite in shown.citations:
                        if cite.source.kind != "testimony":
                            continue
                        view = self._citation(cite)
                        out.append(
                            TestimonyView(
                                source=view.source,
                                title=view.title,
                                about=f"{about.label}: {group.spec.label('en')}",
                                about_fa=f"{about.label_fa or about.label}: {group.spec.label('fa')}",
                                quote=view.quote,
                                locator=view.locator,
                                via="citation",
                            )
                        )
        out += self._mentions(subject)
        return out

    def _mentions(self, subject: Record, limit: int = 50) -> list[TestimonyView]:
        from dadkhah.search.mentioning import mentions_of
        from dadkhah.vault.models import Page

        found = mentions_of(subject, self.clearance)[:limit]
        texts = {
            (p.item_id, p.number): p.text
            for p in Page.objects.filter(
                item_id__in={m.item_id for m in found}, number__in={m.page for m in found}
            )
        }
        out = []
        about = self.ref(subject)
        for mention in found:
            text = texts.get((mention.item_id, mention.page), mention.quote)
            lo, hi = max(0, mention.start - 160), min(len(text), mention.end + 160)
            excerpt = ("…" if lo else "") + text[lo:hi].strip() + ("…" if hi < len(text) else "")
            item = mention.item
            protected = item.confidentiality >= Level.PROTECTED
            out.append(
                TestimonyView(
                    source=f"item-{item.uid}",
                    title=self.protector.source_label(f"item-{item.uid}")
                    if protected
                    else self.protector.scrub(item.name),
                    about=about.label,
                    about_fa=about.label_fa or about.label,
                    quote=self.protector.scrub(" ".join(excerpt.split())),
                    locator=f"p. {mention.page}",
                    via="mention",
                )
            )
        return out

    # ------------------------------------------------------------ sources, evidence
    def source_list(self) -> list[SourceView]:
        out = []
        for uid, source in sorted(self._sources.items(), key=lambda kv: kv[1].title.casefold()):
            protected = self.protector.is_protected_source(uid)
            kind_en, kind_fa = term_labels("source_kind", source.kind)
            label = self.protector.source_label(uid) if protected else ""
            out.append(
                SourceView(
                    key=self.protector.sources[uid] if protected else uid,
                    title=label or source.title,
                    citation=label or self.protector.scrub(source.citation),
                    kind=source.kind,
                    kind_label=kind_en,
                    kind_label_fa=kind_fa,
                    reliability=source.reliability,
                    url="" if protected else source.url,
                    synthetic=source.is_synthetic,
                    protected=protected,
                )
            )
        return out

    def evidence(self) -> tuple[list[EvidenceView], int, list[str]]:
        """The vault items behind the cited sources: (entries, withheld count, photographs)."""
        from dadkhah.dossiers.evidence import EvidenceError, evidence_for
        from dadkhah.vault.ledger import LedgerError

        try:
            entries, withheld = evidence_for(list(self._sources.values()), self.clearance)
        except (EvidenceError, LedgerError) as exc:
            raise DossierError(f"the evidence cannot be listed: {exc}") from None
        prot = self.protector
        out = []
        for entry in entries:
            level = entry.level if isinstance(entry.level, Level) else Level(int(entry.level))
            keys = [prot.sources.get(s, s) for s in entry.sources]
            protected = level >= Level.PROTECTED or any(
                prot.is_protected_source(s) for s in entry.sources
            )
            out.append(
                EvidenceView(
                    item_uid=entry.item_uid,
                    name=prot.source_label(f"item-{entry.item_uid}")
                    if protected
                    else prot.scrub(entry.name),
                    sha256=entry.sha256,
                    mime=entry.mime,
                    size=int(entry.size),
                    level=level.label,
                    sources=keys,
                    custody=[
                        {
                            "when": step.when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                            "event": step.event,
                            "actor": prot.scrub(step.actor),
                            "note": prot.scrub(step.note),
                        }
                        for step in entry.custody
                    ],
                    # the ingest entry's own body is left out: it names what the dossier may not
                    proof={k: v for k, v in entry.proof.items() if k != "entry"},
                    verified=bool(entry.verified()),
                    in_bundle=not protected,
                )
            )
        photos = [e.item_uid for e in out if e.mime.startswith("image/") and e.in_bundle]
        return out, int(withheld), photos
