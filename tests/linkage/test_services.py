"""The linkage app's rules (``dadkhah.linkage.services``): imports are all or nothing,
judgements and cluster decisions are append-only and reversible, people are made once.

Most tests build a run by hand (rows, scored pairs, clusters) so they test this module and
not the model; ``test_four_lists_end_to_end`` runs the real model on four tiny lists."""

from __future__ import annotations

import io
from typing import Any

import pytest

from dadkhah.core.confidentiality import Level
from dadkhah.linkage import services
from dadkhah.linkage.models import (
    ClusterDecision,
    ClusterMember,
    Judgement,
    LinkageRun,
    ListImport,
    ListRow,
    PairResult,
    PersonLink,
)
from dadkhah.linkage.prepare import unique_id
from dadkhah.records.models import Citation, Claim, Event, Participation, Person, Source

pytestmark = pytest.mark.django_db

HEADER = "record_id,full_name,father_name,birth_year,gender,city,prison,death_date\n"
# Four tiny synthetic lists: the same people written in Persian, in Latin transliterations,
# with Arabic letter forms, missing fields and either calendar. None of them is real.
LISTS: dict[str, str] = {
    "list-a.csv": HEADER
    + "1,محمد رضایی,علی,1340,مرد,تهران,اوین,1367/05/23\n"
    + "2,حسن کریمی,احمد,1335,مرد,مشهد,وکیل آباد,1367/06\n"
    + "3,پروین علیزاده,حسن,1343,زن,تهران,اوین,1367/05/10\n"
    + "4,بهرام صادق پور,احمد,1340,مرد,رشت,گوهردشت,1367/05/10\n"
    + "5,کامران رستمی,محمود,1338,مرد,تبریز,گوهردشت,1367/05\n"
    + "6,زهرا احمدی,رضا,1345,زن,شیراز,عادل آباد,1367\n",
    "list-b.csv": "id,name,father,born,sex,city,prison,executed\n"
    + "b1,Mohammad Rezaei,Ali,1961,m,Tehran,Evin,1988-08-14\n"
    + "b2,Hassan Karimi,Ahmad,1956,m,Mashhad,Vakilabad,September 1988\n"
    + "b3,Parvin Alizadeh,Hassan,1964,f,Tehran,Evin,1988-08-01\n"
    + "b4,Bahram Sadeghpour,Ahmad,1961,m,Rasht,Gohardasht,1988-08-01\n"
    + "b7,Ali Mousavi,Hossein,1960,m,Karaj,Gohardasht,August 1988\n",
    "list-c.csv": HEADER
    + "c1,Mohammad Rezaee,,1962,male,Teheran,Evin,\n"
    + "c2,Kamran Rostami,Mahmoud,1959,male,Tabriz,Gohardasht,August 1988\n"
    + "c3,Zahra Ahmadi,Reza,,female,Shiraz,Adelabad,1988\n"
    + "c4,Ali Musavi,,1961,male,,Gohardasht,\n"
    + "c5,Hasan Karimy,,,male,Mashhad,,\n",
    "list-d.csv": HEADER
    + "d1,محمد رضائي,علي,,,طهران,,\n"
    + "d2,بهرام صادقپور,,۱۳۴۰,,,گوهردشت,\n"
    + "d3,پروين عليزاده,,,زن,,,\n"
    + "d4,کامران رستمي,,1338,,,,\n"
    + "d5,ناصر محمدی,جواد,1330,مرد,اهواز,کارون,1367/05\n",
}


def upload(name: str, text: str, user: Any, encoding: str = "utf-8") -> ListImport:
    return services.receive_upload(io.BytesIO(text.encode(encoding)), name, user)


def import_text(
    name: str, text: str, user: Any, list_name: str, on_error: str = "stop", **kw: Any
) -> ListImport:
    imp = upload(name, text, user)
    services.import_list(
        imp,
        name=list_name,
        compiled_by=kw.get("compiled_by", "A synthetic family network"),
        compiled_when=kw.get("compiled_when", "1369"),
        method="Synthetic: invented for tests",
        confidentiality=kw.get("level", Level.INTERNAL),
        on_error=on_error,
        user=user,
    )
    imp.refresh_from_db()
    return imp


def import_four(user: Any) -> list[ListImport]:
    return [
        import_text(name, text, user, f"List {name[5].upper()}") for name, text in LISTS.items()
    ]


# ------------------------------------------------------------------ import


def test_upload_keeps_a_draft_with_guessed_mapping_and_encoding(home, users):
    text = LISTS["list-b.csv"]
    imp = upload("list-b.csv", text, users["investigator"], encoding="cp1256")
    assert imp.status == "draft"
    assert imp.encoding == "utf-8"  # ASCII only: valid UTF-8
    assert imp.mapping["full_name"] == "name" and imp.mapping["record_id"] == "id"
    assert services.stored_file(imp).read_bytes() == text.encode()
    arabic_forms = LISTS["list-a.csv"].replace("ی", "ي")  # as Windows-1256 files write it
    persian = upload("list-a.csv", arabic_forms, users["investigator"], "cp1256")
    assert persian.encoding == "cp1256"
    assert services.read_preview(persian).rows[0][1] == "محمد رضايي"


def test_unreadable_upload_is_refused_and_names_the_file(home, users):
    with pytest.raises(services.ImportRefused) as caught:
        upload("empty.csv", "", users["investigator"])
    assert "empty.csv" in str(caught.value)
    assert str(home) not in str(caught.value)  # the user's name, not where it is kept
    with pytest.raises(services.ImportRefused, match="not a CSV"):
        upload("notes.pdf", "%PDF", users["investigator"])
    assert ListImport.objects.count() == 0


def test_import_creates_source_and_rows(home, users):
    imp = import_text("list-a.csv", LISTS["list-a.csv"], users["investigator"], "List A")
    assert imp.status == "imported" and imp.row_count == 6
    source = imp.source
    assert source.kind == "list" and source.title == "List A"
    assert "A synthetic family network" in source.citation and imp.sha256 in source.citation
    assert source.published["calendar"] == "solar_hijri"
    rows = list(imp.rows.order_by("line"))
    assert [r.line for r in rows] == [2, 3, 4, 5, 6, 7]
    assert rows[0].full_name == "محمد رضایی" and rows[0].death_date == "1367/05/23"
    assert rows[0].list_name == "List A"


BAD = HEADER + "1,Ali Rezaei,,13x7,m,,,\n" + "2,Reza Alavi,,1340,m,,,\n" + "3,Hamid Nouri,,,q,,,\n"


def test_stop_import_is_all_or_nothing_and_names_line_and_field(home, users):
    imp = upload("bad.csv", BAD, users["investigator"])
    with pytest.raises(services.ImportRefused) as caught:
        services.import_list(
            imp, name="Bad", compiled_by="x", compiled_when="", method="m",
            confidentiality=Level.INTERNAL, on_error="stop", user=users["investigator"],
        )  # fmt: skip
    problems = caught.value.problems
    assert any("bad.csv, line 2, field birth_year" in p for p in problems), problems
    assert any("line 4, field gender" in p for p in problems), problems
    assert ListRow.objects.count() == 0 and Source.objects.count() == 0
    imp.refresh_from_db()
    assert imp.status == "draft"


def test_report_import_keeps_rows_and_the_report(home, users):
    imp = import_text("bad.csv", BAD, users["investigator"], "Bad", on_error="report")
    assert imp.row_count == 3
    assert {(p["line"], p["field"]) for p in imp.problems} == {(2, "birth_year"), (4, "gender")}
    row = imp.rows.get(record_id="1")
    assert row.birth_year is None  # emptied, and reported


def test_import_fails_atomically_when_a_row_cannot_be_stored(home, users, monkeypatch):
    imp = upload("list-a.csv", LISTS["list-a.csv"], users["investigator"])
    real = ListRow.objects.bulk_create

    def broken(rows: Any, **kw: Any) -> Any:
        real(list(rows)[:2], **kw)
        raise RuntimeError("disk full")

    monkeypatch.setattr(ListRow.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        services.import_list(
            imp, name="List A", compiled_by="x", compiled_when="", method="m",
            confidentiality=Level.INTERNAL, on_error="stop", user=users["investigator"],
        )  # fmt: skip
    assert ListRow.objects.count() == 0 and Source.objects.count() == 0


def test_duplicate_list_name_is_refused(home, users):
    import_text("list-a.csv", LISTS["list-a.csv"], users["investigator"], "List A")
    with pytest.raises(services.ImportRefused, match="named 'List A'"):
        import_text("list-c.csv", LISTS["list-c.csv"], users["investigator"], "List A")


# ------------------------------------------------------------------ a run built by hand


def hand_run(user: Any, pairs: list[tuple[str, str, float]], threshold: float = 0.9) -> Any:
    """Lists A and B imported, a done run whose scored pairs are ``pairs`` of record ids
    ("1", "b1"...) and whose clusters are what clustering makes of them."""
    from dadkhah.linkage import cluster

    imports = [
        import_text("list-a.csv", LISTS["list-a.csv"], user, "List A"),
        import_text("list-b.csv", LISTS["list-b.csv"], user, "List B"),
    ]
    run = services.start_run(imports, threshold=threshold, user=user, enqueue=False)
    rows = {r.record_id: r for r in ListRow.objects.all()}
    uid = {k: unique_id(r.list_name, r.record_id) for k, r in rows.items()}
    PairResult.objects.bulk_create(
        PairResult(run=run, row_l=rows[a], row_r=rows[b], probability=p, weight=0.0,
                   comparisons=[{"name": "name", "gamma": 2, "bf": 8.0, "weight": 3.0}])
        for a, b, p in pairs
    )  # fmt: skip
    found = cluster.clusters(list(uid.values()), [(uid[a], uid[b], p) for a, b, p in pairs], threshold)  # fmt: skip
    ClusterMember.objects.bulk_create(
        ClusterMember(run=run, row=rows[k], unique_id=uid[k], cluster_key=found[uid[k]][0],
                      weakest=found[uid[k]][1])
        for k in rows
    )  # fmt: skip
    LinkageRun.objects.filter(pk=run.pk).update(status="done", progress=100)
    run.refresh_from_db()
    return run, rows


def partition(run: LinkageRun) -> set[frozenset[str]]:
    return {frozenset(r.record_id for r in c.rows) for c in services.current_clusters(run)}


def test_judgements_are_append_only_and_the_latest_counts(home, users):
    user = users["investigator"]
    run, rows = hand_run(user, [("1", "b1", 0.99), ("2", "b2", 0.6)])
    assert [p.probability for p in services.review_queue(run)] == [0.6]
    first = services.judge(rows["2"], rows["b2"], "reject", user=user, note="different fathers?")
    assert services.review_queue(run) == []
    assert frozenset({"2", "b2"}) not in partition(run)
    later = services.judge(rows["b2"], rows["2"], "accept", user=user, note="same father after all")
    assert Judgement.objects.count() == 2  # nothing overwritten
    assert Judgement.objects.get(pk=first.pk).decision == "reject"
    assert later.row_l_id < later.row_r_id  # stored in one order whatever the order given
    assert frozenset({"2", "b2"}) in partition(run)
    # a skip records who looked, moves the pair to the back, and does not undo the accept
    services.judge(rows["2"], rows["b2"], "skip", user=user)
    assert services.effective_links()[(later.row_l_id, later.row_r_id)] is True
    assert frozenset({"2", "b2"}) in partition(run)


def test_skipped_pairs_come_last_in_the_queue(home, users):
    user = users["investigator"]
    run, rows = hand_run(user, [("1", "b1", 0.5), ("2", "b2", 0.6), ("3", "b3", 0.9)])
    assert [p.row_l.record_id for p in services.review_queue(run)] == ["1", "2", "3"]
    services.judge(rows["1"], rows["b1"], "skip", user=user)
    assert [p.row_l.record_id for p in services.review_queue(run)] == ["2", "3", "1"]


def test_merge_and_split_are_reversible_and_audited(home, users):
    user = users["investigator"]
    run, rows = hand_run(user, [("1", "b1", 0.99), ("2", "b2", 0.4)])
    before = partition(run)
    assert frozenset({"1", "b1"}) in before and frozenset({"2"}) in before

    merged = services.merge(rows["2"], rows["b2"], reason="same photo", user=user, run=run)
    assert frozenset({"2", "b2"}) in partition(run)
    services.undo(merged, reason="photo was of his brother", user=user)
    assert partition(run) == before

    cut = services.split(rows["b1"], reason="different birth town", user=user, run=run)
    assert frozenset({"1"}) in partition(run) and frozenset({"b1"}) in partition(run)
    with pytest.raises(ValueError, match="alone"):
        services.split(rows["b1"], reason="again", user=user, run=run)
    services.undo(cut, reason="town was misread", user=user)
    assert partition(run) == before
    with pytest.raises(ValueError, match="undone already"):
        services.undo(cut, reason="twice", user=user)

    assert ClusterDecision.objects.count() == 4  # two decisions, two undos; none deleted
    audit = services.cluster_audit([rows["b1"].pk])
    assert [(e["obj"].action, e["undone"]) for e in audit] == [("split", True), ("undo", False)]
    assert all(e["obj"].created_by == user and e["obj"].reason for e in audit)


def test_people_are_made_once_and_updated(home, users):
    user = users["investigator"]
    run, rows = hand_run(user, [("1", "b1", 0.99), ("2", "b2", 0.6)])
    summary = services.make_people(run, user)
    assert summary.unreviewed == 2  # 2 and b2 wait for review; their clusters are left out
    assert len(summary.created) == 11 - 1 - 2  # 11 rows, 1+b1 together, 2 and b2 unreviewed
    person = services.person_of(rows["1"])
    assert person is not None and services.person_of(rows["b1"]) == person
    names = {c.value["text"]: c for c in person.claims().filter(prop="name")}
    assert set(names) == {"محمد رضایی", "Mohammad Rezaei"}
    cite = names["Mohammad Rezaei"].citations.get()
    assert cite.source == rows["b1"].list_import.source and cite.page == "line 2"
    assert person.claims().filter(prop="birth_date").count() == 2  # 1340 (SH) and 1961
    assert {c.value for c in person.claims().filter(prop="gender")} == {"male"}
    execution = Participation.objects.get(person=person).event
    assert execution.event_type == "execution"
    (date,) = execution.claims().filter(prop="date")  # 1367/05/23 is 1988-08-14: one claim
    assert date.value["start"] == "1988-08-14"
    assert {c.source.title for c in date.citations.all()} == {"List A", "List B"}

    counts = (Person.objects.count(), Claim.objects.count(), Citation.objects.count())
    again = services.make_people(run, user)
    assert again.created == [] and again.updated == [] and again.claims == 0
    assert (Person.objects.count(), Claim.objects.count(), Citation.objects.count()) == counts

    services.judge(rows["2"], rows["b2"], "accept", user=user)
    third = services.make_people(run, user)
    assert len(third.created) == 1 and third.unreviewed == 0
    assert services.person_of(rows["2"]) == services.person_of(rows["b2"])
    assert Event.objects.count() == Person.objects.count() - 0  # everyone here has a death date


def test_a_row_split_out_after_people_were_made_moves_to_its_own_person(home, users):
    user = users["investigator"]
    run, rows = hand_run(user, [("1", "b1", 0.99)])
    services.make_people(run, user)
    person = services.person_of(rows["1"])
    services.split(rows["b1"], reason="not him", user=user, run=run)
    summary = services.make_people(run, user)
    assert len(summary.created) == 1 and summary.retracted > 0
    moved = services.person_of(rows["b1"])
    assert moved != person and services.person_of(rows["1"]) == person
    shown = claim_texts(person)
    assert "Mohammad Rezaei" not in shown and "محمد رضایی" in shown
    assert PersonLink.objects.filter(person=person).count() == 1


def claim_texts(person: Person) -> set[str]:
    return {
        c.value["text"]
        for c in person.claims().filter(prop="name")
        if c.citations.filter(retracted_at=None).exists()
    }


# ------------------------------------------------------------------ the real model


def test_four_lists_end_to_end(home, users):
    user = users["investigator"]
    imports = import_four(user)
    run = services.start_run(imports, threshold=0.9, user=user, enqueue=False)
    services.execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == "done", run.error
    assert run.records == 21 and run.comparisons > 0
    found = partition(run)
    # Mohammad Rezaei in all four lists, across scripts and Arabic letter forms
    assert frozenset({"1", "b1", "c1", "d1"}) in found, found
    assert frozenset({"d5"}) in found  # Naser Mohammadi is on one list only
    pair = PairResult.objects.filter(run=run).first()
    assert pair is not None and {c["name"] for c in pair.comparisons} >= {"name", "birth_year"}
    queue = services.review_queue(run)
    assert queue and all(run.review_low <= p.probability <= run.review_high for p in queue)
    for p in queue:
        services.judge(p.row_l, p.row_r, "accept" if p.probability > 0.7 else "reject", user=user, run=run)  # fmt: skip
    summary = services.make_people(run, user)
    assert summary.unreviewed == 0
    assert Person.objects.count() == len(partition(run))
    second = services.start_run(imports, threshold=0.9, user=user, enqueue=False)
    services.execute_run(second.pk)
    second.refresh_from_db()
    assert second.status == "done" and second.judgements_used == len(queue)
    assert services.review_queue(second) == []  # everything uncertain was judged
