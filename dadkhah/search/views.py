"""The search page: /search/?q=… with results grouped by document or record, filters.

Anyone may search; what they find is what their clearance lets them see (``services``):
visitors find public records, staff also find the vault's documents.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dadkhah.core.confidentiality import Level, parse_level
from dadkhah.records.views import viewer_clearance
from dadkhah.search import services
from dadkhah.search.models import ENTRY_KINDS

__all__ = ["search_page"]

PAGE_SIZE = 20


def _page_number(text: str) -> int:
    try:
        return max(1, min(int(text), 1000))
    except ValueError:
        return 1


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    clearance = viewer_clearance(request)
    get = request.GET
    query = get.get("q", "")[: services.MAX_QUERY_FORM]
    kinds = [k for k in get.getlist("kind") if k in ENTRY_KINDS]
    page = _page_number(get.get("page", "1"))
    context: dict[str, object] = {
        "query": query,
        "kinds": kinds,
        "all_kinds": [k for k in ENTRY_KINDS if k != "page" or clearance >= Level.INTERNAL],
        "source": get.get("source", "")[:64],
        "place": get.get("place", "")[:64],
        "date_from": get.get("date_from", "")[:60],
        "date_to": get.get("date_to", "")[:60],
        "level": get.get("level", ""),
        "levels": [lv.label for lv in Level if lv <= clearance],
        "results": None,
        "error": "",
    }
    status = 200
    if query.strip():
        try:
            level = parse_level(get["level"]) if get.get("level") else None
            filters = services.Filters(
                kinds=frozenset(kinds) if kinds else None,
                source=str(context["source"]),
                place=str(context["place"]),
                date_from=services.parse_date_filter(str(context["date_from"])),
                date_to=services.parse_date_filter(str(context["date_to"]), end=True),
                level=int(level) if level is not None else None,
            )
            results = services.search(
                query, clearance, filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
            )
            context["results"] = results
            context["page"] = page
            context["has_next"] = results.total_groups > page * PAGE_SIZE
        except ValueError as exc:  # QueryError, an unreadable date or level
            context["error"] = str(exc)
            status = 400
    return render(request, "search/search.html", context, status=status)
