"""``couplings bounds``: sample families, factor, check every certificate, compare with the bounds.

Every certificate goes through the independent checker. The paper's bounds
(21 for the permutation, 13 per triangular factor, 47 in all) are theorems:
exceeding one is a violation. The short method's targets are checked on
every matrix: at most 6 factors, and at most 5 when an off-diagonal block
(top-right or bottom-left) is invertible; a matrix above its target is a
violation, counted per row and saved like a failing certificate.

Rows are per family, size ``n``, split ``p`` (default ``floor(n/2)``),
method and mode. Odd sizes and unequal splits go through the reduction of
``construct/methods/splits.py``; their counts are checked against the bound proved
for them (:func:`~construct.methods.splits.split_bound`: 8 for the short method on
the near-balanced split of odd ``n``), the short method's targets only for
balanced splits.

>>> rows = sweep(["integer"], [4], ["short"], ["any"], samples=3, seed=0)
>>> rows[0]["n"], rows[0]["samples"], rows[0]["failures"], rows[0]["violations"], rows[0]["max"] <= 5
(4, 3, [], 0, True)
>>> row = sweep(["permutation"], [5], ["paper"], ["positive"], samples=2, seed=0, split=1)[0]
>>> row["split"], row["bound"], row["failures"], row["violations"]
(1, 41, [], 0)
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import multiprocessing
import random
import sys
import time
from pathlib import Path

from construct.core.errors import InputError
from construct.core.matrices import blocks, from_rows, inverse
from construct.front.factor import factor
from construct.front.families import FAMILIES, sample
from construct.methods.levels import levels_bound
from construct.methods.paper import STAGE_BOUNDS
from construct.methods.splits import split_bound
from proofs.checker import Limits, check_certificate

SHORT_TARGET = 6
#: the short method's target when the top-right or bottom-left block is invertible
SHORT_TARGET_INVERTIBLE = 5


def invertible_offdiagonal(T) -> bool:
    """Whether the top-right or the bottom-left ``d x d`` block of ``T`` is invertible.

    >>> from construct.core.matrices import from_rows
    >>> invertible_offdiagonal(from_rows([[1, 2], [0, 1]])), invertible_offdiagonal(from_rows([[1, 0], [0, 1]]))
    (True, False)
    """
    d = T.shape[0] // 2
    _, Q, R, _ = blocks(T, d)
    return Q.rank() == d or R.rank() == d


def proved_bound(n: int, p: int, method: str) -> int:
    """The bound proved for ``method`` on the split ``p`` of ``n`` (short: its target 6 when balanced).

    >>> proved_bound(4, 2, "short"), proved_bound(5, 2, "short"), proved_bound(6, 1, "paper")
    (6, 8, 45)
    """
    s = min(p, n - p)
    balanced = {"short": SHORT_TARGET, "paper": STAGE_BOUNDS["total"][0]}.get(method) or levels_bound(2 * s)
    return split_bound(n, p, balanced, short=method == "short")


def sample_size(family: str, rng: random.Random, n: int, positive: bool):
    """A matrix of ``family`` of any size ``n``.

    Odd ``n``: the family's ``(n + 1) x (n + 1)`` sample without its row
    ``i`` and last column, for an ``i`` with ``(T^-1)[n, i] != 0`` (by
    Cramer's rule exactly the invertible such minors; ``i = n`` first, which
    keeps triangular and block structure); then the first row's sign makes
    ``det > 0`` in positive mode.

    >>> T = sample_size("permutation", random.Random(0), 5, positive=True)
    >>> T.shape, T.det() > 0
    ((5, 5), True)
    """
    if n % 2 == 0:
        return sample(family, rng, n // 2, positive=positive)
    T = sample(family, rng, (n + 1) // 2)
    last = inverse(T).to_list()[n]
    drop = n if last[n] != 0 else next(i for i in range(n + 1) if last[i] != 0)
    rows = [row[:n] for i, row in enumerate(T.to_list()) if i != drop]
    if positive and from_rows(rows).det() < 0:
        rows[0] = [-x for x in rows[0]]
    return from_rows(rows)


def one_case(case):
    """Factor and check one sampled matrix; a plain dict so that it crosses processes."""
    family, n, p, method, mode, seed = case
    T = sample_size(family, random.Random(seed), n, positive=mode == "positive")
    t0 = time.perf_counter()
    f = factor(T, method=method, mode=mode, seed=seed, split=p)
    cert = f.certificate()
    verdict = check_certificate(cert, matrix=T.to_list(), limits=Limits(entry_chars=10**12, total_chars=10**15))
    seconds = time.perf_counter() - t0
    problems = [] if verdict.ok else [verdict.summary]
    if method == "paper":
        problems += [
            f"stage {name} has {count} factors, above the paper's {STAGE_BOUNDS[name][1]}"
            for name, count in f.stages.items()
            if name in STAGE_BOUNDS and count > STAGE_BOUNDS[name][1]  # not the reduction of unequal splits
        ]
    if f.count > f.bound:
        problems.append(f"{f.count} factors exceed the claimed bound {f.bound}")
    balanced = 2 * p == n
    offdiag = balanced and invertible_offdiagonal(T)
    violation = None
    if not balanced and f.count > proved_bound(n, p, method):
        violation = f"{f.count} factors, above the bound {proved_bound(n, p, method)} proved for split {p}"
        problems.append(violation)
    if method == "short" and balanced:
        target = SHORT_TARGET_INVERTIBLE if offdiag else SHORT_TARGET
        if f.count > target:
            why = "although an off-diagonal block is invertible" if offdiag else "the short method's target"
            violation = f"{f.count} factors, above {target} ({why})"
            problems.append(violation)
    return {
        "count": f.count,
        "bound": f.bound,
        "invertible_offdiagonal": offdiag,
        "violation": violation,
        "route": f.method,
        "stages": f.stages,
        "seconds": seconds,
        "problems": problems,
        "certificate": cert if problems else None,
    }


def sweep(families, sizes, methods, modes, samples, seed, jobs=1, progress=False, save_dir=".", split=None,
          dask=False, scheduler=None):
    """Rows of counts for matrices of the sizes ``n`` in ``sizes``, with ``split`` kept coordinates (default ``n // 2``).

    Each matrix has its own seed, so the rows are the same however :func:`run_cases` runs them.
    """
    cases = [
        (family, n, n // 2 if split is None else split, method, mode, seed * 1_000_003 + k)
        for family in families
        for n in sizes
        for method in methods
        for mode in modes
        for k in range(samples)
    ]
    results = run_cases(cases, jobs, dask=dask, scheduler=scheduler, progress=progress)
    groups = collections.defaultdict(list)
    for case, result in zip(cases, results):
        groups[case[:5]].append((case, result))
    rows = []
    for (family, n, p, method, mode), items in groups.items():
        counts = [r["count"] for _, r in items]
        offdiag = [r["count"] for _, r in items if r["invertible_offdiagonal"]]
        failures = []
        for (fam, _, _, _, _, s), r in items:
            if r["problems"]:
                path = Path(save_dir) / f"failure-{fam}-n{n}-p{p}-{method}-{mode}-{s}.json"
                path.write_text(json.dumps(r["certificate"], indent=1))
                failures.append({"n": n, "seed": s, "problems": r["problems"], "saved": str(path)})
        rows.append(
            {
                "family": family,
                "n": n,
                "split": p,
                "method": method,
                "mode": mode,
                "samples": len(items),
                "histogram": dict(sorted(collections.Counter(counts).items())),
                "max": max(counts),
                "bound": proved_bound(n, p, method) if 2 * p != n else {
                    "paper": STAGE_BOUNDS["total"][1], "short": SHORT_TARGET}.get(
                    method, max(r["bound"] for _, r in items)  # other methods: what their certificates claim
                ),
                "invertible_offdiagonal": len(offdiag),
                "max_invertible_offdiagonal": max(offdiag, default=None),
                "bound_invertible_offdiagonal": SHORT_TARGET_INVERTIBLE if method == "short" and 2 * p == n else None,
                "violations": sum(r["violation"] is not None for _, r in items),
                "stage_max": _stage_max(r["stages"] for _, r in items) if method == "paper" else {},
                "seconds_per_matrix": sum(r["seconds"] for _, r in items) / len(items),
                "failures": failures,
            }
        )
    return rows


def run_cases(cases, jobs=1, dask=False, scheduler=None, progress=False):
    """:func:`one_case` of every case, in the order of ``cases``.

    Serially, in a pool of ``jobs`` processes, or on Dask: a local cluster of
    ``jobs`` worker processes with ``dask``, the running cluster at
    ``scheduler`` when one is given.
    """
    if dask or scheduler is not None:
        return dask_map(one_case, cases, scheduler=scheduler, workers=jobs, progress=progress)
    if jobs > 1:
        with multiprocessing.Pool(jobs) as pool:
            return list(_progress(pool.imap(one_case, cases, chunksize=4), len(cases), progress))
    return list(_progress(map(one_case, cases), len(cases), progress))


def dask_map(function, items, scheduler=None, workers=1, chunk=None, progress=False):
    """``[function(x) for x in items]`` on Dask: the cluster at ``scheduler``, or a local one of ``workers`` processes.

    Items go in chunks of ``chunk`` (default: about :data:`TASKS_PER_WORKER`
    per worker, at most :data:`MAX_CHUNK` items), one task each. A task whose
    worker dies is run again from its start on a live worker (Dask
    reschedules it, up to its ``distributed.scheduler.allowed-failures``
    times), and each chunk's result is taken once, by its position: nothing
    is lost or counted twice.
    """
    try:
        from dask.distributed import KilledWorker, as_completed  # lazy: dask is an optional extra
    except ImportError:
        raise InputError("--dask and --scheduler need dask.distributed: pip install -e '.[dask]'") from None
    with _dask_client(scheduler, workers) as client:
        size = chunk or _chunk_size(len(items), max(1, len(client.scheduler_info()["workers"])))
        chunks = [items[i:i + size] for i in range(0, len(items), size)]
        futures = client.map(_run_chunk, chunks, function=function, pure=False)
        position = {future.key: i for i, future in enumerate(futures)}
        parts = [None] * len(chunks)

        def arrivals():
            for future, part in as_completed(futures, with_results=True):
                parts[position[future.key]] = part
                yield from part

        try:
            collections.deque(_progress(arrivals(), len(items), progress), maxlen=0)
        except KilledWorker as e:
            raise InputError(f"a Dask task of up to {size} matrices was running on a worker each of the "
                             f"{e.allowed_failures} times one died (out of memory?), so the sweep stops "
                             "without rows") from None
    return [result for part in parts for result in part]


#: Dask tasks per worker when the chunk is not given: enough to even out unequal cases
TASKS_PER_WORKER = 16
#: the most cases in one Dask task, so that a dead worker costs little work
MAX_CHUNK = 250
#: seconds to wait for a Dask scheduler named by ``--scheduler``
CONNECT_SECONDS = 10


def _chunk_size(items: int, workers: int) -> int:
    """Cases per Dask task.

    >>> _chunk_size(100_000, 2), _chunk_size(40, 2), _chunk_size(1, 4)
    (250, 2, 1)
    """
    return max(1, min(MAX_CHUNK, -(-items // (TASKS_PER_WORKER * workers))))


def _run_chunk(items, function):
    return [function(item) for item in items]


@contextlib.contextmanager
def _dask_client(scheduler, workers):
    """A client of the cluster at ``scheduler`` (its workers checked to run this code), or of a new local one."""
    from dask.distributed import Client, LocalCluster

    if scheduler is None:  # one thread a worker: the cases hold the GIL; the client closes before its cluster
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
            with Client(cluster) as client:
                yield client
        return
    try:
        client = Client(scheduler, timeout=CONNECT_SECONDS)
    except (OSError, ValueError) as e:  # refused, timed out (TimeoutError is an OSError), or a malformed address
        raise InputError(f"cannot reach the Dask scheduler at {scheduler} ({e}); start one with 'dask scheduler' "
                         "and workers with 'dask worker ADDRESS', or drop --scheduler") from None
    with client:
        _check_workers(client, scheduler)
        yield client


def _check_workers(client, scheduler):
    """Refuse a cluster without workers, or whose workers run other code than this: their counts would not be this code's."""
    try:
        client.wait_for_workers(1, timeout=CONNECT_SECONDS)
    except TimeoutError:
        raise InputError(f"the Dask scheduler at {scheduler} has no workers; start some with "
                         f"'dask worker {scheduler}'") from None
    try:
        digests = client.run(source_digest)
    except Exception as e:  # a worker without this package cannot even unpickle the function
        raise InputError(f"the Dask workers at {scheduler} cannot run couplings ({type(e).__name__}: {e}); "
                         "install this version of it where they run") from None
    if set(digests.values()) - {source_digest()}:
        raise InputError(f"the Dask workers at {scheduler} run another version of couplings; "
                         "install this one where they run")


def source_digest() -> str:
    """A SHA-256 of the Python sources of ``construct`` and ``proofs``: equal where the same code runs.

    >>> len(source_digest())
    64
    """
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for package in ("construct", "proofs"):
        for path in sorted((root / package).rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _stage_max(stage_dicts):
    best = {}
    for stages in stage_dicts:
        for name, count in stages.items():
            if name in STAGE_BOUNDS:
                best[name] = max(best.get(name, 0), count)
    return best


def _progress(iterable, total, show):
    for i, item in enumerate(iterable, 1):
        if show:
            filled = int(30 * i / total)
            print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {i}/{total}", end="", file=sys.stderr, flush=True)
        yield item
    if show:
        print(file=sys.stderr)


def format_rows(rows) -> str:
    """One line per family, size ``n``, method and mode.

    ``samples`` is the number of matrices; ``max``/``bound`` the largest count
    and its bound; ``inv``: how many had an invertible off-diagonal block,
    ``max/5``: their largest count against 5 (short method only);
    ``viol``: matrices above a target.
    """
    lines = [
        f"{'family':<21} {'n':>3} {'method':<6} {'mode':<8} {'samples':>7} {'p':>3} {'max':>4} {'bound':>5} {'inv':>4} "
        f"{'max/5':>6} {'viol':>4} {'s/matrix':>8}  histogram (count: matrices)"
    ]
    for r in rows:
        hist = " ".join(f"{k}:{v}" for k, v in r["histogram"].items())
        inv = r["max_invertible_offdiagonal"]
        inv = f"{inv}/{r['bound_invertible_offdiagonal']}" if inv is not None and r["bound_invertible_offdiagonal"] else "-"
        lines.append(
            f"{r['family']:<21} {r['n']:>3} {r['method']:<6} {r['mode']:<8} {r['samples']:>7} {r['split']:>3} {r['max']:>4} {r['bound']:>5} "
            f"{r['invertible_offdiagonal']:>4} {inv:>6} {r['violations']:>4} {r['seconds_per_matrix']:>8.3f}  {hist}"
        )
        if r["stage_max"]:
            stage = ", ".join(f"{k} {v} (<= {STAGE_BOUNDS[k][1]})" for k, v in r["stage_max"].items())
            lines.append(f"{'':<21} stage maxima: {stage}")
        for fail in r["failures"]:
            lines.append(f"  FAILURE n={fail['n']} seed={fail['seed']}: {fail['problems'][0]} (saved {fail['saved']})")
    return "\n".join(lines)


FAMILY_NAMES = tuple(FAMILIES)
