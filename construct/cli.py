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
from proofs.checker import CertificateUnreadable, check_certificate, check_file

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
        description="Re-derive the product of a certificate's factors with plain exact arithmetic "
        "and check its structure, scales, count and bound. Exit 0 if it proves its claim, 1 if not.",
    )
    v.add_argument("certificate", help="certificate JSON file (format couplings.certificate/1)")
    v.add_argument("--all", action="store_true", help="list every problem found, not only the first")
    v.set_defaults(run=run_verify)
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
    verdict = check_file(args.certificate)
    if verdict.ok:
        print(verdict.summary)
        return 0
    reasons = verdict.reasons if args.all else verdict.reasons[:1]
    for reason in reasons:
        print(f"not verified: {reason}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
