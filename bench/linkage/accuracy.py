"""Accuracy of the linkage on synthetic lists with known truth, beside a vanilla Splink setup.

One run, one seed, the same data for both:

1. ``synth.generate(people, lists, seed)`` draws the lists; ``synth.write_csvs`` writes them
   (Windows-1256, UTF-16, UTF-8 with and without BOM) into a temporary directory;
2. **ours**: ``linkage.lists.read_records`` on each file, ``linkage.prepare.prepare``, then
   ``linkage.model.link`` with the default ``LinkConfig`` (threshold 0.5, unless
   ``--threshold``);
3. **vanilla Splink**: the raw strings as written (no normalization, no gazetteer, no date
   parsing): Jaro-Winkler on ``full_name`` and ``father_name`` (levels 0.92, 0.8), exact
   ``birth_year``, ``city``, ``prison``, ``death_date`` and ``gender``; blocking on the first
   three letters of the raw name or on the raw birth year; trained the same way (u from
   random pairs, prior from exact name + birth year, EM on both blocking rules), clustered
   with Splink's connected components at the same threshold;
4. scores against the truth: pairwise precision, recall and F1 of the clusters, of the
   linked pairs (before clustering), and B-cubed; the threshold that maximises the model's
   own expected F1 (no labels) and the best threshold chosen with the truth (an upper bound,
   each clustered as ``link`` clusters); the number of people found against the
   number on the lists; and a capture-recapture check (``dadkhah.counting``: Chao's lower
   bound and the log-linear model chosen by AIC) on our clusters and on the true clusters;
5. where our errors come from: false merges (same normalized name? joined directly or
   through a chain?) and missed pairs (never compared, scored below the threshold, or cut
   by the clustering), with examples.

    .venv/bin/python bench/linkage/accuracy.py --people 5000 --lists 4 [--seed N]
"""

from __future__ import annotations

import argparse
import itertools
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from metrics import Scores, bcubed, pair_links, pairwise  # noqa: E402
from synth import COLUMNS, generate, write_csvs  # noqa: E402

from dadkhah.linkage.model import LinkConfig  # noqa: E402
from dadkhah.names import normalize  # noqa: E402

Key = tuple[str, str]  # (list, record_id)
THRESHOLD = LinkConfig().threshold  # the shipped default (--threshold overrides it)
SEP = "\x1f"


# ---------------------------------------------------------------------------------- ours
def ours(
    paths: Sequence[Path],
    seed: int,
    keep_pairs: float = 0.0,
    em_rules: Sequence[str] | None = None,
    labelled: Sequence[tuple[Key, Key]] = (),
    threshold: float = THRESHOLD,
    by_list: bool = True,
) -> dict[str, Any]:
    from dadkhah.linkage.lists import read_records
    from dadkhah.linkage.model import Judgement, LinkConfig, link
    from dadkhah.linkage.prepare import prepare

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    records = []
    for path in paths:
        found, problems = read_records(path, on_error="report")
        for problem in problems:
            print(f"  read problem: {problem}")
        records.extend(found)
    seconds["read"] = time.perf_counter() - started
    step = time.perf_counter()
    frame, problems = prepare(records, on_error="report")
    for problem in problems[:10]:
        print(f"  prepare problem: {problem}")
    if len(problems) > 10:
        print(f"  … {len(problems)} prepare problems in all")
    seconds["prepare"] = time.perf_counter() - step
    config = LinkConfig(threshold=threshold, seed=seed, keep_pairs=keep_pairs, by_list=by_list)
    if em_rules:
        config.em_rules = tuple(tuple(rule.split("+")) for rule in em_rules)
    uid_key = {
        uid: (lst, rid)
        for uid, lst, rid in zip(
            frame["unique_id"], frame["source_list"], frame["record_id"], strict=True
        )
    }
    key_uid = {k: u for u, k in uid_key.items()}
    judgements = [Judgement(key_uid[a], key_uid[b], True) for a, b in labelled]
    result = link(frame, config, judgements=judgements)
    seconds.update(result.seconds)
    clusters = {
        (lst, rid): cid
        for lst, rid, cid in zip(
            result.clusters["source_list"],
            result.clusters["record_id"],
            result.clusters["cluster_id"],
            strict=True,
        )
    }
    return {
        "frame": frame,
        "result": result,
        "clusters": clusters,
        "uid_key": uid_key,
        "pairs": result.pairs,
        "comparisons": result.comparisons,
        "seconds": seconds,
        "notes": result.notes,
        "blocking": result.blocking,
    }


def _print_model(model: Mapping[str, Any]) -> None:
    """The trained prior and m, u and Bayes factor of every comparison level."""
    print(
        f"  prior (two random records match): {model['probability_two_random_records_match']:.3g}"
    )
    for comparison in model["comparisons"]:
        levels = []
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            bf = f"{m / u:.3g}" if m and u else "?"
            levels.append(f"{level.get('label_for_charts')}: m {m or 0:.3g} u {u or 0:.3g} bf {bf}")
        print(f"  {comparison['output_column_name']}: " + "; ".join(levels))


# ------------------------------------------------------------------------------- vanilla
def vanilla(
    rows: Sequence[Mapping[str, str]], seed: int, threshold: float = THRESHOLD
) -> dict[str, Any]:
    """Splink as a newcomer would set it up: Jaro-Winkler and exact matches on the raw strings."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    started = time.perf_counter()
    frame = pd.DataFrame(
        {
            "unique_id": [r["list"] + SEP + r["record_id"] for r in rows],
            **{c: [r[c] or None for r in rows] for c in COLUMNS[2:]},
        }
    )
    present = {c for c in COLUMNS[2:] if frame[c].notna().any()}  # FEBRL lacks some columns
    comparisons: list[Any] = [
        cl.JaroWinklerAtThresholds(c, [0.92, 0.8])
        for c in ("full_name", "father_name")
        if c in present
    ] + [
        cl.ExactMatch(c)
        for c in ("birth_year", "city", "prison", "death_date", "gender")
        if c in present
    ]
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=[
            block_on("substr(full_name, 1, 3)"),
            block_on("birth_year"),
        ],
        comparisons=comparisons,
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(frame), settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("full_name", "birth_year")], recall=0.6
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    for rule in (block_on("substr(full_name, 1, 3)"), block_on("birth_year")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    trained = time.perf_counter()
    predicted = linker.inference.predict()
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predicted, threshold_match_probability=threshold
    ).as_pandas_dataframe()  # type: ignore[no-untyped-call]
    pairs = predicted.as_pandas_dataframe()  # type: ignore[no-untyped-call]
    done = time.perf_counter()

    def key(uid: str) -> Key:
        lst, rid = uid.split(SEP, 1)
        return lst, rid

    scored = [
        (key(a), key(b), float(p))
        for a, b, p in zip(
            pairs["unique_id_l"], pairs["unique_id_r"], pairs["match_probability"], strict=True
        )
    ]
    return {
        "clusters": {
            key(u): c for u, c in zip(clustered["unique_id"], clustered["cluster_id"], strict=True)
        },
        "links": [(a, b) for a, b, p in scored if p >= threshold],
        "scored": scored,
        "comparisons": len(pairs),
        "max_probability": max((p for _a, _b, p in scored), default=0.0),
        "seconds": {"training": trained - started, "scoring+clustering": done - trained},
    }


def components(keys: Sequence[Key], links: Sequence[tuple[Key, Key]]) -> dict[Key, str]:
    """Connected components (union-find): record -> smallest member, as a cluster id."""
    parent = {k: k for k in keys}

    def root(k: Key) -> Key:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for a, b in links:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {k: SEP.join(root(k)) for k in keys}


Clusterer = Callable[[Sequence[Key], Sequence[tuple[Key, Key, float]], float], dict[Key, str]]


def plain_components(
    keys: Sequence[Key], scored: Sequence[tuple[Key, Key, float]], threshold: float
) -> dict[Key, str]:
    """Connected components of the pairs at or above the threshold (Splink's clustering)."""
    return components(keys, [(a, b) for a, b, p in scored if p >= threshold])


def our_clusters(
    keys: Sequence[Key], scored: Sequence[tuple[Key, Key, float]], threshold: float
) -> dict[Key, str]:
    """The clusters ``linkage.model.link`` makes of the scored pairs (``linkage.cluster``)."""
    from dadkhah.linkage.cluster import clusters

    uid = {k: SEP.join(k) for k in keys}
    found = clusters(
        [uid[k] for k in keys],
        [(uid[a], uid[b], p) for a, b, p in scored],
        threshold,
        lists={uid[k]: k[0] for k in keys},
    )
    return {k: found[uid[k]][0] for k in keys}


def expected_f1_threshold(probabilities: Sequence[float]) -> tuple[float, float]:
    """The threshold that maximises the expected pairwise F1 of the links by the model's own
    probabilities (no labels): links at or above t, expected true links the sum of their
    probabilities, expected true pairs the sum of all. Returns (t, expected F1)."""
    ranked = sorted((float(p) for p in probabilities), reverse=True)
    total = sum(ranked)
    best, kept = (1.0, 0.0), 0.0
    for found, p in enumerate(ranked, start=1):
        kept += p
        f1 = 2 * kept / (found + total)
        if f1 > best[1]:
            best = (p, f1)
    return best


def calibration(scored: Sequence[tuple[Key, Key, float]], truth: Mapping[Key, str]) -> None:
    """Per band of match probability: the pairs scored in it and the share of them that are one
    person (a calibrated model's share lies within the band)."""
    edges = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)
    print("ours     calibration (pairs scored in each band of probability; share that match):")
    for lo, hi in itertools.pairwise(edges):
        band = [truth[a] == truth[b] for a, b, p in scored if lo <= p < hi or (hi == 1.0 == p)]
        if band:
            print(
                f"           [{lo:.2f}, {hi:.2f}{']' if hi == 1.0 else ')'}: {len(band):6d} "
                f"pairs, {sum(band) / len(band):.3f} match"
            )


def best_threshold(
    scored: Sequence[tuple[Key, Key, float]],
    truth: Mapping[Key, str],
    cluster: Clusterer = plain_components,
) -> tuple[float, Scores]:
    """The threshold (chosen with the truth: an upper bound) at which the clusters' pairwise F1
    is best, over the quantiles of the scores."""
    probs = sorted({p for _a, _b, p in scored})
    if not probs:
        return THRESHOLD, pairwise({k: SEP.join(k) for k in truth}, truth)
    grid = sorted(
        {
            probs[min(len(probs) - 1, int(q * len(probs)))]
            for q in [1 - 0.5**i for i in range(1, 25)] + [i / 40 for i in range(40)]
        }
    )
    keys = list(truth)
    best: tuple[float, Scores] | None = None
    for t in grid:
        scores = pairwise(cluster(keys, scored, t), truth)
        if best is None or scores.f1 > best[1].f1:
            best = (t, scores)
    assert best is not None
    return best


# ------------------------------------------------------------------------------- scoring
def _people_count(clusters: Mapping[Key, str]) -> int:
    return len(set(clusters.values()))


def capture_recapture(groups: Mapping[Key, str], seed: int) -> dict[str, float]:
    """Chao and the log-linear estimate (AIC) on the capture table of ``groups``."""
    from dadkhah.counting import simple
    from dadkhah.counting.run import run
    from dadkhah.counting.table import read_capture_csv

    lines = ["record_id,cluster_id,list"]
    for (lst, rid), cid in groups.items():
        lines.append(f'"{lst}:{rid}","{cid}","{lst}"')
    tables = read_capture_csv("\n".join(lines) + "\n")
    table = tables[None]
    out = {"chao": simple.chao(table).estimate}
    estimates = run(tables, method="loglinear", seed=seed).estimates
    best = min(estimates, key=lambda e: e.diagnostics.get("aic", float("inf")))
    out["loglinear"] = best.estimate
    out["loglinear_lo"], out["loglinear_hi"] = best.interval
    out["loglinear_model"] = best.model  # type: ignore[assignment]
    return out


def _row_text(row: Mapping[str, str]) -> str:
    return " | ".join(row[c] or "·" for c in COLUMNS[1:])


def diagnose(
    found: dict[str, Any],
    truth: Mapping[Key, str],
    rows: Mapping[Key, Mapping[str, str]],
    seed: int,
    examples: int = 6,
    threshold: float = THRESHOLD,
) -> None:
    """Where the errors of our run come from, with examples."""
    rng = random.Random(seed)
    clusters: dict[Key, str] = found["clusters"]
    uid_key = found["uid_key"]
    pairs: pd.DataFrame = found["pairs"]
    scored: dict[frozenset[Key], float] = {
        frozenset((uid_key[a], uid_key[b])): float(p)
        for a, b, p in zip(
            pairs["unique_id_l"], pairs["unique_id_r"], pairs["match_probability"], strict=True
        )
    }
    gamma_cols = [c for c in pairs.columns if c.startswith("gamma_")]
    gammas: dict[frozenset[Key], str] = {
        frozenset((uid_key[a], uid_key[b])): " ".join(
            f"{c[6:]}={g}" for c, g in zip(gamma_cols, values, strict=True)
        )
        for a, b, *values in zip(
            pairs["unique_id_l"],
            pairs["unique_id_r"],
            *[pairs[c] for c in gamma_cols],
            strict=True,
        )
    }

    def same_name(a: Key, b: Key) -> bool:
        return normalize(rows[a]["full_name"]) == normalize(rows[b]["full_name"])

    # false merges: pairs in one cluster, different persons
    by_cluster: dict[str, list[Key]] = {}
    for k, c in clusters.items():
        by_cluster.setdefault(c, []).append(k)
    false = []
    for members in by_cluster.values():
        for a, b in itertools.combinations(sorted(members), 2):
            if truth[a] != truth[b]:
                false.append((a, b))
    kinds: Counter[str] = Counter()
    for a, b in false:
        direct = scored.get(frozenset((a, b)), 0.0) >= threshold
        kinds[
            f"{'direct link' if direct else 'through a chain'}, "
            f"{'same' if same_name(a, b) else 'different'} written name"
        ] += 1
    print(f"\nfalse merges: {len(false)} pairs")
    for kind, n in kinds.most_common():
        print(f"  {n:6d}  {kind}")
    for a, b in rng.sample(false, min(examples, len(false))):
        p = scored.get(frozenset((a, b)))
        print(f"  p={p if p is None else round(p, 4)}  {gammas.get(frozenset((a, b)), '')}")
        print(f"    {truth[a]}: {_row_text(rows[a])}")
        print(f"    {truth[b]}: {_row_text(rows[b])}")

    # missed pairs: same person, different clusters
    by_person: dict[str, list[Key]] = {}
    for k, pid in truth.items():
        by_person.setdefault(pid, []).append(k)
    missed: dict[str, list[tuple[Key, Key]]] = {
        "never compared (blocked out)": [],
        "scored below the threshold": [],
        "above the threshold, cut by clustering": [],
    }
    for members in by_person.values():
        for a, b in itertools.combinations(sorted(members), 2):
            if clusters[a] == clusters[b]:
                continue
            p = scored.get(frozenset((a, b)))
            if p is None:
                missed["never compared (blocked out)"].append((a, b))
            elif p < threshold:
                missed["scored below the threshold"].append((a, b))
            else:
                missed["above the threshold, cut by clustering"].append((a, b))
    total = sum(len(v) for v in missed.values())
    print(f"\nmissed pairs: {total}")
    for kind, found_pairs in missed.items():
        print(f"  {len(found_pairs):6d}  {kind}")
        for a, b in rng.sample(found_pairs, min(examples, len(found_pairs))):
            p = scored.get(frozenset((a, b)))
            print(f"    p={p if p is None else round(p, 4)}  {gammas.get(frozenset((a, b)), '')}")
            print(f"      {_row_text(rows[a])}")
            print(f"      {_row_text(rows[b])}")
    below = missed["scored below the threshold"]
    if below:
        levels: Counter[str] = Counter()
        for a, b in below:
            for part in gammas.get(frozenset((a, b)), "").split():
                levels[part] += 1
        print("  comparison levels among the pairs scored below the threshold (count):")
        print("    " + ", ".join(f"{k} {v}" for k, v in sorted(levels.items())))


def report(
    name: str,
    clusters: Mapping[Key, str],
    links: Any,
    truth: Mapping[Key, str],
    threshold: float = THRESHOLD,
) -> None:
    pw: Scores = pairwise(clusters, truth)
    b3: Scores = bcubed(clusters, truth)
    lk: Scores = pair_links(links, truth)
    print(
        f"{name:8} clusters  pairwise {pw.line()}   ({pw.true_positives} of {pw.actual} true pairs, "
        f"{pw.predicted} predicted)"
    )
    print(f"{name:8} clusters  B-cubed  {b3.line()}")
    print(f"{name:8} links     pairwise {lk.line()}   ({lk.predicted} links >= {threshold})")
    print(f"{name:8} people found {_people_count(clusters)} (truth: {len(set(truth.values()))})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--lists", type=int, default=4)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--examples", type=int, default=6)
    parser.add_argument("--no-vanilla", action="store_true")
    parser.add_argument(
        "--labels",
        type=int,
        default=0,
        help="give the model this many true pairs as accepted judgements (a reviewer's work)",
    )
    parser.add_argument(
        "--em",
        nargs="+",
        default=None,
        help="EM blocking rules instead of LinkConfig's, e.g. name_tf birth_year+city_key",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=THRESHOLD,
        help=f"join pairs at or above this probability (default: LinkConfig's, {THRESHOLD})",
    )
    parser.add_argument(
        "--no-by-list",
        action="store_true",
        help="one prior for every pair (LinkConfig.by_list off): to measure what it does",
    )
    args = parser.parse_args()
    threshold = args.threshold
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    print(f"seed {seed}; {args.people} persons, {args.lists} lists; threshold {threshold}")
    lists, truth = generate(args.people, args.lists, seed)
    rows = {(r["list"], r["record_id"]): r for rs in lists for r in rs}
    print(
        f"{len(rows)} records; {len(set(truth.values()))} persons on at least one list; "
        + ", ".join(f"{rs[0]['list']} {len(rs)}" for rs in lists)
    )
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_csvs(lists, Path(tmp))[:-1]  # one file per list
        started = time.perf_counter()
        by_person: dict[str, list[Key]] = {}
        for k, pid in sorted(truth.items()):
            by_person.setdefault(pid, []).append(k)
        candidates = [tuple(ks[:2]) for ks in by_person.values() if len(ks) > 1]
        labelled = random.Random(seed).sample(candidates, min(args.labels, len(candidates)))
        if labelled:
            print(f"{len(labelled)} true pairs given as accepted judgements")
        found = ours(
            paths,
            seed,
            em_rules=args.em,
            labelled=labelled,  # type: ignore[arg-type]
            threshold=threshold,
            by_list=not args.no_by_list,
        )
        ours_seconds = time.perf_counter() - started
    print(
        f"\nours: {ours_seconds:.1f} s, {found['comparisons']} comparisons; "
        + ", ".join(f"{k} {v:.1f} s" for k, v in found["seconds"].items())
    )
    for note in found["notes"]:
        print(f"  note: {note}")
    print(f"  blocking: {found['blocking']}")
    print(f"  EM rules: {args.em or 'LinkConfig default'}")
    _print_model(found["result"].model)
    links = [
        (found["uid_key"][a], found["uid_key"][b])
        for a, b, p in zip(
            found["pairs"]["unique_id_l"],
            found["pairs"]["unique_id_r"],
            found["pairs"]["match_probability"],
            strict=True,
        )
        if p >= threshold
    ]
    report("ours", found["clusters"], links, truth, threshold)
    ours_scored = [
        (found["uid_key"][a], found["uid_key"][b], float(p))
        for a, b, p in zip(
            found["pairs"]["unique_id_l"],
            found["pairs"]["unique_id_r"],
            found["pairs"]["match_probability"],
            strict=True,
        )
    ]
    calibration(ours_scored, truth)
    t, expected = expected_f1_threshold([p for _a, _b, p in ours_scored])
    print(
        f"ours     threshold of the highest expected F1 by the model's own probabilities "
        f"(no labels) {t:.4g} (expected F1 of the links {expected:.4f}): clusters pairwise "
        f"{pairwise(our_clusters(list(truth), ours_scored, t), truth).line()}"
    )
    t, scores = best_threshold(ours_scored, truth, our_clusters)
    print(
        f"ours     at its best threshold (chosen with the truth) {t:.4g}: clusters "
        f"pairwise {scores.line()}"
    )
    t, scores = best_threshold(ours_scored, truth)
    print(
        f"ours     at its best threshold (chosen with the truth) {t:.4g}: connected components "
        f"pairwise {scores.line()}"
    )
    if not args.no_vanilla:
        started = time.perf_counter()
        base = vanilla(list(rows.values()), seed, threshold)
        print(
            f"\nvanilla: {time.perf_counter() - started:.1f} s, {base['comparisons']} comparisons"
        )
        report("vanilla", base["clusters"], base["links"], truth, threshold)
        print(f"vanilla  highest match probability of any pair: {base['max_probability']:.4g}")
        t, scores = best_threshold(base["scored"], truth)
        print(
            f"vanilla  at its best threshold (chosen with the truth) {t:.4g}: clusters "
            f"pairwise {scores.line()}"
        )

    print("\ncapture-recapture (people, including those on no list):")
    print(f"  truth: {args.people} persons, {len(set(truth.values()))} on the lists")
    for name, groups in (("true clusters", truth), ("our clusters", found["clusters"])):
        est = capture_recapture(groups, seed)
        print(
            f"  {name:14} observed {len(set(groups.values()))}, Chao {est['chao']:.0f}, "
            f"log-linear {est['loglinear']:.0f} [{est['loglinear_lo']:.0f}, "
            f"{est['loglinear_hi']:.0f}] ({est['loglinear_model']})"
        )
    diagnose(found, truth, rows, seed, args.examples, threshold)


if __name__ == "__main__":
    main()
