"""Template tags of the dossiers: text in one or both languages, with the right direction.

The context carries ``langs`` (``["en"]``, ``["fa"]`` or ``["en", "fa"]``). ``{% bi en fa %}``
shows a pair of texts in those languages; ``{% say "key" %}`` a label of ``render.LABELS``;
``{% name ref %}`` a record's name in both scripts with its Synthetic and Protected badges;
``{% note n %}`` a sentence pair as paragraphs. Latin words inside Persian text are wrapped
in ``<bdi>`` so that a Latin name sits where it belongs in a right-to-left sentence.
"""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9'’.\-–:/]*(?:[ ,]+[A-Za-z0-9][A-Za-z0-9'’.\-–:/]*)*")


def persian_html(text: str) -> str:
    """Escaped Persian text with every run of Latin words isolated (left to right)."""
    out, last = [], 0
    for m in _LATIN_RUN.finditer(text):
        out.append(escape(text[last : m.start()]))
        out.append(f'<bdi dir="ltr" lang="en">{escape(m.group(0))}</bdi>')
        last = m.end()
    out.append(escape(text[last:]))
    return "".join(out)


def _span(text: str, lang: str, tag: str = "span", cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    if lang == "fa":
        return f'<{tag} lang="fa" dir="rtl"{klass}>{persian_html(text)}</{tag}>'
    return f'<{tag} lang="en" dir="ltr"{klass}>{escape(text)}</{tag}>'


def pair_html(langs: list[str], en: str, fa: str, tag: str = "span", sep: str = " · ") -> str:
    en, fa = str(en or ""), str(fa or "")
    if "en" not in langs:
        return _span(fa or en, "fa" if fa else "en", tag)
    if "fa" not in langs or not fa or fa == en:
        return _span(en or fa, "en" if en else "fa", tag)
    joiner = f'<span class="sep" aria-hidden="true">{sep}</span>' if tag == "span" else ""
    return _span(en, "en", tag) + joiner + _span(fa, "fa", tag)


@register.simple_tag(takes_context=True)
def bi(context: Any, en: Any, fa: Any = "") -> SafeString:
    return mark_safe(pair_html(context["langs"], str(en or ""), str(fa or "")))


@register.simple_tag(takes_context=True)
def say(context: Any, key: str) -> SafeString:
    en, fa = context["labels"][key]
    return mark_safe(pair_html(context["langs"], en, fa))


@register.simple_tag(takes_context=True)
def sayp(context: Any, key: str) -> SafeString:
    """A label of ``render.LABELS`` as one paragraph per language."""
    en, fa = context["labels"][key]
    return mark_safe(pair_html(context["langs"], en, fa, tag="p"))


@register.simple_tag(takes_context=True)
def note(context: Any, item: Any, tag: str = "p") -> SafeString:
    return mark_safe(pair_html(context["langs"], item.en, item.fa, tag=tag))


@register.simple_tag(takes_context=True)
def name(context: Any, ref: Any) -> SafeString:
    langs = context["langs"]
    parts = []
    if ref.label and ("en" in langs or not ref.label_fa):
        parts.append(f"<bdi>{escape(ref.label)}</bdi>")
    if ref.label_fa and ref.label_fa != ref.label and "fa" in langs:
        parts.append(f'<bdi lang="fa" dir="rtl">{persian_html(ref.label_fa)}</bdi>')
    html = ' <span class="sep">/</span> '.join(parts) or escape(ref.uid)
    if ref.synthetic:
        badge = pair_html(langs, "Synthetic", "ساختگی", sep=" ")
        html += f' <span class="badge synthetic">{badge}</span>'
    if ref.protected:
        badge = pair_html(langs, "Pseudonym", "نام مستعار", sep=" ")
        html += f' <span class="badge protected">{badge}</span>'
    return mark_safe(html)


@register.filter
def source_no(key: str, numbers: dict[str, int]) -> str:
    return str(numbers.get(key, "?"))


@register.filter
def fa_digits(value: Any) -> str:
    return str(value).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
