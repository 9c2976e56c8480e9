"""A mutation run of the trusted kernel: python -m tests.mutate_kernel [--tests FILE ...] [--json OUT].

Each mutant changes one thing in proofs/kernel.py (a comparison flipped, and/or swapped, a `not` dropped,
max turned into min, an integer constant moved by one; never inside a message's f-string).  The checker's
tests run once with every call of kernel.check recorded; each mutant is then loaded in place of the kernel
and replays those calls.  It is killed when an outcome differs from the real kernel's (accepted or not, the
record of what was proved, the reason), or when it raises or takes over 60 s: the tests would see it.
Survivors are listed, to be killed by a new test or explained as equivalent in docs/certificate.md.
"""
import argparse
import ast
import copy
import json
import signal
import sys
import types
from pathlib import Path

import proofs.checker as front
import proofs.kernel

ROOT = Path(__file__).resolve().parent.parent
KERNEL = ROOT / "proofs" / "kernel.py"
TESTS = ["tests/test_checker_corpus.py", "tests/test_kernel.py", "tests/test_checker.py", "tests/test_checker_claims.py",
         "tests/test_checker_sparse.py", "tests/test_checker_fuzz.py", "tests/test_symbolic.py"]
FLIPS = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
         ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}


def mutants(tree):
    """(node, description, mutate) for every mutation point; mutate(node) changes the node in place."""
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


def record(test_files):
    """Every call of kernel.check made while the checker's tests run: [(certificate, options, budget)]."""
    import pytest
    calls, original = [], proofs.kernel.check

    def recording(cert, **options):
        guard = options.pop("guard", None)
        try:
            calls.append((copy.deepcopy(cert), copy.deepcopy(options), getattr(guard, "budget", None)))
        except Exception:  # an object the tests made to explode: the real run rejects it before the kernel
            pass
        return original(cert, guard=guard, **options)
    proofs.kernel.check = recording
    try:
        pytest.main(["-q", "-x", "-p", "no:cacheprovider", *test_files])
    finally:
        proofs.kernel.check = original
    return calls


class _Slow(Exception):
    pass


def _alarm(signum, frame):
    raise _Slow


def outcome(kernel, cert, options, budget):
    """What ``kernel`` says of one recorded call: the Accepted record or the rejection's reason and kind."""
    guard = None if budget is None else front._work_guard(budget)
    signal.alarm(60)
    try:
        accepted = kernel.check(copy.deepcopy(cert), guard=guard, **options)
        return "accepted", repr(accepted)
    except kernel.Rejected as e:
        return "rejected", e.reason, e.kind, e.where, e.residual
    except front._TooLarge:
        return "too large"
    finally:
        signal.alarm(0)


def survives(kernel, calls, expected):
    """True if ``kernel`` gives every recorded call the real kernel's outcome (stops at the first difference)."""
    try:
        return all(outcome(kernel, *call) == want for call, want in zip(calls, expected))
    except BaseException:  # the mutant raised or was slow: killed
        signal.alarm(0)
        return False


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", nargs="+", default=TESTS, help="the test files whose checks are replayed")
    parser.add_argument("--json", metavar="OUT", help="write the results as JSON")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGALRM, _alarm)
    calls = record(args.tests)
    expected = [outcome(proofs.kernel, *call) for call in calls]
    source = KERNEL.read_text()
    count = len(mutants(ast.parse(source)))
    print(f"{len(calls)} recorded checks, {count} mutants", flush=True)
    results = []
    for k in range(count):
        tree = ast.parse(source)
        node, what, mutate = mutants(tree)[k]
        mutate(node)
        module = types.ModuleType("proofs.kernel")
        module.__file__ = str(KERNEL)
        try:
            exec(compile(ast.fix_missing_locations(tree), str(KERNEL), "exec"), module.__dict__)
            killed = not survives(module, calls, expected)
        except Exception:
            killed = True
        line = source.splitlines()[node.lineno - 1].strip()
        results.append({"line": node.lineno, "mutation": what, "killed": killed, "code": line})
        print(f"{k + 1}/{count} line {node.lineno}: {what}: {'killed' if killed else 'SURVIVED: ' + line}",
              flush=True)
    survivors = [r for r in results if not r["killed"]]
    print(f"{len(results)} mutants, {len(results) - len(survivors)} killed, {len(survivors)} survived")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
