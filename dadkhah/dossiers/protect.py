"""Witness protection in dossiers: stable pseudonyms for protected identities.

A protected identity is a person whose record is ``protected``, a name claimed at the
``protected`` level, or a ``protected`` source (a witness's testimony names its witness).
In every dossier, whatever the requester's clearance, such an identity appears only as a
pseudonym: ``Protected witness P-4KQ7``. The code is ``P-`` and four Crockford base-32
characters of HMAC-SHA256(key, uid); the key is a file under ``DADKHAH_HOME/keys/``,
never in the database, so the same person has the same pseudonym in every dossier made
from this installation, and nobody without the key can tell who it stands for. The code
and key are ``records.protected``'s: a person under witness protection (a
``ProtectedIdentity``) carries the same pseudonym as its label everywhere else, and its
real names, decrypted only here, are scrubbed from free text like the others.

``Protector.scrub`` replaces the protected strings (names, titles, identifiers) wherever
they occur in free text, and ``protected_strings`` lists them, for the tests that scan
every dossier and bundle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from dadkhah.core import fieldcrypt
from dadkhah.core.confidentiality import Level
from dadkhah.records.models import Claim, Participation, Person, Source
from dadkhah.records.protected import (
    FIELDS,
    KEY_FILE,
    TABLE,
    ProtectedIdentity,
    field_keys,
    pseudonym_code,
    pseudonym_key,
)

__all__ = ["KEY_FILE", "Protector", "pseudonym_code", "pseudonym_key", "protected_strings"]

_MIN_SCRUB = 4  # shorter strings (an initial, a given name alone) would scrub ordinary words


@dataclass
class Protector:
    """Pseudonyms of the protected identities of the case, and the strings they replace."""

    key: bytes
    persons: dict[str, str] = field(default_factory=dict)  # uid -> code
    witnesses: set[str] = field(default_factory=set)  # uids of protected witnesses
    sources: dict[str, str] = field(default_factory=dict)  # uid -> code
    replacements: list[tuple[str, str]] = field(default_factory=list)  # (text, pseudonym)
    _pattern: re.Pattern[str] | None = None
    _by_text: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, home: Path | None = None) -> Protector:
        """Every protected identity now in the database."""
        found = cls(pseudonym_key(home))
        protected = int(Level.PROTECTED)
        people = dict(
            Person.objects.filter(confidentiality__gte=protected).values_list("pk", "uid")
        )
        witness_ids = set(
            Participation.objects.filter(role="witness").values_list("person_id", flat=True)
        )
        # identities under witness protection (records.protected): the same pseudonyms, and
        # their real names (decrypted here only) scrubbed from free text
        identities = list(ProtectedIdentity.objects.select_related("person"))
        for row in identities:
            people[row.person_id] = row.person.uid
            if row.kind == "witness":
                witness_ids.add(row.person_id)
        for pk, uid in people.items():
            found.persons[uid] = pseudonym_code(uid, found.key)
            if pk in witness_ids:
                found.witnesses.add(uid)
            found._add(uid, found.person_label(uid, "en"))
        if identities:
            keys = field_keys(home)
            for row in identities:
                for name in FIELDS[:2]:
                    token = getattr(row, f"{name}_ct")
                    if token:
                        aad = fieldcrypt.aad(TABLE, name, row.person.uid)
                        text = fieldcrypt.decrypt(keys, token, aad)
                        found._add(text, found.person_label(row.person.uid, "en"))
        names = Claim.objects.filter(subject_kind="person", prop="name").values_list(
            "subject_id", "value", "confidentiality"
        )
        uid_of = dict(Person.objects.values_list("pk", "uid"))
        for subject_id, value, level in names:
            if subject_id not in people and level < protected:
                continue
            uid = uid_of.get(subject_id, "")
            text = str(value.get("text", "")) if isinstance(value, dict) else ""
            # a protected name of a person who is otherwise not protected: withheld, not named
            label = found.person_label(uid, "en") if uid in found.persons else "[name withheld]"
            found._add(text, label)
        for uid, title, citation in Source.objects.filter(
            confidentiality__gte=protected
        ).values_list("uid", "title", "citation"):
            found.sources[uid] = pseudonym_code(uid, found.key)
            label = found.source_label(uid, "en")
            for text in (uid, title, citation):
                found._add(text, label)
        return found

    def _add(self, text: str, replacement: str) -> None:
        text = " ".join(text.split())
        if len(text) >= _MIN_SCRUB and text.casefold() not in self._by_text:
            self._by_text[text.casefold()] = replacement
            self.replacements.append((text, replacement))
            self._pattern = None

    # ------------------------------------------------------------------ labels
    def is_protected_person(self, uid: str) -> bool:
        return uid in self.persons

    def person_label(self, uid: str, lang: str = "en") -> str:
        code = self.persons.get(uid) or pseudonym_code(uid, self.key)
        if uid in self.witnesses:
            return f"شاهد حفاظت‌شده {code}" if lang == "fa" else f"Protected witness {code}"
        return f"فرد حفاظت‌شده {code}" if lang == "fa" else f"Protected person {code}"

    def person_code(self, uid: str) -> str:
        return self.persons.get(uid) or pseudonym_code(uid, self.key)

    def is_protected_source(self, uid: str) -> bool:
        return uid in self.sources

    def source_label(self, uid: str, lang: str = "en") -> str:
        code = self.sources.get(uid) or pseudonym_code(uid, self.key)
        return f"منبع حفاظت‌شده {code}" if lang == "fa" else f"Protected source {code}"

    # ------------------------------------------------------------------ free text
    def scrub(self, text: str) -> str:
        """``text`` with every protected string replaced by its pseudonym."""
        if not text or not self.replacements:
            return text
        if self._pattern is None:
            ordered = sorted(self.replacements, key=lambda pair: -len(pair[0]))
            parts = [r"\s+".join(re.escape(w) for w in t.split()) for t, _ in ordered]
            self._pattern = re.compile("|".join(parts), re.IGNORECASE)
        return self._pattern.sub(
            lambda m: self._by_text.get(" ".join(m.group(0).split()).casefold(), "[protected]"),
            text,
        )

    def strings(self) -> list[str]:
        """The protected strings themselves (what must never appear in an export)."""
        return [text for text, _ in self.replacements]


def protected_strings(home: Path | None = None) -> list[str]:
    """Every protected string now in the database: names, titles, citations and ids."""
    return Protector.load(home).strings()
