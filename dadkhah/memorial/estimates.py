"""The estimate the memorial publishes beside the count of names.

A :class:`PublishedEstimate` is a decision, like a publication: someone published this
number, with its interval, the method (and the version of the algorithm) that produced it,
the date it speaks for, who published it, and a plain-language explanation in English and
Persian. Decisions are append-only: withdrawing stamps ``withdrawn_at``; publishing a new
estimate withdraws the current one and adds a row. Every change is kept in the history.

:func:`from_counting` turns the recommended :class:`dadkhah.counting.Estimate` into the
fields of a publication, with the explanation written by ``counting.explain``;
:func:`publish_demo_estimate` publishes the one the counting demo's SYNTHETIC table gives
(labelled synthetic everywhere it is shown).
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords

from dadkhah.core.errors import FieldError

__all__ = [
    "DEMO_PUBLISHER",
    "EstimateError",
    "EstimateInput",
    "PublishedEstimate",
    "current_estimate",
    "from_counting",
    "publish_demo_estimate",
    "publish_estimate",
]

DEMO_PUBLISHER = "Dadkhah demo (synthetic data)"


class PublishedEstimateQuerySet(models.QuerySet["PublishedEstimate"]):
    def current(self) -> PublishedEstimateQuerySet:
        return self.filter(withdrawn_at__isnull=True)


class PublishedEstimate(models.Model):
    """An estimate of the number of victims, as published on the memorial."""

    estimate = models.FloatField(help_text="The estimated total number of victims.")
    low = models.FloatField(help_text="Lower end of the interval.")
    high = models.FloatField(help_text="Upper end of the interval.")
    interval_level = models.FloatField(default=0.95, help_text="0.95 for a 95% interval.")
    observed = models.PositiveIntegerField(
        null=True, blank=True, help_text="People recorded on at least one list, if known."
    )
    method = models.CharField(max_length=200, help_text="The method, in words.")
    method_version = models.CharField(
        max_length=100, blank=True, help_text="The algorithm and its version, as recorded."
    )
    as_of = models.DateField(help_text="The date the estimate speaks for (its data).")
    explanation_en = models.TextField(help_text="What the number means, in plain English.")
    explanation_fa = models.TextField(help_text="The same, in plain Persian.")
    published_by = models.CharField(max_length=300, help_text="Who published the estimate.")
    published_at = models.DateTimeField()
    is_synthetic = models.BooleanField(
        default=False, help_text="Computed from invented data (the demo); labelled everywhere."
    )
    seed = models.BigIntegerField(null=True, blank=True, help_text="Random seed, if any.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)

    objects = PublishedEstimateQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        app_label = "memorial"
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["interval_level"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="memorial_one_current_estimate_per_level",
            )
        ]

    def __str__(self) -> str:
        return f"{self.estimate:.0f} ({self.low:.0f}–{self.high:.0f}), {self.published_by}"

    def explanation(self, lang: str) -> str:
        return self.explanation_fa if lang == "fa" else self.explanation_en

    @property
    def level_percent(self) -> int:
        return round(self.interval_level * 100)


class EstimateError(FieldError):
    """A publication was refused; ``field`` names the offending field."""


@dataclass(frozen=True)
class EstimateInput:
    estimate: float
    low: float
    high: float
    method: str
    as_of: datetime.date
    explanation_en: str
    explanation_fa: str
    published_by: str
    interval_level: float = 0.95
    observed: int | None = None
    method_version: str = ""
    is_synthetic: bool = False
    seed: int | None = None


def _check(data: EstimateInput) -> None:
    for name in ("estimate", "low", "high"):
        value = getattr(data, name)
        if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise EstimateError(f"{name} must be a finite number, not {value!r}", name)
    if not data.low <= data.estimate <= data.high:
        raise EstimateError(
            f"the interval {data.low:g}–{data.high:g} does not contain the estimate "
            f"{data.estimate:g}",
            "low",
        )
    if not 0 < data.interval_level < 1:
        raise EstimateError("the interval level is a fraction such as 0.95", "interval_level")
    if data.observed is not None and data.observed > data.estimate:
        raise EstimateError("the estimate is smaller than the people recorded", "observed")
    for name in ("method", "published_by", "explanation_en", "explanation_fa"):
        if not str(getattr(data, name)).strip():
            raise EstimateError(f"{name.replace('_', ' ')} is required", name)


def publish_estimate(
    data: EstimateInput, user: Any = None, reason: str = "published"
) -> PublishedEstimate:
    """Publish ``data``; the current estimate at the same interval level is withdrawn."""
    _check(data)
    now = timezone.now()
    actor = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        for old in PublishedEstimate.objects.current().filter(interval_level=data.interval_level):
            old.withdrawn_at = now
            old.withdrawn_reason = "replaced by a newer estimate"
            old._history_user = actor  # type: ignore[attr-defined]
            old._change_reason = "replaced"  # type: ignore[attr-defined]
            old.save()
        row = PublishedEstimate(
            estimate=float(data.estimate),
            low=float(data.low),
            high=float(data.high),
            interval_level=data.interval_level,
            observed=data.observed,
            method=data.method.strip(),
            method_version=data.method_version.strip(),
            as_of=data.as_of,
            explanation_en=data.explanation_en.strip(),
            explanation_fa=data.explanation_fa.strip(),
            published_by=data.published_by.strip(),
            published_at=now,
            is_synthetic=data.is_synthetic,
            seed=data.seed,
            created_by=actor,
        )
        row._history_user = actor  # type: ignore[attr-defined]
        row._change_reason = reason  # type: ignore[attr-defined]
        row.save()
    return row


def current_estimate(interval_level: float = 0.95) -> PublishedEstimate | None:
    return PublishedEstimate.objects.current().filter(interval_level=interval_level).first()


def from_counting(
    recommended: Any,
    lists: int,
    *,
    as_of: datetime.date,
    published_by: str,
    seed: int | None = None,
    synthetic_note: tuple[str, str] | None = None,
) -> EstimateInput:
    """The publication of a recommended ``counting`` estimate over ``lists`` lists, with
    the plain-language explanation of ``counting.explain`` in both languages."""
    from dadkhah.counting import explain

    low, high = recommended.interval
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        raise EstimateError("the estimate has no finite interval", "high")
    facts = explain.Facts(
        observed=int(recommended.observed),
        lists=lists,
        estimate=float(recommended.estimate),
        low=float(low),
        high=float(high),
        method=recommended.method,
    )
    texts = {}
    for lang in explain.LANGS:
        paragraphs = [explain.headline(facts, lang)]
        paragraphs += list(explain.plain_language(facts, lang)[0].paragraphs)
        if synthetic_note is not None:
            paragraphs.append(synthetic_note[0] if lang == "en" else synthetic_note[1])
        texts[lang] = "\n\n".join(paragraphs)
    version = recommended.diagnostics.get("version") or recommended.model
    return EstimateInput(
        estimate=float(recommended.estimate),
        low=float(low),
        high=float(high),
        interval_level=0.95,
        observed=int(recommended.observed),
        method=f"{explain.method_name(recommended.method, 'en')}: {recommended.model}"[:200],
        method_version=str(version)[:100],
        as_of=as_of,
        explanation_en=texts["en"],
        explanation_fa=texts["fa"],
        published_by=published_by,
        is_synthetic=synthetic_note is not None,
        seed=seed,
    )


def publish_demo_estimate(user: Any = None) -> PublishedEstimate | None:
    """Publish, once, the estimate of the counting demo's SYNTHETIC table (labelled so).

    Returns the current estimate when one exists already, else the new one; None when the
    demo table gives no recommended estimate."""
    found = current_estimate()
    if found is not None:
        return found
    from dadkhah.counting import demo, explain
    from dadkhah.counting.collect import collect

    made = demo.demo()
    run = collect(made.tables, seed=made.seed)
    recommended = next((e for e in run.estimates if e.recommended), None)
    if recommended is None:
        return None
    note = (
        explain.synthetic_note(made.seed, "en", made.true_total),
        explain.synthetic_note(made.seed, "fa", made.true_total),
    )
    data = from_counting(
        recommended,
        len(demo.LISTS),
        as_of=timezone.now().date(),
        published_by=DEMO_PUBLISHER,
        seed=run.seed,
        synthetic_note=note,
    )
    return publish_estimate(data, user, reason="demo: the counting demo's synthetic table")
