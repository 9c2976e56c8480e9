"""The whole float64 command at scale, each time next to one LU of the same matrix (issue 22).

For each n, a Gaussian matrix (seed 0) is saved as a .npy and this prints:

- LU: one ``scipy.linalg.lu`` of it (the best of three, measured before and after the rest);
- construction: ``factor_levels`` in float64 through the Python API, and its ratio to LU;
- command: the wall time of ``python -m construct factor G.npy --method levels --arith float64 --out c.json``
  (read, construct, rigorous check, certificate, report), and its ratio to LU;
- certificate: its size, and its ratio to the factors stored as float64 binary (8 bytes per shear and scale
  entry);
- check: the wall time of ``python -m construct verify c.json --matrix G.npy``.

``--formats`` adds, at the smallest n, the time to write, to read (JSON and the kernel's ``read``) and to
check (JSON and ``kernel.check``) the same factorization as certificate/1 (exact decimals, the format
before issue 22; read and checked by today's kernel and by the kernel at ``--before``) and as
certificate/2 (hexadecimal floats), and their sizes.  Everything runs with one BLAS thread (threadpoolctl, and
``OMP_NUM_THREADS=1`` for the commands).

    python benchmarks/speed.py                       # n = 512, 1024, 2048
    python benchmarks/speed.py --sizes 512 --formats
    python benchmarks/speed.py --large               # adds n = 4096
    python benchmarks/speed.py --clock cpu           # CPU times, for a busy machine
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import scipy.linalg  # noqa: E402

from construct.core.factorization import FORMAT, certificate_text  # noqa: E402
from construct.core.numeric import exact_decimal  # noqa: E402
from construct.front.cli import blas_threads  # noqa: E402
from construct.front.factor import factor  # noqa: E402
from construct.front.parse import read_matrix  # noqa: E402
from construct.methods.levels import factor_levels  # noqa: E402
from proofs import kernel  # noqa: E402

ENV = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))


def lu_seconds(G, clock) -> float:
    times = []
    for _ in range(3):
        t = clock()
        scipy.linalg.lu(G)
        times.append(clock() - t)
    return min(times)


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def command_seconds(clock, *args) -> float:
    """The wall time, or with --clock cpu the CPU time, of ``python -m construct ARGS``."""
    t, cpu = time.perf_counter(), children_cpu()
    r = subprocess.run([sys.executable, "-m", "construct", *args], env=ENV, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"construct {' '.join(args)} exited {r.returncode}: {r.stderr.strip() or r.stdout[-300:]}")
    return children_cpu() - cpu if clock is time.process_time else time.perf_counter() - t


def measure(n: int, workdir: Path, clock) -> dict:
    G = np.random.default_rng(0).standard_normal((n, n))
    path, cert = workdir / f"G{n}.npy", workdir / f"c{n}.json"
    np.save(path, G)
    lu = lu_seconds(G, clock)
    T = read_matrix(path, max_binary_bytes=None)
    t = clock()
    built = factor_levels(T, "any", random.Random(0), "float64", 50)
    construction = clock() - t
    whole = command_seconds(clock, "factor", str(path), "--method", "levels", "--arith", "float64", "--out", str(cert))
    check = command_seconds(clock, "verify", str(cert), "--matrix", str(path))
    lu = min(lu, lu_seconds(G, clock))
    entries = sum(f.shear.size + len(f.scale) for f in built.word)
    return {"n": n, "lu_s": lu, "construction_s": construction, "command_s": whole, "check_s": check,
            "certificate_mb": cert.stat().st_size / 2 ** 20, "binary_mb": 8 * entries / 2 ** 20}


def certificate_1(cert2: dict, f) -> dict:
    """The same factorization as certificate/1, the way it was written before: exact decimals."""
    return dict(cert2, format=FORMAT, matrix=[[str(x) for x in row] for row in f.matrix.to_list()], factors=[
        {"kind": c.kind, "shear": [[exact_decimal(x) for x in row] for row in c.shear.tolist()],
         "scale": [exact_decimal(s) for s in c.scale]} for c in f.word])


def kernel_at(revision: str):
    """proofs/kernel.py as it was at a git revision, as a module (to read certificate/1 as before)."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{revision}:proofs/kernel.py"], capture_output=True,
                            text=True, check=True).stdout
    module = types.ModuleType(f"kernel_at_{revision}")
    sys.modules[module.__name__] = module  # its dataclasses look their module up
    exec(compile(source, f"proofs/kernel.py@{revision}", "exec"), module.__dict__)
    return module


def formats(n: int, workdir: Path, clock, before: str) -> list[dict]:
    """Write and read times, and sizes, of one factorization as certificate/1 (read by the kernel at
    ``before`` and by today's) and as certificate/2."""
    f = factor(read_matrix(workdir / f"G{n}.npy", max_binary_bytes=None), method="levels", arith="float64")
    rows = []
    for name in ("1", "2"):
        t = clock()
        if name == "1":
            f._numbers = None  # written from scratch, as a /1 writer would
            cert = certificate_1(f.certificate(), f)
            text = json.dumps(cert, indent=1)
        else:
            f._numbers = None
            text = certificate_text(f.certificate())
        write = clock() - t
        readers = [(kernel, "today's kernel")] + ([(kernel_at(before), f"kernel at {before}")] if name == "1" else [])
        for reader, who in readers:
            limits = reader.Limits(10 ** 12, 10 ** 12, 10 ** 15)
            t = clock()
            reader.read(json.loads(text), limits)
            read = clock() - t
            t = clock()
            reader.check(json.loads(text), limits=limits)
            rows.append({"format": f"certificate/{name}, {who}", "write_s": write, "read_s": read,
                         "check_s": clock() - t, "mb": len(text) / 2 ** 20})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048])
    parser.add_argument("--large", action="store_true", help="add n = 4096")
    parser.add_argument("--formats", action="store_true", help="compare certificate/1 and /2 at the smallest n")
    parser.add_argument("--before", default="916a7ff", metavar="REV",
                        help="the git revision whose kernel reads certificate/1 as before (default %(default)s)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall time, or CPU time (this process's and its commands'), which a busy machine "
                        "disturbs less")
    args = parser.parse_args(argv)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    sizes = args.sizes + ([4096] if args.large else [])
    print(f"{'n':>5} {'LU s':>7} {'constr s':>9} {'/LU':>6} {'command s':>10} {'/LU':>7} {'cert MB':>8} "
          f"{'/binary':>8} {'check s':>8}", flush=True)
    with tempfile.TemporaryDirectory() as tmp, blas_threads(1):  # as the commands (--blas-threads 1)
        for n in sizes:
            r = measure(n, Path(tmp), clock)
            print(f"{n:>5} {r['lu_s']:>7.3f} {r['construction_s']:>9.2f} {r['construction_s'] / r['lu_s']:>6.0f} "
                  f"{r['command_s']:>10.1f} {r['command_s'] / r['lu_s']:>7.0f} {r['certificate_mb']:>8.1f} "
                  f"{r['certificate_mb'] / r['binary_mb']:>8.2f} {r['check_s']:>8.1f}", flush=True)
        if args.formats:
            print(f"\nn = {min(sizes)}: {'format, reader':<40} {'write s':>8} {'read s':>8} {'check s':>8} {'MB':>7}")
            for r in formats(min(sizes), Path(tmp), clock, args.before):
                print(f"{'':9}{r['format']:<40} {r['write_s']:>8.2f} {r['read_s']:>8.2f} {r['check_s']:>8.2f} "
                      f"{r['mb']:>7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
