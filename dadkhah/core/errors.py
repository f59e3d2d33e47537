"""The error that forms and reports show beside a field. No Django import."""

from __future__ import annotations

__all__ = ["FieldError"]


class FieldError(ValueError):
    """Bad input refused as a whole; ``field`` names the offending field ("" for none)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field
