"""The declared authorization matrix: who may open which URL, at which confidentiality level.

Every URL pattern of the site (the API's operations included) must have an entry here;
``tests/test_authorization.py`` requests each one as every role, against records at every
level, and compares what happens with what is declared. A URL without an entry fails the
test with its name. Entries are rules by URL-name prefix, so a new URL in a known
namespace gets that namespace's outcome; ``tests/authorization_urls.txt`` lists every URL
that was reviewed, and a URL missing from it fails too, so a new page cannot slip in
unreviewed.

Outcomes:

- ``OK``: the page (2xx, or a 3xx to anything but a login page);
- ``LOGIN``: a redirect to a login page (anonymous visitors of staff pages);
- ``DENIED``: 403 (a signed-in user whose role may not);
- ``HIDDEN``: 404, existence not revealed (a record above the viewer's clearance);
- ``UNAUTH``: 401 (the API without credentials, on a write);
- ``NOT_ALLOWED``: 405 (a method the URL does not take);
- ``GONE``: a redirect to the admin's home (the admin's answer for an id nothing has).

A profile maps each role to an outcome. In a per-level entry the outcome ``SEEN`` stands
for "OK when the role's clearance covers the record's level, HIDDEN otherwise", and
``PUBLISHED`` for "OK for a public record, HIDDEN otherwise" (the memorial shows public
material only, whoever asks).

``post`` is what a POST without a valid body gets from a role the GET lets in: anything in
``BAD_POST`` (never 200, never 5xx), or an explicit profile where the URL is a form whose
empty POST is answered otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "BAD_POST",
    "DENIED",
    "Entry",
    "GONE",
    "HIDDEN",
    "LOGIN",
    "NOT_ALLOWED",
    "OK",
    "OVERRIDES",
    "PROFILES",
    "PUBLISHED",
    "ROLES",
    "RULES",
    "SEEN",
    "UNAUTH",
    "entry_for",
]

OK = "ok"
LOGIN = "login"
DENIED = "403"
HIDDEN = "404"
UNAUTH = "401"
GONE = "gone"
NOT_ALLOWED = "405"
SEEN = "seen"
PUBLISHED = "published"

# "public" is the anonymous visitor; the contributor is signed in with public clearance.
ROLES = ("public", "contributor", "reviewer", "investigator", "administrator")
LEVELS = ("public", "internal", "restricted", "protected")

# A POST without a valid body (no fields, or an empty JSON object on the API).
BAD_POST = frozenset({"400", "403", "405", "422"})


def _profile(public: str, contributor: str, reviewer: str, investigator: str, admin: str) -> dict:
    return dict(zip(ROLES, (public, contributor, reviewer, investigator, admin), strict=True))


PROFILES: dict[str, dict[str, str]] = {
    "everyone": _profile(OK, OK, OK, OK, OK),
    # Staff pages: reviewers and up; signed-in non-staff get 403.
    "staff": _profile(LOGIN, DENIED, OK, OK, OK),
    "editors": _profile(LOGIN, DENIED, DENIED, OK, OK),
    "administrators": _profile(LOGIN, DENIED, DENIED, DENIED, OK),
    "signed_in": _profile(LOGIN, OK, OK, OK, OK),
    # Object pages: staff, up to their clearance; above it the record does not exist.
    "staff_seen": _profile(LOGIN, DENIED, SEEN, SEEN, SEEN),
    "editors_seen": _profile(LOGIN, DENIED, DENIED, SEEN, SEEN),
    "everyone_seen": _profile(SEEN, SEEN, SEEN, SEEN, SEEN),
    "memorial": _profile(PUBLISHED, PUBLISHED, PUBLISHED, PUBLISHED, PUBLISHED),
    # The API: reads are open (public material to the anonymous), writes need an editor.
    # (The body is checked before the role: a refused role may get 422 for an empty one.)
    "api_write": _profile(UNAUTH, "403|422", "403|422", OK, OK),
    "api_review": _profile(UNAUTH, "403|422", OK, OK, OK),
    "api_staff_seen": _profile(UNAUTH, DENIED, SEEN, SEEN, SEEN),
    # Django's admin: administrators; other staff accounts may not; the rest log in there.
    # Django's admin is for superusers: the roles hold no model permissions, so a staff
    # account (administrator included) gets 403; accounts without the staff flag log in.
    # (An id nothing has is sent back to the admin's home: GONE.)
    "admin_site": _profile(LOGIN, LOGIN, "403|gone", "403|gone", "403|gone"),
    "admin_home": _profile(LOGIN, LOGIN, OK, OK, OK),
    "admin_missing": _profile(LOGIN, LOGIN, HIDDEN, HIDDEN, HIDDEN),
    "hidden": _profile(HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    "no_get": _profile(NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED),
}


@dataclass(frozen=True)
class Entry:
    """What a URL does. ``get``/``post`` name a profile (None: the method is not probed:
    a POST-only API operation shares its path with a GET one). ``per_level``: the URL
    names an object and is requested once per confidentiality level. ``post_ok``: roles
    whose empty POST legitimately succeeds (a redirect, or a form shown again with its
    errors), such as logging out. ``ok_as``: what a let-in request gets where the test
    names a sub-object nothing has (404) or an unfinished one (400). ``query``: added to
    the URL (a dossier's format and reason)."""

    get: str | None
    post: str | None = None
    per_level: bool = False
    post_ok: frozenset[str] = field(default_factory=frozenset)
    ok_as: str = OK
    query: str = ""
    note: str = ""


S, E, A = "staff", "editors", "administrators"

# Rules by URL-name prefix: the longest matching prefix wins; OVERRIDES win over RULES.
STAFF_FORMS = frozenset(("reviewer", "investigator", "administrator"))
EDIT_FORMS = frozenset(("investigator", "administrator"))
SIGNED_IN = frozenset(ROLES[1:])

# Rules by URL-name prefix: the longest matching prefix wins; OVERRIDES win over RULES.
RULES: dict[str, Entry] = {
    # -- the Django admin ------------------------------------------------------------
    "admin:": Entry("admin_site"),
    "admin:<": Entry("admin_home", note="redirects <id>/ to <id>/change/, checked there"),
    # -- the API: every read, public material to the anonymous -------------------------
    "api:": Entry("everyone_seen", per_level=True),
    "api:list_": Entry("everyone"),
    "api:create_": Entry(None, "api_write"),
    "api:add_": Entry(None, "api_write", per_level=True),
    "api:set_claim_status": Entry(None, "api_review", per_level=True),
    "api:openapi-": Entry("everyone"),
    "api:api-root": Entry("hidden", note="ninja's root lists nothing: 404 for all"),
    # -- accounts (the forms show themselves again, with their errors) --------------------
    "accounts:": Entry("signed_in", "signed_in", post_ok=SIGNED_IN),
    "password_": Entry("everyone", "everyone", post_ok=frozenset(ROLES)),
    # -- the audit trail ---------------------------------------------------------------
    "audit": Entry(A),
    # -- staff apps --------------------------------------------------------------------
    "vault:": Entry("staff_seen", per_level=True),
    "search:": Entry("staff_seen", per_level=True),
    "linkage:": Entry("editors_seen", per_level=True),
    "dossiers:": Entry("staff_seen", per_level=True, query="format=html&reason=matrix"),
    "counting:": Entry(S),
    "campaign_staff:": Entry(S),
    "memorial_staff:": Entry(S),
    "records:": Entry("everyone_seen", per_level=True),
    # -- public sites ------------------------------------------------------------------
    "campaign:": Entry("everyone"),
    "campaign_root:": Entry("everyone"),
    "memorial_root:": Entry("everyone"),
    "memorial:": Entry("everyone"),
    "root": Entry("everyone"),
}

OVERRIDES: dict[str, Entry] = {
    "admin:index": Entry("admin_home"),
    # Staff who are signed in already are sent on to the admin's home.
    "admin:login": Entry("admin_login", "admin_login", post_ok=frozenset(ROLES)),
    "admin:view_on_site": Entry("admin_missing", note="an unknown content type"),
    "admin:logout": Entry("admin_logout", "everyone", post_ok=frozenset(ROLES)),
    "admin:jsi18n": Entry("admin_home"),
    "admin:app_list": Entry("admin_missing", note="no model of the app is the role's"),
    "admin:password_change": Entry("admin_home"),
    "admin:password_change_done": Entry("admin_home"),
    "admin:<admin/(?P<url>.*)$>": Entry("admin_missing"),
    "login": Entry("everyone", "everyone", post_ok=frozenset(ROLES)),
    "logout": Entry("no_get", "everyone", post_ok=frozenset(ROLES)),
    "password_change": Entry("signed_in", "signed_in", post_ok=SIGNED_IN),
    "password_change_done": Entry("signed_in"),
    "accounts:end_everywhere": Entry(None, "signed_in", post_ok=SIGNED_IN),
    "accounts:recovery_codes": Entry(None, "signed_in", post_ok=SIGNED_IN),
    # Security keys: staff add them (JSON options by POST); the login step's options are
    # asked by POST too, and refused (400) to an account without a key.
    "accounts:security_key_add": Entry(S, S),
    "accounts:security_key_options": Entry(None, S, post_ok=STAFF_FORMS),
    "accounts:security_key_login_options": Entry(None, "signed_in", post_ok=SIGNED_IN),
    # The token is the administrator's: others' tokens do not exist for them.
    "accounts:revoke_token": Entry(
        None,
        "token_owner",
        post_ok=frozenset(("administrator",)),
    ),
    "api:create_person": Entry(None, "api_write", post_ok=EDIT_FORMS, note="an empty record"),
    "api:create_body": Entry(None, "api_write", post_ok=EDIT_FORMS, note="an empty record"),
    "api:create_place": Entry(None, "api_write", post_ok=EDIT_FORMS, note="an empty record"),
    "api:create_event": Entry(None, "api_write", post_ok=EDIT_FORMS, note="an empty record"),
    "api:person_history": Entry("api_staff_seen", per_level=True),
    "api:body_history": Entry("api_staff_seen", per_level=True),
    "api:place_history": Entry("api_staff_seen", per_level=True),
    "api:post_history": Entry("api_staff_seen", per_level=True),
    "api:event_history": Entry("api_staff_seen", per_level=True),
    "api:participation_history": Entry("api_staff_seen", per_level=True),
    "campaign:sign": Entry("everyone", "everyone"),
    "campaign:org-sign": Entry("everyone", "everyone", ok_as=HIDDEN, note="a petition only"),
    # An unknown token: a page that says so (GET), 404 to a POST.
    "campaign:confirm": Entry("everyone", "everyone", ok_as="ok|404"),
    "campaign:org-confirm": Entry("everyone", "everyone", ok_as="ok|404"),
    "campaign_staff:rules": Entry("moderators", "moderators"),
    "campaign_staff:abuse": Entry("moderators", "moderators"),
    "campaign_staff:new": Entry(E, E),
    "campaign_staff:edit": Entry(E, E),
    "campaign_staff:state": Entry(None, S),
    "campaign_staff:org-decide": Entry(None, S, ok_as=HIDDEN, note="an unknown signature"),
    "campaign_staff:org-jws": Entry(S, ok_as="400", note="nothing to export yet"),
    "campaign_staff:delivery": Entry(None, E),
    "campaign_staff:response": Entry(None, E, ok_as=HIDDEN, note="an unknown delivery"),
    "campaign_staff:package": Entry(None, E),
    "campaign_staff:package-status": Entry(E, ok_as=HIDDEN, note="an unknown package"),
    "campaign_staff:package-zip": Entry(E, ok_as=HIDDEN, note="an unknown package"),
    "memorial:contribute": Entry("everyone", "everyone"),
    "memorial:victim": Entry("memorial", per_level=True),
    "memorial:victim_photo": Entry("hidden", per_level=True, note="no photograph published"),
    "memorial:map_image": Entry("hidden", per_level=True, note="no map image published"),
    "memorial_staff:contributions": Entry(E),
    "memorial_staff:contribution": Entry(E, E, ok_as=HIDDEN, note="an unknown uid"),
    "memorial_staff:review_edit": Entry("staff_seen", "staff_seen", per_level=True),
    "records:home": Entry("everyone"),
    "records:list": Entry("everyone"),
    "records:source_new": Entry(E, E),
    "records:person_new": Entry(E, E),
    "records:event_new": Entry(E, E),
    "records:new": Entry(E, E),
    "records:value_field": Entry(E),
    "records:history": Entry("staff_seen", per_level=True),
    "records:claim_add": Entry(None, "editors_seen", per_level=True),
    "records:citation_add": Entry(None, "editors_seen", per_level=True),
    "records:claim_status": Entry(None, "staff_seen", per_level=True),
    "records:reveal": Entry(A, ok_as=HIDDEN, note="these persons have no protected identity"),
    "vault:list": Entry(S),
    "vault:upload": Entry(E, E),
    "vault:extract_again": Entry(None, "editors_seen", per_level=True, post_ok=EDIT_FORMS),
    "vault:preview": Entry("staff_seen", per_level=True, ok_as=HIDDEN, note="text: no preview"),
    "vault:download": Entry("staff_seen", "staff_seen", per_level=True),
    "search:search": Entry("everyone"),
    "search:page_image": Entry("staff_seen", per_level=True, ok_as=HIDDEN, note="no image"),
    "search:cite": Entry(None, "editors_seen", per_level=True),
    "search:decide": Entry(None, "staff_seen", per_level=True),
    "linkage:index": Entry(E),
    "linkage:import_new": Entry(E, E),
    "linkage:run_new": Entry(E, E),
    "linkage:import_map": Entry("editors_seen", "editors_seen", per_level=True, ok_as="400"),
    "linkage:import_provenance": Entry("editors_seen", "editors_seen", per_level=True),
    "linkage:cluster": Entry("editors_seen", per_level=True, ok_as=HIDDEN, note="no such row"),
    "linkage:judge": Entry(None, "editors_seen", per_level=True, ok_as=HIDDEN),
    "linkage:split": Entry(None, "editors_seen", per_level=True, ok_as=HIDDEN),
    "linkage:merge": Entry(None, "editors_seen", per_level=True, ok_as=HIDDEN),
    "linkage:undo": Entry(None, "editors_seen", per_level=True, ok_as=HIDDEN),
    "linkage:people": Entry(None, "editors_seen", per_level=True),
}
PROFILES["token_owner"] = _profile(LOGIN, HIDDEN, HIDDEN, HIDDEN, OK)
# The campaign's abuse controls: moderation is the reviewers' and administrators' work;
# everyone else gets 403, the anonymous too (these views do not send them to log in).
PROFILES["moderators"] = _profile(DENIED, DENIED, OK, DENIED, OK)
# Django's admin logout: GET shows the "logged out" page to non-staff, 405 to staff.
PROFILES["admin_logout"] = _profile(GONE, GONE, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED)
PROFILES["admin_login"] = _profile(OK, OK, "gone|ok", "gone|ok", "gone|ok")
# simple_history's page of one past version: the version id is one nothing has.
for _model in ("person", "body", "place", "post", "event", "participation"):
    OVERRIDES[f"admin:records_{_model}_simple_history"] = Entry("admin_missing")
for _model in ("source", "claim", "citation"):
    OVERRIDES[f"admin:records_{_model}_simple_history"] = Entry("admin_missing")


def entry_for(key: str) -> Entry | None:
    """The entry of a URL key (``namespace:name``, or ``namespace:<route>`` when unnamed)."""
    if key in OVERRIDES:
        return OVERRIDES[key]
    best = ""
    for prefix in RULES:
        if key.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return RULES[best] if best else None
