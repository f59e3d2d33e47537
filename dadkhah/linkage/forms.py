"""Forms of the linkage pages: upload, column mapping, provenance, a run, a judgement and
cluster decisions."""

from __future__ import annotations

from typing import Any

from django import forms

from dadkhah.core.confidentiality import Level
from dadkhah.linkage import DEFAULT_THRESHOLD
from dadkhah.linkage.models import ListImport

__all__ = [
    "COLUMN_LABELS",
    "JudgeForm",
    "MappingForm",
    "MergeForm",
    "ProvenanceForm",
    "ReasonForm",
    "RunForm",
    "UploadForm",
]

MAX_UPLOAD = 200 * 1024 * 1024
COLUMN_LABELS = {
    "record_id": "Record id",
    "full_name": "Full name",
    "father_name": "Father's name",
    "birth_year": "Birth year",
    "gender": "Gender",
    "city": "City",
    "prison": "Prison",
    "death_date": "Death date",
}
REQUIRED = ("record_id", "full_name")


class UploadForm(forms.Form):
    file = forms.FileField(
        label="List file",
        help_text="CSV (UTF-8, Windows-1256 or UTF-16; comma, semicolon or tab), XLSX or ODS, "
        "one row per victim and a header row.",
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError("The file is larger than 200 MB.")
        return upload


class MappingForm(forms.Form):
    """One choice per contract column: a header of the file, or none."""

    def __init__(self, *args: Any, headers: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "— not in this list —")] + [(h, h) for h in headers if h]
        for column, label in COLUMN_LABELS.items():
            self.fields[column] = forms.ChoiceField(
                label=label,
                choices=choices,
                required=column in REQUIRED,
                help_text="Required." if column in REQUIRED else "",
            )

    def mapping(self) -> dict[str, str | None]:
        return {c: (self.cleaned_data.get(c) or None) for c in COLUMN_LABELS}


class ProvenanceForm(forms.Form):
    name = forms.CharField(
        label="Name of the list",
        max_length=200,
        help_text="Unique; it names the list in runs, clusters and citations.",
    )
    compiled_by = forms.CharField(
        label="Compiled by",
        max_length=500,
        help_text="A person, an organisation, a family network.",
    )
    compiled_when = forms.CharField(
        label="When",
        max_length=100,
        required=False,
        help_text="A date, in either calendar: 1367/05, 1988-08-14, August 1988, 2019.",
    )
    method = forms.CharField(
        label="How",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="How the names were gathered: interviews, prison records, press reports…",
    )
    confidentiality = forms.TypedChoiceField(label="Confidentiality", coerce=int)
    on_error = forms.ChoiceField(
        label="When a row has a problem",
        choices=[
            ("stop", "Stop: import nothing, and list every problem"),
            ("report", "Carry on: import the rest, keep the problem report with the list"),
        ],
        initial="stop",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, clearance: Level, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["confidentiality"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(int(v), v.label) for v in Level if v <= clearance]
        field.initial = int(Level.INTERNAL)


class RunForm(forms.Form):
    lists = forms.ModelMultipleChoiceField(
        label="Lists",
        queryset=ListImport.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    threshold = forms.FloatField(
        label="Threshold",
        min_value=0.01,
        max_value=0.99,
        initial=DEFAULT_THRESHOLD,
        help_text="Pairs with a match probability at or above it join a cluster.",
    )

    def __init__(self, *args: Any, imports: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["lists"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = imports
        field.label_from_instance = lambda i: f"{i.name} ({i.row_count} records)"


class JudgeForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("accept", "Same person"), ("reject", "Different people"), ("skip", "Skip")]
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Why", max_length=2000)


class MergeForm(ReasonForm):
    other = forms.IntegerField(widget=forms.HiddenInput, help_text="A row of the other cluster.")
