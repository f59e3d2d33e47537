"""The language a public page is read in (memorial, campaigns): its texts, names and dates are
chosen by it."""

from __future__ import annotations

from django.utils import translation

__all__ = ["page_language"]


def page_language() -> str:
    """ "fa" while a Persian page is rendered, else "en" (the public pages' two languages)."""
    return "fa" if (translation.get_language() or "en").startswith("fa") else "en"
