"""Template tags of the public pages (memorial, campaigns): the language switch, the Synthetic
notice, Persian digits, and dates in the reader's calendar."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils import timezone
from django.utils.translation import get_language, get_language_info

from dadkhah.core.languages import page_language

register = template.Library()


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str  # the language's own name (English, فارسی)
    url: str
    current: bool
    bidi: bool


@register.simple_tag(takes_context=True)
def language_links(context: dict[str, Any]) -> list[LanguageLink]:
    """Links to the same page in each language (query string kept)."""
    request = context.get("request")
    path = request.path if request is not None else "/"
    query = request.GET.urlencode() if request is not None and request.GET else ""
    current = get_language() or settings.LANGUAGE_CODE
    links = []
    for code, _ in settings.LANGUAGES:
        info = get_language_info(code)
        links.append(
            LanguageLink(
                code=code,
                name=info["name_local"],
                url=translate_url(path, code) + (f"?{query}" if query else ""),
                current=code == current,
                bidi=bool(info["bidi"]),
            )
        )
    return links


@register.simple_tag
def synthetic_published() -> bool:
    """True when any published victim is synthetic (the demo): every page says so."""
    from dadkhah.memorial.publication import synthetic_published as check

    return check()


_FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


@register.filter
def digits(value: Any) -> str:
    """Persian digits on Persian pages; the value unchanged otherwise."""
    text = "" if value is None else str(value)
    return text.translate(_FA_DIGITS) if page_language() == "fa" else text


@register.filter
def in_lang(obj: Any, method: str) -> str:
    """``entry|in_lang:"name"`` calls ``entry.name(<current language>)``."""
    return str(getattr(obj, method)(page_language()))


@register.filter
def day(value: datetime.date | datetime.datetime | None) -> str:
    """``{{ when|day }}``: the day in the reader's calendar (``dates.format_day``): Solar
    Hijri with Persian digits on Persian pages, Gregorian otherwise; a moment is taken in
    the current time zone."""
    from dadkhah.core.dates import format_day

    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    return format_day(value, page_language())


@register.filter
def moment(value: datetime.datetime | None) -> str:
    """``{{ when|moment }}``: the day (``day``) and the time, hours and minutes."""
    if value is None or value == "":
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    time = f"{local:%H:%M}"
    if page_language() == "fa":
        return f"{day(local)}، {time.translate(_FA_DIGITS)}"
    return f"{day(local)}, {time}"
