"""Pages of the linkage app: who may see them, the import steps, the review queue, and
that a list above the viewer's clearance never shows."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dadkhah.core.confidentiality import Level
from dadkhah.linkage.models import Judgement, ListImport, ListRow
from tests.linkage.test_services import BAD, LISTS, hand_run, import_text

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("who", "status"), [("investigator", 200), ("administrator", 200), ("reviewer", 403)]
)
def test_roles(home, users, who, status):
    assert client_for(users[who]).get("/linkage/").status_code == status
    assert client_for(users[who]).get("/linkage/imports/new/").status_code == status


def test_anonymous_is_sent_to_log_in(home, users):
    response = Client().get("/linkage/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_changes_need_post(home, users):
    client = client_for(users["investigator"])
    run, rows = hand_run(users["investigator"], [("2", "b2", 0.6)])
    pair = run.pairs.get()
    assert client.get(f"/linkage/runs/{run.uid}/pairs/{pair.pk}/judge/").status_code == 405
    assert client.get(f"/linkage/runs/{run.uid}/people/").status_code == 405
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(users["investigator"])
    url = f"/linkage/runs/{run.uid}/pairs/{pair.pk}/judge/"
    assert csrf.post(url, {"decision": "accept"}).status_code == 403
    assert Judgement.objects.count() == 0


def test_import_steps(home, users):
    client = client_for(users["investigator"])
    upload = SimpleUploadedFile("list-b.csv", LISTS["list-b.csv"].encode())
    response = client.post("/linkage/imports/new/", {"file": upload})
    assert response.status_code == 302
    imp = ListImport.objects.get()
    page = client.get(response["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    assert "Mohammad Rezaei" in text and "utf-8" in text
    assert '<option value="name" selected>' in text  # the guess, pre-filled
    response = client.post(
        f"/linkage/imports/{imp.uid}/map/",
        {"record_id": "id", "full_name": "name", "father_name": "father", "birth_year": "born",
         "gender": "sex", "city": "city", "prison": "prison", "death_date": "executed"},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"].endswith("/provenance/")
    response = client.post(
        f"/linkage/imports/{imp.uid}/provenance/",
        {"name": "List B", "compiled_by": "An NGO (synthetic)", "compiled_when": "2019",
         "method": "Press reports", "confidentiality": "1", "on_error": "stop"},
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200 and "5 records imported" in page.content.decode()
    assert ListRow.objects.filter(list_import=imp).count() == 5


def test_failed_stop_import_shows_every_problem(home, users):
    client = client_for(users["investigator"])
    client.post("/linkage/imports/new/", {"file": SimpleUploadedFile("bad.csv", BAD.encode())})
    imp = ListImport.objects.get()
    response = client.post(
        f"/linkage/imports/{imp.uid}/provenance/",
        {"name": "Bad", "compiled_by": "x", "compiled_when": "", "method": "m",
         "confidentiality": "1", "on_error": "stop"},
    )  # fmt: skip
    assert response.status_code == 400
    text = response.content.decode()
    assert "bad.csv, line 2, field birth_year" in text and "line 4, field gender" in text
    assert "nothing was imported" in text
    assert ListRow.objects.count() == 0


def test_protected_list_is_hidden_from_investigators(home, users):
    imp = import_text(
        "list-a.csv", LISTS["list-a.csv"], users["administrator"], "Secret list",
        level=Level.PROTECTED,
    )  # fmt: skip
    investigator = client_for(users["investigator"])
    assert investigator.get(f"/linkage/imports/{imp.uid}/").status_code == 404
    assert "Secret list" not in investigator.get("/linkage/").content.decode()
    assert "Secret list" not in investigator.get("/linkage/runs/new/").content.decode()
    admin = client_for(users["administrator"])
    assert admin.get(f"/linkage/imports/{imp.uid}/").status_code == 200
    # a protected level cannot even be chosen by an investigator
    page = investigator.get("/linkage/imports/new/")
    assert page.status_code == 200


def test_review_judge_and_cluster_pages(home, users):
    user = users["investigator"]
    client = client_for(user)
    run, rows = hand_run(user, [("1", "b1", 0.99), ("2", "b2", 0.6)])
    page = client.get(f"/linkage/runs/{run.uid}/review/")
    text = page.content.decode()
    assert page.status_code == 200 and "1 pair left" in text
    assert "حسن کریمی" in text and "Hassan Karimi" in text and "Same person" in text
    pair = run.pairs.get(probability=0.6)
    response = client.post(f"/linkage/runs/{run.uid}/pairs/{pair.pk}/judge/", {"decision": "accept"})  # fmt: skip
    assert response.status_code == 302
    assert (
        "Nothing left to review" in client.get(f"/linkage/runs/{run.uid}/review/").content.decode()
    )
    cluster = client.get(f"/linkage/runs/{run.uid}/clusters/{rows['2'].pk}/")
    assert cluster.status_code == 200 and "Hassan Karimi" in cluster.content.decode()
    assert client.get(f"/linkage/runs/{run.uid}/clusters/").status_code == 200
    response = client.post(f"/linkage/runs/{run.uid}/clusters/{rows['b2'].pk}/split/", {"reason": "no"})  # fmt: skip
    assert response.status_code == 302
    response = client.post(f"/linkage/runs/{run.uid}/people/")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "created" in page
    assert client.get(f"/linkage/runs/{run.uid}/status/").status_code == 200
