"""``{% passage_link citation %}``: a link from a citation to the passage it quotes in the
document viewer (staff only: vault documents are not public)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.html import format_html

from dadkhah.search.passages import passage_of

register = template.Library()


@register.simple_tag(takes_context=True)
def passage_link(context: dict[str, Any], citation: Any) -> str:
    from dadkhah.accounts.roles import can_review

    request = context.get("request")
    if request is None or not can_review(request.user):
        return ""
    found = passage_of(citation)
    if found is None:
        return ""
    query = urlencode({"page": found.page, "start": found.start, "end": found.end})
    url = f"{reverse('search:document', args=[found.item_uid])}?{query}#passage"
    return format_html(
        ' <a class="passage-link" href="{}">the passage in the document (p. {})</a>',
        url,
        found.page,
    )
