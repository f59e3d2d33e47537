"""sitemap.xml: the memorial's pages in both languages, and every published victim."""

from __future__ import annotations

from typing import Any

from django.contrib.sitemaps import Sitemap
from django.urls import URLPattern, reverse

from dadkhah.memorial.models import VictimEntry

__all__ = ["SITEMAPS", "PageSitemap", "VictimSitemap", "page_names"]


def page_names() -> list[str]:
    """Every memorial page without parameters (the map pages included), data files left out."""
    from dadkhah.memorial import urls

    names = []
    for pattern in urls.urlpatterns:
        if not isinstance(pattern, URLPattern) or pattern.name is None:
            continue
        route = str(pattern.pattern)
        if "<" in route or "." in route.rsplit("/", 1)[-1]:
            continue
        names.append(f"memorial:{pattern.name}")
    return names


class PageSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True
    changefreq = "weekly"

    def items(self) -> list[str]:
        return page_names()

    def location(self, item: str) -> str:
        return reverse(item)


class VictimSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True
    changefreq = "monthly"
    limit = 5000

    def items(self) -> Any:
        return VictimEntry.objects.filter(person__confidentiality=0).order_by("uid")

    def location(self, item: VictimEntry) -> str:
        return reverse("memorial:victim", args=[item.uid])

    def lastmod(self, item: VictimEntry) -> Any:
        return item.refreshed_at


SITEMAPS: dict[str, type[Sitemap]] = {"pages": PageSitemap, "victims": VictimSitemap}
