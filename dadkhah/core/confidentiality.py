"""Confidentiality levels and the roles that may see them.

Every record and every claim has a level. A role has a clearance, the highest level it
may see. Anonymous visitors and the public API have the ``public`` clearance only.
This module imports no Django, so the rule is testable on its own.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = ["Level", "Role", "CLEARANCE", "can_see", "parse_level"]


class Level(IntEnum):
    PUBLIC = 0
    INTERNAL = 1
    RESTRICTED = 2
    PROTECTED = 3

    @property
    def label(self) -> str:
        return self.name.lower()


class Role(StrEnum):
    ADMINISTRATOR = "administrator"
    INVESTIGATOR = "investigator"
    REVIEWER = "reviewer"
    CONTRIBUTOR = "contributor"
    PUBLIC = "public"


# Protected material (a witness's identity, say) is for administrators only until the
# witness-protection work adds per-reveal authorisation; investigators work up to
# restricted, reviewers see internal material to review it. A contributor is a signed-in
# member of the public who submits material: public clearance, no staff page.
CLEARANCE: dict[Role, Level] = {
    Role.ADMINISTRATOR: Level.PROTECTED,
    Role.INVESTIGATOR: Level.RESTRICTED,
    Role.REVIEWER: Level.INTERNAL,
    Role.CONTRIBUTOR: Level.PUBLIC,
    Role.PUBLIC: Level.PUBLIC,
}


def can_see(clearance: Level, level: Level | int) -> bool:
    return int(level) <= int(clearance)


def parse_level(text: str | int) -> Level:
    """Accept ``public`` / ``internal`` / ``restricted`` / ``protected`` (or 0-3)."""
    if isinstance(text, int):
        return Level(text)
    key = text.strip().lower()
    if key.isdigit():
        return Level(int(key))
    try:
        return Level[key.upper()]
    except KeyError:
        names = ", ".join(level.label for level in Level)
        raise ValueError(f"unknown confidentiality level {text!r}; use one of: {names}") from None
