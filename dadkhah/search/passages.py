"""Cited passages: a span of a vault document's text made the source of a claim.

A passage is a page of a vault item and two character offsets into that page's extracted
text (``Page.text``, as stored: originals and their extraction never change), with the
exact quote. ``cite_passage`` checks that ``Page.text[start:end] == quote`` and adds the
claim through ``records.claims.add_claim`` (the single write path) with one citation of
the document's ``Source`` (``mentioning.document_source``: one per document, as
confidential as the item) whose locator is page ``P``, paragraph ``chars START-END`` and
the quote. ``passage_of`` reads such a citation back, so a record page can link to the
passage in the document viewer.

The claim is at least as confidential as the document: a fact known only from an internal
document is internal until someone cites a public source for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from dadkhah.core.confidentiality import Level
from dadkhah.records import claims
from dadkhah.records.models import RECORD_MODELS, Citation, Claim, Record

__all__ = [
    "MAX_QUOTE",
    "Passage",
    "PassageError",
    "check_passage",
    "cite_passage",
    "find_record",
    "passage_of",
]

MAX_QUOTE = 5000  # characters; a longer passage is cited as a page
SOURCE_PREFIX = "item-"
_CHARS = re.compile(r"^chars (\d+)-(\d+)$")


class PassageError(ValueError):
    """A passage could not be cited; the message says why (and ``field`` which input)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Passage:
    item: Any  # vault.models.Item
    page: int
    start: int
    end: int
    quote: str

    def citation(self, confidence: str = "medium", user: Any = None) -> claims.CitationInput:
        from dadkhah.search.mentioning import document_source

        return claims.CitationInput(
            source=document_source(self.item, user),
            page=str(self.page),
            paragraph=f"chars {self.start}-{self.end}",
            quote=self.quote,
            confidence=confidence,
        )


def check_passage(
    item: Any, page: int | str, start: int | str, end: int | str, quote: str
) -> Passage:
    """The passage, if ``quote`` is exactly the text of ``item``'s page between the offsets."""
    from dadkhah.vault.models import Page

    if item.encrypted:
        raise PassageError(
            "this document is encrypted at rest: its text is not kept in the database, so "
            "its passages cannot be quoted in a claim; cite it by hand"
        )
    try:
        number, lo, hi = int(page), int(start), int(end)
    except (TypeError, ValueError):
        raise PassageError("select a passage of the text first", "quote") from None
    row = Page.objects.filter(item=item, number=number).first()
    if row is None:
        raise PassageError(f"the document has no page {number}", "page")
    if not 0 <= lo < hi <= len(row.text):
        raise PassageError(
            f"characters {lo}-{hi} are not within page {number} "
            f"({len(row.text)} characters); select the passage again",
            "quote",
        )
    if hi - lo > MAX_QUOTE:
        raise PassageError(
            f"a quote is at most {MAX_QUOTE} characters ({hi - lo} selected); "
            "select a shorter passage",
            "quote",
        )
    if row.text[lo:hi] != quote:
        raise PassageError(
            "the quote is not the text of the page at those characters; select the passage again",
            "quote",
        )
    if not quote.strip():
        raise PassageError("the selected passage is only white space", "quote")
    return Passage(item, number, lo, hi, quote)


def find_record(text: str, clearance: Level) -> Record:
    """A record the viewer may see, by ``uid`` or ``kind:uid`` (or ``kind/uid``)."""
    wanted = text.strip().strip("/")
    if not wanted:
        raise PassageError("give the record the claim is about (its id)", "record")
    kind, sep, uid = wanted.replace("/", ":", 1).partition(":")
    if sep and kind in RECORD_MODELS:
        kinds, uid = [kind], uid.strip()
    else:
        kinds, uid = list(RECORD_MODELS), wanted
    for kind in kinds:
        rows = claims.visible_records(RECORD_MODELS[kind], clearance)
        record: Record | None = rows.filter(uid=uid).first()
        if record is not None:
            return record
    raise PassageError(f"no record with id {uid!r}", "record")


@transaction.atomic
def cite_passage(
    passage: Passage,
    record: Record,
    prop: str,
    value: Any,
    *,
    user: Any,
    confidence: str = "medium",
    reason: str = "",
) -> Claim:
    """Add the claim ``record.prop = value`` with the passage as its source."""
    from dadkhah.accounts.roles import can_edit, clearance_of

    if not can_edit(user):
        raise PassageError("this account may not change the case record")
    clearance = clearance_of(user)
    if passage.item.confidentiality > clearance or record.confidentiality > clearance:
        raise PassageError("no such document or record")
    if confidence not in ("low", "medium", "high"):
        raise PassageError("confidence is low, medium or high", "confidence")
    level = max(Level(record.confidentiality), Level(passage.item.confidentiality))
    try:
        return claims.add_claim(
            record,
            prop.strip(),
            value,
            citations=[passage.citation(confidence, user)],
            confidentiality=level,
            user=user,
            reason=reason or f"cited from {passage.item.name}, p. {passage.page}",
            clearance=clearance,
        )
    except claims.RecordError as exc:
        field = "value" if exc.field not in ("prop", "record", "source") else exc.field
        raise PassageError(str(exc), field) from None


@dataclass(frozen=True)
class CitedPassage:
    """Where a citation's quote is in a vault document."""

    item_uid: str
    page: int
    start: int
    end: int


def passage_of(citation: Citation) -> CitedPassage | None:
    """The passage a citation quotes, if it cites a vault document by character offsets."""
    uid = citation.source.uid
    found = _CHARS.match(citation.paragraph or "")
    if not uid.startswith(SOURCE_PREFIX) or found is None or not citation.page.isdigit():
        return None
    return CitedPassage(
        uid.removeprefix(SOURCE_PREFIX), int(citation.page), int(found[1]), int(found[2])
    )
