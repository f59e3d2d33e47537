"""``dadkhah.names.similarity`` as the engines call it: a pair cache, and worker processes.

DuckDB calls the SQL function ``dadkhah_name_similarity`` once per batch of rows (about 2,000,
from each of its threads). Python runs one thread at a time, so scoring in the engine's
process uses one core however many DuckDB has. :class:`NamePool` scores the pairs a batch
has not met before in worker processes instead: the main process looks each pair up in its
cache, splits the new distinct pairs among the workers, waits (which frees the lock for the
other engine thread and for DuckDB) and merges the scores into the cache. A batch with few
new pairs (fewer than ``min_pairs``) is scored in the main process, where a round trip to a
worker would cost more than the scoring. The workers run the same function on the same
strings, so the scores are identical to one's own, bit for bit.

The workers are started by the ``spawn`` method (a fresh interpreter: forking a process
whose DuckDB threads are running is unsafe), on first need, once per linkage run, and
:meth:`NamePool.close` ends them (:func:`dadkhah.linkage.model.link` does, in its ``finally``).
A failure in a worker (an exception, or a worker that died) raises :class:`NameScoringError`
naming the pair or the cause. Pure Python: no Django import.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from dadkhah.names import similarity

__all__ = ["NamePool", "NameScoringError", "similarity_function", "arrow_similarity"]

#: Name pairs remembered by one engine's function at most (then the memory starts again).
CACHE_PAIRS = 1 << 20
#: New pairs in a batch below which the main process scores them itself.
MIN_POOL_PAIRS = 64

Score = Callable[[str, str], float]

_score: Score = similarity  # the function a worker process runs (set by _start_worker)


class NameScoringError(RuntimeError):
    """Scoring names failed: in a worker process (the pair and the error are named), or a
    worker ended abruptly."""


def _start_worker(score: Score) -> None:
    """Runs once in each worker: the scoring function (imported here, with its lexicon)."""
    global _score
    _score = score
    score("a", "b")  # load the lexicon and the caches' code now, not on the first batch


def _score_pairs(left: Sequence[str], right: Sequence[str]) -> list[float]:
    """Scores of pairs of names, in a worker; an exception names the pair that raised it."""
    out: list[float] = []
    for a, b in zip(left, right, strict=True):
        try:
            out.append(float(_score(a, b)))
        except Exception as exc:  # noqa: BLE001 - any error, named with its pair, is raised
            raise NameScoringError(
                f"names.similarity failed in a worker process on {a!r} and {b!r}: "
                f"{type(exc).__name__}: {exc}"
            ) from None
    return out


class NamePool:
    """Scores pairs of names in ``workers`` processes (in this process when ``workers`` is
    1 or a call brings fewer than ``min_pairs`` pairs). Thread-safe; start-on-first-use;
    :meth:`close` ends the workers. ``score`` must be importable by name (pickled by
    reference), as ``dadkhah.names.similarity`` is."""

    def __init__(
        self, workers: int, min_pairs: int = MIN_POOL_PAIRS, score: Score = similarity
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1: {workers!r}")
        self.workers = workers
        self.min_pairs = min_pairs
        self.score = score
        self.in_workers = 0  # pairs scored in the workers
        self.in_process = 0  # pairs scored in this process
        self.error: NameScoringError | None = None  # the first failure, kept for link()
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise NameScoringError("the name-scoring pool is closed")
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(self.score,),
                )
            return self._executor

    @property
    def started(self) -> bool:
        return self._executor is not None

    def pids(self) -> list[int]:
        """Process ids of the running workers (none before the first use or after close)."""
        executor = self._executor
        processes = getattr(executor, "_processes", None) or {}
        return sorted(int(pid) for pid in processes)

    def __call__(self, left: Sequence[str], right: Sequence[str]) -> list[float]:
        """Scores of the pairs ``zip(left, right)`` (no None), in order."""
        n = len(left)
        if self.workers == 1 or n < self.min_pairs:
            with self._lock:  # two engine threads may call at once
                self.in_process += n
            return [float(self.score(a, b)) for a, b in zip(left, right, strict=True)]
        executor = self._pool()
        size = -(-n // self.workers)
        futures: list[Future[list[float]]] = []
        try:
            for start in range(0, n, size):
                stop = start + size
                futures.append(executor.submit(_score_pairs, left[start:stop], right[start:stop]))
            out: list[float] = []
            for future in futures:
                out.extend(future.result())
        except NameScoringError as exc:
            self.error = self.error or exc
            raise
        except BrokenProcessPool as exc:
            error = NameScoringError(
                f"a name-scoring worker process ended abruptly (killed, or out of memory?): {exc}"
            )
            self.error = self.error or error
            raise error from exc
        finally:
            for future in futures:
                future.cancel()
        with self._lock:
            self.in_workers += n
        return out

    def close(self) -> None:
        """End the workers (waits for them); the pool cannot be used again."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> NamePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def similarity_function() -> Callable[[str | None, str | None], float | None]:
    """``names.similarity`` row by row (Spark's form; None when a name is missing),
    remembering each pair of names it has scored: a pair without the same whole-name key
    meets up to three similarity levels, and names repeat (Zipf), most of all fathers'."""
    known: dict[tuple[str, str], float] = {}

    def score(a: str | None, b: str | None) -> float | None:
        if a is None or b is None:
            return None
        found = known.get((a, b))
        if found is None:
            if len(known) >= CACHE_PAIRS:
                known.clear()
            found = known[(a, b)] = float(similarity(a, b))
        return found

    return score


def arrow_similarity(pool: NamePool | None = None) -> Callable[[Any, Any], Any]:
    """The vectorized form DuckDB calls once per batch of rows (Arrow arrays in and out),
    with its pair cache; the pairs not in it are scored by ``pool`` (in this process when
    None)."""
    import pyarrow as pa  # type: ignore[import-untyped]  # a dependency of Splink; no stubs

    scorer = pool if pool is not None else NamePool(1)
    known: dict[tuple[str, str], float] = {}
    double = pa.float64()

    def batch(a: Any, b: Any) -> Any:
        pairs = list(zip(a.to_pylist(), b.to_pylist(), strict=True))
        get = known.get
        values = [get(p) for p in pairs]  # a pair with a missing name is never in it
        new = list(
            {
                p: None
                for p, v in zip(pairs, values, strict=True)
                if v is None and p[0] is not None and p[1] is not None
            }
        )  # distinct, in order of appearance
        if new:
            scores = scorer([p[0] for p in new], [p[1] for p in new])
            fresh = dict(zip(new, scores, strict=True))
            if len(known) + len(fresh) > CACHE_PAIRS:
                known.clear()
            known.update(fresh)
            values = [fresh.get(p) if v is None else v for p, v in zip(pairs, values, strict=True)]
        return pa.array(values, type=double)

    return batch
