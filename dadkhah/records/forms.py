"""Forms of the staff UI.

Forms only check shapes: what is required, which choices exist, which records the user
may pick. The rules (valid values, dates, citations) live in ``records.claims``; views
call it and put each ``RecordError`` next to the field it names. Choices of records and
sources are limited to what the user's clearance lets them see.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import formset_factory

from dadkhah.core.confidentiality import Level
from dadkhah.records import values
from dadkhah.records.claims import LINKS, CitationInput
from dadkhah.records.models import RECORD_MODELS, Source

__all__ = [
    "ClaimForm",
    "CitationForm",
    "EventEntryForm",
    "NameRowForm",
    "NameRows",
    "ParticipantRowForm",
    "ParticipantRows",
    "PersonEntryForm",
    "RecordForm",
    "SourceForm",
    "StatusForm",
    "level_choices",
    "record_choices",
]

STATUS_CHOICES = [("accepted", "Accepted"), ("disputed", "Disputed"), ("rejected", "Rejected")]
CONFIDENCE_CHOICES = [("low", "Low"), ("medium", "Medium"), ("high", "High")]
DATE_HELP = (
    "Either calendar, as precise as known: 1367/05/23, 1367/05, Mordad 1367, 1367, "
    "1988-08-14, 1988-08, August 1988, summer 1988."
)


def level_choices(clearance: Level) -> list[tuple[int, str]]:
    """Levels up to the user's clearance: nobody files what they could not read back."""
    return [(int(level), level.label.capitalize()) for level in Level if level <= clearance]


def vocab_choices(name: str, blank: str | None = None) -> list[tuple[str, str]]:
    choices = values.vocabularies()[name].choices("en")
    return [("", blank), *choices] if blank is not None else choices


def _record_label(record: Any) -> str:
    text = str(record)
    if record.label_fa and record.label_fa != text:
        text = f"{text} — {record.label_fa}"
    if record.is_synthetic:
        text += " (synthetic)"
    return text


def record_choices(kind: str, clearance: Level, blank: str | None = None) -> list[tuple[str, str]]:
    rows = RECORD_MODELS[kind].objects.visible_to(clearance).order_by("label", "id")
    choices = [(r.uid, _record_label(r)) for r in rows]
    return [("", blank), *choices] if blank is not None else choices


def source_choices(clearance: Level) -> list[tuple[str, str]]:
    rows = Source.objects.visible_to(clearance).order_by("title", "id")
    return [("", "— choose a source —")] + [
        (s.uid, f"{s.title} (synthetic)" if s.is_synthetic else s.title) for s in rows
    ]


def value_field(spec: values.PropSpec, clearance: Level) -> forms.Field:
    """The input for one property: a select for terms and references, text otherwise."""
    if spec.type == "term" and spec.vocab:
        return forms.ChoiceField(label="Value", choices=vocab_choices(spec.vocab, "— choose —"))
    if spec.type == "ref" and spec.to:
        return forms.ChoiceField(
            label="Value", choices=record_choices(spec.to, clearance, "— choose —")
        )
    help_text = {
        "date": DATE_HELP,
        "geometry": "Latitude, longitude (e.g. 35.8208, 50.9914) or GeoJSON.",
        "status": "Status and date, e.g. destroyed, 1387.",
        "name": "The script is detected from the letters.",
        "period_ref": 'The id of the record, or JSON: {"ref": "<id>", "start": "1360", "end": "1368"}.',
    }.get(spec.type, "")
    widget = forms.Textarea(attrs={"rows": 3}) if spec.name in ("biography",) else None
    return forms.CharField(label="Value", help_text=help_text, widget=widget)


class CitedForm(forms.Form):
    """The citation every claim carries, and the reason kept in the history."""

    source = forms.ChoiceField(label="Source", required=False)
    page = forms.CharField(label="Page", required=False, max_length=40)
    paragraph = forms.CharField(label="Paragraph", required=False, max_length=40)
    timestamp = forms.CharField(
        label="Time in recording",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "hh:mm:ss"}),
    )
    quote = forms.CharField(
        label="Quote",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}),
        help_text="The passage exactly as the source words it.",
    )
    confidence = forms.ChoiceField(label="Confidence", choices=CONFIDENCE_CHOICES, initial="medium")
    reason = forms.CharField(
        label="Reason for the change",
        required=False,
        max_length=500,
        help_text="Kept in the history with your name.",
    )

    def __init__(self, *args: Any, clearance: Level, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clearance = clearance
        self.fields["source"].choices = source_choices(clearance)

    def citations(self) -> list[CitationInput]:
        """One citation, or none when no source was chosen (the rules then refuse the claim)."""
        data = self.cleaned_data
        if not data.get("source"):
            return []
        return [
            CitationInput(
                source=data["source"],
                page=data.get("page", ""),
                paragraph=data.get("paragraph", ""),
                timestamp=data.get("timestamp", ""),
                quote=data.get("quote", ""),
                confidence=data.get("confidence") or "medium",
            )
        ]


class CitationForm(CitedForm):
    """Cite one more source for an existing claim."""

    def __init__(self, *args: Any, clearance: Level, **kwargs: Any) -> None:
        super().__init__(*args, clearance=clearance, **kwargs)
        self.fields["source"].required = True


class ClaimForm(CitedForm):
    """Add one claim to a record."""

    prop = forms.ChoiceField(label="Property")
    value = forms.CharField(label="Value")
    status = forms.ChoiceField(label="Status", choices=STATUS_CHOICES, initial="accepted")
    confidentiality = forms.TypedChoiceField(
        label="Confidentiality", coerce=int, required=False, empty_value=None
    )

    field_order = ["prop", "value", "status", "confidentiality"]

    def __init__(self, *args: Any, kind: str, clearance: Level, **kwargs: Any) -> None:
        super().__init__(*args, clearance=clearance, **kwargs)
        specs = values.props_of(kind)
        self.fields["prop"].choices = [(name, spec.label()) for name, spec in specs.items()]
        self.fields["confidentiality"].choices = [
            ("", "Same as the record"),
            *level_choices(clearance),
        ]
        chosen = self.data.get(self.add_prefix("prop")) if self.is_bound else None
        chosen = chosen or self.initial.get("prop") or next(iter(specs))
        self.spec = specs.get(chosen) or next(iter(specs.values()))
        self.fields["value"] = value_field(self.spec, clearance)
        self.order_fields(self.field_order)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="New status", choices=STATUS_CHOICES)
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"required": True}),
        help_text="Required: why the status changes.",
    )


class RecordFields(CitedForm):
    """What every new record asks: confidentiality, whether it is invented."""

    confidentiality = forms.TypedChoiceField(label="Confidentiality", coerce=int)
    is_synthetic = forms.BooleanField(
        label="Synthetic (invented for a demo or test, not a real record)", required=False
    )

    def __init__(self, *args: Any, clearance: Level, **kwargs: Any) -> None:
        super().__init__(*args, clearance=clearance, **kwargs)
        self.fields["confidentiality"].choices = level_choices(clearance)
        self.fields["confidentiality"].initial = int(min(Level.INTERNAL, clearance))


class PersonEntryForm(RecordFields):
    """A person with names, father's name, gender, birth date, hometown and affiliation."""

    father_name = forms.CharField(label="Father's name", required=False, max_length=300)
    gender = forms.ChoiceField(label="Gender", required=False)
    birth_date = forms.CharField(
        label="Date of birth", required=False, max_length=100, help_text=DATE_HELP
    )
    hometown = forms.ChoiceField(label="Hometown", required=False)
    affiliation = forms.ChoiceField(label="Political affiliation", required=False)

    def __init__(self, *args: Any, clearance: Level, **kwargs: Any) -> None:
        super().__init__(*args, clearance=clearance, **kwargs)
        self.fields["gender"].choices = vocab_choices("gender", "— not known —")
        self.fields["affiliation"].choices = vocab_choices("affiliation", "— not known —")
        self.fields["hometown"].choices = record_choices("place", clearance, "— not known —")


class NameRowForm(forms.Form):
    text = forms.CharField(
        label="Name", required=False, max_length=300, widget=forms.TextInput(attrs={"dir": "auto"})
    )
    script = forms.ChoiceField(
        label="Script",
        required=False,
        choices=[("", "Detect"), ("fa", "Persian"), ("latn", "Latin")],
    )
    kind = forms.ChoiceField(label="Kind of name", required=False, initial="full")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = vocab_choices("name_kind")


NameRows = formset_factory(NameRowForm, extra=0, max_num=30)


class EventEntryForm(RecordFields):
    """An event with its date, place and participants."""

    event_type = forms.ChoiceField(label="Kind of event")
    title = forms.CharField(
        label="Title",
        required=False,
        max_length=300,
        help_text="Optional; without it the title is made from kind, place and date.",
    )
    date = forms.CharField(label="Date", required=False, max_length=100, help_text=DATE_HELP)
    place = forms.ChoiceField(label="Place", required=False)

    def __init__(self, *args: Any, clearance: Level, **kwargs: Any) -> None:
        super().__init__(*args, clearance=clearance, **kwargs)
        self.fields["event_type"].choices = vocab_choices("event_type", "— choose —")
        self.fields["place"].choices = record_choices("place", clearance, "— not known —")


class ParticipantRowForm(forms.Form):
    person = forms.ChoiceField(label="Person", required=False)
    role = forms.ChoiceField(label="Role", required=False)
    mode = forms.ChoiceField(label="Mode (perpetrators)", required=False)

    def __init__(self, *args: Any, clearance: Level, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = record_choices("person", clearance, "— nobody —")
        self.fields["role"].choices = vocab_choices("participant_role", "— choose —")
        self.fields["mode"].choices = vocab_choices("perpetrator_mode", "— none —")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("person") and not data.get("role"):
            self.add_error("role", "Choose the person's role in the event.")
        if data.get("mode") and data.get("role") != "perpetrator":
            self.add_error("mode", "A mode of participation is for perpetrators only.")
        return data


ParticipantRows = formset_factory(ParticipantRowForm, extra=3, max_num=100)


class RecordForm(RecordFields):
    """A body, place, post or participation, with its first claim."""

    prop = forms.ChoiceField(label="Property")
    value = forms.CharField(label="Value")

    def __init__(self, *args: Any, kind: str, clearance: Level, **kwargs: Any) -> None:
        super().__init__(*args, clearance=clearance, **kwargs)
        self.kind = kind
        links = LINKS.get(kind, ())
        for name in reversed(links):
            self.fields[name] = forms.ChoiceField(
                label=name.capitalize(), choices=record_choices(name, clearance, "— choose —")
            )
            self.order_fields([name, *(f for f in self.fields if f != name)])
        specs = values.props_of(kind)
        self.fields["prop"].choices = [(name, spec.label()) for name, spec in specs.items()]
        default = "name" if "name" in specs else next(iter(specs))
        chosen = self.data.get(self.add_prefix("prop")) if self.is_bound else None
        self.fields["prop"].initial = default
        self.spec = specs.get(chosen or default) or specs[default]
        self.fields["value"] = value_field(self.spec, clearance)
        order = list(self.fields)
        order.remove("prop")
        order.remove("value")
        at = order.index("source")
        self.order_fields([*order[:at], "prop", "value", *order[at:]])
        self.links = links

    def link_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.links]


class SourceForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of source")
    title = forms.CharField(
        label="Title", max_length=500, widget=forms.TextInput(attrs={"dir": "auto"})
    )
    citation = forms.CharField(
        label="Full citation",
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
        help_text="Author, title, publisher, date, identifier.",
    )
    url = forms.URLField(
        label="Address (URL)", required=False, max_length=1000, assume_scheme="https"
    )
    reliability = forms.ChoiceField(label="Reliability", initial="F")
    published = forms.CharField(
        label="Published", required=False, max_length=100, help_text=DATE_HELP
    )
    language = forms.CharField(
        label="Language", required=False, max_length=20, help_text="e.g. fa, en."
    )
    confidentiality = forms.TypedChoiceField(label="Confidentiality", coerce=int)
    is_synthetic = forms.BooleanField(
        label="Synthetic (invented for a demo or test)", required=False
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(label="Reason for the change", required=False, max_length=500)

    def __init__(self, *args: Any, clearance: Level, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = vocab_choices("source_kind")
        self.fields["reliability"].choices = vocab_choices("reliability")
        self.fields["confidentiality"].choices = level_choices(clearance)
        self.fields["confidentiality"].initial = int(min(Level.INTERNAL, clearance))
