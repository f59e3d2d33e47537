"""Forgetting: address hashes after 30 days, signer data after the retention date; the
counts never change; `dadkhah campaign purge` and `dadkhah work` run it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner

from dadkhah.cli import main
from tests.campaign.conftest import make_campaign

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 5, 10, 12, 0, tzinfo=UTC)


def _sign(campaign: Any, i: int, created: datetime, **fields: Any) -> Any:
    from dadkhah.campaign.models import Signature

    values: dict[str, Any] = {
        "campaign": campaign,
        "state": "validated",
        "name": f"Synthetic Signer {i}",
        "email": f"Signer.{i}+x@Example.org",
        "email_normalized": f"signer.{i}@example.org",
        "email_domain": "example.org",
        "country": "IR" if i % 2 else "DE",
        "city": "Tabriz",
        "created_at": created,
        "confirmed_at": created + timedelta(minutes=3),
        "token_sha256": f"{i:064x}",
        "ip_hash": "a" * 64,
        "net_hashes": ["b" * 64, "c" * 64],
    }
    values.update(fields)
    return Signature.objects.create(**values)


def test_address_hashes_are_emptied_after_30_days():
    from dadkhah.campaign.models import Signature
    from dadkhah.campaign.retention import purge_addresses

    campaign = make_campaign()
    old = _sign(campaign, 1, NOW - timedelta(days=30, seconds=1))
    edge = _sign(campaign, 2, NOW - timedelta(days=30) + timedelta(seconds=1))
    fresh = _sign(campaign, 3, NOW - timedelta(days=2))
    only_net = _sign(campaign, 4, NOW - timedelta(days=45), ip_hash="")
    assert purge_addresses(NOW) == 2
    rows = {s.pk: (s.ip_hash, s.net_hashes) for s in Signature.objects.all()}
    assert rows[old.pk] == ("", []) and rows[only_net.pk] == ("", [])
    assert rows[edge.pk] == ("a" * 64, ["b" * 64, "c" * 64])
    assert rows[fresh.pk][0] == "a" * 64
    assert Signature.objects.get(pk=old.pk).name == "Synthetic Signer 1"  # nothing else touched
    assert purge_addresses(NOW) == 0


def test_signers_are_anonymized_after_the_retention_date_and_counts_stay():
    from dadkhah.campaign.delivery import package_rows
    from dadkhah.campaign.models import OrgSignature, Signature
    from dadkhah.campaign.retention import anonymize_expired

    expired = make_campaign("expired", state="closed", retention_until=date(2027, 5, 9))
    today = make_campaign("last-day", state="closed", retention_until=date(2027, 5, 10))
    for i in range(6):
        _sign(expired, i, NOW - timedelta(days=400 + i), state="validated" if i < 5 else "pending")
        _sign(today, 10 + i, NOW - timedelta(days=400))
    org = OrgSignature.objects.create(
        campaign=expired,
        state="approved",
        name="Synthetic Org",
        country="NL",
        website="https://org.example.org",
        domain="org.example.org",
        contact_name="Contact Person",
        contact_email="contact@org.example.org",
    )
    before = package_rows(expired)
    counts = list(
        Signature.objects.filter(campaign=expired).values_list("state", "country", "confirmed_at")
    )
    assert anonymize_expired(NOW) == (6, 1, 1)  # and the org's one history row
    gone = Signature.objects.filter(campaign=expired)
    assert all(
        (s.name, s.email, s.email_normalized, s.email_domain, s.city, s.token_sha256, s.ip_hash)
        == ("", None, None, "", "", None, "")
        and s.anonymized_at == NOW
        for s in gone
    )
    assert list(gone.values_list("state", "country", "confirmed_at")) == counts
    after = package_rows(expired)
    assert after.by_country == before.by_country and after.by_day == before.by_day
    assert {s.name for s in after.signatories} == {"Erased"}
    kept = Signature.objects.filter(campaign=today)
    assert all(s.name.startswith("Synthetic") and s.email for s in kept)
    org.refresh_from_db()
    assert (org.name, org.contact_name, org.contact_email) == ("Synthetic Org", "", None)
    assert not OrgSignature.history.filter(contact_email__isnull=False).exists()
    assert anonymize_expired(NOW) == (0, 0, 0)
    assert anonymize_expired(NOW + timedelta(days=1))[0] == 6  # now the other one


def test_cli_purge_prints_each_step():
    campaign = make_campaign("purge-cli", retention_until=date.today() - timedelta(days=1))
    _sign(campaign, 1, datetime.now(UTC) - timedelta(days=31))
    _sign(campaign, 2, datetime.now(UTC))
    result = CliRunner().invoke(main, ["campaign", "purge", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "addresses": 1,
        "signatures_anonymized": 2,
        "organisations_anonymized": 0,
        "organisation_history_rows": 0,
    }
    again = CliRunner().invoke(main, ["campaign", "purge"])
    assert again.exit_code == 0 and "addresses: 0" in again.stdout


def test_work_runs_the_upkeep(home):
    from huey.contrib.djhuey import HUEY

    from dadkhah.campaign.models import Campaign

    HUEY.flush()  # tasks other tests left queued are theirs, not this one's

    make_campaign("overdue", closes_at=datetime.now(UTC) - timedelta(days=1))
    result = CliRunner().invoke(main, ["work", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["campaign_upkeep"]["campaigns_closed"] == 1
    assert Campaign.objects.get(slug="overdue").state == "closed"


def test_daily_task_is_registered():
    from huey.contrib.djhuey import HUEY

    import dadkhah.campaign.tasks  # noqa: F401  (what the consumer discovers)
    from dadkhah.campaign.retention import daily_upkeep

    assert daily_upkeep.task_class in HUEY._registry._periodic_tasks
    make_campaign("due-daily", closes_at=datetime.now(UTC) - timedelta(hours=2))
    result = daily_upkeep.call_local()
    assert result["campaigns_closed"] == 1
