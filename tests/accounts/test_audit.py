"""The audit trail (dadkhah/accounts/audit.py): what is recorded and what is not, reasons,
the /audit/ page, and its tamper evidence through the custody ledger."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.test import Client
from django.utils import timezone

from dadkhah.accounts import audit
from dadkhah.accounts.audit import AuditEntry
from dadkhah.accounts.roles import set_role
from dadkhah.cli import main
from dadkhah.core.confidentiality import Level, Role
from dadkhah.vault import ledger, services
from dadkhah.vault.canonical import canonical_json
from dadkhah.vault.models import LedgerEntry
from dadkhah.vault.verify import verify_all
from tests.factories import make_person, make_source

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client(HTTP_USER_AGENT="TestBrowser/1.0 " + "x" * 300)
    client.force_login(user)
    return client


@pytest.fixture
def people(users: dict[str, Any]) -> dict[str, Any]:
    source = make_source("src-audit")
    return {
        "public": make_person("Public Name", source),
        "restricted": make_person("Restricted Name", source, Level.RESTRICTED),
        "protected": make_person("Protected Name", source, Level.PROTECTED),
    }


def trail() -> Any:
    """Entries other than the role changes of the ``users`` fixture."""
    return AuditEntry.objects.exclude(action="permission-change")


def counts() -> tuple[int, int]:
    return trail().count(), LedgerEntry.objects.count()


def test_a_restricted_view_by_an_investigator_is_one_entry_and_one_ledger_entry(users, people):
    client = client_for(users["investigator"])
    before = counts()
    page = client.get(people["restricted"].get_absolute_url())
    assert page.status_code == 200 and b"Restricted Name" in page.content
    assert counts() == (before[0] + 1, before[1] + 1)
    entry = trail().get()
    assert (entry.actor, entry.actor_id, entry.role) == (
        "test-investigator",
        users["investigator"].pk,
        "investigator",
    )
    assert (entry.action, entry.object_kind, entry.object_uid) == (
        "view",
        "person",
        people["restricted"].uid,
    )
    assert entry.level == Level.RESTRICTED and entry.channel == "web"
    assert entry.address == "127.0.0.1" and len(entry.user_agent) == audit.AGENT_CHARS
    logged = LedgerEntry.objects.get(seq=entry.ledger_seq)
    assert logged.event == "view" and logged.actor == "test-investigator"
    digest = hashlib.sha256(canonical_json(audit.canonical_fields(entry))).hexdigest()
    assert logged.purpose == "audit sha256:" + digest
    assert "127.0.0.1" not in logged.body  # the address stays in the database
    assert json.loads(logged.body)["details"] == {"audit": 1}


def test_public_and_internal_views_are_not_recorded(users, people):
    before = counts()
    for user in (users["investigator"], users["administrator"]):
        assert client_for(user).get(people["public"].get_absolute_url()).status_code == 200
    assert Client().get(people["public"].get_absolute_url()).status_code == 200
    # hidden from a reviewer: 404, and nothing was shown, so nothing recorded
    assert (
        client_for(users["reviewer"]).get(people["restricted"].get_absolute_url()).status_code
        == 404
    )
    assert counts() == before


def test_the_level_is_that_of_the_most_sensitive_material_shown(users, people):
    from dadkhah.records import claims
    from tests.factories import cite

    person = people["public"]
    claims.add_claim(
        person, "name", "Secret Alias", citations=cite("src-audit"), confidentiality=Level.PROTECTED
    )
    assert client_for(users["investigator"]).get(person.get_absolute_url()).status_code == 200
    assert not trail().exists()  # the protected claim was not shown to them
    admin_page = client_for(users["administrator"]).get(person.get_absolute_url())
    assert b"Secret Alias" in admin_page.content
    entry = trail().get()
    assert entry.level == Level.PROTECTED and entry.role == "administrator"


def test_api_reads_of_restricted_material_are_recorded(users, people):
    client = client_for(users["investigator"])
    response = client.get(f"/api/persons/{people['restricted'].uid}")
    assert response.status_code == 200
    entry = trail().get()
    assert (entry.action, entry.channel, entry.object_uid) == (
        "api-read",
        "api",
        people["restricted"].uid,
    )
    client.get(f"/api/persons/{people['public'].uid}")
    assert trail().count() == 1
    listing = client.get("/api/persons")
    assert listing.status_code == 200
    assert AuditEntry.objects.filter(action="api-read", object_kind="persons").count() == 1


def test_set_role_records_a_permission_change(users):
    user = users["reviewer"]
    set_role(user, Role.INVESTIGATOR, by="admin-on-shell", reason="joins the Evin team")
    entry = AuditEntry.objects.get(action="permission-change", actor="admin-on-shell")
    assert entry.actor == "admin-on-shell" and entry.channel == "cli" and entry.actor_id is None
    assert entry.detail == "role reviewer -> investigator"
    assert entry.reason == "joins the Evin team"
    assert LedgerEntry.objects.get(seq=entry.ledger_seq).event == "security"
    before = counts()
    set_role(user, Role.INVESTIGATOR)  # no change, no entry
    assert counts() == before


def test_a_role_change_in_the_admin_is_recorded(users):
    users["administrator"].is_superuser = True  # Django's admin asks for model permissions
    users["administrator"].save()
    admin = client_for(users["administrator"])
    target = users["reviewer"]
    page = admin.get(f"/admin/auth/user/{target.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    data.update(
        {
            "username": target.username,
            "password": form.initial["password"],
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "date_joined_0": timezone.now().strftime("%Y-%m-%d"),
            "date_joined_1": "00:00:00",
            "groups": [g.pk for g in target.groups.all()],
        }
    )
    data.pop("last_login", None)
    response = admin.post(f"/admin/auth/user/{target.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    entry = AuditEntry.objects.filter(action="permission-change", channel="admin").get()
    assert entry.actor == "test-administrator" and "superuser False -> True" in entry.detail


def test_exports_of_restricted_material_need_a_reason(users, people, tmp_path: Path):
    runner = CliRunner()
    out = tmp_path / "people.jsonl"
    refused = runner.invoke(main, ["export", "person", "--level", "restricted", "--out", str(out)])
    assert refused.exit_code == 2 and "--reason" in refused.stderr
    assert not out.exists() and not trail().exists()
    done = runner.invoke(
        main,
        ["export", "person", "--level", "restricted", "--out", str(out), "--reason", "case 12"],
    )
    assert done.exit_code == 0, done.output
    entry = trail().get()
    assert (entry.action, entry.level, entry.reason, entry.channel) == (
        "export",
        Level.RESTRICTED,
        "case 12",
        "cli",
    )
    # a public export needs no reason, and is recorded too
    assert runner.invoke(main, ["export", "person", "--out", str(out)]).exit_code == 0
    assert AuditEntry.objects.filter(action="export", level=Level.PUBLIC, reason="").count() == 1
    with pytest.raises(audit.AuditError, match="reason"):
        audit.record("someone", "reveal", ("witness", "w1"), Level.PROTECTED)
    with pytest.raises(audit.AuditError, match="unknown audit action"):
        audit.record("someone", "peek", ("witness", "w1"), Level.PUBLIC)
    assert trail().count() == 2


def test_a_dossier_of_restricted_clearance_asks_why_first(users, people, home):
    client = client_for(users["investigator"])
    url = f"/dossiers/person/{people['restricted'].uid}/?format=html"
    asked = client.get(url)
    assert asked.status_code == 200 and b'name="reason"' in asked.content
    assert not LedgerEntry.objects.filter(event="dossier").exists()
    made = client.get(url + "&reason=prepare+the+hearing")
    assert made.status_code == 200 and b"Restricted Name" in made.content
    entry = AuditEntry.objects.get(action="dossier")
    assert entry.reason == "prepare the hearing" and entry.level == Level.RESTRICTED


def test_vault_views_of_restricted_items_are_audited_once(users, home, tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"an internal letter")
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"a restricted statement")
    (internal,) = services.ingest_path(plain, collector="t", extract=False)
    (restricted,) = services.ingest_path(secret, collector="t", extract=False, restricted=True)
    client = client_for(users["investigator"])
    before = counts()
    assert client.get(internal.get_absolute_url()).status_code == 200
    assert counts() == (before[0], before[1] + 1)  # a custody entry, no audit entry
    assert client.get(restricted.get_absolute_url()).status_code == 200
    assert counts() == (before[0] + 1, before[1] + 2)  # the audit entry is the custody entry
    entry = trail().get()
    assert LedgerEntry.objects.get(seq=entry.ledger_seq).item_sha256 == restricted.sha256
    download = client.post(f"{internal.get_absolute_url()}download/", {"purpose": "analysis"})
    assert download.status_code == 200
    assert AuditEntry.objects.get(action="download").reason == "analysis"


def test_the_page_is_for_administrators_and_filters(users):
    t0 = timezone.now()
    audit.record("alice", "export", ("records", "person"), Level.RESTRICTED, "hearing 3")
    audit.record("bob", "bundle", ("bundle", "b.zip"), Level.PUBLIC, "press")
    audit.record("alice", "reveal", ("witness", "w-77"), Level.PROTECTED, "follow up")
    assert Client().get("/audit/").status_code == 302
    for role in ("investigator", "reviewer"):
        assert client_for(users[role]).get("/audit/").status_code == 403
    admin = client_for(users["administrator"])

    def shown(**query: str) -> list[str]:
        page = admin.get("/audit/", query)
        assert page.status_code == 200
        return [e.object_uid for e in page.context["page"].object_list]

    assert shown(actor="alice") == ["w-77", "person"]
    assert shown(action="bundle") == ["b.zip"]
    assert shown(object="w-77") == ["w-77"] and shown(object="witness") == ["w-77"]
    assert shown(reason="HEARING") == ["person"]
    today = t0.date().isoformat()
    assert len(shown(**{"from": today, "to": today})) == AuditEntry.objects.count() == 6
    assert shown(**{"to": (t0.date() - timedelta(days=1)).isoformat()}) == []
    assert admin.get("/audit/", {"from": "yesterday"}).status_code == 400
    page = admin.get("/audit/").content.decode()
    assert f'href="/audit/{AuditEntry.objects.get(object_uid="w-77").ledger_seq}/"' in page


def test_pagination_and_the_csv_export_is_itself_audited(users):
    for n in range(audit.PAGE_SIZE + 3):
        audit.record("carol", "export", ("records", f"kind-{n:02}"), Level.PUBLIC)
    admin = client_for(users["administrator"])
    second = admin.get("/audit/", {"actor": "carol", "page": "2"})
    assert len(second.context["page"].object_list) == 3
    assert b"actor=carol&amp;page=1" in second.content
    refused = admin.post("/audit/", {"actor": "carol"})
    assert refused.status_code == 400 and trail().count() == audit.PAGE_SIZE + 3
    response = admin.post("/audit/", {"actor": "carol", "export_reason": "annual review"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == list(audit.CSV_COLUMNS) and len(rows) == 1 + audit.PAGE_SIZE + 3
    exported = AuditEntry.objects.get(object_kind="audit")
    assert exported.reason == "annual review" and exported.actor == "test-administrator"


def test_the_entry_page_shows_its_ledger_proof(users, home):
    entry = audit.record("dave", "bundle", ("bundle", "x.zip"), Level.PUBLIC)
    page = client_for(users["administrator"]).get(f"/audit/{entry.ledger_seq}/")
    assert page.status_code == 200
    assert page.context["matches"] and page.context["included"]
    assert page.context["signed"] == "valid"
    assert client_for(users["investigator"]).get(f"/audit/{entry.ledger_seq}/").status_code == 403


def test_verification_passes_and_finds_a_tampered_audit_entry(users, people, home):
    client_for(users["investigator"]).get(people["restricted"].get_absolute_url())
    audit.record("erin", "reveal", ("witness", "w-1"), Level.PROTECTED, "court order 5")
    report = verify_all()
    assert report.ok, report.problems
    assert audit.check() == []
    assert CliRunner().invoke(main, ["verify"]).exit_code == 0

    # the row changed behind the code's back (an UPDATE, not save())
    reveal = AuditEntry.objects.get(action="reveal")
    AuditEntry.objects.filter(pk=reveal.pk).update(reason="routine")
    problems = audit.check()
    assert [(p.kind, p.seq) for p in problems] == [("audit-altered", reveal.ledger_seq)]
    result = CliRunner().invoke(main, ["verify", "--json"])
    assert result.exit_code == 1 and '"audit-altered"' in result.output
    AuditEntry.objects.filter(pk=reveal.pk).update(reason="court order 5")
    assert audit.check() == []

    # the row removed
    AuditEntry.objects.filter(pk=reveal.pk).delete()
    assert [p.kind for p in audit.check()] == ["audit-missing"]

    # the ledger entry rewritten to match a forged row: the ledger's own check catches it
    view = AuditEntry.objects.get(action="view")
    logged = LedgerEntry.objects.get(seq=view.ledger_seq)
    forged = logged.body.replace("test-investigator", "someone-else")
    LedgerEntry.objects.filter(pk=logged.pk).update(body=forged)
    kinds = {p.kind for p in verify_all(publish=False).problems}
    assert "entry-altered" in kinds or "checkpoint-mismatch" in kinds


def test_entries_are_append_only(users):
    entry = audit.record("frank", "bundle", ("bundle", "y.zip"), Level.PUBLIC)
    entry.reason = "changed"
    with pytest.raises(audit.AuditError):
        entry.save()
    with pytest.raises(audit.AuditError):
        entry.delete()
    assert AuditEntry.objects.get(pk=entry.pk).reason == ""
    assert ledger.EVENTS.count("security") == 1
