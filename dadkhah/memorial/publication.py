"""Publishing a victim on the memorial, and withdrawing them: the review decisions.

Only a person who is PUBLIC, and a victim in at least one PUBLIC event, may be published.
A photograph needs the family's consent and a PUBLIC image in the vault; the family's
words need their consent. Each decision is a row (``Publication``) with who and when,
kept in the history; withdrawing stamps the row, publishing again adds a new one.
Every change to a victim's record refreshes the memorial's index after the transaction
commits, so the public list never shows what the record no longer says publicly.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from dadkhah.core.confidentiality import Level
from dadkhah.core.errors import FieldError
from dadkhah.memorial import browse
from dadkhah.memorial.models import Publication, VictimEntry
from dadkhah.records.claims import person_roles
from dadkhah.records.models import Citation, Claim, Event, Participation, Person, Place, Source

__all__ = [
    "IMAGE_TYPES",
    "PublicationError",
    "PublicationInput",
    "connect_signals",
    "current",
    "photo_item",
    "publish",
    "synthetic_published",
    "withdraw",
]

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})


class PublicationError(FieldError):
    """A publication was refused; ``field`` names the offending field."""


@dataclass(frozen=True)
class PublicationInput:
    narrative_en: str = ""
    narrative_fa: str = ""
    family_words_en: str = ""
    family_words_fa: str = ""
    family_consent: bool = False
    photo_item: str = ""  # a vault item uid
    photo_consent: bool = False
    note: str = ""


def current(person: Person) -> Publication | None:
    return Publication.objects.current().filter(person=person).first()


def photo_item(publication: Publication) -> Any | None:
    """The photograph the public may see: consented, PUBLIC, an image; else None."""
    item = publication.photo_item
    if item is None or not publication.photo_consent:
        return None
    if item.confidentiality != int(Level.PUBLIC) or item.encrypted or item.mime not in IMAGE_TYPES:
        return None
    return item


def _check(person: Person, data: PublicationInput) -> Any | None:
    if person.confidentiality != int(Level.PUBLIC):
        raise PublicationError(
            f"{person.uid} is {Level(person.confidentiality).label}, not public: "
            "only public records can be published",
            "person",
        )
    if "victim" not in person_roles(person, Level.PUBLIC):
        raise PublicationError(
            f"{person.uid} is not a victim in any public event; link the execution first",
            "person",
        )
    if not (data.narrative_en.strip() or data.narrative_fa.strip()):
        raise PublicationError("write the narrative in English or Persian", "narrative_en")
    if (data.family_words_en.strip() or data.family_words_fa.strip()) and not data.family_consent:
        raise PublicationError(
            "the family's words are published only with their consent", "family_consent"
        )
    if not data.photo_item:
        if data.photo_consent:
            raise PublicationError("consent to a photograph, but no photograph given", "photo_item")
        return None
    from dadkhah.vault.models import Item

    item = Item.objects.filter(uid=data.photo_item).first()
    if item is None:
        raise PublicationError(f"no vault item {data.photo_item!r}", "photo_item")
    if not data.photo_consent:
        raise PublicationError(
            "a photograph is published only with the family's consent", "photo_consent"
        )
    if item.confidentiality != int(Level.PUBLIC) or item.encrypted:
        raise PublicationError(f"vault item {item.uid} is not public", "photo_item")
    if item.mime not in IMAGE_TYPES:
        raise PublicationError(f"vault item {item.uid} is {item.mime}, not an image", "photo_item")
    return item


def publish(
    person: Person, data: PublicationInput, user: Any, reason: str = "published after review"
) -> Publication:
    """Publish ``person`` (replacing a current publication, which is withdrawn first)."""
    if not getattr(user, "is_authenticated", False):
        raise PublicationError("a publication needs the reviewer who made it", "reviewed_by")
    item = _check(person, data)
    now = timezone.now()
    with transaction.atomic():
        old = current(person)
        if old is not None:
            _withdraw(old, user, "replaced by a new review", now)
        pub = Publication(
            person=person,
            reviewed_by=user,
            reviewed_at=now,
            narrative_en=data.narrative_en.strip(),
            narrative_fa=data.narrative_fa.strip(),
            family_words_en=data.family_words_en.strip(),
            family_words_fa=data.family_words_fa.strip(),
            family_consent=data.family_consent,
            photo_item=item,
            photo_consent=data.photo_consent and item is not None,
            note=data.note.strip(),
        )
        pub._history_user = user  # type: ignore[attr-defined]
        pub._change_reason = reason  # type: ignore[attr-defined]
        pub.save()
        browse.refresh(person)
    return pub


def _withdraw(pub: Publication, user: Any, reason: str, now: Any) -> None:
    pub.withdrawn_at = now
    pub.withdrawn_by = user
    pub.withdrawn_reason = reason
    pub._history_user = user  # type: ignore[attr-defined]
    pub._change_reason = reason  # type: ignore[attr-defined]
    pub.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason"])


def withdraw(person: Person, user: Any, reason: str) -> Publication:
    """Take ``person`` off the memorial; the reason is required and kept."""
    if not reason.strip():
        raise PublicationError("say why the publication is withdrawn", "reason")
    with transaction.atomic():
        pub = current(person)
        if pub is None:
            raise PublicationError(f"{person.uid} is not published", "person")
        _withdraw(pub, user, reason.strip(), timezone.now())
        browse.refresh(person)
    return pub


def synthetic_published() -> bool:
    return VictimEntry.objects.filter(is_synthetic=True).exists()


# ------------------------------------------------------------------ keeping the index true


_pending = threading.local()  # person ids to refresh when the transaction commits


def _flush() -> None:
    ids = sorted(getattr(_pending, "ids", set()))
    _pending.ids = set()
    for person in Person.objects.filter(pk__in=ids).order_by("pk"):
        browse.refresh(person)


def _schedule(person_ids: set[int]) -> None:
    if not person_ids:
        return
    published = set(
        VictimEntry.objects.filter(person_id__in=person_ids).values_list("person_id", flat=True)
    ) | set(
        Publication.objects.current()
        .filter(person_id__in=person_ids)
        .values_list("person_id", flat=True)
    )
    if not published:
        return
    _pending.ids = getattr(_pending, "ids", set()) | published
    # Every call registers a flush; the first one after the commit does the work, the
    # others find nothing left. After a rollback the ids wait for the next commit.
    transaction.on_commit(_flush)


def _people_of(kind: str, pk: int) -> set[int]:
    if kind == "person":
        return {pk}
    if kind == "participation":
        return set(Participation.objects.filter(pk=pk).values_list("person_id", flat=True))
    if kind == "event":
        return set(Participation.objects.filter(event_id=pk).values_list("person_id", flat=True))
    if kind == "place":
        uid = Place.objects.filter(pk=pk).values_list("uid", flat=True).first()
        if uid is None:
            return set()
        return set(
            VictimEntry.objects.filter(facets__facet__in=["city", "prison"], facets__value=uid)
            .values_list("person_id", flat=True)
            .distinct()
        )
    return set()


def _record_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    _schedule(_people_of(instance.KIND, instance.pk))


def _claim_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    _schedule(_people_of(instance.subject_kind, instance.subject_id))


def _citation_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    claim = instance.claim
    _schedule(_people_of(claim.subject_kind, claim.subject_id))


def _source_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    people: set[int] = set()
    cited = Claim.objects.filter(citations__source=instance).values_list(
        "subject_kind", "subject_id"
    )
    for kind, pk in set(cited):
        people |= _people_of(kind, pk)
    _schedule(people)


def connect_signals() -> None:
    for model in (Person, Event, Participation, Place):
        post_save.connect(_record_saved, sender=model, dispatch_uid=f"memorial-{model.KIND}")
    post_save.connect(_claim_saved, sender=Claim, dispatch_uid="memorial-claim")
    post_delete.connect(_claim_saved, sender=Claim, dispatch_uid="memorial-del-claim")
    post_save.connect(_citation_saved, sender=Citation, dispatch_uid="memorial-citation")
    post_save.connect(_source_saved, sender=Source, dispatch_uid="memorial-source")
