"""The authorization matrix: every URL, as every role, against records at every level.

The URLs come from the resolver (``get_resolver()``, walked recursively: the i18n
patterns, the admin and the API's operations included); what each role should get is
declared in ``tests/authorization_matrix.py``. A URL without an entry fails with its name.
The data (one record of each kind, source, claim, vault item, mention, list import and
linkage run per confidentiality level) is built once per module and rolled back after.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests import authorization_matrix as matrix

LEVELS = matrix.LEVELS
MISSING = 999_999  # an integer id nothing has
STAFF = ("reviewer", "investigator", "administrator")
# What a let-in empty POST that does its act (post_ok) may answer: the page, or a redirect.
OK_POST = (matrix.OK, matrix.LOGIN, matrix.GONE)
KINDS = ("person", "body", "place", "post", "event", "participation")
API_PLURALS = {
    "sources": "source",
    "claims": "claim",
    "persons": "person",
    "bodies": "body",
    "places": "place",
    "posts": "post",
    "events": "event",
    "participations": "participation",
}


# ------------------------------------------------------------------ the URLs


@dataclass(frozen=True)
class Url:
    key: str  # "namespace:name", or "namespace:<route>" for an unnamed pattern
    route: str
    pattern: URLPattern
    defaults: tuple[tuple[str, Any], ...]


def _walk(resolver: URLResolver, prefix: str = "", ns: str = "") -> Iterator[Url]:
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            inner = f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns)
            yield from _walk(p, prefix + str(p.pattern), inner or "")
        else:
            route = prefix + str(p.pattern)
            name = p.name or f"<{route}>"
            key = f"{ns}:{name}" if ns else name
            yield Url(key, route, p, tuple(sorted(p.default_args.items())))


def all_urls() -> list[Url]:
    seen: dict[str, Url] = {}
    for url in _walk(get_resolver()):
        # A name given twice (the login page, before django.contrib.auth's) resolves to
        # the first; the shadowed one is never reached.
        seen.setdefault(url.key, url)
    return list(seen.values())


URLS = {u.key: u for u in all_urls()}


def test_every_url_has_an_entry() -> None:
    missing = sorted(key for key in URLS if matrix.entry_for(key) is None)
    assert missing == [], f"URLs without an entry in tests/authorization_matrix.py: {missing}"


def test_every_url_was_reviewed() -> None:
    """The prefix rules give a new URL an outcome by its namespace; this list makes sure
    someone looked at that outcome. A URL added or removed fails until the list says so."""
    listed = Path(__file__).with_name("authorization_urls.txt").read_text(encoding="utf-8")
    reviewed = {line.strip() for line in listed.splitlines()} - {""}
    reviewed = {key for key in reviewed if not key.startswith("#")}
    new, gone = sorted(set(URLS) - reviewed), sorted(reviewed - set(URLS))
    assert (new, gone) == ([], []), (
        f"URLs not in tests/authorization_urls.txt (check their entry, then add them): {new}; "
        f"listed but gone: {gone}"
    )


def test_every_override_and_rule_is_used() -> None:
    """A stale entry (a URL renamed or gone) is an error too."""
    stale = sorted(k for k in matrix.OVERRIDES if k not in URLS)
    unused = sorted(p for p in matrix.RULES if not any(k.startswith(p) for k in URLS))
    assert (stale, unused) == ([], [])


def test_api_operations_are_all_walked() -> None:
    """Every operation of the OpenAPI schema has its URL among the walked ones."""
    from dadkhah.api import api

    schema = api.get_openapi_schema()
    paths = {"/" + u.route for u in URLS.values() if u.key.startswith("api:")}
    for path, ops in schema["paths"].items():
        route = re.sub(r"\{(\w+)\}", r"<\1>", path)
        assert route in paths, f"API operation {sorted(ops)} {path} is not walked"


# ------------------------------------------------------------------ the data


@dataclass
class World:
    users: dict[str, Any]
    records: dict[tuple[str, str], Any]  # (kind, level) -> record
    sources: dict[str, Any]
    claims: dict[str, Any]
    items: dict[str, Any]
    mentions: dict[str, Any]
    imports: dict[str, Any]
    runs: dict[str, Any]
    campaign: Any
    audit_seq: int
    token_pk: int


def _build(home: Path) -> World:
    from django.contrib.auth import get_user_model

    from dadkhah.accounts.audit import AuditEntry
    from dadkhah.accounts.models import ApiToken
    from dadkhah.accounts.roles import ensure_groups, set_role
    from dadkhah.core.confidentiality import Level, Role
    from dadkhah.linkage.models import LinkageRun, ListImport
    from dadkhah.memorial.publication import PublicationInput, publish
    from dadkhah.records import claims
    from dadkhah.search.models import Mention
    from dadkhah.vault.services import ingest_path
    from tests.campaign.conftest import make_campaign
    from tests.factories import PASSWORD, cite, make_record, make_source, make_victim

    ensure_groups()
    model = get_user_model()
    users: dict[str, Any] = {}
    for role in (Role.CONTRIBUTOR, Role.REVIEWER, Role.INVESTIGATOR, Role.ADMINISTRATOR):
        user = model.objects.create_user(username=f"matrix-{role.value}", password=PASSWORD)
        set_role(user, role)
        users[role.value] = user

    records: dict[tuple[str, str], Any] = {}
    sources, claim_of, items, mentions, imports, runs = {}, {}, {}, {}, {}, {}
    for level in Level:
        name = level.label
        source = make_source(f"src-{name}", level)
        sources[name] = source
        person = make_victim((f"Matrix Person {name}",), source, uid=f"per-{name}", level=level)
        records["person", name] = person
        for kind in ("body", "place", "event"):
            records[kind, name] = make_record(kind, level, f"{kind[:3]}-{name}")
        records["post", name] = make_record(
            "post", level, f"pos-{name}", person=person, body=records["body", name]
        )
        records["participation", name] = make_record(
            "participation", level, f"par-{name}", event=records["event", name], person=person
        )
        claim = claims.add_claim(
            records["body", name],
            "name",
            f"Body {name}",
            citations=cite(source),
            confidentiality=level,
        )
        claim_of[name] = claim
        text = home / f"evidence-{name}.txt"
        text.write_text(f"Synthetic evidence at level {name}: Matrix Person {name}.\n")
        item = ingest_path(text, "matrix", restricted=level >= Level.RESTRICTED)[0]
        type(item).objects.filter(pk=item.pk).update(confidentiality=int(level))
        item.refresh_from_db()
        items[name] = item
        mentions[name] = Mention.objects.create(
            item=item, page=1, start=0, end=9, quote="Synthetic", kind="person"
        )
        imports[name] = ListImport.objects.create(
            uid=f"imp-{name}",
            original_name=f"{name}.csv",
            stored_path="",
            sha256="sha256:0",
            size=0,
            file_format="csv",
            confidentiality=int(level),
        )
        run = LinkageRun.objects.create(uid=f"run-{name}", confidentiality=int(level))
        run.lists.add(imports[name])
        runs[name] = run
    publish(
        records["person", "public"],
        PublicationInput(narrative_en="A synthetic life, for tests."),
        users["reviewer"],
    )
    _, _secret = ApiToken.issue(users["administrator"], "matrix")
    token = ApiToken.objects.filter(user=users["administrator"]).order_by("-id").first()
    entry = AuditEntry.objects.order_by("ledger_seq").first()
    assert token is not None and entry is not None
    return World(
        users,
        records,
        sources,
        claim_of,
        items,
        mentions,
        imports,
        runs,
        make_campaign("matrix-campaign"),
        entry.ledger_seq,
        token.pk,
    )


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[World]:
    from django.conf import settings
    from django.db import transaction
    from huey.contrib.djhuey import HUEY

    home = tmp_path_factory.mktemp("matrix-home")
    before = settings.CONFIG
    settings.CONFIG = dataclasses.replace(before, home=home, blobs="", s3_endpoint="")
    immediate = HUEY.immediate
    HUEY.immediate = True
    try:
        with django_db_blocker.unblock(), transaction.atomic():
            yield _build(home)
            transaction.set_rollback(True)
    finally:
        settings.CONFIG = before
        HUEY.immediate = immediate


# ------------------------------------------------------------------ filling URL arguments


def _names(url: Url) -> list[str]:
    return list(url.pattern.pattern.regex.groupindex)


def _fill(url: Url, level: str, w: World) -> list[tuple[str, dict[str, Any]]]:
    """(label, kwargs) to request: one per record kind where the URL takes a ``kind``."""
    names = set(_names(url))
    key = url.key
    fixed: dict[str, Any] = {}
    for n in names:
        if n in ("pk", "pair", "row", "decision", "content_type_id"):
            fixed[n] = MISSING
        if n == "token":
            fixed[n] = "not-a-token"
        if n == "uidb64":
            fixed[n] = "MQ"
        if n == "slug":
            fixed[n] = w.campaign.slug
        if n == "seq":
            fixed[n] = w.audit_seq
        if n == "number":
            fixed[n] = 1
        if n == "mention_id":
            fixed[n] = w.mentions[level].pk
        if n == "app_label":
            fixed[n] = "records"
        if n in ("url", "object_id", "id"):
            fixed[n] = str(_admin_object(key)) if n != "url" else "nowhere/"
    if key == "accounts:revoke_token":
        fixed["pk"] = w.token_pk
    if "uid" not in names:
        if "kind" in names:
            return [(kind, {**fixed, "kind": kind}) for kind in ("person", "event")]
        return [("", fixed)]
    app = key.split(":")[0]
    if app in ("vault", "search") or key == "memorial:map_image":
        return [("", {**fixed, "uid": w.items[level].uid})]
    if app == "linkage":
        found = w.imports[level] if "import" in key else w.runs[level]
        return [("", {**fixed, "uid": found.uid})]
    if key in ("records:citation_add", "records:claim_status"):
        return [("", {**fixed, "uid": w.claims[level].uid})]
    if key == "records:source":
        return [("", {**fixed, "uid": w.sources[level].uid})]
    if key == "memorial_staff:contribution":
        return [("", {**fixed, "uid": "no-such-contribution"})]
    if app == "api":
        plural = url.route.split("/")[1]
        kind = API_PLURALS[plural]
        if kind == "source":
            return [("", {**fixed, "uid": w.sources[level].uid})]
        if kind == "claim":
            return [("", {**fixed, "uid": w.claims[level].uid})]
        return [("", {**fixed, "uid": w.records[kind, level].uid})]
    if "kind" in names:
        kinds = ("person", "event", "place") if app == "dossiers" else KINDS
        return [(k, {**fixed, "kind": k, "uid": w.records[k, level].uid}) for k in kinds]
    return [("", {**fixed, "uid": w.records["person", level].uid})]


def _admin_object(key: str) -> Any:
    """The pk of a row of the admin page's model (or a pk nothing has)."""
    from django.apps import apps

    match = re.match(r"admin:(\w+?)_(\w+?)_(change|delete|history|simple_history)$", key)
    if match is None:
        return MISSING
    for app in apps.get_app_configs():
        if key.startswith(f"admin:{app.label}_"):
            model_name = key.removeprefix(f"admin:{app.label}_").rsplit("_", 1)[0]
            model_name = model_name.removesuffix("_simple")
            try:
                model = apps.get_model(app.label, model_name)
            except LookupError:
                continue
            row = model.objects.order_by("pk").first()
            return row.pk if row is not None else MISSING
    return MISSING


def _path(url: Url, kwargs: dict[str, Any]) -> str:
    regex = url.pattern.pattern.regex
    if url.pattern.name is not None and regex.groups == len(regex.groupindex):
        return reverse(url.key, kwargs=kwargs)
    if url.pattern.name is not None:  # unnamed groups (simple_history's regex)
        return reverse(url.key, args=[_admin_object(url.key), MISSING])
    route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), url.route)
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(kwargs[m.group(1)]), route)
    return "/" + route.replace("^", "").replace("$", "")


# ------------------------------------------------------------------ outcomes


def outcome(response: Any, role: str) -> str:
    status = response.status_code
    if 300 <= status < 400:
        target = response.headers.get("Location", "")
        if "/accounts/login/" in target or "/admin/login/" in target:
            return matrix.LOGIN
        if role in STAFF and not response.request["PATH_INFO"].startswith("/accounts/"):
            assert "/two-factor/" not in target, f"a verified session was sent to {target}"
        if target == "/admin/":
            return matrix.GONE
        return matrix.OK
    if 200 <= status < 300:
        return matrix.OK
    return str(status)


def let_in(value: str, role: str, level: str) -> bool:
    from dadkhah.core.confidentiality import CLEARANCE, Role, can_see, parse_level

    if value == matrix.SEEN:
        return can_see(CLEARANCE[Role(role)], parse_level(level))
    if value == matrix.PUBLISHED:
        return level == "public"
    return value == matrix.OK


def expected(entry: matrix.Entry, value: str, role: str, level: str) -> set[str]:
    """The outcomes the matrix allows ("a|b" declares either)."""
    from dadkhah.core.confidentiality import CLEARANCE, Role, can_see, parse_level

    if value == matrix.SEEN:
        seen = can_see(CLEARANCE[Role(role)], parse_level(level))
        value = matrix.OK if seen else matrix.HIDDEN
    if value == matrix.PUBLISHED:
        value = matrix.OK if level == "public" else matrix.HIDDEN
    if value == matrix.OK:
        value = entry.ok_as
    return set(value.split("|"))


def _clients(w: World) -> dict[str, Any]:
    """A client per role; staff sessions get their second factor (tests/conftest.py)."""
    from django.test import Client

    clients = {"public": Client()}
    for role, user in w.users.items():
        client = Client()
        client.force_login(user)
        clients[role] = client
    return clients


@pytest.mark.django_db
@pytest.mark.parametrize("key", sorted(URLS))
def test_matrix(key: str, world: World) -> None:
    url = URLS[key]
    entry = matrix.entry_for(key)
    assert entry is not None, f"{key}: no entry in tests/authorization_matrix.py"
    levels = LEVELS if entry.per_level else ("public",)
    clients = _clients(world)
    wrong: list[str] = []
    api = key.startswith("api:")
    for level in levels:
        for label, kwargs in _fill(url, level, world):
            path = _path(url, kwargs) + (f"?{entry.query}" if entry.query else "")
            where = f"{path} [{level}{' ' + label if label else ''}]"
            for role in matrix.ROLES:
                client = clients[role]
                if entry.get is not None:
                    want = expected(entry, matrix.PROFILES[entry.get][role], role, level)
                    got = outcome(client.get(path), role)
                    if got not in want:
                        wrong.append(f"GET {where} as {role}: {got}, declared {want}")
                if entry.post is not None:
                    declared = matrix.PROFILES[entry.post][role]
                    want = expected(entry, declared, role, level)
                    if api:
                        response = client.post(path, "{}", content_type="application/json")
                    else:
                        response = client.post(path, {})
                    got = outcome(response, role)
                    assert response.status_code < 500, f"POST {where} as {role}: 5xx"
                    if let_in(declared, role, level):
                        # Let in: an empty POST is refused, or (post_ok) does its act.
                        good = (
                            got in matrix.BAD_POST
                            or got in want - {matrix.OK}
                            or (role in entry.post_ok and got in OK_POST)
                        )
                        if not good:
                            wrong.append(f"POST {where} as {role}: {got}, declared a refusal")
                    elif got not in want:
                        wrong.append(f"POST {where} as {role}: {got}, declared {want}")
    assert wrong == [], f"{key}:\n" + "\n".join(wrong)


@pytest.mark.django_db
def test_the_contributor_role_is_public_and_not_staff() -> None:
    from django.contrib.auth import get_user_model

    from dadkhah.accounts.roles import clearance_of, is_staff_account, role_of, set_role
    from dadkhah.core.confidentiality import Level, Role
    from dadkhah.records.views import is_staff

    user = get_user_model().objects.create_user(username="matrix-one", password="x" * 20)
    set_role(user, Role.CONTRIBUTOR)
    user.refresh_from_db()
    assert (role_of(user), clearance_of(user)) == (Role.CONTRIBUTOR, Level.PUBLIC)
    assert not (user.is_staff or is_staff(user) or is_staff_account(user))
    set_role(user, Role.REVIEWER)  # a role replaces the other
    user.refresh_from_db()
    assert sorted(g.name for g in user.groups.all()) == ["reviewer"]
    assert is_staff(user) and is_staff_account(user)
