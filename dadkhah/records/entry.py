"""Data entry: new people, events, other records and sources, each in one atomic POST.

A quick-entry form makes a record and several claims that all cite the same source.
Everything happens in one transaction: when the rules refuse any part (a day that does
not exist, a missing source), nothing is saved and the form comes back with the message
next to the field that caused it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import transaction
from django.forms import BaseFormSet, formset_factory
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render

from dadkhah.accounts.roles import can_edit
from dadkhah.core.dates import InvalidDate, parse_partial_date
from dadkhah.records import claims
from dadkhah.records.claims import RecordError
from dadkhah.records.forms import (
    EventEntryForm,
    NameRowForm,
    NameRows,
    ParticipantRowForm,
    ParticipantRows,
    PersonEntryForm,
    RecordForm,
    SourceForm,
)
from dadkhah.records.models import Record, Source, new_uid
from dadkhah.records.views import KIND_NAMES, put_error, require, viewer_clearance

__all__ = ["event_new", "person_new", "record_new", "source_new"]


class FieldError(Exception):
    """A refused write, with the form and field where the message belongs."""

    def __init__(self, form: forms.Form, error: RecordError, field: str | None = None) -> None:
        super().__init__(str(error))
        self.form, self.error, self.field = form, error, field

    def show(self) -> None:
        if self.field:
            self.form.add_error(self.field, str(self.error))
        else:
            put_error(self.form, self.error)


def _claim(
    form: Any,
    record: Record,
    prop: str,
    value: Any,
    *,
    user: Any,
    reason: str,
    field: str,
    row: forms.Form | None = None,
) -> None:
    """Add one claim citing the form's source; a refusal is tied to ``field``."""
    try:
        claims.add_claim(
            record,
            prop,
            value,
            citations=form.citations(),
            user=user,
            reason=reason,
            clearance=form.clearance,
        )
    except RecordError as exc:
        if exc.field in ("source", "confidence", "confidentiality"):
            raise FieldError(form, exc) from None
        raise FieldError(row or form, exc, field) from None


def _save(create: Any, *args: Any) -> Any:
    """Run ``create`` in one transaction; on a refusal show it and return None."""
    try:
        with transaction.atomic():
            return create(*args)
    except FieldError as exc:
        exc.show()
        return None


def _redisplay(form: forms.Form, **kwargs: Any) -> forms.Form:
    """The same form unbound, keeping what was typed: no error messages yet."""
    initial = {name: form[name].value() for name in form.fields}
    return type(form)(initial=initial, prefix=form.prefix, **kwargs)


def _more_rows(rows: BaseFormSet, form_class: type[forms.Form], **kwargs: Any) -> BaseFormSet:
    """The rows as typed plus one empty row (the "add a row" button works without JavaScript)."""
    initial = [{name: row[name].value() for name in row.fields} for row in rows.forms]
    initial.append({})
    factory = formset_factory(form_class, extra=0, max_num=100)
    return factory(initial=initial, prefix=rows.prefix, form_kwargs=kwargs)


# ------------------------------------------------------------------ person


def _create_person(form: PersonEntryForm, names: BaseFormSet, user: Any) -> Record:
    data = form.cleaned_data
    reason = data["reason"] or "new person (quick entry)"
    person = claims.create_record(
        "person",
        confidentiality=data["confidentiality"],
        is_synthetic=data["is_synthetic"],
        user=user,
        reason=reason,
    )
    for row in names.forms:
        text = row.cleaned_data.get("text", "").strip()
        if text:
            name = {"text": text, "script": row.cleaned_data["script"] or None}
            name["kind"] = row.cleaned_data["kind"] or "full"
            _claim(form, person, "name", name, user=user, reason=reason, field="text", row=row)
    for prop in ("father_name", "gender", "birth_date", "hometown", "affiliation"):
        if data.get(prop):
            _claim(form, person, prop, data[prop], user=user, reason=reason, field=prop)
    return person


@require(can_edit, "create records")
def person_new(request: HttpRequest) -> HttpResponse:
    clearance = viewer_clearance(request)
    status = 200
    if request.method == "POST":
        form = PersonEntryForm(request.POST, clearance=clearance)
        names = NameRows(request.POST, prefix="names")
        if request.POST.get("more") == "names":
            form = _redisplay(form, clearance=clearance)
            names = _more_rows(names, NameRowForm)
        elif all([form.is_valid(), names.is_valid()]):  # a list: show both forms' errors
            if not any(r.cleaned_data.get("text", "").strip() for r in names.forms):
                first = names.forms[0] if names.forms else form
                first.add_error("text" if names.forms else None, "Give at least one name.")
            elif person := _save(_create_person, form, names, request.user):
                return HttpResponseRedirect(person.get_absolute_url())
            status = 400
        else:
            status = 400
    else:
        form = PersonEntryForm(clearance=clearance)
        names = NameRows(prefix="names", initial=[{"script": "fa"}, {"script": "latn"}])
    context = {"form": form, "names": names, "failed": status == 400}
    return render(request, "records/person_new.html", context, status=status)


# ------------------------------------------------------------------ event


def _create_event(form: EventEntryForm, rows: BaseFormSet, user: Any) -> Record:
    data = form.cleaned_data
    reason = data["reason"] or "new event (quick entry)"
    level, synthetic = data["confidentiality"], data["is_synthetic"]
    event = claims.create_record(
        "event", confidentiality=level, is_synthetic=synthetic, user=user, reason=reason
    )
    for prop in ("event_type", "title", "date", "place"):
        if data.get(prop):
            _claim(form, event, prop, data[prop], user=user, reason=reason, field=prop)
    for row in rows.forms:
        row_data = row.cleaned_data
        if not row_data.get("person"):
            continue
        try:
            part = claims.create_record(
                "participation",
                confidentiality=level,
                is_synthetic=synthetic,
                user=user,
                reason=reason,
                clearance=form.clearance,
                event=event,
                person=row_data["person"],
            )
        except RecordError as exc:
            raise FieldError(row, exc, "person") from None
        _claim(
            form, part, "role", row_data["role"], user=user, reason=reason, field="role", row=row
        )
        if row_data.get("mode"):
            _claim(
                form,
                part,
                "mode",
                row_data["mode"],
                user=user,
                reason=reason,
                field="mode",
                row=row,
            )
    return event


@require(can_edit, "create records")
def event_new(request: HttpRequest) -> HttpResponse:
    clearance = viewer_clearance(request)
    status = 200
    if request.method == "POST":
        form = EventEntryForm(request.POST, clearance=clearance)
        rows = ParticipantRows(
            request.POST, prefix="participants", form_kwargs={"clearance": clearance}
        )
        if request.POST.get("more") == "participants":
            form = _redisplay(form, clearance=clearance)
            rows = _more_rows(rows, ParticipantRowForm, clearance=clearance)
        elif all([form.is_valid(), rows.is_valid()]):
            if event := _save(_create_event, form, rows, request.user):
                return HttpResponseRedirect(event.get_absolute_url())
            status = 400
        else:
            status = 400
    else:
        form = EventEntryForm(clearance=clearance)
        rows = ParticipantRows(prefix="participants", form_kwargs={"clearance": clearance})
    context = {"form": form, "rows": rows, "failed": status == 400}
    return render(request, "records/event_new.html", context, status=status)


# ------------------------------------------------------------------ other kinds


def _create_record(form: RecordForm, user: Any) -> Record:
    data = form.cleaned_data
    reason = data["reason"] or f"new {form.kind}"
    links = {name: data[name] for name in form.links}
    try:
        record = claims.create_record(
            form.kind,
            confidentiality=data["confidentiality"],
            is_synthetic=data["is_synthetic"],
            user=user,
            reason=reason,
            clearance=form.clearance,
            **links,
        )
    except RecordError as exc:
        raise FieldError(form, exc) from None
    _claim(form, record, data["prop"], data["value"], user=user, reason=reason, field="value")
    return record


@require(can_edit, "create records")
def record_new(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in ("body", "place", "post", "participation"):
        raise Http404("No such kind of record.")
    clearance = viewer_clearance(request)
    status = 200
    if request.method == "POST":
        form = RecordForm(request.POST, kind=kind, clearance=clearance)
        if form.is_valid() and (record := _save(_create_record, form, request.user)):
            return HttpResponseRedirect(record.get_absolute_url())
        status = 400
    else:
        form = RecordForm(kind=kind, clearance=clearance)
    context = {"form": form, "kind": kind, "kind_name": KIND_NAMES[kind], "failed": status == 400}
    return render(request, "records/record_new.html", context, status=status)


# ------------------------------------------------------------------ sources


def _create_source(form: SourceForm, user: Any) -> Source:
    data = form.cleaned_data
    published = None
    if data["published"]:
        try:
            published = parse_partial_date(data["published"]).to_json()
        except InvalidDate as exc:
            raise FieldError(form, RecordError(str(exc), "published"), "published") from None
    source = Source(
        uid=new_uid("source"),
        kind=data["kind"],
        title=data["title"].strip(),
        citation=data["citation"].strip(),
        url=data["url"],
        reliability=data["reliability"],
        published=published,
        language=data["language"].strip(),
        confidentiality=data["confidentiality"],
        is_synthetic=data["is_synthetic"],
        notes=data["notes"],
    )
    source._history_user = user  # type: ignore[attr-defined]
    source._change_reason = data["reason"] or "new source"  # type: ignore[attr-defined]
    source.save()
    return source


@require(can_edit, "create sources")
def source_new(request: HttpRequest) -> HttpResponse:
    clearance = viewer_clearance(request)
    status = 200
    if request.method == "POST":
        form = SourceForm(request.POST, clearance=clearance)
        if form.is_valid() and (source := _save(_create_source, form, request.user)):
            return HttpResponseRedirect(source.get_absolute_url())
        status = 400
    else:
        form = SourceForm(clearance=clearance)
    context = {"form": form, "failed": status == 400}
    return render(request, "records/source_new.html", context, status=status)
