"""The leak test: protected identities never show anywhere but an administrator's reveal.

Marker identities (``ZZLEAK-<seed>-<n>`` in Latin script and a Persian counterpart) are
planted as two protected witnesses (one with a public record, one internal), as a
protected claim value, and as the identity of a public contributor. Then every surface is
crawled and scanned for every marker: the public pages (sitemap, memorial, campaigns),
every page of the URL map as an anonymous visitor, a reviewer and an investigator, every
GET endpoint of the OpenAPI schema, web and command-line search, every export kind and
format, a dossier (HTML and PDF) of the event the witnesses testified about with its
evidence bundle, a standalone bundle, every row of every table and every file under
DADKHAH_HOME, and the log output of the whole test. A marker found anywhere fails the test
with the place it was found. The administrator's reveal page must show the witness's
markers (so the scanner is shown to find them), and records the reveal.
"""

from __future__ import annotations

import dataclasses
import html
import itertools
import json
import logging
import random
import re
import time
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from click.testing import CliRunner
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from dadkhah.accounts.audit import AuditEntry
from dadkhah.cli import main
from dadkhah.core.confidentiality import Level
from dadkhah.core.pow import Challenge, solve
from dadkhah.memorial.contributions import Contribution
from dadkhah.memorial.publication import PublicationInput, publish
from dadkhah.records import claims
from dadkhah.records.models import Claim, Participation, Person, Source
from dadkhah.records.protected import ProtectedIdentity, protect
from dadkhah.vault.ingest import ingest_path
from tests.factories import cite, make_place, make_record, make_source, make_victim

SEED = random.SystemRandom().randrange(1000, 10000)
_FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_TO_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩يك", "01234567890123456789یک")


@dataclasses.dataclass(frozen=True)
class Marker:
    n: int
    what: str  # witness, claim, contributor

    @property
    def latin(self) -> str:
        return f"ZZLEAK-{SEED}-{self.n}"

    @property
    def persian(self) -> str:
        return f"زلیک{str(SEED).translate(_FA_DIGITS)}ن{str(self.n).translate(_FA_DIGITS)}"

    def forms(self) -> list[str]:
        return [_norm(self.latin), _norm(self.persian), _norm(self.persian)[::-1]]


WITNESS_PUBLIC = Marker(1, "witness")
WITNESS_INTERNAL = Marker(2, "witness")
CLAIM = Marker(3, "claim")
CONTRIBUTOR = Marker(4, "contributor")
MARKERS = (WITNESS_PUBLIC, WITNESS_INTERNAL, CLAIM, CONTRIBUTOR)
IDENTITIES = (WITNESS_PUBLIC, WITNESS_INTERNAL, CONTRIBUTOR)  # never in clear, at any level


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_TO_ASCII).casefold()


_TAGS = re.compile(r"<[^>]*>")


def found_in(text: str, markers: Iterable[Marker] = MARKERS) -> list[str]:
    """The markers in ``text`` (raw, unescaped, and with HTML tags taken out)."""
    plain = html.unescape(text)
    forms = [_norm(text), _norm(plain), _norm(_TAGS.sub("", plain))]
    return [m.latin for m in markers if any(f in t for f in m.forms() for t in forms)]


class Leaks:
    """Every place a marker was found; the test fails listing all of them."""

    def __init__(self) -> None:
        self.found: list[str] = []
        self.errors: list[str] = []  # pages that raised (not leaks; printed for the record)
        self.scanned = 0

    def scan(self, where: str, text: str, markers: Iterable[Marker] = MARKERS) -> None:
        self.scanned += 1
        for marker in found_in(text, markers):
            self.found.append(f"{marker} in {where}")


# ------------------------------------------------------------------ planting


@pytest.fixture
def home(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "home"
    root.mkdir()
    settings.CONFIG = dataclasses.replace(
        settings.CONFIG,
        home=root,
        blobs="",
        s3_endpoint="",
        pow_max_number=400,
        contribute_rate=(50, 600),
    )
    return root


@dataclasses.dataclass
class Case:
    source: Source
    victim: Person
    event: Any
    witness_public: Person
    witness_internal: Person
    item_uid: str
    contribution: str
    uids: dict[str, list[str]]


def _witness(marker: Marker, event: Any, source: Source, level: Level) -> Person:
    person = make_record("person", level)
    name, name_fa = f"{marker.latin} Shahedi", f"{marker.persian} شاهدی"
    for text in (name, name_fa):
        claims.add_claim(person, "name", text, citations=cite(source), confidentiality=level)
    claims.add_claim(
        person,
        "occupation",
        "teacher",
        citations=cite(source, quote=f"{name} was a teacher in Karaj"),
        note=f"told by {name} herself",
        confidentiality=level,
    )
    link = make_record("participation", level, event=event, person=person)
    claims.add_claim(link, "role", "witness", citations=cite(source), confidentiality=level)
    claims.add_claim(
        event,
        "description",
        f"Prisoners were taken away at night; {name} saw the trucks ({name_fa}).",
        citations=cite(source, quote=f"{name} saw the trucks leave; {name_fa}"),
        confidentiality=level,
    )
    person.refresh_from_db()
    assert isinstance(person, Person)
    return person


def _contribute(victim: Person) -> str:
    client = Client(REMOTE_ADDR="203.0.113.9")
    page = client.get("/en/contribute/").content.decode()
    raw = re.search(r'data-pow-challenge="([^"]+)"', page)
    assert raw is not None
    data = json.loads(html.unescape(raw.group(1)))
    challenge = Challenge(
        data["algorithm"], data["challenge"], data["maxnumber"], data["salt"], data["signature"]
    )
    solved = solve(challenge)
    assert solved is not None
    response = client.post(
        "/en/contribute/",
        {
            "text": "My uncle was taken from Evin in Mordad 1367. Synthetic.",
            "about_name": "Synthetic Uncle",
            "victim": victim.uid,
            "name": f"{CONTRIBUTOR.latin} {CONTRIBUTOR.persian}",
            "contact": f"{CONTRIBUTOR.latin}@example.org",
            "contact_consent": "on",
            "named": "named",
            "pow": solved.payload(),
        },
    )
    assert response.status_code == 303, response.content[:500]
    return Contribution.objects.get().uid


def plant(home: Path, users: dict[str, Any], reviewer_client: Client) -> Case:
    source = make_source("src-leak", Level.PUBLIC)
    document = home.parent / "report.txt"
    document.write_text("Synthetic report on the executions at Evin, summer 1988.\n")
    (item,) = ingest_path([document], "leak test", extract=False)
    source.item_id = item.pk
    source.save()
    evin = make_place("Evin Prison", "زندان اوین", source, "prison")
    victim = make_victim(
        ("Nasrin Jafari", "نسرین جعفری"), source, prison=evin, executed="1367/05/23"
    )
    claims.add_claim(
        victim,
        "occupation",
        f"{CLAIM.latin} secret workplace",
        citations=cite(source),
        confidentiality=Level.PROTECTED,
    )
    publish(
        victim,
        PublicationInput(narrative_en="Synthetic.", narrative_fa="ساختگی."),
        users["reviewer"],
    )
    event = Participation.objects.get(person=victim).event
    public = _witness(WITNESS_PUBLIC, event, source, Level.PUBLIC)
    internal = _witness(WITNESS_INTERNAL, event, source, Level.INTERNAL)
    # the scanner finds a witness before protection (so finding nothing later means something)
    before = reviewer_client.get(public.get_absolute_url()).content.decode()
    assert WITNESS_PUBLIC.latin in found_in(before), "the scanner cannot see the planted marker"
    for person, marker in ((public, WITNESS_PUBLIC), (internal, WITNESS_INTERNAL)):
        protect(
            person.uid,
            name=f"{marker.latin} Shahedi",
            name_fa=f"{marker.persian} شاهدی",
            contact=f"{marker.latin}-contact@example.org",
            notes=f"lives near {marker.latin}'s family",
        )
    contribution = _contribute(victim)
    uids: dict[str, list[str]] = {
        "person": [victim.uid, public.uid, internal.uid],
        "event": [event.uid],
        "place": [evin.uid],
        "participation": list(
            Participation.objects.filter(event=event).values_list("uid", flat=True)
        ),
        "claim": list(Claim.objects.values_list("uid", flat=True)),
        "source": [source.uid],
        "item": [item.uid],
        "contribution": [contribution],
    }
    return Case(source, victim, event, public, internal, item.uid, contribution, uids)


# ------------------------------------------------------------------ crawling


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def _fill(route: str, case: Case) -> list[str]:
    """Concrete paths for a route, with the planted ids; [] when none fit."""
    if route.startswith(("admin/", "api/", "^")) or "(?P" in route or "$" in route:
        return []
    names = _PARAM.findall(route)
    if not names:
        return ["/" + route]
    if route.startswith("records/<str:kind>/") or route.startswith("dossiers/"):
        kinds = ("person", "event", "place", "participation")
        pairs = [(k, u) for k in kinds for u in case.uids[k]]
        return ["/" + route.replace("<str:kind>", k).replace("<slug:uid>", u) for k, u in pairs]
    options: dict[str, list[str]] = {}
    for _, name in names:
        if name == "uid":
            if route.startswith("records/claims/"):
                options[name] = case.uids["claim"]
            elif route.startswith("records/source/"):
                options[name] = case.uids["source"]
            elif route.startswith(("vault/", "search/documents/")):
                options[name] = case.uids["item"]
            elif route.startswith("memorial/review/contributions/"):
                options[name] = case.uids["contribution"]
            elif route.startswith(("memorial/review/", "en/victims/", "en/map/images/")):
                options[name] = case.uids["person"]
            else:
                return []  # linkage runs and imports: nothing planted there
        elif name == "kind":
            options[name] = ["person", "event", "place", "participation", "source"]
        elif name == "seq":
            options[name] = [
                str(s) for s in AuditEntry.objects.values_list("ledger_seq", flat=True)
            ]
        elif name == "number":
            options[name] = ["1"]
        else:
            return []  # linkage runs, campaigns, tokens: nothing planted there
    paths = []
    for combo in itertools.product(*(options[n] for _, n in names)):
        path = route
        for (_, name), value in zip(names, combo, strict=True):
            path = _PARAM.sub(
                lambda m, v=value, n=name: v if m.group(2) == n else m.group(0), path, count=1
            )
        paths.append("/" + path)
    return paths


def _body(response: Any, where: str, tmp: Path) -> str:
    if getattr(response, "streaming", False):
        data = b"".join(response.streaming_content)
    else:
        data = response.content
    if data.startswith(b"%PDF"):
        from tests.dossiers.conftest import text_of_pdf

        pdf = tmp / "page.pdf"
        pdf.write_bytes(data)
        return text_of_pdf(pdf)
    return data.decode("utf-8", "replace")


def _crawl(client: Client, paths: Iterable[str], who: str, leaks: Leaks, tmp: Path) -> int:
    seen = 0
    for path in dict.fromkeys(paths):
        for lang_path in dict.fromkeys([path, path.replace("/en/", "/fa/", 1)]):
            query = {"reason": "leak test"} if "dossiers/" in lang_path else {}
            try:
                response = client.get(lang_path, query)
            except Exception as exc:  # a page that fails shows nothing; say which, go on
                leaks.errors.append(f"GET {lang_path} as {who}: {type(exc).__name__}: {exc}")
                continue
            seen += 1
            body = _body(response, lang_path, tmp)
            if "?q=" in lang_path:  # the search box repeats the query: that is not a leak
                query = lang_path.split("?q=", 1)[1]
                for form in (query, html.escape(query), quote(query), quote_plus(query)):
                    body = body.replace(form, "")
            leaks.scan(f"GET {lang_path} as {who} ({response.status_code})", body)
    return seen


def _cli(*args: str) -> Any:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


# ------------------------------------------------------------------ the test


@pytest.mark.slow
@pytest.mark.django_db
def test_protected_identities_never_leak(
    home: Path, users: dict[str, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    print(f"leak test seed {SEED}")  # noqa: T201
    caplog.set_level(logging.DEBUG)
    clients = {"anonymous": Client()}
    for role in ("reviewer", "investigator", "administrator"):
        clients[role] = Client()
        clients[role].force_login(users[role])
    case = plant(home, users, clients["reviewer"])
    leaks = Leaks()

    # the administrator's reveal: the only place the identity shows, and it is audited
    reveal = f"/records/person/{case.witness_public.uid}/reveal/"
    refused = clients["administrator"].post(reveal, {"reason": ""})
    assert refused.status_code == 400 and not found_in(refused.content.decode())
    shown = clients["administrator"].post(reveal, {"reason": "prosecutor asked to contact"})
    assert shown.status_code == 200
    assert WITNESS_PUBLIC.latin in found_in(shown.content.decode())
    entry = AuditEntry.objects.get(action="reveal", object_uid=case.witness_public.uid)
    assert entry.reason == "prosecutor asked to contact" and entry.actor == "test-administrator"
    for role in ("reviewer", "investigator", "anonymous"):
        response = clients[role].post(reveal, {"reason": "curious"})
        assert response.status_code in (302, 403)
        leaks.scan(f"POST {reveal} as {role}", response.content.decode())
    code = ProtectedIdentity.objects.get(person=case.witness_public).code
    assert Person.objects.get(pk=case.witness_public.pk).label == f"Protected witness {code}"

    # every page of the URL map, as the public, a reviewer and an investigator
    paths = [p for route in _routes(get_resolver().url_patterns) for p in _fill(route, case)]
    sitemap = clients["anonymous"].get("/sitemap.xml").content.decode()
    paths += [re.sub(r"^https?://[^/]+", "", u) for u in re.findall(r"<loc>([^<]+)</loc>", sitemap)]
    paths += [f"/{lang}/victims/?q={q}" for lang in ("en", "fa") for q in ("ZZLEAK", "Protected")]
    for marker in MARKERS:
        for q in (marker.latin, marker.persian, "Shahedi", "شاهدی", code):
            paths.append(f"/search/?q={q}")
            paths.append(f"/{'en'}/victims/?q={q}")
    pages = 0
    timings: dict[str, float] = {}
    started = time.perf_counter()
    for who in ("anonymous", "reviewer", "investigator"):
        pages += _crawl(clients[who], paths, who, leaks, tmp_path)

    timings["pages"] = time.perf_counter() - started
    started = time.perf_counter()
    # every GET endpoint of the API, with every planted id
    schema = json.loads(clients["investigator"].get("/api/openapi.json").content)
    endpoints = 0
    for route, methods in schema["paths"].items():
        if "get" not in methods:
            continue
        names = re.findall(r"\{(\w+)\}", route)
        collection = route.removeprefix("/api/").split("/")[0]
        kind = {"persons": "person", "sources": "source", "claims": "claim"}.get(
            collection, collection.removesuffix("s")
        )
        values = case.uids.get(kind, []) if names else [""]
        for value in values:
            path = re.sub(r"\{\w+\}", value, route)
            for who in ("anonymous", "reviewer", "investigator"):
                response = clients[who].get(path)
                endpoints += 1
                leaks.scan(
                    f"GET {path} as {who} ({response.status_code})", response.content.decode()
                )
    assert endpoints > 20

    timings["API"] = time.perf_counter() - started
    started = time.perf_counter()
    # search on the command line, at every level
    for level in ("public", "internal", "restricted", "protected"):
        for marker in MARKERS:
            for q in (marker.latin, marker.persian, "Shahedi"):
                result = _cli("search", q, "--json", "--level", level)
                shown_markers = IDENTITIES if level == "protected" else MARKERS
                leaks.scan(f"dadkhah search {q!r} --level {level}", result.output, shown_markers)

    timings["search CLI"] = time.perf_counter() - started
    started = time.perf_counter()
    # exports: every kind and format below protected; identities at protected too
    exports = 0
    for kind in ("person", "event", "participation", "claim", "citation", "source", "case"):
        for fmt in ("csv", "jsonl", "ftm"):
            for level in ("public", "internal", "restricted", "protected"):
                args = ["export", kind, "--format", fmt, "--level", level, "--reason", "leak test"]
                result = _cli(*args)
                if result.exit_code == 2 and (
                    f"not {fmt}" in result.output or f"not '{kind}'" in result.output
                ):
                    continue  # a kind this format does not carry
                assert result.exit_code == 0, (args, result.output[-500:])
                exports += 1
                shown_markers = IDENTITIES if level == "protected" else MARKERS
                leaks.scan(f"dadkhah {' '.join(args)}", result.output, shown_markers)

    assert exports >= 40, exports
    timings["exports"] = time.perf_counter() - started
    started = time.perf_counter()
    # a dossier of the event the witnesses testified about, HTML and PDF, with its bundle
    from tests.dossiers.conftest import text_of_pdf

    for level in ("public", "restricted"):
        for fmt in ("html", "pdf"):
            out = tmp_path / f"event-{level}.{fmt}"
            bundle = tmp_path / f"event-{level}-{fmt}.zip"
            args = ["dossier", "event", case.event.uid, "--format", fmt, "--out", str(out)]
            args += ["--level", level, "--reason", "leak test", "--bundle", str(bundle)]
            result = _cli(*args)
            assert result.exit_code == 0, result.output
            text = text_of_pdf(out) if fmt == "pdf" else out.read_text(encoding="utf-8")
            assert "Protected witness" in text or "شاهد حفاظت‌شده" in text, out.name
            leaks.scan(f"dossier {out.name}", text)
            leaks.scan(f"dadkhah {' '.join(args)} output", result.output)
            if bundle.exists():
                _scan_zip(bundle, leaks)
    out = tmp_path / "item-bundle.zip"
    result = _cli("bundle", case.item_uid, "--out", str(out))
    assert result.exit_code == 0, result.output
    _scan_zip(out, leaks)

    timings["dossiers and bundles"] = time.perf_counter() - started
    # every row of every table: the identities are stored encrypted, or not at all
    rows = _scan_database(leaks)
    # every file under DADKHAH_HOME (blobs, keys, work area): nothing in clear
    files = 0
    for path in sorted(p for p in home.rglob("*") if p.is_file()):
        leaks.scan(
            f"file {path.relative_to(home)}",
            path.read_bytes().decode("utf-8", "replace"),
            IDENTITIES,
        )
        files += 1

    # the log output of the whole test (CLI stderr is in each result's output, scanned above)
    leaks.scan("log records", "\n".join(r.getMessage() for r in caplog.records))
    leaks.scan("captured log", caplog.text)

    print(  # noqa: T201
        f"leak test seed {SEED}: {pages} pages, {endpoints} API responses, {rows} rows, "
        f"{files} files, {exports} exports, {leaks.scanned} texts scanned; seconds: "
        + ", ".join(f"{k} {v:.1f}" for k, v in timings.items())
    )
    for error in leaks.errors:
        print(f"page error (not a leak): {error}")  # noqa: T201
    assert leaks.found == [], "\n".join(leaks.found)


def _scan_zip(path: Path, leaks: Leaks) -> None:
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            leaks.scan(f"{path.name}:{name}", archive.read(name).decode("utf-8", "replace"))


def _scan_database(leaks: Leaks) -> int:
    rows = 0
    for model in apps.get_models(include_auto_created=True):
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields:
            continue
        for values in model.objects.values_list(*fields).order_by("pk").iterator():
            rows += 1
            text = json.dumps(values, ensure_ascii=False, default=str)
            leaks.scan(f"table {model._meta.db_table}", text, IDENTITIES)
    return rows


@pytest.mark.django_db
def test_protect_command_scrubs_history_and_rotation_keeps_reveal_working(
    home: Path, users: dict[str, Any]
) -> None:
    from dadkhah.core import fieldcrypt
    from dadkhah.records.claims import RecordError
    from dadkhah.records.protected import field_keys, reveal

    source = make_source("src-protect", Level.PUBLIC)
    event = make_record("event")
    person = _witness(WITNESS_PUBLIC, event, source, Level.PUBLIC)
    name = f"{WITNESS_PUBLIC.latin} Shahedi"
    assert found_in(json.dumps(list(Claim.history.values()), default=str, ensure_ascii=False))
    bad = _cli("protect", "person-nobody", "--name", "x")
    assert bad.exit_code == 2 and "person-nobody" in bad.output
    result = _cli(
        "protect", person.uid, "--name", name, "--name-fa", f"{WITNESS_PUBLIC.persian} شاهدی",
        "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    done = json.loads(result.output.strip().splitlines()[-1])
    code = ProtectedIdentity.objects.get(person=person).code
    assert done["pseudonym"] == f"Protected witness {code}"
    assert done["claims"] >= 3 and done["citations"] >= 2 and done["history_rows"] >= 4
    again = _cli("protect", person.uid, "--name", name)
    assert again.exit_code == 2 and "protected already" in again.output
    # no clear name left in the live tables or their history
    leaks = Leaks()
    _scan_database(leaks)
    assert leaks.found == [], leaks.found
    person.refresh_from_db()
    assert (person.label, person.label_fa) == (f"Protected witness {code}", f"شاهد حفاظت‌شده {code}")
    with pytest.raises(RecordError, match="protected"):
        claims.add_claim(person, "name", "Another Name", citations=cite(source))
    # reveal: administrators only, with a reason
    with pytest.raises(Exception, match="administrators"):
        reveal(person, users["investigator"], "why not")
    with pytest.raises(Exception, match="reason"):
        reveal(person, users["administrator"], " ")
    keys = field_keys()
    old = keys.current_id()
    rotated = _cli("keys", "rotate-fields")
    assert rotated.exit_code == 0, rotated.output
    report = json.loads(rotated.output.strip().splitlines()[-1])
    assert report["reencrypted"] == 2 and report["removed"] == [old]
    row = ProtectedIdentity.objects.get(person=person)
    assert fieldcrypt.key_id_of(row.name_ct) == report["new_key"] != old
    assert not (keys.directory / f"{old}.key").exists()
    shown = reveal(person, users["administrator"], "checking after rotation")
    assert shown["name"] == name and shown["contact"] == ""
    # a value moved to another row does not open
    other = _witness(WITNESS_INTERNAL, event, source, Level.PUBLIC)
    _cli("protect", other.uid, "--name", f"{WITNESS_INTERNAL.latin} Shahedi")
    ProtectedIdentity.objects.filter(person=other).update(name_ct=row.name_ct)
    with pytest.raises(fieldcrypt.FieldCryptError, match="another row"):
        reveal(other, users["administrator"], "checking a moved value")
    assert AuditEntry.objects.filter(action="reveal").count() == 2
