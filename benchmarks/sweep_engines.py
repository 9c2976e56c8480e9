"""A ``couplings bounds`` sweep serially, on a process pool (``--jobs``) and on a local Dask cluster (``--dask``).

    OMP_NUM_THREADS=1 python benchmarks/sweep_engines.py [--samples 100000] [--jobs 2]

Runs ``couplings bounds --family integer --sizes 2 --method short --mode any
--samples N --format json`` three times, as separate commands started at
the same moment, so that all three meet the same load from other jobs
(start-up, cluster start and shutdown included): serially, with ``--jobs J``
and with ``--dask --jobs J``; checks that the three print the same rows byte for byte
but for ``seconds_per_matrix`` (a measurement); and prints one Markdown row
each: wall seconds, matrices per second, speed-up over the serial run, the
CPU seconds of the command and every process it started, and the overhead
per matrix, ``(CPU - serial CPU) / N`` in milliseconds (what running in
parallel cost beyond the serial work; CPU time is what other jobs on a
shared machine disturb least, wall time the most). Then the bare cost of a task on each engine: ``J``
workers, 1000 tasks that do nothing, one a task (Dask) or one a chunk
(``Pool.imap``, chunksize 1). The load average is printed before and after:
on a shared machine every figure is one run under that load.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from construct.front.sweep import dask_map  # noqa: E402


def bounds_command(samples: int) -> list[str]:
    return [sys.executable, "-m", "construct", "bounds", "--family", "integer", "--sizes", "2", "--method", "short",
            "--mode", "any", "--samples", str(samples), "--format", "json"]


def run_all(commands: dict[str, list[str]], rows_dir=None) -> dict[str, tuple[float, float, str]]:
    """Run the commands at once; for each: wall seconds, CPU seconds of it and every process it started, rows.

    Each command's line goes to stderr as it ends, and its rows (without timing) to ``rows_dir`` if given.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    measured = {}

    def run(name, command):
        with tempfile.TemporaryFile("w+") as out:
            t0 = time.perf_counter()
            process = subprocess.Popen(command, stdout=out, env=env)
            _, status, usage = os.wait4(process.pid, 0)  # its reaped descendants too: pool and Dask workers
            seconds = time.perf_counter() - t0
            process.returncode = os.waitstatus_to_exitcode(status)
            assert process.returncode == 0, f"{name} failed"
            out.seek(0)
            rows = json.load(out)
        for row in rows:
            del row["seconds_per_matrix"]
        measured[name] = seconds, usage.ru_utime + usage.ru_stime, json.dumps(rows)
        print(f"{name} done: {seconds:.1f} s wall, {measured[name][1]:.1f} s CPU", file=sys.stderr, flush=True)
        if rows_dir:
            (Path(rows_dir) / f"{name.split(',')[0].replace(' ', '-')}.json").write_text(measured[name][2])

    threads = [threading.Thread(target=run, args=item) for item in commands.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return measured


def do_nothing(x):
    return x


def bare_task_ms(jobs: int, tasks: int = 1000) -> tuple[float, float]:
    """Milliseconds per task that does nothing: on a running local Dask cluster, and on a running process pool."""
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=jobs, threads_per_worker=1, dashboard_address=":0") as cluster, Client(cluster):
        dask_map(do_nothing, [0], scheduler=cluster.scheduler_address)  # workers warm
        t0 = time.perf_counter()
        dask_map(do_nothing, list(range(tasks)), scheduler=cluster.scheduler_address, chunk=1)
        on_dask = (time.perf_counter() - t0) / tasks * 1e3
    with multiprocessing.Pool(jobs) as pool:
        list(pool.imap(do_nothing, range(jobs)))
        t0 = time.perf_counter()
        list(pool.imap(do_nothing, range(tasks), chunksize=1))
        on_pool = (time.perf_counter() - t0) / tasks * 1e3
    return on_dask, on_pool


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rows-dir", help="where each engine's rows (without timing) are saved as it ends")
    args = parser.parse_args()
    n, j = args.samples, args.jobs
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores", flush=True)
    print(f"\n`{' '.join(['couplings'] + bounds_command(n)[3:])}` ({n} matrices, 2 x 2)\n")
    print("| engine | options | wall s | matrices/s | speed-up | CPU s, all processes | CPU overhead per matrix (ms) |")
    print("|---|---|---|---|---|---|---|", flush=True)
    engines = {"serial": [], "process pool": ["--jobs", str(j)], "Dask, local": ["--dask", "--jobs", str(j)]}
    measured = run_all({engine: bounds_command(n) + options for engine, options in engines.items()}, args.rows_dir)
    serial_seconds, serial_cpu, serial_rows = measured["serial"]
    for engine, options in engines.items():
        seconds, cpu, rows = measured[engine]
        assert rows == serial_rows, f"{engine} printed other rows than the serial run"
        print(f"| {engine} | `{' '.join(options) or '-'}` | {seconds:.1f} | {n / seconds:.0f} | "
              f"{serial_seconds / seconds:.2f} | {cpu:.1f} | {(cpu - serial_cpu) / n * 1e3:.2f} |", flush=True)
    on_dask, on_pool = bare_task_ms(j)
    print(f"\nrows identical to the serial run's (but for seconds_per_matrix): yes")
    print(f"a task that does nothing, {j} workers: Dask {on_dask:.2f} ms, process pool {on_pool:.3f} ms")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
