"""Tables of the linkage app: imported lists, linkage runs, reviewers' judgements, cluster
decisions and the people made from clusters.

Rules live in ``linkage.services``. Human decisions (``Judgement``, ``ClusterDecision``) are
append-only: a later row supersedes an earlier one, and nothing is updated or deleted. A
run's results (``PairResult``, ``ClusterMember``) are written once, by the run. The only rows
changed in place are the status of an import (draft → imported), the progress of a run, and
``PersonLink`` (which person a list row currently belongs to, a projection).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from dadkhah.core.confidentiality import Level
from dadkhah.linkage import DEFAULT_THRESHOLD
from dadkhah.records.models import Event, Person, Source

__all__ = [
    "ClusterDecision",
    "ClusterMember",
    "ExecutionLink",
    "Judgement",
    "LinkageRun",
    "ListImport",
    "ListRow",
    "PairResult",
    "PersonLink",
    "new_uid",
]

LEVEL_CHOICES = [(level.value, level.label) for level in Level]


def new_uid(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


class ListImport(models.Model):
    """One victim list: the uploaded file, its column mapping, its provenance and its Source.

    A draft holds the uploaded file (under ``DADKHAH_HOME/linkage/``) while the user maps
    its columns; importing it creates the Source and the rows in one transaction.
    """

    STATUSES = [("draft", "draft"), ("imported", "imported")]

    uid = models.SlugField(max_length=64, unique=True)
    status = models.CharField(max_length=10, choices=STATUSES, default="draft")
    name = models.CharField(max_length=200, blank=True, help_text="The list's name; unique.")
    original_name = models.CharField(max_length=500)
    stored_path = models.CharField(max_length=500, help_text="Relative to DADKHAH_HOME.")
    sha256 = models.CharField(max_length=71)
    size = models.BigIntegerField()
    file_format = models.CharField(max_length=10)
    encoding = models.CharField(max_length=40, blank=True)
    headers = models.JSONField(default=list)
    mapping = models.JSONField(null=True, blank=True)
    compiled_by = models.CharField(max_length=500, blank=True)
    compiled_when = models.CharField(max_length=100, blank=True)
    method = models.TextField(blank=True)
    confidentiality = models.PositiveSmallIntegerField(
        choices=LEVEL_CHOICES, default=Level.INTERNAL
    )
    on_error = models.CharField(max_length=10, default="stop")
    problems = models.JSONField(default=list, help_text="Problems reported when imported.")
    row_count = models.PositiveIntegerField(default=0)
    source = models.OneToOneField(
        Source, null=True, blank=True, on_delete=models.PROTECT, related_name="list_import"
    )
    vault_item = models.CharField(
        max_length=64, blank=True, help_text="uid of the original in the evidence vault."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(status="imported"),
                name="linkage_import_unique_name",
            )
        ]

    def __str__(self) -> str:
        return self.name or self.original_name

    @property
    def level(self) -> Level:
        return Level(self.confidentiality)


class ListRow(models.Model):
    """One record of an imported list: the nine contract columns and its line in the file."""

    list_import = models.ForeignKey(ListImport, on_delete=models.PROTECT, related_name="rows")
    line = models.PositiveIntegerField()
    record_id = models.CharField(max_length=200)
    list_name = models.CharField(max_length=200)
    full_name = models.TextField(null=True, blank=True)
    father_name = models.TextField(null=True, blank=True)
    birth_year = models.CharField(max_length=100, null=True, blank=True)
    gender = models.CharField(max_length=100, null=True, blank=True)
    city = models.TextField(null=True, blank=True)
    prison = models.TextField(null=True, blank=True)
    death_date = models.CharField(max_length=200, null=True, blank=True)

    class Meta:
        ordering = ["list_import_id", "line", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["list_import", "record_id"], name="linkage_row_unique_record"
            )
        ]

    def __str__(self) -> str:
        return f"{self.list_name} #{self.record_id}"

    FIELDS = ("full_name", "father_name", "birth_year", "gender", "city", "prison", "death_date")


class LinkageRun(models.Model):
    """One linkage of some lists: prepare, Splink, clustering; run by a background task."""

    STATUSES = [(s, s) for s in ("pending", "running", "done", "failed")]

    uid = models.SlugField(max_length=64, unique=True)
    lists = models.ManyToManyField(ListImport, related_name="runs")
    threshold = models.FloatField(default=DEFAULT_THRESHOLD)
    review_low = models.FloatField(default=0.3)
    review_high = models.FloatField(default=0.95)
    status = models.CharField(max_length=10, choices=STATUSES, default="pending")
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    confidentiality = models.PositiveSmallIntegerField(
        choices=LEVEL_CHOICES, default=Level.INTERNAL, help_text="The highest of its lists'."
    )
    algorithm = models.CharField(max_length=100, blank=True, help_text="Versions that ran.")
    records = models.PositiveIntegerField(default=0)
    comparisons = models.BigIntegerField(default=0)
    judgements_used = models.PositiveIntegerField(default=0)
    seconds = models.JSONField(default=dict)
    model = models.JSONField(null=True, blank=True, help_text="Trained Splink settings.")
    problems = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.uid

    @property
    def level(self) -> Level:
        return Level(self.confidentiality)


class PairResult(models.Model):
    """A compared pair of one run: probability, weight and each comparison's level and
    Bayes factor (``comparisons``: a list of {name, gamma, bf, weight, left, right})."""

    run = models.ForeignKey(LinkageRun, on_delete=models.CASCADE, related_name="pairs")
    row_l = models.ForeignKey(ListRow, on_delete=models.PROTECT, related_name="+")
    row_r = models.ForeignKey(ListRow, on_delete=models.PROTECT, related_name="+")
    probability = models.FloatField()
    weight = models.FloatField()
    comparisons = models.JSONField(default=list)

    class Meta:
        ordering = ["run_id", "-probability", "id"]
        indexes = [models.Index(fields=["run", "probability"])]

    def __str__(self) -> str:
        return f"{self.row_l} ~ {self.row_r}: {self.probability:.3f}"


class ClusterMember(models.Model):
    """The cluster a run put a row in, and the weakest link that joined it."""

    run = models.ForeignKey(LinkageRun, on_delete=models.CASCADE, related_name="members")
    row = models.ForeignKey(ListRow, on_delete=models.PROTECT, related_name="+")
    unique_id = models.CharField(max_length=500, help_text="The row's id in the prepared frame.")
    cluster_key = models.CharField(max_length=500)
    weakest = models.FloatField()

    class Meta:
        ordering = ["run_id", "cluster_key", "row_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "row"], name="linkage_member_unique_row")
        ]

    def __str__(self) -> str:
        return f"{self.row} in {self.cluster_key}"


class Judgement(models.Model):
    """A reviewer says two rows are the same person (accept), are not (reject), or cannot
    tell (skip). Append-only: the latest judgement of a pair is the one that counts."""

    DECISIONS = [("accept", "same person"), ("reject", "different people"), ("skip", "unsure")]

    row_l = models.ForeignKey(ListRow, on_delete=models.PROTECT, related_name="+")
    row_r = models.ForeignKey(ListRow, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=10, choices=DECISIONS)
    note = models.TextField(blank=True)
    run = models.ForeignKey(
        LinkageRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    probability = models.FloatField(null=True, blank=True, help_text="The model's, when judged.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["row_l", "row_r"])]

    def __str__(self) -> str:
        return f"{self.row_l} ~ {self.row_r}: {self.decision}"


class ClusterDecision(models.Model):
    """A reviewer merges two clusters, splits a row out of its cluster, or undoes an earlier
    decision. Append-only; the current clusters are the fold of the decisions not undone."""

    ACTIONS = [("merge", "merge"), ("split", "split"), ("undo", "undo")]

    action = models.CharField(max_length=10, choices=ACTIONS)
    row_a = models.ForeignKey(
        ListRow, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    row_b = models.ForeignKey(
        ListRow, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    others = models.JSONField(default=list, help_text="Split: the rows it was split from.")
    reverts = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="undone_by"
    )
    reason = models.TextField()
    run = models.ForeignKey(
        LinkageRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.row_a} {self.row_b or ''}".strip()


class PersonLink(models.Model):
    """Which Person a list row became (a projection, updated when people are made again)."""

    row = models.OneToOneField(ListRow, on_delete=models.PROTECT, related_name="person_link")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["person_id", "row_id"]

    def __str__(self) -> str:
        return f"{self.row} → {self.person}"


class ExecutionLink(models.Model):
    """The execution event made for a person from the death dates the lists give."""

    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="+")
    event = models.OneToOneField(Event, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"{self.person} executed: {self.event}"
