"""Witness protection: protected identities, their pseudonyms, and the audited reveal.

A person whose identity is protected (a witness, a family that asked for it) keeps one
:class:`ProtectedIdentity` row. The real legal name (Latin and Persian script), contact and
notes are encrypted field by field (``core.fieldcrypt``: AES-256-GCM, keys under
``DADKHAH_HOME/keys/fields/``, the row's person uid in the additional data). Everywhere
else the person is a stable pseudonym, ``Protected witness P-7KQ2`` (``P-`` and four
Crockford base-32 characters of HMAC-SHA256(key, uid), the key the dossiers use): the
Person row's ``label`` and ``label_fa`` hold the pseudonym, so every page, search result,
API response, export, dossier and memorial page that shows a person's label shows it.

:func:`protect` moves an identity into protection and scrubs the clear names it replaces
(see its docstring for exactly what). :func:`reveal` shows the identity to an administrator,
with a reason, and records a ``reveal`` entry in the audit trail; :func:`rotate_fields`
re-encrypts every value under a new key (``dadkhah keys rotate-fields``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from dadkhah.core import fieldcrypt
from dadkhah.core.confidentiality import Level, can_see
from dadkhah.core.errors import FieldError
from dadkhah.names import THRESHOLD, match_keys, similarity
from dadkhah.names.tokens import parse
from dadkhah.records.models import RECORD_MODELS, Citation, Claim, Participation, Person, Source

__all__ = [
    "FIELDS",
    "KEY_FILE",
    "ProtectError",
    "ProtectedIdentity",
    "Protection",
    "field_keys",
    "protect",
    "pseudonym_code",
    "pseudonym_key",
    "pseudonym_labels",
    "pseudonym_of",
    "reveal",
    "reveal_view",
    "rotate_fields",
]

KEY_FILE = "dossier-pseudonyms.key"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
FIELDS = ("name", "name_fa", "contact", "notes")
KINDS = ("witness", "family", "person")
TABLE = "records_protectedidentity"


class ProtectError(FieldError):
    """Protection or a reveal was refused; ``field`` names the argument or form field."""


# ------------------------------------------------------------------ pseudonyms


def pseudonym_key(home: Path | None = None) -> bytes:
    """The 32-byte HMAC key under ``DADKHAH_HOME/keys/``, created (mode 0600) on first use."""
    from dadkhah.vault import keys

    raw = keys.create_once(
        keys.keys_dir(home) / KEY_FILE, lambda: base64.b64encode(secrets.token_bytes(32)) + b"\n"
    )
    key = base64.b64decode(raw.strip(), validate=True)
    if len(key) != 32:
        raise ValueError(f"{keys.keys_dir(home) / KEY_FILE} does not hold a 32-byte key")
    return key


def pseudonym_code(uid: str, key: bytes) -> str:
    """``P-`` and four Crockford base-32 characters of HMAC-SHA256(key, uid)."""
    digest = hmac.new(key, uid.encode("utf-8"), hashlib.sha256).digest()
    number = int.from_bytes(digest[:4], "big")
    chars = [_CROCKFORD[(number >> shift) & 31] for shift in (15, 10, 5, 0)]
    return "P-" + "".join(chars)


def pseudonym_labels(code: str, witness: bool) -> tuple[str, str]:
    """(English, Persian) labels of a pseudonym code."""
    if witness:
        return f"Protected witness {code}", f"شاهد حفاظت‌شده {code}"
    return f"Protected person {code}", f"فرد حفاظت‌شده {code}"


# ------------------------------------------------------------------ the table


class ProtectedIdentity(models.Model):
    """The encrypted real identity of one protected person; the pseudonym is in clear."""

    person = models.OneToOneField(
        Person, on_delete=models.PROTECT, related_name="protected_identity"
    )
    kind = models.CharField(max_length=20, choices=[(k, k) for k in KINDS], default="witness")
    code = models.CharField(max_length=12, help_text="The pseudonym code, P-XXXX.")
    name_ct = models.TextField(blank=True, help_text="Legal name, Latin script (encrypted).")
    name_fa_ct = models.TextField(blank=True, help_text="Legal name, Persian (encrypted).")
    contact_ct = models.TextField(blank=True, help_text="Contact (encrypted).")
    notes_ct = models.TextField(blank=True, help_text="Notes (encrypted).")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        app_label = "records"
        ordering = ["code", "id"]

    def __str__(self) -> str:
        return self.labels[0]

    @property
    def labels(self) -> tuple[str, str]:
        return pseudonym_labels(self.code, self.kind == "witness")


def field_keys(home: Path | None = None) -> fieldcrypt.FieldKeys:
    from dadkhah.vault import keys

    return fieldcrypt.FieldKeys(keys.keys_dir(home) / "fields")


def _context(person_uid: str, name: str) -> bytes:
    return fieldcrypt.aad(TABLE, name, person_uid)


def pseudonym_of(person: Person) -> tuple[str, str] | None:
    """The (English, Persian) pseudonym that stands for ``person``, or None."""
    found = ProtectedIdentity.objects.filter(person_id=person.pk).values_list("code", "kind")
    row = found.first()
    return pseudonym_labels(row[0], row[1] == "witness") if row is not None else None


# ------------------------------------------------------------------ protecting


@dataclass
class Protection:
    """What :func:`protect` did, counted."""

    person: str
    pseudonym: str
    claims: int = 0
    citations: int = 0
    sources: int = 0
    history_rows: int = 0
    participations: int = 0
    scrubbed: list[str] = field(default_factory=list)  # what kinds of values were rewritten


def _scrubber(names: list[str], replacement: str) -> Any:
    """A function that replaces every real name in a text with ``replacement``: the names as
    written (``names``, any case, any spacing), then other spellings of the names of two words
    or more in either script (``_variant_spans``: "Husain Ali Rezaie", "حسينعلي رضائي" for
    "Hossein-Ali Rezaei")."""
    ordered = sorted({n.strip() for n in names if n.strip()}, key=len, reverse=True)
    if not ordered:
        return lambda text: text
    pattern = re.compile(
        "|".join(r"\s+".join(re.escape(w) for w in n.split()) for n in ordered), re.IGNORECASE
    )
    full = [n for n in ordered if len(n.split()) > 1]
    targets = [(n, match_keys(n), len(parse(n).tokens)) for n in full]

    def scrub(text: Any) -> Any:
        if not isinstance(text, str):
            return text
        text = pattern.sub(replacement, text)
        for start, end in sorted(_variant_spans(text, targets), reverse=True):
            text = text[:start] + replacement + text[end:]
        return text

    return scrub


# what may stand at either edge of a name in running text without being part of it
_EDGE = ".,;:!?()[]{}\"'«»“”‘’،؛؟"
_WINDOW = 4  # words: the longest spelling of a name looked for


def _variant_spans(text: str, targets: list[tuple[str, set[str], int]]) -> list[tuple[int, int]]:
    """Spans of ``text`` (1 to ``_WINDOW`` words) that spell one of the ``targets`` (a name,
    its ``match_keys`` and its number of tokens) differently: as many tokens, or one more in
    the same order (so that a span with another word, "Dadjouyan and Hossein Ali", is not
    read as "Family Given"), a shared blocking key, and a score of at least the calibrated
    threshold (``dadkhah.names.similarity``). Returns the best-scoring spans that do not
    overlap, the shorter first on a tie."""
    if not targets:
        return []
    words = []
    for m in re.finditer(r"\S+", text):
        start, end = m.start(), m.end()
        while start < end and text[start] in _EDGE:
            start += 1
        while end > start and text[end - 1] in _EDGE:
            end -= 1
        if start < end:
            words.append((start, end))
    # a spelling of a name has a word written like one of its tokens, or one consonant off
    # (a word's own keys are "d:" and its skeleton's forms; a name's, "d:<form>|<mark>")
    forms = {k.split("|")[0] for _n, keys, _size in targets for k in keys if k.startswith("d:")}
    hits = [not match_keys(text[a:b]).isdisjoint(forms) for a, b in words]
    found: list[tuple[float, int, int]] = []
    for i in range(len(words)):
        for j in range(i, min(i + _WINDOW, len(words))):
            if not any(hits[i : j + 1]):
                continue
            start, end = words[i][0], words[j][1]
            window = text[start:end]
            keys = match_keys(window)
            close = [(n, size, k) for n, k, size in targets if not keys.isdisjoint(k)]
            if not close:
                continue
            count = len(parse(window).tokens)
            whole = {k for k in keys if k.startswith("c:")}
            best = max(
                (
                    similarity(window, n)
                    for n, size, shared in close
                    # as many tokens; or one more (a compound written apart, "Husain Ali")
                    # with the whole name's skeleton in the same order
                    if count == size or (count == size + 1 and shared & whole)
                ),
                default=0.0,
            )
            if best >= THRESHOLD:
                found.append((best, start, end))
    chosen: list[tuple[int, int]] = []
    for _score, start, end in sorted(found, key=lambda f: (-f[0], f[2] - f[1])):
        if all(end <= a or b <= start for a, b in chosen):
            chosen.append((start, end))
    return chosen


def _scrub_json(value: Any, scrub: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_scrub_json(v, scrub) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_json(v, scrub) for k, v in value.items()}
    return value


def _name_value(value: Any, en: str, fa: str) -> Any:
    if isinstance(value, dict) and "text" in value:
        return {**value, "text": fa if value.get("script") == "fa" else en}
    return value


@transaction.atomic
def protect(
    person_uid: str,
    *,
    name: str,
    name_fa: str = "",
    contact: str = "",
    notes: str = "",
    kind: str | None = None,
    user: Any = None,
    home: Path | None = None,
) -> Protection:
    """Move a person's identity into protection, in one transaction.

    Encrypts ``name``, ``name_fa``, ``contact`` and ``notes`` into a ProtectedIdentity, then
    rewrites, in the live tables and in their django-simple-history rows:

    - the person's ``label`` and ``label_fa`` (and their history rows' labels) → pseudonym;
    - the text of the person's ``name`` claims → the pseudonym (in the claim's script);
    - every real name in any claim's string values and note (an event's description that
      names the witness, say), in any citation quote, and in any source's title, citation
      and notes → the pseudonym; the records those claims describe are projected again;
    - the labels of the person's participations (and their history rows);
    - the change reasons of the person's and the claims' history rows.

    The "real names" are ``name``, ``name_fa`` and every name the person's claims gave, as
    written and, for names of two words or more, in other spellings in either script
    ("Husain Ali Dadjooyan", "حسينعلي دادجويان" for "Hossein-Ali Dadjouyan"; see
    ``_variant_spans``). A given name or a surname alone is not a real name here: other
    people share it.
    The search entries of the records touched are rebuilt. Text of vault documents (a
    testimony's pages) is not rewritten: protected testimonies belong in the vault
    encrypted (``ingest --restricted``), which are never indexed.
    """
    from dadkhah.records.claims import project

    if not name.strip() and not name_fa.strip():
        raise ProtectError("name: give the legal name (--name or --name-fa)", "name")
    person = Person.objects.select_for_update().filter(uid=person_uid).first()
    if person is None:
        raise ProtectError(f"person: no person with id {person_uid!r}", "person")
    if ProtectedIdentity.objects.filter(person=person).exists():
        raise ProtectError(f"person: {person_uid} is protected already", "person")
    witness = Participation.objects.filter(person=person, role="witness").exists()
    kind = kind or ("witness" if witness else "person")
    if kind not in KINDS:
        raise ProtectError(f"kind: {kind!r} is not one of {', '.join(KINDS)}", "kind")
    keys = field_keys(home)
    code = pseudonym_code(person.uid, pseudonym_key(home))
    sealed = {
        f"{f}_ct": fieldcrypt.encrypt(keys, text, _context(person.uid, f)) if text else ""
        for f, text in zip(FIELDS, (name, name_fa, contact, notes), strict=True)
    }
    ProtectedIdentity.objects.create(person=person, kind=kind, code=code, created_by=user, **sealed)
    en, fa = pseudonym_labels(code, kind == "witness")
    done = Protection(person=person.uid, pseudonym=en)

    own_claims = list(Claim.objects.filter(subject_kind="person", subject_id=person.pk))
    real = [name, name_fa, person.label, person.label_fa]
    real += [str(c.value.get("text", "")) for c in own_claims if c.prop == "name"]
    real = [r for r in dict.fromkeys(r.strip() for r in real) if len(r) >= 2 and r != person.uid]
    scrub = _scrubber(real, en)

    own = {c.pk for c in own_claims}
    touched_claims: set[int] = set()
    for claim in list(Claim.objects.order_by("pk")):  # not iterator(): rows change
        value = (
            _name_value(claim.value, en, fa) if claim.pk in own and claim.prop == "name" else None
        )
        value = value if value is not None else _scrub_json(claim.value, scrub)
        note = scrub(claim.note)
        if value != claim.value or note != claim.note:
            Claim.objects.filter(pk=claim.pk).update(value=value, note=note)
            touched_claims.add(claim.pk)
            done.claims += 1
    for row in list(Claim.history.order_by("pk")):
        if row.id in own and row.prop == "name":
            value = _name_value(row.value, en, fa)
        else:
            value = _scrub_json(row.value, scrub)
        note = scrub(row.note)
        reason = scrub(row.history_change_reason or "") or row.history_change_reason
        if (value, note, reason) != (row.value, row.note, row.history_change_reason):
            type(row).objects.filter(pk=row.pk).update(
                value=value, note=note, history_change_reason=reason
            )
            done.history_rows += 1
    for source in list(Source.objects.order_by("pk")):
        texts = {f: scrub(getattr(source, f)) for f in ("title", "citation", "notes")}
        if any(texts[f] != getattr(source, f) for f in texts):
            Source.objects.filter(pk=source.pk).update(**texts)
            done.sources += 1
    for row in list(Source.history.order_by("pk")):
        texts = {f: scrub(getattr(row, f)) for f in ("title", "citation", "notes")}
        if any(texts[f] != getattr(row, f) for f in texts):
            type(row).objects.filter(pk=row.pk).update(**texts)
            done.history_rows += 1

    for cite in list(Citation.objects.exclude(quote="").order_by("pk")):
        quote = scrub(cite.quote)
        if quote != cite.quote:
            Citation.objects.filter(pk=cite.pk).update(quote=quote)
            touched_claims.add(cite.claim_id)
            done.citations += 1
    for row in list(Citation.history.exclude(quote="").order_by("pk")):
        quote = scrub(row.quote)
        if quote != row.quote:
            type(row).objects.filter(pk=row.pk).update(quote=quote)
            done.history_rows += 1

    for row in Person.history.filter(id=person.pk):
        reason = scrub(row.history_change_reason or "") or row.history_change_reason
        type(row).objects.filter(pk=row.pk).update(
            label=en, label_fa=fa, history_change_reason=reason
        )
        done.history_rows += 1
    project(person)
    for part in Participation.objects.filter(person=person):
        project(part)
        done.participations += 1
    subjects = set(
        Claim.objects.filter(pk__in=touched_claims).values_list("subject_kind", "subject_id")
    )
    for kind, pk in sorted(subjects):
        record = RECORD_MODELS[kind].objects.filter(pk=pk).first()
        if record is not None and record.pk != person.pk:
            project(record)  # an event's title, say
    for row in Participation.history.filter(person_id=person.pk):
        type(row).objects.filter(pk=row.pk).update(label=scrub(row.label))
        done.history_rows += 1
    done.scrubbed = [
        "person label/label_fa (live and history)",
        "name claims of the person: text -> pseudonym (live and history)",
        "real names in every claim's string values and note (live and history)",
        "real names in every citation quote (live and history)",
        "real names in every source's title, citation and notes (live and history)",
        "participation labels of the person (live and history)",
        "history change reasons of the person's and the claims' history rows",
    ]
    _reindex(person, touched_claims)
    from dadkhah.memorial.browse import refresh

    refresh(person)  # a published person's memorial entry takes the pseudonym too
    return done


def _reindex(person: Person, claim_ids: set[int]) -> None:
    from dadkhah.search.indexing import INDEXED_RECORDS, index_record

    subjects = {("person", person.pk)}
    subjects |= set(
        Claim.objects.filter(pk__in=claim_ids).values_list("subject_kind", "subject_id")
    )
    for kind, pk in sorted(subjects):
        if kind in INDEXED_RECORDS:
            index_record(kind, pk)


# ------------------------------------------------------------------ revealing


def reveal(person: Person, user: Any, reason: str, by: Any = None) -> dict[str, str]:
    """The real identity of ``person``, for an administrator, with a reason; recorded as a
    ``reveal`` in the audit trail (by ``by``, a request, or else ``user``)."""
    from dadkhah.accounts import audit
    from dadkhah.accounts.roles import clearance_of

    if not can_see(clearance_of(user), Level.PROTECTED):
        raise ProtectError("only administrators may reveal a protected identity", "identity")
    row = ProtectedIdentity.objects.filter(person=person).first()
    if row is None:
        raise ProtectError(f"person: {person.uid} has no protected identity", "person")
    try:
        audit.record(
            by or user, "reveal", person, Level.PROTECTED, reason, detail=f"identity of {row.code}"
        )
    except audit.AuditError as exc:
        raise ProtectError(str(exc), "reason") from None
    keys = field_keys()
    return {
        f: fieldcrypt.decrypt(keys, getattr(row, f"{f}_ct"), _context(person.uid, f))
        if getattr(row, f"{f}_ct")
        else ""
        for f in FIELDS
    }


@require_http_methods(["GET", "POST"])
def reveal_view(request: HttpRequest, uid: str) -> HttpResponse:
    """``/records/person/<uid>/reveal/``: administrators only; a POST with a reason shows
    the identity once and records the reveal."""
    from dadkhah.accounts.roles import clearance_of
    from dadkhah.records.views import require

    @require(lambda user: can_see(clearance_of(user), Level.PROTECTED), "reveal identities")
    def inner(request: HttpRequest) -> HttpResponse:
        row = ProtectedIdentity.objects.select_related("person").filter(person__uid=uid).first()
        if row is None:
            raise Http404("No such protected identity.")
        error: ProtectError | None = None
        revealed: dict[str, str] | None = None
        if request.method == "POST":
            try:
                revealed = reveal(row.person, request.user, request.POST.get("reason", ""), request)
            except ProtectError as exc:
                error = exc
        context = {"row": row, "person": row.person, "revealed": revealed, "error": error}
        response = render(request, "records/reveal.html", context, status=400 if error else 200)
        response["Cache-Control"] = "private, no-store"
        return response

    return inner(request)


# ------------------------------------------------------------------ rotation


class _IdentityStore:
    def stored_values(self) -> list[fieldcrypt.StoredValue]:
        found = []
        for row in ProtectedIdentity.objects.select_related("person").order_by("pk"):
            for f in FIELDS:
                token = getattr(row, f"{f}_ct")
                if token:
                    found.append(
                        fieldcrypt.StoredValue((row.pk, f), token, _context(row.person.uid, f))
                    )
        return found

    def replace(self, ref: object, token: str) -> None:
        assert isinstance(ref, tuple)
        pk, name = ref
        ProtectedIdentity.objects.filter(pk=pk).update(**{f"{name}_ct": token})


def rotate_fields(home: Path | None = None, remove_unused: bool = True) -> fieldcrypt.Rotation:
    """A new field key; every protected value re-encrypted under it in one transaction; the
    old keys no value uses removed afterwards (only once the transaction committed)."""
    keys = field_keys(home)
    with transaction.atomic():
        done = fieldcrypt.rotate(keys, [_IdentityStore()], remove_unused=False)
    if remove_unused:
        in_use = {fieldcrypt.key_id_of(v.token) for v in _IdentityStore().stored_values()}
        done.kept = [k for k in done.kept if k in in_use]
        for key_id in keys.key_ids():
            if key_id != done.new_key and key_id not in in_use:
                keys.remove(key_id)
                done.removed.append(key_id)
    return done
