"""``dadkhah campaign …``: the organizers' commands. Each is thin and calls domain code."""

from __future__ import annotations

import click


@click.group()
def campaign() -> None:
    """Statements and petitions: packages for delivery, exports, upkeep."""
