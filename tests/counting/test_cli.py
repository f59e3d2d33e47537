"""``dadkhah estimate``: JSON lines as the issue specifies them, and bad input refused clearly."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from dadkhah.cli import main

# Rivest (2011): diabetes data of Bruno et al. (1994), 4 lists (Rcapture testPapersResults.R)
DIABETES = """families,ngo,press,survivors,count
1,1,1,1,58
1,1,1,0,157
1,1,0,1,18
1,1,0,0,104
1,0,1,1,46
1,0,1,0,650
1,0,0,1,12
1,0,0,0,709
0,1,1,1,14
0,1,1,0,20
0,1,0,1,7
0,1,0,0,74
0,0,1,1,8
0,0,1,0,182
0,0,0,1,10
"""

KEYS = {"method", "model", "observed", "estimate", "interval", "diagnostics"}


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "diabetes.csv"
    path.write_text(DIABETES, encoding="utf-8")
    return path


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def invoke(*args: str):
    return CliRunner().invoke(main, ["estimate", *args])


def test_loglinear_json_lines(table):
    result = invoke(str(table), "--method", "loglinear", "--json")
    assert result.exit_code == 0, result.output
    chosen, averaged = lines(result.stdout)
    assert set(chosen) == KEYS and set(averaged) == KEYS
    assert chosen["method"] == averaged["method"] == "loglinear"
    assert chosen["observed"] == 2069
    lo, hi = chosen["interval"]
    assert lo < chosen["estimate"] < hi
    for key in ("deviance", "df", "AIC", "BIC", "SE", "version"):
        assert key in chosen["diagnostics"]
    assert chosen["diagnostics"]["selection"]["criterion"] == "AIC"
    assert averaged["model"].startswith("BMA over")
    assert "recommended" not in chosen


def test_terms_name_one_model(table):
    # Bruno et al.'s model: every pair but families:survivors (c1:c4); Rcapture: 2771 (s.e. 145)
    terms = "families:ngo,families:press,ngo:press,ngo:survivors,press:survivors"
    result = invoke(str(table), "--method", "loglinear", "--terms", terms, "--json")
    assert result.exit_code == 0, result.output
    (only,) = lines(result.stdout)
    assert only["model"] == "[12,13,23,24,34]"
    assert round(only["estimate"]) == 2771
    assert round(only["diagnostics"]["SE"]) == 145
    assert only["diagnostics"]["df"] == 5


def test_empty_terms_is_the_independence_model(table):
    result = invoke(str(table), "--method", "loglinear", "--terms", "", "--json")
    (only,) = lines(result.stdout)
    assert only["model"] == "[1,2,3,4]"
    assert only["diagnostics"]["terms"] == []


def test_strata_give_one_line_per_stratum(tmp_path):
    path = tmp_path / "strata.csv"
    rows = ["region,A,B,C,count"]
    for region, scale in (("north", 1), ("south", 2)):
        for pattern, count in (
            ("100", 60),
            ("010", 50),
            ("001", 40),
            ("110", 12),
            ("101", 10),
            ("011", 9),
            ("111", 3),
        ):
            rows.append(f"{region},{','.join(pattern)},{count * scale}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = invoke(str(path), "--method", "loglinear", "--strata", "region", "--json")
    assert result.exit_code == 0, result.output
    found = lines(result.stdout)
    strata = [line.get("stratum") for line in found if line["method"] == "loglinear"]
    assert strata[:4] == ["north", "north", "south", "south"]


def test_all_ends_with_the_recommended_estimate(table):
    result = invoke(str(table), "--method", "all", "--seed", "7", "--json")
    assert result.exit_code == 0, result.output
    found = lines(result.stdout)
    methods = [line["method"] for line in found]
    assert "chao" in methods and "loglinear" in methods and "lcmcr" in methods
    last = found[-1]
    assert last["recommended"] is True
    assert last["diagnostics"]["why"]
    assert sum(1 for line in found if line.get("recommended")) == 1
    assert "seed 7" in result.stderr


def test_human_readable_output(table):
    result = invoke(str(table), "--method", "loglinear", "--terms", "families:ngo")
    assert result.exit_code == 0, result.output
    assert "95% interval" in result.stdout
    assert "[12,3,4]" in result.stdout


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("A,count\n1,5\n", (), "needs at least 2 list columns"),
        ("A,B,count\n0,0,3\n1,0,2\n", (), "bad.csv:2: field 'A': a pattern of all zeros"),
        ("A,B,count\n1,0,-3\n", (), "bad.csv:2: field 'count': '-3' is negative"),
        ("A,B,count\n1,0,1.5\n", (), "bad.csv:2: field 'count': '1.5' is not a whole number"),
        (
            "g,A,B,count\nx,1,0,3\n,0,1,2\n",
            ("--strata", "g"),
            "bad.csv:3: field 'g': empty stratum",
        ),
        (
            "A,B,count\n1,0,3\n0,1,4\n1,1,2\n",
            ("--terms", "A:B"),
            "4 parameters but the table has only 3 cells",
        ),
        ("A,B,C,count\n1,0,0,3\n0,1,0,4\n0,0,1,2\n", ("--terms", "A:D"), "no list 'D'"),
        ("A,B,C,count\n1,0,0,3\n", ("--terms", "A:B:C"), "only two-way interactions"),
    ],
)
def test_bad_input_exits_2_with_a_message(tmp_path, content, args, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    result = invoke(str(path), "--method", "loglinear", *args, "--json")
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_missing_file_exits_2(tmp_path):
    result = invoke(str(tmp_path / "none.csv"), "--json")
    assert result.exit_code == 2
    assert "none.csv: cannot read" in result.stderr


def test_an_unidentified_model_warns_instead_of_printing_a_number(tmp_path):
    # Cormack, Chang and Smith (2000), 4 lists, every pair: Rcapture prints over 1,000,000
    path = tmp_path / "cormack.csv"
    counts = [72, 5, 29, 53, 24, 3, 12, 14, 0, 0, 0, 1, 0, 0, 2]
    patterns = [format(15 - i, "04b") for i in range(15)]
    path.write_text(
        "A,B,C,D,count\n"
        + "".join(f"{','.join(p)},{c}\n" for p, c in zip(patterns, counts, strict=True)),
        encoding="utf-8",
    )
    result = invoke(
        str(path), "--method", "loglinear", "--terms", "A:B,A:C,A:D,B:C,B:D,C:D", "--json"
    )
    assert result.exit_code == 0, result.output
    (only,) = lines(result.stdout)
    assert only["estimate"] is None
    assert any("do not determine" in w for w in only["diagnostics"]["warnings"])
