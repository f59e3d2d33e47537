"""The demo's memorial: publish the invented victims of the demo case, once.

Called by ``records.demo.ensure_demo`` after the case is loaded. Reads ``demo.yaml``
(narratives and family's words, all labelled synthetic) and publishes each person as the
demo reviewer, unless a publication is already current. Only synthetic people may be
published this way: a real person's page needs a real review.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from dadkhah.memorial.publication import PublicationInput, current, publish
from dadkhah.records.models import Person

__all__ = ["DEMO_FILE", "DemoError", "publish_demo"]

DEMO_FILE = Path(__file__).with_name("demo.yaml")
_FIELDS = {f for f in PublicationInput.__dataclass_fields__} | {"person"}


class DemoError(ValueError):
    pass


def _entries(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rows = data.get("publications")
    if not isinstance(rows, list):
        raise DemoError(f"{path.name}: 'publications' must be a list")
    for i, row in enumerate(rows, 1):
        where = f"{path.name}: publication {i}"
        if not isinstance(row, dict) or not isinstance(row.get("person"), str):
            raise DemoError(f"{where}: needs a 'person' (a person id)")
        unknown = set(row) - _FIELDS
        if unknown:
            raise DemoError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    return rows


def publish_demo(reviewer: Any, path: Path = DEMO_FILE) -> int:
    """Publish the demo's synthetic victims not yet published; return how many were."""
    rows = _entries(path)
    done = 0
    for row in rows:
        person = Person.objects.filter(uid=row["person"]).first()
        if person is None:
            raise DemoError(f"{path.name}: no person {row['person']!r} in the demo case")
        if not person.is_synthetic:
            raise DemoError(f"{path.name}: {person.uid} is not synthetic; review it for real")
        if current(person) is not None:
            continue
        data = PublicationInput(**{k: v for k, v in row.items() if k != "person"})
        publish(person, data, reviewer, reason="demo: synthetic victim published")
        done += 1
    return done
