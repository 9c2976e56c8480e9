"""``couplings bounds``: sample families, factor, check every certificate, compare with the bounds.

Every certificate goes through the independent checker. The paper's bounds
(21 for the permutation, 13 per triangular factor, 47 in all) are theorems:
exceeding one is a violation. The short method's targets are checked on
every matrix: at most 6 factors, and at most 5 when an off-diagonal block
(top-right or bottom-left) is invertible; a matrix above its target is a
violation, counted per row and saved like a failing certificate. When the
short method falls back to the paper's construction its certificate claims
47; the report counts those fallbacks separately (they are violations too
when they exceed 6).

Rows are per family, size ``n``, method and mode.

>>> rows = sweep(["integer"], [2], ["short"], ["any"], samples=3, seed=0)
>>> rows[0]["n"], rows[0]["samples"], rows[0]["failures"], rows[0]["violations"], rows[0]["max"] <= 5
(4, 3, [], 0, True)
"""

from __future__ import annotations

import collections
import json
import multiprocessing
import random
import sys
import time
from pathlib import Path

from construct.factor import factor
from construct.families import FAMILIES, sample
from construct.matrices import blocks
from construct.paper import STAGE_BOUNDS
from proofs.checker import Limits, check_certificate

SHORT_TARGET = 6
#: the short method's target when the top-right or bottom-left block is invertible
SHORT_TARGET_INVERTIBLE = 5


def invertible_offdiagonal(T) -> bool:
    """Whether the top-right or the bottom-left ``d x d`` block of ``T`` is invertible.

    >>> from construct.matrices import from_rows
    >>> invertible_offdiagonal(from_rows([[1, 2], [0, 1]])), invertible_offdiagonal(from_rows([[1, 0], [0, 1]]))
    (True, False)
    """
    d = T.shape[0] // 2
    _, Q, R, _ = blocks(T, d)
    return Q.rank() == d or R.rank() == d


def one_case(case):
    """Factor and check one sampled matrix; a plain dict so that it crosses processes."""
    family, d, method, mode, seed = case
    T = sample(family, random.Random(seed), d, positive=mode == "positive")
    t0 = time.perf_counter()
    f = factor(T, method=method, mode=mode, seed=seed)
    cert = f.certificate()
    verdict = check_certificate(cert, matrix=T.to_list(), limits=Limits(entry_chars=10**12, total_chars=10**15))
    seconds = time.perf_counter() - t0
    problems = [] if verdict.ok else [verdict.summary]
    if method == "paper":
        problems += [
            f"stage {name} has {count} factors, above the paper's {STAGE_BOUNDS[name][1]}"
            for name, count in f.stages.items()
            if count > STAGE_BOUNDS[name][1]
        ]
    if f.count > f.bound:
        problems.append(f"{f.count} factors exceed the claimed bound {f.bound}")
    offdiag = invertible_offdiagonal(T)
    violation = None
    if method == "short":
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


def sweep(families, sizes, methods, modes, samples, seed, jobs=1, progress=False, save_dir="."):
    cases = [
        (family, d, method, mode, seed * 1_000_003 + k)
        for family in families
        for d in sizes
        for method in methods
        for mode in modes
        for k in range(samples)
    ]
    if jobs > 1:
        with multiprocessing.Pool(jobs) as pool:
            results = list(_progress(pool.imap(one_case, cases, chunksize=4), len(cases), progress))
    else:
        results = list(_progress(map(one_case, cases), len(cases), progress))
    groups = collections.defaultdict(list)
    for case, result in zip(cases, results):
        groups[case[0], case[1], case[2], case[3]].append((case, result))
    rows = []
    for (family, d, method, mode), items in groups.items():
        counts = [r["count"] for _, r in items]
        offdiag = [r["count"] for _, r in items if r["invertible_offdiagonal"]]
        failures = []
        for (fam, d, _, _, s), r in items:
            if r["problems"]:
                path = Path(save_dir) / f"failure-{fam}-n{2 * d}-{method}-{mode}-{s}.json"
                path.write_text(json.dumps(r["certificate"], indent=1))
                failures.append({"n": 2 * d, "seed": s, "problems": r["problems"], "saved": str(path)})
        rows.append(
            {
                "family": family,
                "n": 2 * d,
                "method": method,
                "mode": mode,
                "samples": len(items),
                "histogram": dict(sorted(collections.Counter(counts).items())),
                "max": max(counts),
                "bound": {"paper": STAGE_BOUNDS["total"][1], "short": SHORT_TARGET}.get(
                    method, max(r["bound"] for _, r in items)  # other methods: what their certificates claim
                ),
                "invertible_offdiagonal": len(offdiag),
                "max_invertible_offdiagonal": max(offdiag, default=None),
                "bound_invertible_offdiagonal": SHORT_TARGET_INVERTIBLE if method == "short" else None,
                "violations": sum(r["violation"] is not None for _, r in items),
                "fallbacks": sum(r["route"] == "short:paper" for _, r in items),
                "stage_max": _stage_max(r["stages"] for _, r in items) if method == "paper" else {},
                "seconds_per_matrix": sum(r["seconds"] for _, r in items) / len(items),
                "failures": failures,
            }
        )
    return rows


def _stage_max(stage_dicts):
    best = {}
    for stages in stage_dicts:
        for name, count in stages.items():
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
    ``viol``: matrices above a target; ``fallback``: short-method fallbacks to
    the paper's construction.
    """
    lines = [
        f"{'family':<21} {'n':>3} {'method':<6} {'mode':<8} {'samples':>7} {'max':>4} {'bound':>5} {'inv':>4} "
        f"{'max/5':>6} {'viol':>4} {'fallback':>8} {'s/matrix':>8}  histogram (count: matrices)"
    ]
    for r in rows:
        hist = " ".join(f"{k}:{v}" for k, v in r["histogram"].items())
        inv = r["max_invertible_offdiagonal"]
        inv = f"{inv}/{r['bound_invertible_offdiagonal']}" if inv is not None and r["bound_invertible_offdiagonal"] else "-"
        lines.append(
            f"{r['family']:<21} {r['n']:>3} {r['method']:<6} {r['mode']:<8} {r['samples']:>7} {r['max']:>4} {r['bound']:>5} "
            f"{r['invertible_offdiagonal']:>4} {inv:>6} {r['violations']:>4} {r['fallbacks']:>8} {r['seconds_per_matrix']:>8.3f}  {hist}"
        )
        if r["stage_max"]:
            stage = ", ".join(f"{k} {v} (<= {STAGE_BOUNDS[k][1]})" for k, v in r["stage_max"].items())
            lines.append(f"{'':<21} stage maxima: {stage}")
        for fail in r["failures"]:
            lines.append(f"  FAILURE n={fail['n']} seed={fail['seed']}: {fail['problems'][0]} (saved {fail['saved']})")
    return "\n".join(lines)


FAMILY_NAMES = tuple(FAMILIES)
