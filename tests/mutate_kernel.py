"""A mutation run of the trusted kernel: python -m tests.mutate_kernel [--random N] [--json OUT].

Each mutant changes one thing in proofs/kernel.py (a comparison flipped, and/or swapped, a `not` dropped,
max turned into min, an integer constant moved by one; never inside a message's f-string).  It is loaded in
place of the kernel and run on a battery built from the tests: the certificate corpus, the certificates of
tests/test_kernel.py and tests/test_symbolic.py, N random adversarial certificates of the differential test,
and each numeric one again under the caller's requirements (mode, count, its own matrix, that matrix changed in
its last entry, a maximal tolerance).  The mutant is killed when a verdict or its text differs from the real
kernel's (which the tests tie to the reference checker), or when it raises or takes over 60 s.  Survivors are
listed, to be killed by a new test or explained as equivalent in docs/certificate.md.
"""
import argparse
import ast
import copy
import json
import signal
import sys
import types
import warnings
from fractions import Fraction
from pathlib import Path

import proofs.checker as front
import proofs.kernel

ROOT = Path(__file__).resolve().parent.parent
KERNEL = ROOT / "proofs" / "kernel.py"
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


def battery(random_count):
    """[(certificate, options)] from the tests."""
    from hypothesis.errors import NonInteractiveExampleWarning
    from tests import test_kernel
    from tests.test_symbolic import TAMPERINGS, cert_two
    corpus = ROOT / "tests" / "certificates"
    certs = []
    for path in sorted(corpus.glob("*/*.json")):
        try:
            certs.append(front.read_certificate(path))
        except front.CertificateUnreadable:
            pass
    certs.append(test_kernel.issue_certificate())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        certs += [test_kernel.adversarial().example() for _ in range(random_count)]
    symbolic = [cert_two()]
    for tamper, _ in TAMPERINGS:
        symbolic.append(cert_two())
        tamper(symbolic[-1])
    out = [(c, {}) for c in certs + symbolic]
    out += [(symbolic[0], {"conditions": allowed}) for allowed in (["a^2*(a*d - b*c)"], ["a*d - b*c"], ["a"])]
    for c in certs:
        if front.check_certificate(c).ok:  # then its matrix holds number strings of sensible size
            out += [(c, {"mode": "positive"}), (c, {"max_factors": 1})]
            own = [[Fraction(x) for x in row] for row in c["matrix"]]
            changed = copy.deepcopy(own)
            changed[-1][-1] += 1
            out += [(c, {"matrix": own}), (c, {"matrix": changed}), (c, {"max_tolerance": Fraction(1, 10 ** 9)}),
                    (c, {"max_relative": Fraction(1, 10 ** 12)})]
    return out


class _Slow(Exception):
    pass


def _alarm(signum, frame):
    raise _Slow


def verdicts(kernel, cases):
    """The (ok, text) of every case with ``kernel`` in place of the real one; None if it raised or was slow."""
    front.kernel, front.Rejected = kernel, kernel.Rejected
    out = []
    try:
        for cert, options in cases:
            signal.alarm(60)
            v = front.check_certificate(copy.deepcopy(cert), **options)
            signal.alarm(0)
            out.append((v.ok, v.summary))
    except BaseException:  # the mutant broke the kernel: killed
        signal.alarm(0)
        return None
    finally:
        front.kernel, front.Rejected = proofs.kernel, proofs.kernel.Rejected
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random", type=int, default=100, help="random adversarial certificates (default 100)")
    parser.add_argument("--json", metavar="OUT", help="write the results as JSON")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGALRM, _alarm)
    cases = battery(args.random)
    expected = verdicts(proofs.kernel, cases)
    source = KERNEL.read_text()
    count = len(mutants(ast.parse(source)))
    print(f"{len(cases)} cases, {count} mutants", flush=True)
    results = []
    for k in range(count):
        tree = ast.parse(source)
        node, what, mutate = mutants(tree)[k]
        mutate(node)
        module = types.ModuleType("proofs.kernel")
        module.__file__ = str(KERNEL)
        sys.modules["proofs.kernel"] = module
        try:
            exec(compile(ast.fix_missing_locations(tree), str(KERNEL), "exec"), module.__dict__)
            killed = verdicts(module, cases) != expected
        except Exception:
            killed = True
        finally:
            sys.modules["proofs.kernel"] = proofs.kernel
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
