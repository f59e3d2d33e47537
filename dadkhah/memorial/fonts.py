"""The memorial's fonts, served from the system's Debian packages through staticfiles.

Persian text is set in Noto Naskh Arabic and Latin text in Noto Sans, both from Debian's
``fonts-noto-core`` (``/usr/share/fonts/truetype/noto``). The files are not copied into
the repository: this staticfiles finder exposes them as ``memorial/fonts/<file>``, so
``runserver``/whitenoise serve them and ``collectstatic`` copies them at build time.
A missing font is reported by a system check (the page falls back to the system's fonts).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Warning as CheckWarning
from django.core.files.storage import FileSystemStorage

__all__ = ["FONT_FILES", "PREFIX", "SystemFontFinder", "font_dir"]

PREFIX = "memorial/fonts"
FONT_FILES = (
    "NotoNaskhArabic-Regular.ttf",
    "NotoNaskhArabic-Bold.ttf",
    "NotoSans-Regular.ttf",
    "NotoSans-Bold.ttf",
)


def font_dir() -> Path:
    """Where the fonts are: the ``DADKHAH_FONT_DIR`` setting (Debian's fonts-noto-core folder)."""
    from django.conf import settings

    return Path(settings.CONFIG.font_dir)


class SystemFontFinder(BaseFinder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(font_dir()))

    def check(self, **kwargs: Any) -> list[Any]:
        missing = [name for name in FONT_FILES if not (font_dir() / name).is_file()]
        if not missing:
            return []
        return [
            CheckWarning(
                f"memorial fonts missing in {font_dir()}: {', '.join(missing)}",
                hint="install Debian's fonts-noto-core or set DADKHAH_FONT_DIR",
                id="memorial.W001",
            )
        ]

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str]:
        folder, _, name = path.rpartition("/")
        found = font_dir() / name
        if folder != PREFIX or name not in FONT_FILES or not found.is_file():
            return []
        return [str(found)] if find_all else str(found)

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        for name in FONT_FILES:
            if (font_dir() / name).is_file():
                yield name, _Prefixed(self.storage)


class _Prefixed(FileSystemStorage):
    """The font folder, with the files' static paths under ``memorial/fonts/``."""

    def __init__(self, inner: FileSystemStorage) -> None:
        super().__init__(location=inner.location)
        self.prefix = PREFIX
