"""The linkage model: Splink (Fellegi-Sunter) over the prepared frame, on DuckDB or Spark.

:func:`link` takes the frame :func:`dadkhah.linkage.prepare.prepare` makes (one row per record,
columns as in ``docs/design/2026-11-21-linkage.md``) and returns the scored pairs, the clusters
and the trained model. Method, in plain words, in ``docs/linkage.md``:

- **Blocking.** Two records are compared when they share a name key (``names.match_keys``,
  which agree across scripts and spellings), or the same birth year and city. A key shared by
  more than ``LinkConfig.max_block`` records (a very common name) is combined with the birth
  year, then also with the city; a year-and-city block of more than ``max_place_block`` records
  with the gender, then the prison; a block still larger is left out, and the counts are
  reported in ``LinkResult.blocking``.
- **Comparisons.** Full name and father's name through ``names.similarity``, registered as the
  SQL function ``dadkhah_name_similarity`` in DuckDB and in Spark (one implementation, two
  engines); birth year exact or within one year; city, prison and gender through the gazetteer
  keys; the death date with its precision (same day, overlapping spans, within 31 days).
  Term-frequency adjustment on the exact whole-name level, so two "Mohammad Mohammadi" weigh
  less than two "Bahman Yazdanpanah". Every SQL condition is portable, so a model trained on
  one engine scores on the other.
- **Training without labels.** u from random pairs (seeded), the prior from deterministic rules,
  m by expectation maximisation over two blocking rules. With reviewers' judgements, m is then
  re-estimated from the accepted pairs (when there are at least ``LinkConfig.min_labels``);
  accepted and rejected pairs also bind the clustering (:mod:`dadkhah.linkage.cluster`).

Deterministic for a given seed. Pure Python over Splink: no Django import.
"""

from __future__ import annotations

import copy
import datetime
import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the environment

from dadkhah.linkage.cluster import Judgement, clusters
from dadkhah.names import similarity

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["LinkConfig", "Judgement", "LinkResult", "link", "UDF", "COMPARISONS", "VERSION"]

#: Version of the model specification (comparisons, levels, blocking); record it with a run.
VERSION = "linkage-model-1"
#: The SQL name of ``dadkhah.names.similarity`` in both engines.
UDF = "dadkhah_name_similarity"
#: Output names of the comparisons (``gamma_<name>``, ``bf_<name>`` columns of the pairs).
COMPARISONS = ("name", "father", "birth_year", "city", "prison", "death", "gender")

_EPOCH = datetime.date(1970, 1, 1)
_REQUIRED = (
    "unique_id",
    "record_id",
    "source_list",
    "full_name",
    "father_name",
    "name_norm",
    "father_norm",
    "name_keys",
    "name_tf",
    "birth_year",
    "gender",
    "city_key",
    "prison_key",
    "death_lo",
    "death_hi",
    "death_precision",
)

logger = logging.getLogger(__name__)


@dataclass
class LinkConfig:
    """Settings of one linkage run (defaults suit lists of thousands to a million records)."""

    threshold: float = 0.9  # pairs at or above join a cluster
    backend: Literal["duckdb", "spark"] = "duckdb"
    seed: int = 1988
    max_pairs_u: float = 2e6  # random pairs for the u estimates
    em_rules: tuple[tuple[str, ...], ...] = (("name_tf",), ("birth_year", "city_key"))
    em_fallback_rules: tuple[tuple[str, ...], ...] = (
        ("birth_year",),
        ("city_key", "prison_key"),
        ("father_norm",),
    )  # tried while a comparison is left untrained by em_rules
    em_max_pairs: float = 2e6  # blocked pairs sampled per EM round at most
    prior_recall: float = 0.6  # recall assumed for the deterministic rules (prior)
    max_block: int = 300  # a blocking key shared by more records is narrowed
    max_place_block: int = 30  # the same for a birth year + city block
    strong: float = 0.99  # bridges below this may be cut (cluster rule)
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


def _similarity(a: str | None, b: str | None) -> float | None:
    if a is None or b is None:
        return None
    return float(similarity(a, b))


def _days(value: Any) -> int | None:
    if value is None or (not isinstance(value, datetime.date) and pd.isna(value)):
        return None
    if isinstance(value, datetime.datetime):
        value = value.date()
    return int((value - _EPOCH).days)


def _narrow(
    frame: pd.DataFrame, max_block: int, max_place_block: int
) -> tuple[list[list[str]], list[str | None], dict[str, int]]:
    """Blocking keys per record, common keys narrowed, and the year-and-place block.

    A key shared by more than ``max_block`` records is replaced by key + birth year; one
    still too common by key + birth year + city; one still too common is left out. The
    birth year + city block is narrowed the same way by gender, then prison, down to
    ``max_place_block`` records (it is a recall aid: every record in it meets every other).
    """
    years = [None if pd.isna(y) else int(y) for y in frame["birth_year"]]
    cities = [None if c is None or pd.isna(c) else str(c) for c in frame["city_key"]]
    keys: list[list[str]] = [
        sorted(set(k)) if isinstance(k, list | tuple | set) else [] for k in frame["name_keys"]
    ]
    stats = {"keys": 0, "narrowed_keys": 0, "dropped_keys": 0}
    narrowers: list[list[str | None]] = [
        [None] * len(years),
        [None if y is None else str(y) for y in years],
        list(cities),
    ]
    current = keys
    for stage in range(len(narrowers)):
        counts = Counter(key for ks in current for key in ks)
        if stage == 0:
            stats["keys"] = len(counts)
        common = {key for key, n in counts.items() if n > max_block}
        if stage == 0:
            stats["narrowed_keys"] = len(common)
        if not common:
            break
        if stage + 1 == len(narrowers):
            stats["dropped_keys"] = len(common)
            current = [[k for k in ks if k not in common] for ks in current]
            break
        nxt = narrowers[stage + 1]
        current = [
            [k for k in ks if k not in common]
            + ([f"{k}\x1e{nxt[i]}" for k in ks if k in common] if nxt[i] is not None else [])
            for i, ks in enumerate(current)
        ]
    # the year-and-place block, narrowed by gender, then prison, when too large
    genders = [None if g is None or pd.isna(g) else str(g) for g in frame["gender"]]
    prisons = [None if p is None or pd.isna(p) else str(p) for p in frame["prison_key"]]
    places: list[str | None] = [
        f"{y}\x1e{c}" if y is not None and c is not None else None
        for y, c in zip(years, cities, strict=True)
    ]
    stats["narrowed_year_place_blocks"] = 0
    for extra in (genders, prisons):
        place_counts = Counter(p for p in places if p is not None)
        big = {p for p, n in place_counts.items() if n > max_place_block}
        if not big:
            break
        stats["narrowed_year_place_blocks"] += len(big)
        places = [
            (None if e is None else f"{p}\x1e{e}") if p in big else p
            for p, e in zip(places, extra, strict=True)
        ]
    place_counts = Counter(p for p in places if p is not None)
    big = {p for p, n in place_counts.items() if n > max_place_block}
    stats["dropped_year_place_blocks"] = len(big)
    places = [None if p in big else p for p in places]
    stats["records_without_block"] = sum(
        1 for ks, p in zip(current, places, strict=True) if not ks and p is None
    )
    return current, places, stats


def _engine_frame(
    frame: pd.DataFrame, max_block: int, max_place_block: int
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The table the engine sees: portable types only (dates as day numbers)."""
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise ValueError(f"the prepared frame lacks columns: {', '.join(missing)}")
    if frame["unique_id"].duplicated().any():
        dup = frame.loc[frame["unique_id"].duplicated(), "unique_id"].iloc[0]
        raise ValueError(f"unique_id repeats in the prepared frame: {dup!r}")
    keys, places, stats = _narrow(frame, max_block, max_place_block)

    def text(col: str) -> list[str | None]:
        return [
            None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
            for v in frame[col]
        ]

    out = pd.DataFrame(
        {
            "unique_id": frame["unique_id"].astype(str).tolist(),
            "record_id": frame["record_id"].astype(str).tolist(),
            "source_list": frame["source_list"].astype(str).tolist(),
            "full_name": text("full_name"),
            "father_name": text("father_name"),
            "name_norm": [v or None for v in text("name_norm")],
            "father_norm": [v or None for v in text("father_norm")],
            "name_tf": [v or None for v in text("name_tf")],
            "birth_year": pd.array(
                [None if pd.isna(y) else int(y) for y in frame["birth_year"]], dtype="Int64"
            ),
            "gender": text("gender"),
            "city_key": text("city_key"),
            "prison_key": text("prison_key"),
            "death_lo_d": pd.array([_days(v) for v in frame["death_lo"]], dtype="Int64"),
            "death_hi_d": pd.array([_days(v) for v in frame["death_hi"]], dtype="Int64"),
            "death_precision": text("death_precision"),
            "block_keys": keys,
            "year_place": places,
        }
    )
    return out, stats


def _level(sql: str, label: str, **extra: Any) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label, **extra}


def _null(*cols: str) -> dict[str, Any]:
    sql = " OR ".join(f"{c}_l IS NULL OR {c}_r IS NULL" for c in cols)
    return _level(sql, "null", is_null_level=True)


def _else() -> dict[str, Any]:
    return _level("ELSE", "all other")


def _comparisons() -> list[dict[str, Any]]:
    """The comparisons of the design note, as portable SQL (DuckDB and Spark alike: plain
    lower-case identifiers, never quoted, as Spark reads "x" as a string)."""

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


def _db_api(config: LinkConfig, spark: SparkSession | None) -> Any:
    if config.backend == "duckdb":
        import duckdb
        from splink import DuckDBAPI

        con = duckdb.connect(":memory:")
        con.execute("SET threads TO 2")
        con.create_function(  # type: ignore[call-overload]  # stubs lack null_handling
            UDF,
            _similarity,
            [duckdb.sqltype("VARCHAR"), duckdb.sqltype("VARCHAR")],
            duckdb.sqltype("DOUBLE"),
            null_handling="special",
            side_effects=False,
        )
        return DuckDBAPI(connection=con)
    if config.backend == "spark":
        if spark is None:
            raise ValueError("the spark backend needs a SparkSession (spark=...)")
        from pyspark.sql.types import DoubleType
        from splink import SparkAPI

        spark.udf.register(UDF, _similarity, DoubleType())
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
    """Train u, the prior and m (EM); returns the linker (rebuilt if an EM round failed).

    An EM round trains every comparison but those its blocking rule uses. A round that fails
    (Splink refuses an m of 0, which small samples produce) is undone and noted; while a
    comparison is still untrained, the fallback rules are tried in turn.
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
    untrained = set(COMPARISONS)
    rules = [(cols, False) for cols in config.em_rules]
    rules += [(cols, True) for cols in config.em_fallback_rules]
    for cols, fallback in rules:
        if fallback and not untrained:
            break
        snapshot = linker.misc.save_model_to_json()
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*cols), max_pairs=config.em_max_pairs
            )
        except Exception as exc:  # noqa: BLE001 - Splink raises plain exceptions here
            notes.append(f"EM blocked on {'+'.join(cols)} failed and was undone: {exc}")
            linker = Linker(sdf, snapshot, log_level=logging.ERROR)
            continue
        untrained -= {c for c, used in _COLUMNS_OF.items() if not used & set(cols)}
    if untrained:
        notes.append(f"m left at Splink's defaults for: {', '.join(sorted(untrained))}")
    return linker


def _learn_from_labels(
    linker: Any, judgements: Sequence[Judgement], config: LinkConfig, notes: list[str]
) -> None:
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
    linker.training.estimate_m_from_pairwise_labels(table)


def _tidy(pairs: pd.DataFrame) -> pd.DataFrame:
    """Pairs in a stable order, with a Bayes factor ``bf_<comparison>`` beside each match
    weight (``mw_<comparison>``, log2 of it); the exploded blocking arrays are dropped."""
    pairs = pairs.drop(columns=[c for c in pairs.columns if c.startswith("block_keys_")])
    for name in COMPARISONS:
        weight = f"mw_{name}"
        if weight in pairs.columns:
            pairs[f"bf_{name}"] = 2.0 ** pairs[weight].astype(float)
        if f"mw_tf_adj_{name}" in pairs.columns:
            pairs[f"bf_tf_adj_{name}"] = 2.0 ** pairs[f"mw_tf_adj_{name}"].astype(float)
    return pairs.sort_values(["unique_id_l", "unique_id_r"], kind="stable").reset_index(drop=True)


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
    table, blocking = _engine_frame(frame, config.max_block, config.max_place_block)
    seconds["blocking keys"] = time.perf_counter() - started

    if model is None and len(table) < config.min_records:
        raise ValueError(
            f"{len(table)} records are too few to train the model without labels (at least "
            f"{config.min_records} are needed); link them with a model trained on more records"
        )
    db_api = _db_api(config, spark)
    try:
        sdf = db_api.register(table, table_name=f"__dadkhah_records_{config.seed}")
        settings = copy.deepcopy(model) if model is not None else _settings()
        linker = Linker(sdf, settings, log_level=logging.ERROR)
        step = time.perf_counter()
        if model is None:
            linker = _train(linker, sdf, config, notes, len(table))
        if judgements:
            _learn_from_labels(linker, judgements, config, notes)
        seconds["training"] = time.perf_counter() - step

        step = time.perf_counter()
        scored = linker.inference.predict(warning_mode="never")
        name = scored.physical_name
        counted = linker.misc.query_sql(  # type: ignore[no-untyped-call]
            f"SELECT count(*) AS n FROM {name}", output_type="pandas"
        )
        comparisons = int(counted["n"].iloc[0])
        pairs = linker.misc.query_sql(  # type: ignore[no-untyped-call]
            f"SELECT * FROM {name} WHERE match_probability >= {float(config.keep_pairs)!r}",
            output_type="pandas",
        )
        seconds["scoring"] = time.perf_counter() - step
        trained = linker.misc.save_model_to_json()
        trained.pop("linker_uid", None)  # random per linker; not part of the model
    finally:
        if config.backend == "duckdb":
            db_api._con.close()

    pairs = _tidy(pairs)
    step = time.perf_counter()
    ids = table["unique_id"].tolist()
    lists = dict(zip(ids, table["source_list"].tolist(), strict=True))
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
        config.strong,
        lists=lists,
    )
    result = pd.DataFrame(
        {
            "unique_id": ids,
            "record_id": table["record_id"].tolist(),
            "source_list": table["source_list"].tolist(),
            "cluster_id": [found[i][0] for i in ids],
            "match_probability": [found[i][1] for i in ids],
        }
    )
    seconds["clustering"] = time.perf_counter() - step
    seconds["total"] = time.perf_counter() - started
    return LinkResult(pairs, result, trained, comparisons, seconds, blocking, notes)
