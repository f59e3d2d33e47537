"""The counting report as PDF: WeasyPrint with the Noto fonts installed on the machine.

WeasyPrint shapes Persian (through Pango and HarfBuzz) and lays it out right to left. The fonts
come from Debian's ``fonts-noto-core`` and are declared with ``@font-face`` rules that point at
the local files (``file://`` URLs), so the PDF always embeds these files for
Noto Sans and Noto Naskh Arabic, whatever else fontconfig knows. Nothing is fetched from the
network: the URL fetcher allows ``data:`` URIs (the plots) and the declared font files only.

No Django import.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dadkhah.counting.plots import PNG_DPI
from dadkhah.counting.report import Tables, render_document
from dadkhah.counting.result import Estimate

__all__ = [
    "FONT_DIRS",
    "FetchRefused",
    "FontsMissing",
    "PRINT_CSS",
    "find_fonts",
    "print_css",
    "render_pdf",
    "report_pdf",
]

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/noto"),
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/local/share/fonts"),
)
# (family declared in the CSS, file name, weight, style)
FACES = (
    ("Noto Sans", "NotoSans-Regular.ttf", 400, "normal"),
    ("Noto Sans", "NotoSans-Bold.ttf", 700, "normal"),
    ("Noto Sans", "NotoSans-Italic.ttf", 400, "italic"),
    ("Noto Naskh Arabic", "NotoNaskhArabic-Regular.ttf", 400, "normal"),
    ("Noto Naskh Arabic", "NotoNaskhArabic-Bold.ttf", 700, "normal"),
)
PRINT_CSS = """
@page {
  size: A4;
  margin: 16mm 15mm 18mm;
  @bottom-center { content: counter(page) " / " counter(pages); font: 8pt "Noto Sans"; color: #555b63; }
}
html { font-family: "Noto Sans", "Noto Naskh Arabic"; font-size: 9.5pt; }
.counting-report [lang="fa"], .counting-report[lang="fa"] { font-family: "Noto Naskh Arabic", "Noto Sans"; }
.counting-report h1 { font-size: 17pt; }
.counting-report h2 { font-size: 13pt; break-after: avoid; }
.counting-report h3 { font-size: 11pt; break-after: avoid; }
.counting-report table { font-size: 8pt; }
.counting-report tr { break-inside: avoid; }
.counting-report .plain { break-before: page; }
.counting-report .plain + .plain { break-before: page; }
"""


class FontsMissing(RuntimeError):
    """The Noto fonts the PDF needs are not installed."""


class FetchRefused(RuntimeError):
    """The document asked for a resource the PDF may not fetch (anything but its fonts)."""


@dataclass(frozen=True)
class Face:
    family: str
    path: Path
    weight: int
    style: str


def find_fonts(dirs: tuple[Path, ...] = FONT_DIRS) -> list[Face]:
    """The installed font files for every face of :data:`FACES`; raises :class:`FontsMissing`."""
    found: list[Face] = []
    missing: list[str] = []
    for family, name, weight, style in FACES:
        path = next((d / name for d in dirs if (d / name).is_file()), None)
        if path is None:
            missing.append(name)
        else:
            found.append(Face(family, path, weight, style))
    if missing:
        raise FontsMissing(
            f"fonts not found: {', '.join(missing)} (looked in {', '.join(map(str, dirs))}); "
            "install Debian's fonts-noto-core (scripts/system-deps.sh)"
        )
    return found


def print_css(faces: list[Face]) -> str:
    """``@font-face`` rules for ``faces`` (local files) and the print layout."""
    rules = [
        f'@font-face {{ font-family: "{f.family}"; src: url("{f.path.resolve().as_uri()}"); '
        f"font-weight: {f.weight}; font-style: {f.style}; }}"
        for f in faces
    ]
    # PNG plots keep their size in inches: a small figure is not blown up to the page width.
    images = f".counting-report figure img {{ image-resolution: {PNG_DPI}dpi; }}"
    return "\n".join([*rules, images]) + PRINT_CSS


def _fetcher(allowed: set[str]) -> Any:
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    class LocalFetcher(URLFetcher):  # type: ignore[misc]
        """Fetches ``data:`` URIs and the declared font files; refuses everything else."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:") or url.split("?")[0] in allowed:
                return super().fetch(url, headers)
            raise ValueError(f"the report fetches nothing but its own fonts: {url[:80]}")

    return LocalFetcher(allowed_protocols=("data", "file"), fail_on_errors=True)


def render_pdf(document: str, faces: list[Face] | None = None) -> bytes:
    """Print a standalone HTML document to PDF bytes, fetching nothing but ``faces``' files.

    The document should carry :func:`print_css` in its own stylesheet (as
    :func:`report_pdf` does): rules given to WeasyPrint separately would lose to the page's.
    """
    import weasyprint  # type: ignore[import-untyped]
    from weasyprint.urls import FatalURLFetchingError

    faces = find_fonts() if faces is None else faces
    fetcher = _fetcher({f.path.resolve().as_uri() for f in faces})
    html = weasyprint.HTML(string=document, url_fetcher=fetcher, base_url=os.devnull)
    try:
        pdf: bytes = html.write_pdf()
    except FatalURLFetchingError as exc:  # a BaseException: would escape ``except Exception``
        raise FetchRefused(str(exc.__cause__ or exc)) from exc
    return pdf


def report_pdf(
    tables: Tables, estimates: Sequence[Estimate], lang_both: bool = True, **options: Any
) -> bytes:
    """The counting report (``report.render_report``'s arguments) as PDF bytes."""
    faces = find_fonts()
    options.setdefault("image_format", "png")  # WeasyPrint draws PNG far faster than SVG
    document = render_document(tables, estimates, lang_both, extra_css=print_css(faces), **options)
    return render_pdf(document, faces)
