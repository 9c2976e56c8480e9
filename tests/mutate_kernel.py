"""A mutation run of the trusted kernel: python -m tests.mutate_kernel [--limit N] [--json OUT].

Each mutant changes one thing in proofs/kernel.py (a comparison flipped, and/or swapped, a `not` dropped,
max turned into min, an integer constant moved by one); the kernel's tests run against it in a copy of the
repository and must fail (the mutant is "killed").  Survivors are printed with their line, to be killed by a
new test or explained as equivalent in docs/certificate.md.
"""
import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KERNEL = ROOT / "proofs" / "kernel.py"
SUITE = ["tests/test_checker_corpus.py", "tests/test_kernel.py", "tests/test_checker.py",  # quickest killers first
         "tests/test_checker_claims.py", "tests/test_checker_sparse.py", "tests/test_symbolic.py"]
FLIPS = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
         ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}


def mutants(tree):
    """(line, description, mutate) for every mutation point; mutate(node) changes the node in place."""
    out, in_text = [], {id(n) for s in ast.walk(tree) if isinstance(s, ast.JoinedStr) for n in ast.walk(s)}
    for node in ast.walk(tree):
        if id(node) in in_text:  # the numbers and tests inside a message change only the message
            continue
        if isinstance(node, ast.Compare):
            for k, op in enumerate(node.ops):
                if type(op) in FLIPS:
                    out.append((node, f"{type(op).__name__} -> {FLIPS[type(op)].__name__}",
                                lambda n, k=k: n.ops.__setitem__(k, FLIPS[type(n.ops[k])]())))
        elif isinstance(node, ast.BoolOp):
            out.append((node, "and <-> or", lambda n: setattr(n, "op", ast.Or() if isinstance(n.op, ast.And)
                                                              else ast.And())))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            out.append((node, "not dropped", lambda n: setattr(n, "op", ast.UAdd())))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("max", "min"):
            out.append((node, f"{node.func.id} -> {'min' if node.func.id == 'max' else 'max'}",
                        lambda n: setattr(n.func, "id", "min" if n.func.id == "max" else "max")))
        elif isinstance(node, ast.Constant) and type(node.value) is int and not isinstance(node.value, bool):
            out.append((node, f"{node.value} -> {node.value + 1}", lambda n: setattr(n, "value", n.value + 1)))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="try only the first N mutants")
    parser.add_argument("--json", metavar="OUT", help="write the results as JSON")
    args = parser.parse_args(argv)
    source = KERNEL.read_text()
    points = mutants(ast.parse(source))[:args.limit]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "repo"
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", "__pycache__", ".hypothesis"))
        env = dict(os.environ, COUPLINGS_DIFFERENTIAL_EXAMPLES="60", PYTHONDONTWRITEBYTECODE="1")
        for k in range(len(points)):
            tree = ast.parse(source)
            node, what, mutate = mutants(tree)[k]
            mutate(node)
            (copy / "proofs" / "kernel.py").write_text(ast.unparse(tree))
            try:
                r = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *SUITE],
                                   cwd=copy, env=env, capture_output=True, timeout=600)
                killed = r.returncode != 0
            except subprocess.TimeoutExpired:
                killed = True
            results.append({"line": node.lineno, "mutation": what, "killed": killed})
            print(f"{k + 1}/{len(points)} line {node.lineno}: {what}: {'killed' if killed else 'SURVIVED'}",
                  flush=True)
    survivors = [r for r in results if not r["killed"]]
    print(f"{len(results)} mutants, {len(results) - len(survivors)} killed, {len(survivors)} survived")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
