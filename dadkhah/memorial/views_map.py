"""The memorial's map, timeline and count pages, and the map's data.

All public, all read through ``Level.PUBLIC``: ``/<lang>/map/`` (Leaflet from static files
over the bundled Natural Earth basemap, and a tile server only when ``DADKHAH_TILE_URL`` is
set; without JavaScript the page is a table of the places), ``/<lang>/map/places.geojson``,
``/<lang>/map/images/<item uid>/`` (a PUBLIC image the map cites as evidence),
``/<lang>/timeline/`` and ``/<lang>/count/``.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET

from dadkhah.core.languages import page_language
from dadkhah.memorial import count, estimates, mapping, timeline
from dadkhah.memorial.views import inline_public_image

__all__ = ["count_page", "map_image", "map_page", "places_geojson", "timeline_page"]

LEAFLET_JS = "memorial/vendor/leaflet/leaflet.js"
LEAFLET_CSS = "memorial/vendor/leaflet/leaflet.css"
BASEMAP = {
    "countries": "memorial/vendor/basemap/countries.geojson",
    "provinces": "memorial/vendor/basemap/provinces.geojson",
}


def _image_url(uid: str) -> str:
    return reverse("memorial:map_image", args=[uid])


@require_GET
def map_page(request: HttpRequest) -> HttpResponse:
    lang = page_language()
    places = mapping.map_places(lang)
    at_place = timeline.events_by_place(lang)
    for place in places:
        place.events = at_place.get(place.uid, [])
    config = {
        "places": reverse("memorial:places_geojson"),
        "basemap": {name: static(path) for name, path in BASEMAP.items() if finders.find(path)},
        "tiles": settings.CONFIG.tile_url,
        "attribution": settings.CONFIG.tile_attribution,
        "iconPath": static("memorial/vendor/leaflet/images/"),
        "center": [32.4, 53.7],
        "zoom": 5,
        "labels": {
            "statusOverTime": translation.gettext("Status over time"),
            "noStatus": translation.gettext("No status recorded"),
            "disputed": translation.gettext("disputed"),
            "synthetic": translation.gettext("Synthetic"),
            "images": translation.gettext("Image evidence"),
            "details": translation.gettext("Details and sources"),
            "basemap": translation.gettext("Boundaries: Natural Earth (public domain)"),
        },
    }
    context = {
        "nav": "map",
        "lang": lang,
        "places": places,
        "kinds": mapping.MAP_KINDS,
        "interactive": finders.find(LEAFLET_JS) is not None,
        "leaflet_js": LEAFLET_JS,
        "leaflet_css": LEAFLET_CSS,
        "map_config": json.dumps(config, ensure_ascii=False),
        "synthetic_places": any(p.is_synthetic for p in places),
    }
    return render(request, "memorial/map.html", context)


@require_GET
def places_geojson(request: HttpRequest) -> HttpResponse:
    lang = page_language()
    data = mapping.places_geojson(mapping.map_places(lang), lang, _image_url)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False), content_type="application/geo+json; charset=utf-8"
    )
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def map_image(request: HttpRequest, uid: str) -> HttpResponseBase:
    """A PUBLIC image the map shows as evidence about a place, inline.

    Only an item the map cites (``mapping.evidence_item``) is served; anything else is 404,
    as if it did not exist. Public views are not written to the custody ledger: the item is
    public, and a ledger entry per page view would bury the entries that matter."""
    item = mapping.evidence_item(uid)
    if item is None:
        raise Http404("No such image.")
    return inline_public_image(item)


@require_GET
def timeline_page(request: HttpRequest) -> HttpResponse:
    lang = page_language()
    years = timeline.timeline(lang)
    context = {
        "nav": "timeline",
        "lang": lang,
        "years": years,
        "first_year": timeline.FIRST_YEAR,
        "synthetic_events": any(e.is_synthetic for y in years for e in y.events),
    }
    return render(request, "memorial/timeline.html", context)


@require_GET
def count_page(request: HttpRequest) -> HttpResponse:
    lang = page_language()
    counts = count.known_by_name(lang)
    estimate = estimates.current_estimate()
    numbers = {}
    if estimate is not None:
        from dadkhah.counting.explain import number

        numbers = {
            name: number(value, lang)
            for name, value in (
                ("estimate", estimate.estimate),
                ("low", estimate.low),
                ("high", estimate.high),
                ("observed", estimate.observed),
            )
        }
    context = {
        "nav": "count",
        "lang": lang,
        "counts": counts,
        "cities": counts.by_facet["city"],
        "prisons": counts.by_facet["prison"],
        "estimate": estimate,
        "numbers": numbers,
        "figures": count.record_figures(lang),
    }
    return render(request, "memorial/count.html", context)
