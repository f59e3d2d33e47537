"""``dadkhah link``: read victim lists, prepare, link, cluster and write ``CLUSTERS.csv``.

The output has the three columns of the contract in ``ARCHITECTURE.md``: ``record_id``,
``cluster_id`` and ``match_probability`` (the cluster's weakest link). Record ids need only be
unique within one list, so when some record id occurs in more than one list, *every* record
id in the output (and every cluster id, which is the id of one of its records) is written as
``LIST:RECORD_ID``, e.g. ``amnesty:17``; a note says so in the summary. The output stays
unambiguous and three columns wide, and joins back to the lists on ``list`` + ``record_id``.

Pure Python: no Django import.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd  # type: ignore[import-untyped]  # no pandas-stubs in the environment

from dadkhah.linkage import DEFAULT_THRESHOLD
from dadkhah.linkage.model import VERSION, LinkConfig, LinkResult, link

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["OUTPUT_COLUMNS", "run_link", "output_ids", "spark_session"]

OUTPUT_COLUMNS = ("record_id", "cluster_id", "match_probability")


def spark_session(cores: int = 2, memory: str = "1g") -> SparkSession:
    """A local Spark session bound to 127.0.0.1, without its web UI (no network)."""
    import os
    import sys

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("dadkhah-link")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", memory)
        .config("spark.sql.shuffle.partitions", str(max(2, cores)))
        .config("spark.default.parallelism", str(max(2, cores)))
        .getOrCreate()
    )


def output_ids(frame: pd.DataFrame) -> tuple[dict[str, str], bool]:
    """The record id written for each ``unique_id``: as given, or ``LIST:RECORD_ID`` for all
    records when some record id is in more than one list. Returns (ids, qualified)."""
    uids = frame["unique_id"].astype(str).tolist()
    rids = frame["record_id"].astype(str).tolist()
    lists = frame["source_list"].astype(str).tolist()
    qualified = len(set(rids)) != len(rids)
    if not qualified:
        return dict(zip(uids, rids, strict=True)), False
    ids = {u: f"{lst}:{rid}" for u, lst, rid in zip(uids, lists, rids, strict=True)}
    if len(set(ids.values())) != len(ids):
        seen: dict[str, str] = {}
        for u, written in ids.items():
            if written in seen:
                raise ValueError(
                    f"record ids cannot be written unambiguously: {written!r} stands for two "
                    f"records (list and record id contain ':'); rename the list"
                )
            seen[written] = u
    return ids, True


def _write(out: Path, result: LinkResult, ids: Mapping[str, str]) -> None:
    rows = result.clusters.sort_values(["cluster_id", "unique_id"], kind="stable")
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(OUTPUT_COLUMNS)
        for uid, cid, p in zip(
            rows["unique_id"], rows["cluster_id"], rows["match_probability"], strict=True
        ):
            writer.writerow([ids[uid], ids[cid], f"{float(p):.6f}"])


def run_link(
    paths: Sequence[Path],
    out: Path,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    on_error: Literal["stop", "report"] = "stop",
    backend: Literal["duckdb", "spark"] = "duckdb",
    mapping: Mapping[str, str | None] | None = None,
    config: LinkConfig | None = None,
    spark_cores: int = 2,
    spark_memory: str = "1g",
) -> dict[str, Any]:
    """Link the lists in ``paths`` and write the clusters to ``out``; return a summary.

    With the Spark backend, Spark runs in local mode on ``spark_cores`` cores with
    ``spark_memory`` of memory (a JVM size: "1g", "768m").

    Raises :class:`dadkhah.linkage.lists.ListError` (every problem, with file, line and field)
    on bad input when ``on_error`` is "stop"; with "report" the problems are in the summary.
    """
    from dadkhah.linkage.lists import ListError, ListRecord, Problem, read_records
    from dadkhah.linkage.prepare import prepare

    if not paths:
        raise ValueError("no list files given")
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    started = time.perf_counter()
    records: list[ListRecord] = []
    problems: list[Problem] = []
    where: dict[tuple[str, str], ListRecord] = {}
    clashes: list[Problem] = []
    for path in paths:
        found, trouble = read_records(
            Path(path), mapping=dict(mapping) if mapping else None, on_error=on_error
        )
        problems.extend(trouble)
        for record in found:
            first = where.get((record.list, record.record_id))
            if first is not None:
                clashes.append(
                    Problem(
                        record.file,
                        record.line,
                        "record_id",
                        f"record {record.record_id!r} of list {record.list!r} is also in "
                        f"{first.file}, line {first.line}",
                    )
                )
                continue
            where[(record.list, record.record_id)] = record
            records.append(record)
    if clashes:  # like a duplicated record_id within one file: fatal in either mode
        raise ListError(clashes)
    seconds: dict[str, float] = {"reading": time.perf_counter() - started}

    step = time.perf_counter()
    frame, trouble = prepare(records, on_error=on_error)
    problems.extend(trouble)
    seconds["preparing"] = time.perf_counter() - step
    if frame.empty:
        raise ListError([Problem(str(paths[0]), None, None, "no records to link")])

    ids, qualified = output_ids(frame)
    base = config or LinkConfig()
    config = LinkConfig(**{**base.__dict__, "threshold": threshold, "backend": backend})
    spark = spark_session(spark_cores, spark_memory) if backend == "spark" else None
    result = link(frame, config, spark=spark)
    for name, value in result.seconds.items():
        seconds[f"linking: {name}"] = value
    out = Path(out)
    _write(out, result, ids)
    seconds["total"] = time.perf_counter() - started
    notes = list(result.notes)
    if spark is not None:
        notes.append(
            f"Spark in local mode: {spark.sparkContext.master}, "
            f"memory {spark.conf.get('spark.driver.memory')}"
        )
    if qualified:
        notes.append("record ids repeat across lists: written as LIST:RECORD_ID")
    lists = frame["source_list"].value_counts().sort_index()
    return {
        "out": str(out),
        "records": len(frame),
        "lists": {str(k): int(v) for k, v in lists.items()},
        "comparisons": result.comparisons,
        "pairs_at_threshold": int((result.pairs["match_probability"] >= threshold).sum()),
        "clusters": int(result.clusters["cluster_id"].nunique()),
        "threshold": threshold,
        "backend": backend,
        "qualified_ids": qualified,
        "problems": [str(p) for p in problems],
        "blocking": result.blocking,
        "notes": notes,
        "model_version": VERSION,
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
    }
