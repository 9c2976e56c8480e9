"""The ``couplings`` command line.

Exit codes: 0 success, 1 a certificate that does not prove its claim (or a
bound that fails), 2 bad input or usage, 3 an internal error (a bug: please
report it). Errors are one sentence on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys

from construct.factor import MASK_NAMES, METHODS, MODES, factor
from construct.parse import InputError, matrix_from_text, read_matrix
from construct.report import format_latex, format_table
from construct.sweep import FAMILY_NAMES, format_rows, sweep
from proofs import checker
from proofs.checker import CertificateUnreadable, check_certificate

#: The built-in example: needs a row exchange, has rational entries.
EXAMPLE = "0, 1, 2, -1\n3, 0, 1, 1/2\n1, -2, 0, 4\n2, 1, 1, 0\n"

DESCRIPTION = """\
Exact factorizations of invertible matrices into linear affine couplings.

A lower coupling is [[I, 0], [A, diag(b)]], an upper one [[diag(c), D], [0, I]]:
the layers of a normalizing flow with linear shift and constant scale.
Koehler, Mehta and Risteski proved every invertible map is a product of at
most 47 of them; this tool builds such products exactly, writes a certificate
and checks it with an independent checker.
"""


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (InputError, CertificateUnreadable) as e:
        print(f"couplings: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("couplings: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug: say so in one line rather than with a traceback
        print(f"couplings: internal error ({type(e).__name__}: {e}); please report it", file=sys.stderr)
        return 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="couplings", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "factor",
        help="factor a matrix into couplings, check it, print or save the certificate",
        description="Factor an invertible matrix of even size n = 2d into couplings, exactly, "
        "and check the result with the independent checker before printing it.",
    )
    p.add_argument(
        "input",
        nargs="?",
        help="matrix file: .csv (numbers like 3, -2/7, 0.125, 1e-3, read exactly), "
        ".json (list of rows, or an object with a 'matrix' key) or .npy; '-' reads CSV "
        "from stdin; omitted: a built-in 4x4 example",
    )
    p.add_argument("--method", choices=METHODS, default=METHODS[0], help="construction (default %(default)s)")
    p.add_argument(
        "--mode",
        choices=MODES,
        default="any",
        help="'any': scales are any nonzero numbers; 'positive': scales > 0 as in flows with "
        "s = exp(...), possible exactly when det > 0 (default %(default)s)",
    )
    p.add_argument(
        "--mask",
        default="half",
        help=f"which coordinates lower couplings keep: {', '.join(MASK_NAMES)}, or a 0/1 list "
        "like 1,0,1,0 (default %(default)s)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed for the free choices (default %(default)s)")
    p.add_argument("--out", metavar="FILE", help="write the certificate (JSON) to FILE")
    p.add_argument(
        "--format",
        choices=("table", "json", "latex"),
        default="table",
        help="what to print: a readable table, the certificate as JSON, or LaTeX (default %(default)s)",
    )
    p.set_defaults(run=run_factor)

    v = sub.add_parser(
        "verify",
        help="check a certificate with the independent checker",
        description="Re-derive the product of a certificate's factors (exactly, or rigorously within its "
        "claimed tolerance) and check its structure, scales, count and bound, with the trusted checker "
        "(the same code as 'python -m proofs.checker'). Exit 0 if it proves its claim and meets the "
        "requirements given, 1 if not, 2 if a file cannot be read. Format: docs/certificate.md.",
    )
    checker.add_arguments(v)
    v.set_defaults(run=run_verify)

    b = sub.add_parser(
        "bounds",
        help="property-test the bounds: sample families, factor, check every certificate",
        description="Sample matrices from named families, factor each with each method and mode, check "
        "every certificate with the independent checker and report count histograms against the bounds "
        "(paper: 21 / 13 / 47; short: 6, 5 with an invertible off-diagonal block). Exit 1 if a bound is "
        "exceeded or a certificate fails; failing matrices are saved as certificates.",
    )
    b.add_argument("--family", nargs="+", default=["all"], choices=("all",) + FAMILY_NAMES, metavar="FAMILY",
                   help=f"families: all, {', '.join(FAMILY_NAMES)} (default all)")
    b.add_argument("--sizes", nargs="+", type=int, default=[2, 4, 8], metavar="N", help="matrix sizes n (even; default 2 4 8)")
    b.add_argument("--method", nargs="+", choices=METHODS, default=list(METHODS), help="methods (default all)")
    b.add_argument("--mode", nargs="+", choices=MODES, default=list(MODES), help="modes (default both)")
    b.add_argument("--samples", type=int, default=10, help="matrices per family, size, method and mode (default 10)")
    b.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    b.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    b.add_argument("--json", action="store_true", help="print a JSON summary instead of the table")
    b.add_argument("--save-dir", default=".", help="where failing certificates are saved (default .)")
    b.set_defaults(run=run_bounds)

    pr = sub.add_parser(
        "prove",
        help="prove the gadget identities symbolically, or check the lower-bound witnesses",
        description="Without options: verify each gadget identity of the construction with generic "
        "symbolic d x d blocks (d = 1, 2, 3) over the rational function field, so it holds for every "
        "matrix of that size. With --lower-bound: print and check the certified lower-bound witnesses.",
    )
    pr.add_argument("--lower-bound", action="store_true", help="check the lower-bound witnesses instead")
    pr.add_argument("--sizes", nargs="+", type=int, default=[1, 2, 3], help="block sizes d (default 1 2 3)")
    pr.set_defaults(run=run_prove)

    ft = sub.add_parser(
        "fit",
        help="the paper's regression experiment: fit random maps with k couplings by least squares",
        description="Fit random Gaussian linear maps with alternating products of k couplings by "
        "least squares from random starts and report the median and best relative error per k.",
    )
    ft.add_argument("--dim", type=int, default=2, help="half size d (n = 2d; default 2)")
    ft.add_argument("--layers", default="1..8", help="k values, e.g. 1..16 or 2,4,6 (default 1..8)")
    ft.add_argument("--trials", type=int, default=5, help="random maps per k (default 5)")
    ft.add_argument("--mode", choices=MODES, default="any")
    ft.add_argument("--seed", type=int, default=0)
    ft.add_argument("--json", action="store_true", help="print the result as JSON")
    ft.add_argument("--plot", metavar="FILE.png", help="draw error against k (needs matplotlib: pip install -e '.[plot]')")
    ft.set_defaults(run=run_fit)
    return parser


def run_factor(args) -> int:
    T = read_matrix(args.input) if args.input else matrix_from_text(EXAMPLE, "the example")
    result = factor(T, method=args.method, mode=args.mode, mask=args.mask, seed=args.seed)
    cert = result.certificate()
    verdict = check_certificate(cert)
    if not verdict.ok:  # the builder is untrusted: never hand out a certificate the checker rejects
        raise RuntimeError(f"the built certificate does not check: {verdict.summary}")
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8") as fh:
                json.dump(cert, fh, indent=1)
                fh.write("\n")
        except OSError as e:
            raise InputError(f"cannot write {args.out}: {e.strerror}") from None
    if args.format == "json":
        print(json.dumps(cert, indent=1))
    elif args.format == "latex":
        print(format_latex(result))
    else:
        print(format_table(result))
        print()
        print(verdict.summary)
        if args.out:
            print(f"certificate written to {args.out}")
    return 0


def run_verify(args) -> int:
    return checker.run(args, prog="couplings")


def run_bounds(args) -> int:
    families = list(FAMILY_NAMES) if "all" in args.family else args.family
    odd = [n for n in args.sizes if n < 2 or n % 2]
    if odd:
        raise InputError(f"sizes must be even and at least 2, got {odd[0]}")
    rows = sweep(
        families, [n // 2 for n in args.sizes], args.method, args.mode, args.samples, args.seed,
        jobs=args.jobs, progress=sys.stderr.isatty() and not args.json, save_dir=args.save_dir,
    )
    print(json.dumps(rows, indent=1) if args.json else format_rows(rows))
    failed = sum(len(r["failures"]) for r in rows)
    if not args.json:
        checked = sum(r["samples"] for r in rows)
        print(f"\n{checked} certificates checked, {failed} failures")
    return 1 if failed else 0


def run_prove(args) -> int:
    if args.lower_bound:
        from proofs.lower_bounds import check_witness, format_report, load_witnesses

        witnesses = load_witnesses()
        print(format_report(witnesses))
        return 0 if all(check_witness(w)[0] for w in witnesses) else 1
    from proofs.gadget_proofs import format_report, prove_all

    results = prove_all(sizes=tuple(args.sizes))
    print(format_report(results))
    return 0 if all(r.ok for r in results) else 1


def run_fit(args) -> int:
    from construct.regression import format_fit, plot_fit, run_fit as fit

    layers = parse_layers(args.layers)
    result = fit(args.dim, layers, args.trials, mode=args.mode, seed=args.seed)
    print(json.dumps(result, indent=1) if args.json else format_fit(result))
    if args.plot:
        try:
            plot_fit(result, args.plot)
        except ImportError:
            raise InputError("--plot needs matplotlib: pip install -e '.[plot]'") from None
        print(f"plot written to {args.plot}")
    return 0


def parse_layers(text: str) -> list[int]:
    """``"1..4"`` or ``"2,4,6"`` to a list of positive ints."""
    try:
        if ".." in text:
            lo, hi = (int(x) for x in text.split(".."))
            values = list(range(lo, hi + 1))
        else:
            values = [int(x) for x in text.split(",")]
    except ValueError:
        raise InputError(f"--layers {text!r} is neither a range like 1..16 nor a list like 2,4,6") from None
    if not values or min(values) < 1:
        raise InputError(f"--layers {text!r} must name at least one k >= 1")
    return values


if __name__ == "__main__":
    sys.exit(main())
