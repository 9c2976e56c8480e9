"""The layout of the packages: every module imports on its own, and imports go only downwards.

``construct/`` has three layers, in the order of the data flow
(input -> matrix -> construction -> word -> certificate -> checker):

* ``construct.core``: matrices, words of couplings, arithmetics, numerics, the factorization record;
* ``construct.methods``: the constructions (short, paper, splits, levels and rotations);
* ``construct.front``: reading input, choosing a method, reports, explanations, export, the command line;
  ``construct.flows`` (the native flow module and the Python API) is beside it, in the same layer.

A module may import from its own layer, a lower one, or :mod:`proofs`;
``proofs`` (the trusted checker) never imports ``construct``. Imports
inside functions count too, and no two modules import each other, directly
or through others: the import graph has no circle.
"""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"construct.core": 0, "construct.methods": 1, "construct.front": 2, "construct.flows": 2, "construct": 3}
#: Modules that need an optional extra, with the module that tells whether it is installed.
NEEDS = {"construct.flows.module": "torch"}
#: Known circles, as sorted module pairs with the reason; none at present.
KNOWN_CIRCLES: dict[tuple[str, str], str] = {}


def modules() -> list[str]:
    names = []
    for package in ("construct", "proofs"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def imports(module: str) -> set[str]:
    """The modules of ``construct`` and ``proofs`` that ``module`` imports anywhere in its code (not docstrings)."""
    path = ROOT / Path(*module.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    known, found = set(modules()), set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known)
    return {m for m in found if m in known and m != module}


def layer(module: str) -> int | None:
    """The layer of the longest package in :data:`LAYERS` that holds ``module``."""
    holders = [p for p in LAYERS if module == p or module.startswith(p + ".")]
    return LAYERS[max(holders, key=len)] if holders else None


def test_every_construct_module_is_in_a_layer():
    assert [m for m in modules() if m.startswith("construct") and layer(m) is None] == []
    assert not [p for p in (ROOT / "construct").glob("*.py") if p.stem not in ("__init__", "__main__")], \
        "modules of construct/ belong in core/, methods/ or front/"


@pytest.mark.parametrize("module", [m for m in modules() if m.startswith("construct.")])
def test_no_module_imports_from_a_layer_above_its_own(module):
    above = {m for m in imports(module) if m.startswith("construct") and layer(m) > layer(module)}
    assert not above, f"{module} (layer {layer(module)}) imports {sorted(above)} from above"


def test_proofs_never_imports_construct():
    offenders = {m: sorted(i for i in imports(m) if i.split(".")[0] == "construct")
                 for m in modules() if m.startswith("proofs")}
    assert {m: i for m, i in offenders.items() if i} == {}


def test_no_import_circles():
    graph = {m: imports(m) for m in modules()}
    circles, state = [], {}

    def visit(m, path):
        state[m] = "open"
        for n in sorted(graph[m]):
            if state.get(n) == "open":
                cycle = path[path.index(n):] + [n]
                if tuple(sorted((cycle[0], cycle[-2]))) not in KNOWN_CIRCLES:
                    circles.append(" -> ".join(cycle))
            elif n not in state:
                visit(n, path + [n])
        state[m] = "done"

    for m in graph:
        if m not in state:
            visit(m, [m])
    assert circles == []


def test_every_module_imports_in_a_fresh_interpreter():
    # one interpreter per module, so that no module relies on another having been imported first (two at a time)
    # (packages are imported as the parents of their modules)
    names = [m for m in modules() if m != "construct.__main__" and not (ROOT / Path(*m.split("."))).is_dir()
             and importlib.util.find_spec(NEEDS.get(m, "sys"))]
    failed, running = [], []
    for m in names + [None, None]:
        if len(running) == 2 or m is None and running:
            name, process = running.pop(0)
            _, err = process.communicate(timeout=120)
            if process.returncode:
                failed.append(f"{name}: {(err.strip().splitlines() or ['?'])[-1]}")
        if m is not None:
            running.append((m, subprocess.Popen([sys.executable, "-c", f"import {m}"], cwd=ROOT, text=True,
                                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)))
    assert failed == []


def test_python_dash_m_construct_runs_the_command():
    r = subprocess.run([sys.executable, "-m", "construct", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and "usage: couplings" in r.stdout, r.stderr
