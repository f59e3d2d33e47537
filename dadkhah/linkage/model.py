"""The linkage model: Splink (Fellegi-Sunter) over the prepared frame, on DuckDB or Spark.

:func:`link` takes the frame :func:`dadkhah.linkage.prepare.prepare` makes (one row per record,
columns as in ``docs/design/2026-11-21-linkage.md``) and returns the scored pairs, the clusters
and the trained model. Method, in plain words, in ``docs/linkage.md``:

- **Blocking** (:mod:`dadkhah.linkage.blocking`). Two records are compared when they share the
  whole-name key (``name_tf``), a match key (``names.match_keys``, which agree across scripts
  and spellings), or the same birth year and city. A block above its cap (``LinkConfig.max_block``,
  ``max_key_block``, ``max_place_block``) is narrowed (by birth year window, city, prison or
  father's name; by gender, then prison, for year-and-city) or left out, so the comparisons per
  record stay bounded; the counts are reported in ``LinkResult.blocking``. The pairs are
  counted, then scored keeping only those above ``keep_pairs``.
- **Comparisons.** Full name and father's name through ``names.similarity``, registered as the
  SQL function ``dadkhah_name_similarity`` in DuckDB and in Spark (one implementation, two
  engines); birth year exact or within one year; city, prison and gender through the gazetteer
  keys; the death date with its precision (same day, overlapping spans, within 31 days).
  Term-frequency adjustment on the exact whole-name level, so two "Mohammad Mohammadi" weigh
  less than two "Bahman Yazdanpanah". Every SQL condition is portable, so a model trained on
  one engine scores on the other.
- **Training without labels.** m of the full-name levels measured on ``dadkhah.names``'
  labelled pairs (``data/name_m.yaml``) and fixed; m of the other fields by expectation
  maximisation on pairs sharing the whole-name key; the prior from that EM round by Bayes'
  rule; u from random pairs (seeded), the matches among them taken out; every "all other" m
  floored (``LinkConfig.m_floor``). With reviewers' judgements, m of every level is then
  re-estimated from the accepted pairs (when there are at least ``LinkConfig.min_labels``);
  accepted and rejected pairs also bind the clustering (:mod:`dadkhah.linkage.cluster`).

Deterministic for a given seed. Pure Python over Splink: no Django import.
"""

from __future__ import annotations

import copy
import datetime
import logging
import os
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the environment

from dadkhah.linkage import DEFAULT_THRESHOLD
from dadkhah.linkage import blocking as _blocking
from dadkhah.linkage.cluster import Judgement, clusters, list_priors
from dadkhah.linkage.namescore import NamePool, arrow_similarity, similarity_function
from dadkhah.linkage.prepare import FRAME_COLUMNS

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["LinkConfig", "Judgement", "LinkResult", "link", "UDF", "COMPARISONS", "VERSION"]

#: Version of the model specification (comparisons, levels, blocking); record it with a run.
VERSION = "linkage-model-1"
#: The SQL name of ``dadkhah.names.similarity`` in both engines.
UDF = "dadkhah_name_similarity"
#: Output names of the comparisons (``gamma_<name>``, ``bf_<name>`` columns of the pairs).
COMPARISONS = ("name", "father", "birth_year", "city", "prison", "death", "gender")
#: m of the full-name levels, measured by ``bench/linkage/name_m.py`` (versioned data).
NAME_M = Path(__file__).parent / "data" / "name_m.yaml"

_EPOCH = datetime.date(1970, 1, 1)
_REQUIRED = FRAME_COLUMNS  # the prepared frame (``prepare``), every column

logger = logging.getLogger(__name__)


@dataclass
class LinkConfig:
    """Settings of one linkage run (defaults suit lists of thousands to a million records)."""

    # pairs at or above join a cluster (the probabilities are those after by_list)
    threshold: float = DEFAULT_THRESHOLD
    backend: Literal["duckdb", "spark"] = "duckdb"
    seed: int = 1988
    max_pairs_u: float = 2e6  # random pairs for the u estimates
    # EM trains every field but the full name, whose m is measured (data/name_m.yaml)
    em_rules: tuple[tuple[str, ...], ...] = (("name_tf",),)
    em_fallback_rules: tuple[tuple[str, ...], ...] = (
        ("birth_year",),
        ("city_key", "prison_key"),
        ("father_norm",),
    )  # tried while a comparison is left untrained by em_rules
    em_max_pairs: float = 2e6  # blocked pairs sampled per EM round at most
    prior: Literal["em", "rules"] = "em"  # the prior from the first EM round, or from rules
    prior_recall: float = 0.6  # recall assumed for the deterministic rules (prior="rules")
    u_without_matches: bool = True  # take the matches among random pairs out of u
    # least m of every disagreement ("all other") level: lists contain errors (a year, a
    # place or a date miscopied), so no single disagreeing field may veto a pair
    m_floor: float = 0.01
    label_weight: float = 50.0  # the trained m counts as this many labelled pairs
    max_block: int = 300  # a whole-name key (name_tf) shared by more records is narrowed
    max_key_block: int = 30  # the same for a match key (names.match_keys)
    max_place_block: int = 30  # the same for a birth year + city block
    threads: int = 2  # DuckDB threads
    # processes scoring names (names.similarity) on DuckDB; 1: in this process only; None:
    # every core from pool_from records on (below, starting and warming the workers costs
    # more than they save: 10k records took 23 s with 2 workers against 12.5 s without)
    workers: int | None = None
    pool_from: int = 100_000
    memory_limit: str = "6GB"  # DuckDB's memory limit; beyond it, it spills to a temp directory
    # rescore the pairs with one prior within a list and one across lists (cluster.list_priors)
    by_list: bool = True
    keep_pairs: float = 0.05  # pairs scoring below this are not returned (counted only)
    min_labels: int = 5  # accepted judgements needed to re-estimate m from labels
    min_records: int = 20  # fewer records cannot train a model without labels


@dataclass
class LinkResult:
    """What a linkage run returns; ``model`` can be passed back to :func:`link`."""

    pairs: pd.DataFrame
    clusters: pd.DataFrame
    model: dict[str, Any]
    comparisons: int
    seconds: dict[str, float]
    blocking: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _days(value: Any) -> int | None:
    if value is None or (not isinstance(value, datetime.date) and pd.isna(value)):
        return None
    if isinstance(value, datetime.datetime):
        value = value.date()
    return int((value - _EPOCH).days)


def _narrow(
    frame: pd.DataFrame, max_block: int, max_place_block: int, max_key_block: int = 30
) -> _blocking.Blocks:
    """Blocking keys per record (narrowed, numbered) and the year-and-place block:
    :func:`dadkhah.linkage.blocking.narrow`."""
    return _blocking.narrow(frame, max_block, max_key_block, max_place_block)


def _text_array(column: pd.Series, empty_is_null: bool = False) -> Any:
    """An Arrow string array of an object column (None and NaN are null; other values as
    ``str``), with "" as null when ``empty_is_null``."""
    import pyarrow as pa  # type: ignore[import-untyped]  # a dependency of Splink; no stubs
    import pyarrow.compute as pc  # type: ignore[import-untyped]  # no stubs

    try:
        array = pa.array(column, type=pa.string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # values that are not str: as text
        array = pa.array(
            [
                None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
                for v in column
            ],
            type=pa.string(),
        )
    if empty_is_null:
        array = pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)
    return array


def _day_array(column: pd.Series) -> Any:
    """Day numbers (days since 1970-01-01, int64) of a column of dates (None: null)."""
    import pyarrow as pa

    try:
        days = pa.array(column, type=pa.date32(), from_pandas=True)
        return days.cast(pa.int32()).cast(pa.int64())
    except (pa.ArrowTypeError, pa.ArrowInvalid, TypeError):  # datetimes, timestamps
        return pa.array([_days(v) for v in column], type=pa.int64())


def _engine_frame(
    frame: pd.DataFrame, max_block: int, max_place_block: int, max_key_block: int = 30
) -> tuple[Any, dict[str, int]]:
    """The table the engine sees, as an Arrow table: portable types only (dates as day
    numbers), the blocking keys as ``list<int32>`` and the year-and-place block as ``int32``
    (numbers, not strings: a million records have fifteen million keys)."""
    import pyarrow as pa

    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise ValueError(f"the prepared frame lacks columns: {', '.join(missing)}")
    if frame["unique_id"].duplicated().any():
        dup = frame.loc[frame["unique_id"].duplicated(), "unique_id"].iloc[0]
        raise ValueError(f"unique_id repeats in the prepared frame: {dup!r}")
    blocks = _narrow(frame, max_block, max_place_block, max_key_block)
    places = blocks.places
    years = pd.array(frame["birth_year"], dtype="Int64")
    table = pa.table(
        {
            "unique_id": _text_array(frame["unique_id"].astype(str)),
            "record_id": _text_array(frame["record_id"].astype(str)),
            "source_list": _text_array(frame["source_list"].astype(str)),
            "full_name": _text_array(frame["full_name"]),
            "father_name": _text_array(frame["father_name"]),
            "name_norm": _text_array(frame["name_norm"], empty_is_null=True),
            "father_norm": _text_array(frame["father_norm"], empty_is_null=True),
            "name_tf": _text_array(frame["name_tf"], empty_is_null=True),
            "birth_year": pa.array(years, type=pa.int64()),
            "gender": _text_array(frame["gender"]),
            "city_key": _text_array(frame["city_key"]),
            "prison_key": _text_array(frame["prison_key"]),
            "death_lo_d": _day_array(frame["death_lo"]),
            "death_hi_d": _day_array(frame["death_hi"]),
            "death_precision": _text_array(frame["death_precision"]),
            "block_keys": pa.ListArray.from_arrays(
                pa.array(blocks.offsets, type=pa.int32()), pa.array(blocks.keys, type=pa.int32())
            ),
            "year_place": pa.array(places, type=pa.int32(), mask=places < 0),
        }
    )
    return table, blocks.stats


def _stage(name: str) -> None:
    """Log the stage of :func:`link` that begins (``bench/linkage/scale.py`` reports the
    resident memory at each)."""
    logger.info("linkage stage: %s", name)


def _level(sql: str, label: str, **extra: Any) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label, **extra}


def _null(*cols: str) -> dict[str, Any]:
    sql = " OR ".join(f"{c}_l IS NULL OR {c}_r IS NULL" for c in cols)
    return _level(sql, "null", is_null_level=True)


def _else() -> dict[str, Any]:
    return _level("ELSE", "all other")


@cache
def name_m(path: Path = NAME_M) -> dict[str, float]:
    """m of each full-name level (by label) from ``data/name_m.yaml``, measured by
    ``bench/linkage/name_m.py`` on ``dadkhah.names``' labelled pairs; ValueError if unusable."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        m = {str(k): float(v) for k, v in data["name"]["m"].items()}
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: no usable name m probabilities ({exc})") from exc
    if not m or any(not 0.0 < v < 1.0 for v in m.values()) or abs(sum(m.values()) - 1) > 1e-3:
        raise ValueError(f"{path}: name m probabilities must lie in (0, 1) and sum to 1: {m}")
    return m


def _comparisons() -> list[dict[str, Any]]:
    """The comparisons of the design note, as portable SQL (DuckDB and Spark alike: plain
    lower-case identifiers, never quoted, as Spark reads "x" as a string). The m of the
    full-name levels is measured (:func:`name_m`) and fixed: EM does not change it."""
    measured = name_m()

    def fixed(level: dict[str, Any]) -> dict[str, Any]:
        label = level["label_for_charts"]
        if label not in measured:
            raise ValueError(f"{NAME_M}: no m for the name level {label!r}")
        return {**level, "m_probability": measured[label], "fix_m_probability": True}

    def sim(col: str, at: float) -> dict[str, Any]:
        return _level(f"{UDF}({col}_l, {col}_r) >= {at}", f"similarity >= {at}")

    def exact(col: str, label: str = "exact", **extra: Any) -> dict[str, Any]:
        return _level(f"{col}_l = {col}_r", label, **extra)

    def simple(name: str, col: str) -> dict[str, Any]:
        return {
            "output_column_name": name,
            "comparison_levels": [_null(col), exact(col), _else()],
            "comparison_description": f"{col} exact",
        }

    return [
        {
            "output_column_name": "name",
            "comparison_description": "full name: whole-name key, then names.similarity",
            "comparison_levels": [
                _null("name_norm"),
                *map(
                    fixed,
                    [
                        exact(
                            "name_tf",
                            "same whole-name key",
                            tf_adjustment_column="name_tf",
                            tf_adjustment_weight=1.0,
                        ),
                        sim("name_norm", 0.9),
                        sim("name_norm", 0.7),
                        sim("name_norm", 0.5),
                        _else(),
                    ],
                ),
            ],
        },
        {
            "output_column_name": "father",
            "comparison_description": "father's name: exact normalized, then similarity",
            "comparison_levels": [
                _null("father_norm"),
                exact("father_norm"),
                sim("father_norm", 0.7),
                _else(),
            ],
        },
        {
            "output_column_name": "birth_year",
            "comparison_description": "birth year exact, then within one year",
            "comparison_levels": [
                _null("birth_year"),
                exact("birth_year"),
                _level("abs(birth_year_l - birth_year_r) <= 1", "within 1 year"),
                _else(),
            ],
        },
        simple("city", "city_key"),
        simple("prison", "prison_key"),
        {
            "output_column_name": "death",
            "comparison_description": "death date with its precision",
            "comparison_levels": [
                _null("death_lo_d", "death_hi_d"),
                _level(
                    "death_precision_l = 'day' AND death_precision_r = 'day' "
                    "AND death_lo_d_l = death_lo_d_r",
                    "same day",
                ),
                _level(
                    "death_lo_d_l <= death_hi_d_r AND death_lo_d_r <= death_hi_d_l",
                    "spans overlap",
                ),
                _level(
                    "death_lo_d_l - death_hi_d_r <= 31 AND death_lo_d_r - death_hi_d_l <= 31",
                    "within 31 days",
                ),
                _else(),
            ],
        },
        simple("gender", "gender"),
    ]


def _blocking_rules() -> list[Any]:
    from splink import block_on

    return [
        block_on("block_keys", arrays_to_explode=["block_keys"]),
        block_on("year_place"),
    ]


def _settings() -> Any:
    from splink import SettingsCreator

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=list[Any](_comparisons()),
        blocking_rules_to_generate_predictions=_blocking_rules(),
        additional_columns_to_retain=["record_id", "source_list", "full_name", "father_name"],
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
    )


def _db_api(config: LinkConfig, spark: SparkSession | None, pool: NamePool | None = None) -> Any:
    if config.backend == "duckdb":
        import tempfile

        import duckdb
        from splink import DuckDBAPI

        if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", config.memory_limit.strip()):
            raise ValueError(f"memory_limit must look like '8GB': {config.memory_limit!r}")
        con = duckdb.connect(":memory:")
        con.execute(f"SET threads TO {int(config.threads)}")
        con.execute(f"SET memory_limit = '{config.memory_limit.strip()}'")
        spill = tempfile.mkdtemp(prefix="dadkhah-duckdb-")  # removed by link()
        con.execute(f"SET temp_directory = '{spill}'")
        con.create_function(  # type: ignore[call-overload]  # stubs lack null_handling
            UDF,
            arrow_similarity(pool),
            [duckdb.sqltype("VARCHAR"), duckdb.sqltype("VARCHAR")],
            duckdb.sqltype("DOUBLE"),
            type="arrow",
            null_handling="special",
            side_effects=False,
        )
        return DuckDBAPI(connection=con)
    if config.backend == "spark":
        if spark is None:
            raise ValueError("the spark backend needs a SparkSession (spark=...)")
        from pyspark.sql.types import DoubleType
        from splink import SparkAPI

        spark.udf.register(UDF, similarity_function(), DoubleType())
        if spark.sparkContext.getCheckpointDir() is None:  # Splink breaks lineage by it
            import tempfile

            spark.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="dadkhah-spark-"))
        return SparkAPI(  # type: ignore[no-untyped-call]
            spark_session=spark, register_udfs_automatically=False
        )
    raise ValueError(f"unknown backend {config.backend!r}: use duckdb or spark")


_COLUMNS_OF = {
    "name": {"name_norm", "name_tf"},
    "father": {"father_norm"},
    "birth_year": {"birth_year"},
    "city": {"city_key"},
    "prison": {"prison_key"},
    "death": {"death_lo_d", "death_hi_d", "death_precision"},
    "gender": {"gender"},
}


def _train(linker: Any, sdf: Any, config: LinkConfig, notes: list[str], n_records: int) -> Any:
    """Train u, the prior and m; returns the linker (rebuilt if an EM round failed).

    1. A first prior from deterministic rules (the same whole-name key and the same birth
       year or father's name, assumed to find ``prior_recall`` of the matches): EM's starting
       point, and the prior itself when ``config.prior == "rules"``.
    2. u from random pairs (seeded).
    3. m by EM: an EM round trains every comparison but those its blocking rule uses; the m of
       the full name is measured (:func:`name_m`) and fixed. A round that fails (Splink refuses
       an m of 0, which small samples produce) is undone and noted; while a comparison is
       still untrained, the fallback rules are tried in turn.
    4. Every "all other" m is floored at ``config.m_floor`` (:func:`_floor_m`).
    5. The prior from the first EM round (``config.prior == "em"``): :func:`_prior_from_em`.
    6. The matches among the random pairs taken out of u (:func:`_u_without_matches`), and
       the levels' Bayes factors made non-increasing (:func:`_monotone`).

    :func:`link` then registers the name frequencies without each record's own person
    (:func:`_name_tf_without_self`), with a trained model and with one passed in alike.
    """
    from splink import Linker, block_on

    try:
        linker.training.estimate_probability_two_random_records_match(
            [block_on("name_tf", "birth_year"), block_on("name_tf", "father_norm")],
            recall=config.prior_recall,
        )
    except ValueError as exc:  # more deterministic matches than the recall allows
        notes.append(f"prior left at its default: {exc}")
    settings = linker.misc.save_model_to_json()
    if not settings.get("probability_two_random_records_match"):
        # no deterministic match at all: assume one matching pair among all pairs
        n = n_records
        floor = 1.0 / max(1.0, n * (n - 1) / 2)
        settings["probability_two_random_records_match"] = floor
        notes.append(f"no pair met the deterministic rules: prior set to {floor:.3g}")
        linker = Linker(sdf, settings, log_level=logging.ERROR)
    linker.training.estimate_u_using_random_sampling(max_pairs=config.max_pairs_u, seed=config.seed)
    untrained = set(COMPARISONS) - {"name"}  # the name's m is measured, not trained
    rules = [(cols, False) for cols in config.em_rules]
    rules += [(cols, True) for cols in config.em_fallback_rules]
    first: Any = None  # the first EM round that ran: it gives the prior
    for cols, fallback in rules:
        if fallback and not untrained:
            break
        snapshot = linker.misc.save_model_to_json()
        try:
            session = linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*cols), max_pairs=config.em_max_pairs
            )
        except Exception as exc:  # noqa: BLE001 - Splink raises plain exceptions here
            notes.append(f"EM blocked on {'+'.join(cols)} failed and was undone: {exc}")
            linker = Linker(sdf, snapshot, log_level=logging.ERROR)
            continue
        if first is None:
            first = session
        untrained -= {c for c, used in _COLUMNS_OF.items() if not used & set(cols)}
    if untrained:
        notes.append(f"m left at Splink's defaults for: {', '.join(sorted(untrained))}")
    _floor_m(linker, config.m_floor)
    if config.prior == "em":
        if first is None:
            notes.append("no EM round ran: the prior comes from the deterministic rules")
        else:
            linker._settings_obj._probability_two_random_records_match = _prior_from_em(
                linker, first
            )
    if config.u_without_matches:
        prior = float(linker._settings_obj._probability_two_random_records_match)
        sampled = min(config.max_pairs_u, n_records * (n_records - 1) / 2)
        _u_without_matches(linker, prior, sampled)
    _monotone(linker)
    return linker


def _prior_from_em(linker: Any, session: Any) -> float:
    """The prior (two random records match) from an EM round, by Bayes' rule.

    EM estimates the share s of matches among the pairs it was given (those its blocking rule
    keeps, e.g. the same whole-name key). P(match) = P(rule) * P(match | rule) / P(rule |
    match) = u * s / m, with u the rule's level counted on random pairs (all of them, the
    matches among them included: that is what random sampling measures) and m its measured
    or trained m; so no recall is assumed. (Splink's odds form, odds(s) * u / m, needs u among
    non-matches only; with u from random pairs it overshoots, without bound as s nears 1.)
    """
    share = min(
        max(float(session.core_model_settings.probability_two_random_records_match), 0.0), 1.0
    )
    prior = share
    for info in session._comparison_levels_to_reverse_blocking_rule:
        comparison = linker._settings_obj._get_comparison_by_output_column_name(
            info["comparison"].output_column_name
        )
        level = comparison._get_comparison_level_by_comparison_vector_value(
            info["level"].comparison_vector_value
        )
        prior *= float(level.u_probability) / float(level.m_probability)
    return min(max(prior, 1e-12), 0.5)


def _u_without_matches(linker: Any, prior: float, sampled: float) -> None:
    """Take the matches out of u. Random pairs contain matches (a share ``prior`` of them), so
    the level counts on random pairs are prior * m + (1 - prior) * u; solved for u, and
    normalised. Matters where m / u is of the order of 1 / prior: the name levels of lists
    that name the same people. A level whose random pairs are nearly all matches is left at
    no less than one standard error of its count among the ``sampled`` random pairs
    (sqrt(count) / sampled): below that, the sample cannot tell how rare it is among
    non-matches."""
    for comparison in linker._settings_obj.comparisons:
        levels = comparison._comparison_levels_excluding_null
        u = [
            max(
                (float(level.u_probability) - prior * float(level.m_probability)) / (1 - prior),
                (float(level.u_probability) / max(sampled, 1.0)) ** 0.5,
            )
            for level in levels
        ]
        for level, value in zip(levels, u, strict=True):
            level.u_probability = value / sum(u)


def _floor_m(linker: Any, floor: float) -> None:
    """Raise the m of every "all other" level to at least ``floor`` (the other levels of its
    comparison shrink in proportion), so that one disagreeing field, which a list's error
    can produce in a true match, weighs against the pair but cannot veto it."""
    for comparison in linker._settings_obj.comparisons:
        levels = comparison._comparison_levels_excluding_null
        # every m written out (a level EM never saw has Splink's default): saved with the model
        m = [float(level.m_probability) for level in levels]
        m = [v / sum(m) for v in m]
        others = [i for i, level in enumerate(levels) if level._is_else_level]
        if others and m[others[0]] < floor:
            rest = sum(v for i, v in enumerate(m) if i != others[0])
            m = [floor if i == others[0] else v * (1.0 - floor) / rest for i, v in enumerate(m)]
        for level, value in zip(levels, m, strict=True):
            level.m_probability = value


def _monotone(linker: Any) -> None:
    """Make the Bayes factors of every comparison's levels non-increasing in the order of the
    levels (strongest first, "all other" last), by pooling adjacent levels that break it
    (pool-adjacent-violators, each level keeping its m and taking u = m / the pooled factor,
    so u still sums to one). A level of lower agreement cannot be stronger evidence than a
    higher one; where the estimates say so (a rare level's u rests on a handful of random
    pairs; a floored "all other" m exceeds the m of "within 31 days"), it is noise."""
    for comparison in linker._settings_obj.comparisons:
        levels = comparison._comparison_levels_excluding_null
        blocks: list[list[Any]] = []  # [m sum, u sum, levels]
        for level in levels:
            blocks.append([float(level.m_probability), float(level.u_probability), [level]])
            while len(blocks) > 1 and (
                blocks[-1][0] * blocks[-2][1] > blocks[-2][0] * blocks[-1][1]
            ):  # the later block's factor m/u exceeds the earlier one's
                m, u, members = blocks.pop()
                blocks[-1][0] += m
                blocks[-1][1] += u
                blocks[-1][2].extend(members)
        for m, u, members in blocks:
            if len(members) > 1:
                for level in members:
                    level.u_probability = float(level.m_probability) * u / m


def _name_tf_without_self(linker: Any, named: int) -> None:
    """Register the term frequencies of the whole-name key with each record's own person
    taken out (leave-one-out), for the tf adjustment of the "same whole-name key" level.

    Splink counts a name's frequency over all records: k / N for a key on k of N records. For
    a pair of two records that both bear it, the frequency that matters is how often a record
    of *another* person bears it: (k - 1) / (N - 1) other records, less those of the same
    person, of whom there are prior * (N - 1) on average, m of them with the same key. So
    (k - 1) / (N - 1) - m * prior, and at least 1 / N (as though one other record bore it).
    Without this, a rare name on two lists counts as twice as common as it is among other
    people, and pairs that share it and little else score far too low. The prior and m come
    from the model, the counts from the records being scored, so a model reused on other
    records adjusts to them.
    """
    if named < 2:
        return
    found = linker.table_management.compute_tf_table("name_tf")
    tf = found.as_pandas_dataframe()
    prior = float(linker._settings_obj._probability_two_random_records_match)
    name = linker._settings_obj._get_comparison_by_output_column_name("name")
    m = float(name._comparison_levels_excluding_null[0].m_probability)  # same whole-name key
    count = tf["tf_name_tf"].astype(float) * named
    tf["tf_name_tf"] = ((count - 1.0) / (named - 1) - m * prior).clip(lower=1.0 / named)
    table = linker._db_api.register(tf, table_name="__dadkhah_tf_name_tf")
    linker.table_management.register_term_frequency_lookup(table, "name_tf")


def _label_levels(linker: Any, table: str) -> pd.DataFrame:
    """The comparison levels (``gamma_<comparison>``, -1 for null) of the labelled pairs in
    ``table`` (``unique_id_l``, ``unique_id_r``), computed as Splink's
    ``estimate_m_from_pairwise_labels`` computes them."""
    from splink.internals.block_from_labels import block_from_labels
    from splink.internals.comparison_vector_values import compute_comparison_vector_values_sql
    from splink.internals.pipeline import CTEPipeline
    from splink.internals.vertically_concatenate import enqueue_df_concat_with_tf

    pipeline = CTEPipeline()
    enqueue_df_concat_with_tf(linker, pipeline)
    pipeline.enqueue_list_of_sqls(block_from_labels(linker, table))
    pipeline.enqueue_sql(
        compute_comparison_vector_values_sql(
            linker._settings_obj._columns_to_select_for_comparison_vector_values
        ),
        "__splink__df_comparison_vectors",
    )
    found = linker._db_api.sql_pipeline_to_splink_dataframe(pipeline)
    try:
        return found.as_pandas_dataframe()
    finally:
        found.drop_table_from_database_and_remove_from_cache()


def _learn_from_labels(
    linker: Any, judgements: Sequence[Judgement], config: LinkConfig, notes: list[str]
) -> None:
    """Re-estimate m of every comparison level from the accepted pairs.

    Per comparison, m = (pairs at the level + w * trained m) / (pairs not null + w), with
    w = ``config.label_weight``: the trained (or measured) m counts as w labelled pairs, so a
    few judgements move it a little and many move it to what the reviewers saw. Every
    comparison learns, the full name included (Splink's ``estimate_m_from_pairwise_labels``
    skips fixed levels and takes the median with the EM estimates, so a level no label showed
    kept its EM value). Then the floors and the order of the levels again. Reviewers judge
    uncertain pairs, which disagree more often than matches do at large: many judgements make
    the model more cautious.
    """
    accepted = [j for j in judgements if j.same]
    if len(accepted) < config.min_labels:
        if accepted:
            notes.append(
                f"{len(accepted)} accepted pairs: m not re-estimated (needs {config.min_labels})"
            )
        return
    labels = pd.DataFrame(
        {
            "unique_id_l": [j.unique_id_l for j in accepted],
            "unique_id_r": [j.unique_id_r for j in accepted],
        }
    )
    table = linker.table_management.register_table(labels, "__dadkhah_labels", overwrite=True)
    levels = _label_levels(linker, table.physical_name)
    weight = config.label_weight
    for comparison in linker._settings_obj.comparisons:
        gamma = levels[f"gamma_{comparison.output_column_name}"].astype(int)
        seen = gamma[gamma >= 0].value_counts()
        n = float(seen.sum())
        for level in comparison._comparison_levels_excluding_null:
            count = float(seen.get(level.comparison_vector_value, 0))
            level.m_probability = (count + weight * float(level.m_probability)) / (n + weight)
    _floor_m(linker, config.m_floor)
    _monotone(linker)
    notes.append(
        f"m re-estimated from {len(levels)} accepted pairs (the trained m weighing as "
        f"{weight:g} pairs)"
    )


#: Columns of the scored pairs not returned: the blocking keys (numbers, of no use to a reader).
_NOT_RETURNED = ("block_keys_", "year_place_")


def _fetch_pairs(linker: Any, db_api: Any, name: str, config: LinkConfig) -> pd.DataFrame:
    """The scored pairs at or above ``keep_pairs`` from the engine's table ``name``, in the
    order of their ids, without the blocking columns. On DuckDB they come as one Arrow table,
    whose columns are freed as they become pandas columns."""
    probe = linker.misc.query_sql(f"SELECT * FROM {name} LIMIT 0", output_type="pandas")
    wanted = [c for c in probe.columns if not c.startswith(_NOT_RETURNED)]
    sql = (
        f"SELECT {', '.join(wanted)} FROM {name} "
        f"WHERE match_probability >= {float(config.keep_pairs)!r} "
        "ORDER BY unique_id_l, unique_id_r"
    )
    if config.backend != "duckdb":
        return linker.misc.query_sql(sql, output_type="pandas")
    fetched = db_api._con.sql(sql).to_arrow_table()  # no extra copy of the rows
    return fetched.to_pandas(self_destruct=True, split_blocks=True)


def _tidy(pairs: pd.DataFrame) -> pd.DataFrame:
    """Pairs in a stable order (by ids; sorted here only if the engine did not), with a Bayes
    factor ``bf_<comparison>`` beside each match weight (``mw_<comparison>``, log2 of it);
    the blocking columns are dropped."""
    pairs = pairs.drop(columns=[c for c in pairs.columns if c.startswith(_NOT_RETURNED)])
    for name in COMPARISONS:
        weight = f"mw_{name}"
        if weight in pairs.columns:
            pairs[f"bf_{name}"] = 2.0 ** pairs[weight].astype(float)
        if f"mw_tf_adj_{name}" in pairs.columns:
            pairs[f"bf_tf_adj_{name}"] = 2.0 ** pairs[f"mw_tf_adj_{name}"].astype(float)
    left = pairs["unique_id_l"].to_numpy(dtype=object)
    right = pairs["unique_id_r"].to_numpy(dtype=object)
    ordered = bool(
        np.all((left[1:] > left[:-1]) | ((left[1:] == left[:-1]) & (right[1:] >= right[:-1])))
    )
    if not ordered:
        pairs = pairs.sort_values(["unique_id_l", "unique_id_r"], kind="stable")
    return pairs.reset_index(drop=True)


def link(
    frame: pd.DataFrame,
    config: LinkConfig | None = None,
    judgements: Sequence[Judgement] = (),
    model: dict[str, Any] | None = None,
    spark: SparkSession | None = None,
) -> LinkResult:
    """Score pairs of records in ``frame``, train (unless ``model`` is given) and cluster."""
    from splink import Linker

    config = config or LinkConfig()
    seconds: dict[str, float] = {}
    notes: list[str] = []
    started = time.perf_counter()
    _stage("blocking keys")
    table, blocking = _engine_frame(
        frame, config.max_block, config.max_place_block, config.max_key_block
    )
    seconds["blocking keys"] = time.perf_counter() - started

    if model is None and len(table) < config.min_records:
        raise ValueError(
            f"{len(table)} records are too few to train the model without labels (at least "
            f"{config.min_records} are needed); link them with a model trained on more records"
        )
    workers = config.workers
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if len(table) >= config.pool_from else 1
    if workers < 1:
        raise ValueError(f"workers must be at least 1: {workers!r}")
    # names scored in worker processes on DuckDB (Spark has its own executors)
    pool = NamePool(workers if config.backend == "duckdb" else 1)
    db_api = _db_api(config, spark, pool)
    try:
        _stage("registering")
        sdf = db_api.register(table, table_name=f"__dadkhah_records_{config.seed}")
        settings = copy.deepcopy(model) if model is not None else _settings()
        linker = Linker(sdf, settings, log_level=logging.ERROR)
        step = time.perf_counter()
        _stage("training")
        if model is None:
            linker = _train(linker, sdf, config, notes, len(table))
        if judgements:
            _learn_from_labels(linker, judgements, config, notes)
        _name_tf_without_self(linker, table.num_rows - table.column("name_tf").null_count)
        seconds["training"] = time.perf_counter() - step

        step = time.perf_counter()
        _stage("blocked pairs")
        # the blocked pairs first, counted, then scored keeping only the pairs worth keeping:
        # the engine never holds every comparison with all its columns
        blocked = linker.inference.compute_blocked_pairs_for_predict_chunk()
        counted = linker.misc.query_sql(  # type: ignore[no-untyped-call]
            f"SELECT count(*) AS n FROM {blocked.physical_name}", output_type="pandas"
        )
        comparisons = int(counted["n"].iloc[0])
        linker.table_management.register_blocked_pairs_for_predict(blocked)
        _stage("scoring")
        scored = linker.inference.predict(
            threshold_match_probability=config.keep_pairs if config.keep_pairs > 0 else None,
            warning_mode="never",
        )
        blocked.drop_table_from_database_and_remove_from_cache()  # scored: not needed
        _stage("fetching pairs")
        pairs = _fetch_pairs(linker, db_api, scored.physical_name, config)
        scored.drop_table_from_database_and_remove_from_cache()
        seconds["scoring"] = time.perf_counter() - step
        trained = linker.misc.save_model_to_json()
        trained.pop("linker_uid", None)  # random per linker; not part of the model
    except Exception as exc:
        if pool.error is not None:  # the engine wraps it: raise the worker's own error
            raise pool.error from exc
        raise
    finally:
        pool.close()
        if config.backend == "duckdb":
            spill = db_api._con.execute("SELECT current_setting('temp_directory')").fetchone()
            db_api._con.close()
            if spill and spill[0]:
                shutil.rmtree(str(spill[0]), ignore_errors=True)

    if pool.in_workers:
        notes.append(
            f"names scored: {pool.in_workers + pool.in_process:,} pairs, "
            f"{pool.in_workers:,} of them in {pool.workers} worker processes"
        )
    _stage("clustering")
    pairs = _tidy(pairs)
    step = time.perf_counter()
    ids = table.column("unique_id").to_pylist()
    lists = dict(zip(ids, table.column("source_list").to_pylist(), strict=True))
    if config.by_list and len(pairs):  # a list rarely names one person twice
        weights, probabilities, priors = list_priors(
            pairs["unique_id_l"].tolist(),
            pairs["unique_id_r"].tolist(),
            pairs["match_weight"].astype(float).to_numpy(),
            lists,
            float(trained["probability_two_random_records_match"]),
        )
        pairs["match_weight"] = weights
        pairs["match_probability"] = probabilities
        pairs = pairs[pairs["match_probability"] >= config.keep_pairs].reset_index(drop=True)
        if priors.within is not None and priors.across is not None:
            notes.append(
                f"prior within one list {priors.within:.3g}, across lists {priors.across:.3g} "
                f"(the model's {priors.model:.3g}; {priors.iterations} EM iterations)"
            )
    found = clusters(
        ids,
        zip(
            pairs["unique_id_l"].tolist(),
            pairs["unique_id_r"].tolist(),
            pairs["match_probability"].astype(float).tolist(),
            strict=True,
        ),
        config.threshold,
        judgements,
        lists=lists,
    )
    result = pd.DataFrame(
        {
            "unique_id": ids,
            "record_id": table.column("record_id").to_pylist(),
            "source_list": [lists[i] for i in ids],
            "cluster_id": [found[i][0] for i in ids],
            "match_probability": [found[i][1] for i in ids],
        }
    )
    seconds["clustering"] = time.perf_counter() - step
    seconds["total"] = time.perf_counter() - started
    return LinkResult(pairs, result, trained, comparisons, seconds, blocking, notes)
