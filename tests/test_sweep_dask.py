"""``couplings bounds`` on Dask (construct/front/sweep.py): the serial results byte for byte, even when a worker dies.

The tests share one local cluster of two worker processes (started as
``--dask`` starts one) and skip, saying why, when dask.distributed is not
installed.
"""

import functools
import json
import os
import signal
import subprocess
import sys
import threading
import time
import types

import pytest

from construct.front import sweep as sweep_module
from construct.front.cli import main

BOUNDS = ["bounds", "--family", "integer", "permutation", "--sizes", "3", "4", "--samples", "2", "--format", "json"]


def without_timing(text: str) -> str:
    """The JSON rows of ``bounds`` without ``seconds_per_matrix``, the one field that is a measurement."""
    rows = json.loads(text)
    for row in rows:
        del row["seconds_per_matrix"]
    return json.dumps(rows, indent=1)


@pytest.fixture(scope="module")
def scheduler():
    """The address of a local cluster of two worker processes, made as ``bounds --dask --jobs 2`` makes it."""
    pytest.importorskip("dask.distributed", reason="dask.distributed is not installed: pip install -e '.[dask]'")
    with sweep_module._dask_client(None, 2) as client:
        client.wait_for_workers(2)
        yield client.scheduler.address


def bounds(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_importing_the_sweep_does_not_import_dask():
    code = "import sys, construct.front.cli; print(sorted(m for m in ('dask', 'distributed') if m in sys.modules))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stderr


def test_a_sweep_on_dask_prints_the_serial_rows_byte_for_byte(scheduler, capsys):
    code, serial, _ = bounds(capsys, *BOUNDS)
    assert code == 0
    code, distributed, err = bounds(capsys, *BOUNDS, "--scheduler", scheduler)
    assert code == 0, err
    assert without_timing(distributed) == without_timing(serial)


def wait_to_be_killed(marker, case):
    """:func:`one_case`; but the first run of the case n = 4, seed 2 writes its process id to ``marker`` and waits."""
    if case[1] == 4 and case[-1] == 2:
        try:
            with open(marker, "x") as f:
                f.write(str(os.getpid()))
            time.sleep(60)  # killed long before
        except FileExistsError:  # the run again after the kill
            pass
    return sweep_module.one_case(case)


def test_a_worker_killed_mid_task_loses_and_doubles_no_sample(scheduler, tmp_path):
    cases = [("integer", n, n // 2, "short", "any", k) for n in (2, 4) for k in range(6)]
    marker = tmp_path / "victim"

    def kill_the_worker_waiting():
        while not marker.exists() or not marker.read_text():
            time.sleep(0.02)
        os.kill(int(marker.read_text()), signal.SIGKILL)

    killer = threading.Thread(target=kill_the_worker_waiting, daemon=True)
    killer.start()
    results = sweep_module.dask_map(functools.partial(wait_to_be_killed, str(marker)), cases,
                                    scheduler=scheduler, chunk=2)
    killer.join(timeout=1)
    assert not killer.is_alive()
    with pytest.raises(ProcessLookupError):  # the worker that ran the case first is gone
        os.kill(int(marker.read_text()), 0)
    for result in results:
        del result["seconds"]
    serial = [sweep_module.one_case(case) for case in cases]
    for result in serial:
        del result["seconds"]
    assert results == serial


def test_an_unreachable_scheduler_is_refused_in_one_sentence(capsys, monkeypatch):
    pytest.importorskip("dask.distributed", reason="dask.distributed is not installed: pip install -e '.[dask]'")
    monkeypatch.setattr(sweep_module, "CONNECT_SECONDS", 0.5)
    code, out, err = bounds(capsys, *BOUNDS, "--scheduler", "tcp://127.0.0.1:1")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1" in err and "dask scheduler" in err


def test_workers_running_other_code_are_refused(scheduler, capsys, monkeypatch):
    other = types.SimpleNamespace(sha256=lambda: __import__("hashlib").sha256(b"another version"))
    monkeypatch.setattr(sweep_module, "hashlib", other)  # this process only: the workers hash the real code
    code, out, err = bounds(capsys, *BOUNDS, "--scheduler", scheduler)
    assert code == 2 and out == "" and "run another version of couplings" in err and err.count("\n") == 1


def test_dask_without_dask_installed_says_how_to_install_it(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import fails as if it were not installed
    code, out, err = bounds(capsys, *BOUNDS, "--dask")
    assert code == 2 and out == "" and "pip install -e '.[dask]'" in err


def test_jobs_with_a_scheduler_is_refused(capsys):
    code, _, err = bounds(capsys, *BOUNDS, "--scheduler", "tcp://127.0.0.1:1", "--jobs", "2")
    assert code == 2 and "with --scheduler the cluster's own workers run" in err
