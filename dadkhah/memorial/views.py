"""The memorial's pages: home, victims (list, search, facets), a victim, about, review.

Public pages read only PUBLIC material and only reviewed (published) victims; the review
screen is for staff. ``root`` sends an anonymous visitor at "/" to the memorial in their
language and keeps the staff home for signed-in staff.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET, require_http_methods

from dadkhah.accounts.roles import can_review, clearance_of
from dadkhah.core.confidentiality import Level
from dadkhah.core.dates import parse_partial_date
from dadkhah.core.languages import page_language
from dadkhah.memorial import browse, publication
from dadkhah.memorial.models import Publication, VictimEntry
from dadkhah.records.claims import ShownClaim, person_roles, visible_records
from dadkhah.records.models import Citation, Person, Source
from dadkhah.records.views import is_staff, require

__all__ = [
    "about",
    "home",
    "review_edit",
    "review_list",
    "robots",
    "root",
    "victim_detail",
    "victim_list",
    "victim_photo",
]

PER_PAGE = 25


def root(request: HttpRequest) -> HttpResponse:
    """ "/": staff keep their home; everyone else goes to /<lang>/ (Accept-Language, else en)."""
    if is_staff(request.user):
        from dadkhah.records.views import home as staff_home

        return staff_home(request)
    lang = translation.get_language_from_request(request, check_path=False)
    if lang not in dict(settings.LANGUAGES):
        lang = settings.LANGUAGE_CODE
    response = HttpResponseRedirect(f"/{lang}/")
    response["Vary"] = "Accept-Language, Cookie"
    return response


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    entries = VictimEntry.objects.filter(person__confidentiality=int(Level.PUBLIC))
    listing = browse.browse(browse.BrowseParams(), page_language())
    context = {
        "nav": "home",
        "total": entries.count(),
        "recent": entries.order_by("-refreshed_at", "uid")[:6],
        "facets": {f: listing.facets[f][:8] for f in ("city", "prison")},
        "lang": page_language(),
    }
    return render(request, "memorial/home.html", context)


def _facet_titles() -> dict[str, str]:
    from django.utils.translation import gettext as _

    return {
        "city": _("City"),
        "prison": _("Prison"),
        "year": _("Year of execution"),
        "affiliation": _("Political affiliation"),
        "age": _("Age at execution"),
        "gender": _("Gender"),
    }


def _facet_links(listing: browse.Browse) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """Each facet's title and values, each with the link that selects it (or removes it)."""
    base = {k: v for k, v in [("q", listing.params.q), *listing.params.filters().items()] if v}
    titles = _facet_titles()
    out: list[tuple[str, str, list[dict[str, Any]]]] = []
    for facet, values in listing.facets.items():
        rows = []
        for value in values:
            params = dict(base)
            if value.selected:
                params.pop(facet, None)
            else:
                params[facet] = value.value
            rows.append({"value": value, "url": "?" + urlencode(params) if params else "?"})
        out.append((facet, titles[facet], rows))
    return out


@require_GET
def victim_list(request: HttpRequest) -> HttpResponse:
    lang = page_language()
    params, problems = browse.parse_params(request.GET)
    listing = browse.browse(params, lang)
    paginator = Paginator(listing.entries, PER_PAGE)
    paginator.count = listing.total  # counted already (and cached) by browse
    page = paginator.get_page(request.GET.get("page"))
    kept = {k: v for k, v in [("q", params.q), *params.filters().items()] if v}
    context = {
        "nav": "victims",
        "listing": listing,
        "page": page,
        "facet_links": _facet_links(listing),
        "problems": problems,
        "kept": urlencode(kept),
        "lang": lang,
        "year": params.year,
        "filtered": bool(kept),
    }
    return render(request, "memorial/victims.html", context)


# ------------------------------------------------------------------------- victim page


@dataclass
class SourceNote:
    number: int
    source: Source
    locators: list[str] = field(default_factory=list)


@dataclass
class FactRow:
    label: str
    value: str
    refs: list[int]
    disputed: bool = False
    lang_attr: str = ""


class SourceList:
    """Numbers each cited source once, in order of first use (the Omid style)."""

    def __init__(self) -> None:
        self.notes: dict[int, SourceNote] = {}

    def refs(self, citations: list[Citation]) -> list[int]:
        numbers = []
        for cite in citations:
            note = self.notes.get(cite.source_id)
            if note is None:
                note = SourceNote(len(self.notes) + 1, cite.source)
                self.notes[cite.source_id] = note
            locator = cite.locator
            if locator and locator not in note.locators:
                note.locators.append(locator)
            if note.number not in numbers:
                numbers.append(note.number)
        return numbers


def _script_of(text: str) -> str:
    return "fa" if any("\u0600" <= ch <= "\u06ff" for ch in text) else "en"


def _rows(
    claims: list[ShownClaim], prop: str, label: str, sources: SourceList, lang: str = "en"
) -> list[FactRow]:
    rows = []
    for shown in claims:
        if shown.claim.prop != prop or shown.claim.status == "rejected":
            continue
        value = shown.text
        if shown.target is not None:  # a place: its name in the page's language
            target = shown.target
            value = (target.label_fa or target.label) if lang == "fa" else target.label
            value = value or target.label_fa or shown.text
        rows.append(
            FactRow(
                label=label,
                value=value,
                lang_attr=_script_of(value),
                refs=sources.refs(shown.citations),
                disputed=shown.claim.status == "disputed",
            )
        )
    return rows


def _published_or_404(uid: str) -> tuple[Person, Publication]:
    person = visible_records(Person.objects.filter(uid=uid), Level.PUBLIC).first()
    if person is None:
        raise Http404("No such victim.")
    pub = publication.current(person)
    if pub is None:
        raise Http404("No such victim.")
    return person, pub


@require_GET
def victim_detail(request: HttpRequest, uid: str) -> HttpResponse:
    from django.utils.translation import gettext as _

    lang = page_language()
    person, pub = _published_or_404(uid)
    facts = browse.victim_facts(person, lang)
    sources = SourceList()
    labels = {
        "name": _("Name"),
        "gender": _("Gender"),
        "birth_date": _("Date of birth"),
        "occupation": _("Occupation"),
        "hometown": _("City"),
        "affiliation": _("Political affiliation"),
    }
    rows: list[FactRow] = []
    for prop in ("name", "birth_date", "gender", "occupation", "hometown", "affiliation"):
        rows.extend(_rows(facts.person_claims, prop, labels[prop], sources, lang))
    age = facts.age()
    execution_rows: list[FactRow] = []
    burial_rows: list[FactRow] = []
    if facts.execution_event is not None:
        claims = facts.event_claims.get(facts.execution_event.pk, [])
        execution_rows += _rows(claims, "date", _("Date of execution"), sources, lang)
        execution_rows += _rows(claims, "place", _("Prison"), sources, lang)
    if facts.burial_event is not None:
        claims = facts.event_claims.get(facts.burial_event.pk, [])
        burial_rows += _rows(claims, "place", _("Burial place"), sources, lang)
        burial_rows += _rows(claims, "date", _("Date of burial"), sources, lang)
        burial_rows += _rows(claims, "description", _("About the burial"), sources, lang)
    photo = publication.photo_item(pub)
    name = (facts.name_fa or facts.name_en) if lang == "fa" else (facts.name_en or facts.name_fa)
    other_name = facts.name_en if lang == "fa" else facts.name_fa
    narrative = pub.narrative(lang)
    narrative_lang = lang
    if not narrative:
        narrative_lang = "en" if lang == "fa" else "fa"
        narrative = pub.narrative(narrative_lang)
    words = pub.family_words(lang)
    words_lang = lang
    if not words:
        words_lang = "en" if lang == "fa" else "fa"
        words = pub.family_words(words_lang)
    context = {
        "nav": "victims",
        "person": person,
        "pub": pub,
        "name": name or person.uid,
        "other_name": other_name,
        "facts": facts,
        "rows": rows,
        "age": age,
        "execution_rows": execution_rows,
        "burial_rows": burial_rows,
        "photo": photo,
        "narrative": narrative,
        "narrative_lang": narrative_lang,
        "family_words": words,
        "family_words_lang": words_lang,
        "sources": sorted(sources.notes.values(), key=lambda n: n.number),
        "reviewed_on": parse_partial_date(pub.reviewed_at.date().isoformat()).both(lang),
        "lang": lang,
    }
    return render(request, "memorial/victim.html", context)


@require_GET
def victim_photo(request: HttpRequest, uid: str) -> HttpResponseBase:
    """The consented PUBLIC photograph of a published victim, inline."""
    _, pub = _published_or_404(uid)
    item = publication.photo_item(pub)
    if item is None:
        raise Http404("No photograph.")
    return inline_public_image(item)


def inline_public_image(item: Any) -> HttpResponseBase:
    """A PUBLIC vault image, inline, in a response that can run nothing (no sniffing, no
    script, no subresource) and may be cached for an hour."""
    from django.http import FileResponse

    from dadkhah.core.security import protect_file
    from dadkhah.vault import services

    response = FileResponse(services.open_item(item), content_type=item.mime)
    # Shown inline only when a raster image (or PDF); anything else is an attachment.
    protect_file(response, item.mime, item.name, inline=True)
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def about(request: HttpRequest) -> HttpResponse:
    return render(request, "memorial/about.html", {"nav": "about", "lang": page_language()})


@require_GET
def robots(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /accounts/",
        "Disallow: /api/",
        "Disallow: /records/",
        "Disallow: /vault/",
        "Disallow: /search/",
        "Disallow: /counting/",
        "Disallow: /linkage/",
        "Disallow: /memorial/review/",
        "Allow: /en/",
        "Allow: /fa/",
        f"Sitemap: {request.build_absolute_uri(reverse('memorial_root:sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


# ---------------------------------------------------------------------------- review (staff)


@require_GET
@require(can_review, "review the memorial")
def review_list(request: HttpRequest) -> HttpResponse:
    """The victims staff may publish: public people who are victims in a public event."""
    clearance = clearance_of(request.user)
    people = (
        visible_records(Person.objects.all(), clearance)
        .filter(participations__role="victim")
        .distinct()
        .order_by("label", "uid")
    )
    query = request.GET.get("q", "").strip()
    if query:
        people = people.filter(label__icontains=query) | people.filter(label_fa__icontains=query)
    published = dict(
        Publication.objects.current().values_list("person_id", "reviewed_at").order_by()
    )
    paginator = Paginator(people, 50)
    page = paginator.get_page(request.GET.get("page"))
    rows = [(p, published.get(p.pk)) for p in page.object_list]
    return render(
        request,
        "memorial/review_list.html",
        {"page": page, "rows": rows, "query": query, "published_count": len(published)},
    )


def _form_input(post: Any) -> publication.PublicationInput:
    return publication.PublicationInput(
        narrative_en=post.get("narrative_en", ""),
        narrative_fa=post.get("narrative_fa", ""),
        family_words_en=post.get("family_words_en", ""),
        family_words_fa=post.get("family_words_fa", ""),
        family_consent=post.get("family_consent") == "on",
        photo_item=post.get("photo_item", "").strip(),
        photo_consent=post.get("photo_consent") == "on",
        note=post.get("note", ""),
    )


@require_http_methods(["GET", "POST"])
@require(can_review, "review the memorial")
def review_edit(request: HttpRequest, uid: str) -> HttpResponse:
    person = get_object_or_404(
        visible_records(Person.objects.all(), clearance_of(request.user)), uid=uid
    )
    current = publication.current(person)
    error: publication.PublicationError | None = None
    data = _form_input(request.POST) if request.method == "POST" else None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "withdraw":
                publication.withdraw(person, request.user, request.POST.get("reason", ""))
            else:
                assert data is not None
                publication.publish(person, data, request.user)
            return HttpResponseRedirect(reverse("memorial_staff:review_edit", args=[uid]))
        except publication.PublicationError as exc:
            error = exc
    history = Publication.history.filter(person_id=person.pk).order_by("-history_date")[:50]
    facts = browse.victim_facts(person)
    context = {
        "person": person,
        "current": current,
        "data": data or current,
        "error": error,
        "history": history,
        "facts": facts,
        "public": person.confidentiality == int(Level.PUBLIC),
        "is_victim": "victim" in person_roles(person, Level.PUBLIC),
    }
    return render(request, "memorial/review_edit.html", context, status=400 if error else 200)
