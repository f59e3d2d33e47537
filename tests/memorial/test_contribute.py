"""The public contribution form: a real solved challenge takes a submission into the vault
and the review queue; everything refused stores nothing; nothing of it is ever public;
the staff review is audited."""

from __future__ import annotations

import dataclasses
import html
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dadkhah.core.confidentiality import Level
from dadkhah.core.pow import Challenge, Solution, solve
from dadkhah.memorial.contributions import Contribution, RateHit, SpentChallenge
from dadkhah.memorial.publication import PublicationInput, publish
from dadkhah.records.models import Person
from dadkhah.vault import services
from dadkhah.vault.models import Item, LedgerEntry, Receipt
from tests.factories import PASSWORD, make_place, make_source, make_victim

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.77"
NAME = "Maryam Testcontributor"
CONTACT = "maryam.test@example.org"
TEXT = "My uncle was taken from Evin in Mordad 1367. Synthetic test account."
ABOUT = "Synthetic Uncle Testname"


@pytest.fixture
def home(settings: Any, tmp_path: Path) -> Path:
    """A throwaway DADKHAH_HOME, an easy check and small limits."""
    settings.CONFIG = dataclasses.replace(
        settings.CONFIG,
        home=tmp_path,
        blobs="",
        s3_endpoint="",
        pow_max_number=400,
        contribute_max_file_mb=1,
        contribute_max_files=3,
        contribute_rate=(50, 600),
        contact="contact@example.org",
    )
    return tmp_path


@pytest.fixture
def victim(users: dict[str, Any]) -> Person:
    source = make_source("src-contrib")
    evin = make_place("Evin Prison", "زندان اوین", source, "prison")
    person = make_victim(("Nasrin Jafari", "نسرین جعفری"), source, prison=evin)
    story = PublicationInput(narrative_en="Synthetic narrative.", narrative_fa="روایت ساختگی.")
    publish(person, story, users["reviewer"])
    return person


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 120, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def _client() -> Client:
    return Client(REMOTE_ADDR=ADDRESS)


def _solution(client: Client, lang: str = "en") -> tuple[str, str]:
    """Open the form as a browser does, solve its challenge; returns (page, payload)."""
    page = client.get(f"/{lang}/contribute/").content.decode()
    raw = re.search(r'data-pow-challenge="([^"]+)"', page)
    assert raw is not None
    data = json.loads(html.unescape(raw.group(1)))
    challenge = Challenge(
        data["algorithm"], data["challenge"], data["maxnumber"], data["salt"], data["signature"]
    )
    found = solve(challenge)
    assert found is not None
    return page, found.payload()


def _post(client: Client, payload: str, files: list[Any] | None = None, **fields: Any) -> Any:
    data: dict[str, Any] = {"text": TEXT, "about_name": ABOUT, "named": "anonymous", "pow": payload}
    data.update(fields)
    if files:
        data["files"] = files
    return client.post("/en/contribute/", data)


def _nothing_stored() -> None:
    assert Contribution.objects.count() == 0
    assert Item.objects.count() == 0
    assert LedgerEntry.objects.count() == 0
    assert SpentChallenge.objects.count() == 0


def test_the_form_says_what_is_stored_and_works_without_javascript(home: Path) -> None:
    for lang, words in (
        ("en", ["Before you write: your safety", "metadata", "This form needs JavaScript"]),
        ("fa", ["پیش از نوشتن: امنیت شما", "فراداده", "این فرم به جاوااسکریپت نیاز دارد"]),
    ):
        page = _client().get(f"/{lang}/contribute/").content.decode()
        for word in words:
            assert word in page, (lang, word)
        assert "<noscript>" in page and "contact@example.org" in page
        assert page.index('<h2 id="safety-heading">') < page.index('<form class="contribute"')
        assert "memorial/pow.js" in page


def test_a_full_submission_goes_to_the_vault_and_the_queue(home: Path, victim: Person) -> None:
    client = _client()
    _, payload = _solution(client)
    photo = SimpleUploadedFile("uncle.png", _png(), content_type="image/png")
    letter = SimpleUploadedFile("letter.txt", "نامه‌ی زندان\n".encode(), content_type="text/plain")
    response = _post(
        client,
        payload,
        [photo, letter],
        victim=victim.uid,
        name=NAME,
        contact=CONTACT,
        contact_consent="on",
        named="named",
    )
    assert response.status_code == 303 and response["Location"] == "/en/contribute/thanks/"
    contribution = Contribution.objects.get()
    assert contribution.status == "pending" and contribution.victim == victim
    assert contribution.named and contribution.contact_consent
    assert contribution.level == Level.RESTRICTED
    links = list(contribution.file_links.order_by("position"))
    assert [f.sent_name for f in links] == ["uncle.png", "letter.txt"]
    assert [f.item.mime for f in links] == ["image/png", "text/plain"]
    for item in [f.item for f in links] + [contribution.record_item]:
        assert item.confidentiality == int(Level.RESTRICTED) and item.encrypted
    identity_item = contribution.identity_item
    assert identity_item is not None
    assert identity_item.confidentiality == int(Level.PROTECTED) and identity_item.encrypted
    # hashed: each item's stored bytes hash to its sha256, and each has an ingest entry
    assert services.open_item(links[0].item).read() == _png()
    entries = LedgerEntry.objects.filter(event="ingest")
    assert entries.count() == 4
    assert {r.collector for r in Receipt.objects.all()} == {"public contribution"}
    # the canonical record holds the form, not the identity
    record = json.loads(services.open_item(contribution.record_item).read())
    assert record["text"] == TEXT and record["victim"] == victim.uid
    assert record["about_name"] == ABOUT
    assert [f["sha256"] for f in record["files"]] == [f.item.sha256 for f in links]
    assert record["identity_sha256"] == identity_item.sha256
    identity = json.loads(services.open_item(identity_item).read())
    assert identity["name"] == NAME and identity["contact"] == CONTACT
    # no plaintext identity and no address anywhere in the database's text
    dumps = [json.dumps(record)]
    dumps += [e.body for e in LedgerEntry.objects.all()]
    dumps += [r.record for r in Receipt.objects.all()]
    dumps += [json.dumps(list(Contribution.objects.values()), default=str)]
    dumps += [json.dumps(list(Contribution.history.values()), default=str)]
    dumps += [json.dumps(list(RateHit.objects.values()), default=str)]
    for text in dumps:
        assert NAME not in text and CONTACT not in text and ADDRESS not in text
    assert RateHit.objects.count() == 1
    assert SpentChallenge.objects.count() == 1


def test_the_thanks_page_names_the_other_route(home: Path) -> None:
    page = _client().get("/fa/contribute/thanks/").content.decode()
    assert "سپاس" in page and "contact@example.org" in page


@pytest.mark.parametrize("case", ["missing", "wrong", "tampered", "garbage"])
def test_without_a_valid_answer_nothing_is_stored(home: Path, case: str) -> None:
    client = _client()
    _, payload = _solution(client)
    solution = Solution.from_payload(payload)
    if case == "missing":
        payload = ""
    elif case == "wrong":
        payload = dataclasses.replace(solution, number=solution.number + 1).payload()
    elif case == "tampered":
        payload = dataclasses.replace(solution, signature="0" * 64).payload()
    else:
        payload = "e30="  # {}
    photo = SimpleUploadedFile("uncle.png", _png(), content_type="image/png")
    response = _post(client, payload, [photo])
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was kept" in page and "automatic check" in page
    _nothing_stored()


def test_a_replayed_answer_is_refused(home: Path) -> None:
    client = _client()
    _, payload = _solution(client)
    assert _post(client, payload).status_code == 303
    items, entries = Item.objects.count(), LedgerEntry.objects.count()
    response = _post(client, payload, text="A second, replayed submission.")
    assert response.status_code == 400 and "automatic check failed" in response.content.decode()
    assert Contribution.objects.count() == 1
    assert (Item.objects.count(), LedgerEntry.objects.count()) == (items, entries)


def test_an_oversize_or_unaccepted_file_is_named_and_nothing_is_stored(home: Path) -> None:
    client = _client()
    _, payload = _solution(client)
    big = SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n" + b"0" * 1_100_000)
    archive = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.txt", "hello")
    zipped = SimpleUploadedFile("photos.zip", archive.getvalue())
    empty = SimpleUploadedFile("empty.jpg", b"")
    response = _post(client, payload, [big, zipped, empty])
    assert response.status_code == 400
    page = html.unescape(response.content.decode()).replace("\u2068", "").replace("\u2069", "")
    assert "scan.pdf: the file is too large (1.1 MB; at most 1 MB)" in page
    assert "photos.zip: this kind of file (application/zip) is not accepted" in page
    assert "empty.jpg: the file is empty" in page
    _nothing_stored()
    # the same answer still works once the files are fixed: a refusal does not spend it
    assert _post(client, payload).status_code == 303


def test_too_many_files_or_a_huge_request_is_refused(home: Path) -> None:
    client = _client()
    _, payload = _solution(client)
    files = [SimpleUploadedFile(f"p{n}.png", _png()) for n in range(4)]
    response = _post(client, payload, files)
    assert response.status_code == 400
    assert "Too many files: 4 sent, at most 3." in html.unescape(response.content.decode())
    # a body larger than every file at its largest is refused before it is read
    response = client.generic(
        "POST",
        "/en/contribute/",
        b"x" * 10,
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(5 * 1_000_000),
    )
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    _nothing_stored()


def test_form_rules_name_the_field(home: Path) -> None:
    client = _client()
    _, payload = _solution(client)
    cases = [
        ({"named": "named"}, "To be named, write your name"),
        ({"contact": CONTACT}, "Tick the box if we may contact you"),
        ({"contact_consent": "on"}, "Write how we may reach you"),
        ({"text": ""}, "Write what you know, or attach a file."),
        ({"victim": "person-nope"}, "no victim&#x27;s page with this id"),
    ]
    for fields, message in cases:
        response = _post(client, payload, **fields)
        assert response.status_code == 400, fields
        assert message.replace("&#x27;", "'") in html.unescape(response.content.decode()), fields
    _nothing_stored()


def test_an_unpublished_person_cannot_be_linked(home: Path) -> None:
    hidden = make_victim(("Davood Moradi",), make_source("src-hidden"))  # never published
    client = _client()
    page = client.get(f"/en/contribute/?victim={hidden.uid}").content.decode()
    assert f'value="{hidden.uid}"' not in page and "Davood" not in page  # not linked
    _, payload = _solution(client)
    assert _post(client, payload, victim=hidden.uid).status_code == 400
    _nothing_stored()


def test_over_the_rate_limit_the_answer_is_the_same_and_nothing_is_stored(
    home: Path, settings: Any
) -> None:
    settings.CONFIG = dataclasses.replace(settings.CONFIG, contribute_rate=(1, 600))
    client = _client()
    _, first = _solution(client)
    ok = _post(client, first)
    _, second = _solution(client)
    limited = _post(client, second, text="Second submission from the same address.")
    assert (ok.status_code, ok["Location"]) == (limited.status_code, limited["Location"])
    assert Contribution.objects.count() == 1
    # another address is not affected
    other = Client(REMOTE_ADDR="198.51.100.5")
    _, third = _solution(other)
    assert _post(other, third).status_code == 303
    assert Contribution.objects.count() == 2
    keys = set(RateHit.objects.values_list("key", flat=True))
    assert len(keys) == 2 and all(re.fullmatch(r"[0-9a-f]{64}", k) for k in keys)


def test_public_pages_never_show_a_contribution(
    home: Path, victim: Person, users: dict[str, Any]
) -> None:
    client = _client()
    _, payload = _solution(client)
    photo = SimpleUploadedFile("secret-uncle.png", _png())
    assert (
        _post(client, payload, [photo], victim=victim.uid, name=NAME, named="named").status_code
        == 303
    )
    contribution = Contribution.objects.get()
    item = contribution.file_links.get().item
    from dadkhah.memorial.contributions_review import accept

    accept(contribution, users["administrator"], [victim.uid], "informs the page")
    secrets_ = [TEXT, ABOUT, NAME, "secret-uncle", contribution.uid, item.uid, item.sha256]
    urls = ["/sitemap.xml", "/robots.txt"]
    for lang in ("en", "fa"):
        urls += [
            f"/{lang}/",
            f"/{lang}/victims/",
            f"/{lang}/victims/?q=Synthetic",
            f"/{lang}/victims/{victim.uid}/",
            f"/{lang}/about/",
            f"/{lang}/map/",
            f"/{lang}/map/places.geojson",
            f"/{lang}/timeline/",
            f"/{lang}/count/",
            f"/{lang}/contribute/",
            f"/{lang}/contribute/thanks/",
        ]
    visitor = Client()
    for url in urls:
        response = visitor.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        for secret in secrets_:
            assert secret not in page, (url, secret)
    # the vault's own pages are closed to visitors
    assert visitor.get(f"/vault/items/{item.uid}/").status_code in (302, 403, 404)
    assert visitor.get(f"/en/map/images/{item.uid}/").status_code == 404


def _staff(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_review_accept_and_reject_are_audited(
    home: Path, victim: Person, users: dict[str, Any]
) -> None:
    client = _client()
    for text in ("First synthetic account.", "Second synthetic account."):
        _, payload = _solution(client)
        assert _post(client, payload, text=text, name=NAME, named="named").status_code == 303
    first, second = Contribution.objects.order_by("received_at", "id")
    queue = "/memorial/review/contributions/"
    assert Client().get(queue).status_code == 302  # to the login page
    assert _staff(users["reviewer"]).get(queue).status_code == 403  # internal clearance only
    investigator = _staff(users["investigator"])
    page = investigator.get(queue).content.decode()
    assert first.uid in page and second.uid in page and NAME not in page
    detail = investigator.get(f"{queue}{first.uid}/").content.decode()
    assert "First synthetic account." in detail and NAME not in detail
    assert "Protected: only administrators" in detail
    # an investigator may not reveal the identity
    response = investigator.post(f"{queue}{first.uid}/", {"action": "reveal"})
    assert response.status_code == 400 and NAME not in response.content.decode()
    # accept needs a record; an unknown one is named
    response = investigator.post(
        f"{queue}{first.uid}/", {"action": "accept", "records": "person-nope"}
    )
    assert response.status_code == 400 and "no record with id &#x27;person-nope&#x27;" in (
        response.content.decode()
    )
    response = investigator.post(
        f"{queue}{first.uid}/",
        {"action": "accept", "records": victim.uid, "reason": "confirms the date"},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == "accepted" and first.decided_by == users["investigator"]
    assert first.linked_records == [{"kind": "person", "uid": victim.uid}]
    # reject needs a reason; a decision is final
    response = investigator.post(f"{queue}{second.uid}/", {"action": "reject", "reason": ""})
    assert response.status_code == 400
    admin = _staff(users["administrator"])
    response = admin.post(f"{queue}{second.uid}/", {"action": "reject", "reason": "duplicate"})
    assert response.status_code == 302
    response = admin.post(f"{queue}{second.uid}/", {"action": "accept", "records": victim.uid})
    assert response.status_code == 400 and "a decision is final" in response.content.decode()
    second.refresh_from_db()
    assert second.status == "rejected" and second.decision_reason == "duplicate"
    history = list(second.history.order_by("history_date", "history_id"))
    assert [h.status for h in history] == ["pending", "rejected"]
    assert history[-1].history_user == users["administrator"]
    assert history[-1].history_change_reason == "rejected: duplicate"
    assert first.history.latest("history_date").history_change_reason == (
        "accepted: confirms the date"
    )
    # an administrator reveals the identity; the reveal is a ledger entry
    views = LedgerEntry.objects.filter(event="view").count()
    refused = admin.post(f"{queue}{second.uid}/", {"action": "reveal"})
    assert refused.status_code == 400 and NAME not in refused.content.decode()  # no reason
    response = admin.post(
        f"{queue}{second.uid}/", {"action": "reveal", "reveal_reason": "to ask a follow-up"}
    )
    assert response.status_code == 200 and NAME in response.content.decode()
    assert LedgerEntry.objects.filter(event="view").count() == views + 1
    # accepting published nothing
    assert (
        "Second synthetic account."
        not in Client().get(f"/en/victims/{victim.uid}/").content.decode()
    )


def test_address_hashes_and_spent_answers_are_purged(home: Path) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from dadkhah.memorial import contribute
    from dadkhah.memorial.tasks import purge_contribution_traces

    client = _client()
    _, payload = _solution(client)
    assert _post(client, payload).status_code == 303
    limit = contribute.limits()
    now = timezone.now()
    assert contribute.purge(now, limit) == (0, 0)  # both still within their time
    assert contribute.purge(now + limit.rate_window + timedelta(seconds=1), limit) == (1, 0)
    assert RateHit.objects.count() == 0 and SpentChallenge.objects.count() == 1
    SpentChallenge.objects.update(expires_at=now - timedelta(seconds=1))
    purge_contribution_traces.call_local()  # what the consumer runs every 10 minutes
    assert SpentChallenge.objects.count() == 0
