"""`dadkhah link` end to end: list files in, CLUSTERS.csv out, and `dadkhah estimate` on it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dadkhah.cli import main
from dadkhah.linkage import DEFAULT_THRESHOLD
from dadkhah.linkage.run import OUTPUT_COLUMNS
from tests.linkage.test_model import SEED, generate, pair_scores

FIELDS = (
    "record_id",
    "list",
    "full_name",
    "father_name",
    "birth_year",
    "gender",
    "city",
    "prison",
    "death_date",
)


def write_lists(rows: list[dict[str, str]], directory: Path) -> list[Path]:
    """One file per list: the first UTF-8, the Persian one UTF-16, the others UTF-8 with BOM."""
    paths = []
    names = sorted({row["list"] for row in rows})
    for i, name in enumerate(names):
        path = directory / f"{name}.csv"
        encoding = ("utf-8", "utf-16", "utf-8-sig")[i % 3]
        with path.open("w", encoding=encoding, newline="") as fh:
            writer = csv.DictWriter(fh, FIELDS)
            writer.writeheader()
            writer.writerows(row for row in rows if row["list"] == name)
        paths.append(path)
    return paths


def read_out(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == OUTPUT_COLUMNS
        return list(reader)


def invoke(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_link_lists_and_estimate_on_the_output(tmp_path: Path) -> None:
    print(f"seed {SEED}")  # noqa: T201 - replay a failure with this seed
    rows, truth = generate(people=150, lists=3, seed=SEED)
    paths = write_lists(rows, tmp_path)
    out = tmp_path / "clusters.csv"
    result = invoke("link", *map(str, paths), "--out", str(out), "--json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    summary = json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[attr-defined]
    assert summary["records"] == len(rows)
    assert summary["lists"] == {
        name: sum(r["list"] == name for r in rows) for name in ("list1", "list2", "list3")
    }
    assert summary["problems"] == [] and summary["qualified_ids"] is False
    linked = read_out(out)
    assert sorted(r["record_id"] for r in linked) == sorted(r["record_id"] for r in rows)
    assert summary["clusters"] == len({r["cluster_id"] for r in linked})
    by_id = {r["record_id"]: r for r in rows}
    found = {r["record_id"]: r["cluster_id"] for r in linked}
    true = {rid: truth[(by_id[rid]["list"], rid)] for rid in found}
    precision, recall = pair_scores(found, true)
    print(f"P={precision:.3f} R={recall:.3f}")  # noqa: T201 - measured, shown with -s
    assert precision >= 0.98 and recall >= 0.88
    for r in linked:
        assert DEFAULT_THRESHOLD <= float(r["match_probability"]) <= 1.0
        assert found[r["cluster_id"]] == r["cluster_id"]  # a cluster id is one of its records

    # the contract: `dadkhah estimate` accepts the output joined with `list`
    joined = tmp_path / "joined.csv"
    with joined.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([*OUTPUT_COLUMNS, "list"])
        for r in linked:
            writer.writerow([*(r[c] for c in OUTPUT_COLUMNS), by_id[r["record_id"]]["list"]])
    estimated = invoke("estimate", str(joined), "--method", "loglinear", "--json")
    assert estimated.exit_code == 0, estimated.output  # type: ignore[attr-defined]
    estimates = [json.loads(line) for line in estimated.stdout.splitlines()]  # type: ignore[attr-defined]
    assert estimates
    assert all(e["observed"] == summary["clusters"] for e in estimates)


def test_repeated_record_ids_across_lists_are_qualified(tmp_path: Path) -> None:
    rows, _ = generate(people=30, lists=2, seed=SEED + 2)
    for row in rows:  # both lists number their records 1, 2, 3...
        row["record_id"] = row["record_id"].split("-")[0][:1] + row["record_id"].split("-")[1]
    counters: dict[str, int] = {}
    for row in rows:
        counters[row["list"]] = counters.get(row["list"], 0) + 1
        row["record_id"] = str(counters[row["list"]])
    paths = write_lists(rows, tmp_path)
    out = tmp_path / "clusters.csv"
    result = invoke("link", *map(str, paths), "--out", str(out), "--json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    summary = json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[attr-defined]
    assert summary["qualified_ids"] is True
    linked = read_out(out)
    assert sorted(r["record_id"] for r in linked) == sorted(
        f"{row['list']}:{row['record_id']}" for row in rows
    )
    joined = tmp_path / "joined.csv"
    with joined.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([*OUTPUT_COLUMNS, "list"])
        for r in linked:
            writer.writerow([*(r[c] for c in OUTPUT_COLUMNS), r["record_id"].split(":", 1)[0]])
    estimated = invoke("estimate", str(joined), "--method", "loglinear", "--json")
    assert estimated.exit_code == 0, estimated.output  # type: ignore[attr-defined]


def _one_list(tmp_path: Path, rows: list[dict[str, str]], name: str = "bad.csv") -> Path:
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, FIELDS, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _row(rid: str, name: str, **extra: str) -> dict[str, str]:
    return {"record_id": rid, "list": "L", "full_name": name, **extra}


def test_bad_input_names_file_line_and_field(tmp_path: Path) -> None:
    good = _one_list(tmp_path, [_row("1", "Ali Rezaei"), _row("2", "Bahman Kamali")], "good.csv")
    dup = _one_list(tmp_path, [_row("1", "Ali Rezaei"), _row("1", "Bahman Kamali")], "dup.csv")
    out = tmp_path / "clusters.csv"
    result = CliRunner().invoke(main, ["link", str(dup), "--out", str(out)])
    assert result.exit_code == 2
    assert "dup.csv, line 3, field record_id" in result.stderr
    assert not out.exists()

    # the same record of one list in two files
    again = _one_list(tmp_path, [_row("2", "Bahman Kamali")], "again.csv")
    result = CliRunner().invoke(main, ["link", str(good), str(again), "--out", str(out)])
    assert result.exit_code == 2
    assert "again.csv, line 2, field record_id" in result.stderr
    assert "good.csv, line 3" in result.stderr

    rows = [
        {k: v for k, v in row.items() if k != "list"} | {"list": "L"}
        for row in generate(people=40, lists=1, seed=SEED + 3)[0]
    ]
    rows[0]["birth_year"] = "13x7"
    year = _one_list(tmp_path, rows, "year.csv")
    stop = CliRunner().invoke(main, ["link", str(year), "--out", str(out)])
    assert stop.exit_code == 2
    assert "year.csv, line 2, field birth_year" in stop.stderr
    report = CliRunner().invoke(
        main, ["link", str(year), "--out", str(out), "--on-error", "report", "--json"]
    )
    assert report.exit_code == 0, report.output
    assert "year.csv, line 2, field birth_year" in report.stderr
    summary = json.loads(report.stdout.strip().splitlines()[-1])
    assert any("birth_year" in p for p in summary["problems"])
    assert len(read_out(out)) == len(rows)  # the record is kept, its year emptied

    tiny = CliRunner().invoke(main, ["link", str(good), "--out", str(out)])
    assert tiny.exit_code == 2 and "too few to train" in tiny.stderr

    missing = CliRunner().invoke(main, ["link", str(tmp_path / "nope.csv"), "--out", str(out)])
    assert missing.exit_code == 2 and "nope.csv" in missing.stderr


@pytest.mark.parametrize("threshold", ["0", "1.5"])
def test_threshold_out_of_range_is_bad_usage(tmp_path: Path, threshold: str) -> None:
    good = _one_list(tmp_path, [_row("1", "Ali Rezaei")], "good.csv")
    result = CliRunner().invoke(
        main, ["link", str(good), "--out", str(tmp_path / "o.csv"), "--threshold", threshold]
    )
    assert result.exit_code == 2
