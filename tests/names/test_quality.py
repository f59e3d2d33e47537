"""Oracle test: a small draw of the evaluation set in bench/names must meet the issue's targets.

The full report, with the commands, is in docs/benchmarks.md; this guards against regressions.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from dadkhah.names import THRESHOLD, match_keys, similarity

BENCH = Path(__file__).resolve().parents[2] / "bench" / "names"


def _evalset() -> ModuleType:
    spec = importlib.util.spec_from_file_location("names_evalset", BENCH / "evalset.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_cross_script_precision_recall_and_key_recall() -> None:
    pairs = [p for p in _evalset().generate(groups=150, seed=4) if p.cross]
    tp = fp = fn = keyed = positives = 0
    for pair in pairs:
        hit = similarity(pair.a, pair.b) >= THRESHOLD
        tp += hit and pair.same
        fp += hit and not pair.same
        fn += (not hit) and pair.same
        if pair.same:
            positives += 1
            keyed += bool(match_keys(pair.a) & match_keys(pair.b))
    assert positives > 500
    assert tp / (tp + fp) >= 0.95
    assert tp / (tp + fn) >= 0.95
    assert keyed / positives >= 0.99
