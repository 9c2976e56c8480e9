"""The ``couplings`` command line.

Exit codes: 0 success, 1 a certificate that does not prove its claim (or a
bound that fails), 2 bad input or usage, 3 an internal error (a bug: please
report it). Errors are one sentence on stderr, never a traceback. A reader
that closes the pipe early (``couplings factor | head -1``) is not an error:
the command stops quietly with exit 0; a full disk is bad output (exit 2).

Sizes are always ``n`` (the matrix is ``n x n``, ``n = 2d``), and every
command that prints a report takes ``--format table|json``.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import math
import os
import re
import sys
from importlib import metadata

import flint

from construct.core.accuracy import MAX_RELATIVE_ERROR, AccuracyError
from construct.core.errors import InputError
from construct.core.factorization import certificate_text
from construct.core.masks import MASK_NAMES
from construct.core.matrices import bit_length
from construct.front.explain import FORMATS as EXPLAIN_FORMATS, explain, format_explanation
from construct.front.factor import ARITHMETICS, DIGITS, MAX_MP_DIGITS, METHODS, MODES, OWN_LIMITS, factor
from construct.front.parse import MAX_BINARY_BYTES, MAX_DIGITS, MAX_INPUT_BYTES, matrix_from_text, read_matrix
from construct.front.report import format_latex, format_markdown, format_table
from construct.front.sweep import FAMILY_NAMES, format_rows, sweep
from construct.front.symbolic import format_symbolic, is_symbolic
from proofs import checker
from proofs.checker import CertificateUnreadable, check_certificate
from proofs.matrix_file import counted

EXPORT_LIBRARIES = ("torch", "zuko", "freia")  # construct.front.export.LIBRARIES, not imported before export runs
_EXPONENT = re.compile(r"[eE][+-]?([0-9]+)")

#: The built-in example, chosen for a slide: it needs a row exchange (so the paper and levels methods show a
#: swap network), det = 1 (so positive mode works too), and every factor of every method and mode has integer
#: entries of at most 3 in absolute value (tests/test_explain.py checks this).
EXAMPLE = "0, -1, 0, 1\n0, 1, -1, 1\n1, -2, 0, 0\n-1, 2, 0, 1\n"

DESCRIPTION = """\
Exact factorizations of invertible matrices into linear affine couplings.

A lower coupling is [[I, 0], [A, diag(b)]], an upper one [[diag(c), D], [0, I]]:
the layers of a normalizing flow with linear shift and constant scale.
Koehler, Mehta and Risteski proved every invertible map is a product of at
most 47 of them; this tool builds such products exactly, writes a certificate
and checks it with an independent checker.
"""


#: errors writing the output that are the user's environment, not a bug (exit 2)
_WRITE_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EIO, errno.EROFS}


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = args.run(args)
        sys.stdout.flush()  # so that a write error surfaces here, not at interpreter exit
        return code
    except BrokenPipeError:  # the reader went away (``| head -1``): nothing more to say
        _discard_stdout()
        return 0
    except OSError as e:
        if e.filename is not None or e.errno not in _WRITE_ERRNOS:
            return _internal_error(e)
        _discard_stdout()
        print(f"couplings: cannot write the output: {e.strerror}", file=sys.stderr)
        return 2
    except (InputError, CertificateUnreadable) as e:
        print(f"couplings: {e}", file=sys.stderr)
        return 2
    except AccuracyError as e:  # a float or mp answer that could be wrong is refused, never printed
        print(f"couplings: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("couplings: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug: say so in one line rather than with a traceback
        return _internal_error(e)


def _internal_error(e: BaseException) -> int:
    print(f"couplings: internal error ({type(e).__name__}: {e}); please report it", file=sys.stderr)
    return 3


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so that flushing what is left at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


class Parser(argparse.ArgumentParser):
    """Usage errors as one sentence on stderr (exit 2), pointing at ``--help``."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _integer(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1.

    >>> positive_int("3")
    3
    >>> positive_int("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a positive integer, got 0
    """
    value = _integer(text, "a positive integer")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0.

    >>> positive_float("1e-8")
    1e-08
    >>> positive_float("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a number > 0, got '0'
    """
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def even_size(text: str) -> int:
    """argparse type: a matrix size ``n``, even and at least 2.

    >>> even_size("4")
    4
    >>> even_size("3")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: a size n must be even and at least 2 (n = 2d), got 3
    """
    value = _integer(text, "a size n (an even integer)")
    if value < 2 or value % 2:
        raise argparse.ArgumentTypeError(f"a size n must be even and at least 2 (n = 2d), got {value}")
    return value


def any_size(text: str) -> int:
    """argparse type: a matrix size ``n``, at least 2 (odd sizes use an unequal split).

    >>> any_size("3")
    3
    >>> any_size("1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: a size n must be at least 2, got 1
    """
    value = _integer(text, "a size n (an integer)")
    if value < 2:
        raise argparse.ArgumentTypeError(f"a size n must be at least 2, got {value}")
    return value


def _version() -> str:
    try:
        return metadata.version("couplings")
    except metadata.PackageNotFoundError:  # running from a checkout that is not installed
        return "unknown"


def _format_option(p, hidden_json: bool = False) -> None:
    p.add_argument("--format", choices=("table", "json"), default="table",
                   help="print a readable table or JSON (default %(default)s)")
    if hidden_json:  # the old spelling, kept working
        p.add_argument("--json", dest="format", action="store_const", const="json", help=argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    """The command line: one subcommand per ``_add_*`` function below, in the order ``--help`` lists them."""
    parser = Parser(
        prog="couplings", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"couplings {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_factor, _add_explain, _add_verify, _add_bounds, _add_prove, _add_fit, _add_minimal, _add_export):
        add(sub)
    return parser


def _add_factor(sub) -> None:
    p = sub.add_parser(
        "factor",
        help="factor a matrix into couplings, check it, print or save the certificate",
        description="Factor an invertible n x n matrix (any n >= 2, any split) into couplings, exactly (or in float64 or "
        "mpmath with --method levels --arith), "
        "and check the result with the independent checker before printing it.",
    )
    p.add_argument(
        "input",
        nargs="?",
        help="matrix file: .csv (numbers like 3, -2/7, 0.125, 1e-3, read exactly), "
        ".json (list of rows, or an object with a 'matrix' key) or .npy; '-' reads CSV "
        "from stdin; omitted: a built-in 4x4 example. Cells may be rational expressions in symbols "
        "(a, 2*x + 1): the factors are then rational functions, printed with the conditions they need",
    )
    p.add_argument(
        "--method",
        choices=METHODS,
        default=METHODS[0],
        help="construction: 'short' (at most 6 couplings, exact only, large entries), 'paper' (the paper's "
        "LUP route, exact only), 'levels' (at most 4 ceil(log2 n/2) + 16 couplings in both modes; well "
        "conditioned, entries as short as those of T^-1; exact, float64 or mp) (default %(default)s)",
    )
    p.add_argument(
        "--arith",
        choices=ARITHMETICS,
        default="exact",
        help="arithmetic: 'exact' rationals (default), 'float64' (NumPy/SciPy; the fast path for float "
        "matrices such as trained weights) or 'mp' (mpmath at --digits digits); float64 and mp need "
        "--method levels and write a certificate with a tolerance that the checker decides rigorously; "
        "there the pivots are spread over the levels and the factors rescaled by powers of two, and couplings "
        "left under the bound may halve the worst shears (the 'halving' stage of the count table); a T close to "
        "orthogonal gets rotation levels (the 'rotations' stage: three couplings of shear norm about 1 per level)",
    )
    p.add_argument("--digits", type=int, help=f"significant digits for --arith mp, 5 to {MAX_MP_DIGITS} (default "
                   f"{DIGITS}); with another arithmetic it is refused, since it would change nothing")
    p.add_argument(
        "--max-relative-error",
        type=positive_float,
        default=MAX_RELATIVE_ERROR,
        metavar="E",
        help="float64 and mp: refuse (exit 1) factors whose product misses T by more than E max |T| in some entry, "
        "as the independent checker bounds it, and a T that is numerically singular at the working precision "
        "(n cond T u >= 1) (default %(default)s)",
    )
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
    p.add_argument(
        "--split",
        type=int,
        metavar="P",
        help="coordinates lower couplings keep, 1 <= P <= n-1 (default: as many as the mask keeps; the "
        "half mask keeps the first floor(n/2)); unequal splits are reduced to a balanced one exactly, or, "
        "with --method levels in float64 or mp, get levels of their own sizes",
    )
    p.add_argument("--seed", type=int, default=0, help="seed for the free choices (default %(default)s)")
    p.add_argument("--out", metavar="FILE", help="write the certificate (JSON) to FILE")
    p.add_argument(
        "--max-digits",
        type=positive_int,
        default=MAX_DIGITS,
        help="refuse input entries whose numerator or denominator has more digits (default %(default)s: "
        "every float64 value fits; bigger entries make factoring slow)",
    )
    p.add_argument(
        "--max-input-mb",
        type=positive_int,
        default=MAX_INPUT_BYTES // 2**20,
        help="refuse input files larger than this many MiB (default %(default)s; a float64 or integer .npy with "
        f"--arith float64 or mp may have up to {MAX_BINARY_BYTES // 2**20} MiB, n = 4096)",
    )
    p.add_argument("--blas-threads", type=positive_int, default=1, metavar="N",
                   help="threads of the BLAS behind NumPy and SciPy (default 1: more threads oversubscribe a small "
                   "machine; set with threadpoolctl when it is installed, pip install threadpoolctl, else the "
                   "environment's OMP_NUM_THREADS decides)")
    p.add_argument(
        "--format",
        choices=("table", "json", "latex", "markdown"),
        default="table",
        help="what to print: a readable table, the certificate as JSON, LaTeX, or Markdown (a table of the "
        "factors and, exact and up to 8x8, each matrix as $$ math) (default %(default)s)",
    )
    p.set_defaults(run=run_factor)


def _add_explain(sub) -> None:
    ex = sub.add_parser(
        "explain",
        help="walk through a factorization step by step (for teaching)",
        description="Factor a matrix exactly and show how: which route was taken and the test that decided it, "
        "each intermediate matrix (Schur complement, similarity, swap-network rounds, triangular stages; for "
        "levels the LU, the levels and their frames), each factor labelled in product order (L_1, U_2, ...), "
        "and the independent checker's verdict on their product.",
    )
    ex.add_argument("input", nargs="?", help="matrix file, as for 'factor'; omitted: the built-in 4x4 example")
    ex.add_argument("--method", choices=METHODS, default=METHODS[0], help="construction (default %(default)s)")
    ex.add_argument("--mode", choices=MODES, default="any", help="scale mode (default %(default)s)")
    ex.add_argument("--seed", type=int, default=0, help="seed for the free choices (default %(default)s)")
    ex.add_argument("--format", choices=EXPLAIN_FORMATS, default="table",
                    help="plain text, Markdown with $$ math, or a LaTeX document whose factors form an align "
                    "environment (default %(default)s)")
    ex.set_defaults(run=run_explain)


def _add_verify(sub) -> None:
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


def _add_bounds(sub) -> None:
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
    b.add_argument("--sizes", nargs="+", type=any_size, default=[2, 4, 8], metavar="N", help="matrix sizes n (default 2 4 8)")
    b.add_argument("--split", type=int, metavar="P",
                   help="coordinates lower couplings keep, 1 <= P < n for every size (default floor(n/2))")
    b.add_argument("--method", nargs="+", choices=METHODS, default=list(METHODS), help="methods (default all)")
    b.add_argument("--mode", nargs="+", choices=MODES, default=list(MODES), help="modes (default both)")
    b.add_argument("--samples", type=positive_int, default=10, help="matrices per family, size, method and mode (default 10)")
    b.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    b.add_argument("--jobs", type=positive_int, default=1,
                   help="worker processes: a process pool, or a local Dask cluster with --dask (default 1)")
    b.add_argument("--dask", action="store_true",
                   help="run on a local Dask cluster of --jobs worker processes instead of a process pool "
                   "(pip install -e '.[dask]'; docs/sweeps.md); the same rows, but for the measured s/matrix")
    b.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on the Dask cluster at ADDRESS (such as tcp://host:8786), whose workers must run "
                   "this version of couplings; a worker that dies has its matrices run again")
    _format_option(b, hidden_json=True)
    b.add_argument("--save-dir", default=".", help="where failing certificates are saved (default .)")
    b.set_defaults(run=run_bounds)


def _add_prove(sub) -> None:
    pr = sub.add_parser(
        "prove",
        help="prove the gadget identities symbolically, or check the lower-bound witnesses",
        description="Without options: prove each gadget identity of the construction for every block size d "
        "in the free algebra (noncommuting symbols, formal inverses, commuting diagonal blocks), and cross-check "
        "it with generic symbolic d x d blocks (n = 2d = 2, 4, 6) over the rational function field; the report "
        "says which identities hold for all d and which only for the sizes checked, and why. "
        "With --lower-bound: print and check the certified lower-bound witnesses. "
        "On a terminal, progress is shown on stderr.",
    )
    pr.add_argument("--lower-bound", action="store_true", help="check the lower-bound witnesses instead")
    pr.add_argument("--sizes", nargs="+", type=even_size, default=[2, 4, 6], metavar="N",
                    help="matrix sizes n = 2d (even; default 2 4 6)")
    _format_option(pr)
    pr.set_defaults(run=run_prove)


def _add_fit(sub) -> None:
    ft = sub.add_parser(
        "fit",
        help="the paper's regression experiment: fit random maps with k couplings by least squares",
        description="Fit random Gaussian linear maps with alternating products of k couplings by "
        "least squares from random starts and report the median and best relative error per k.",
    )
    size = ft.add_mutually_exclusive_group()
    size.add_argument("--size", type=any_size, metavar="N", help="matrix size n (default 4)")
    size.add_argument("--dim", type=positive_int, help=argparse.SUPPRESS)  # the old spelling: half size d
    ft.add_argument("--split", type=int, metavar="P",
                    help="coordinates lower couplings keep, 1 <= P <= n-1 (default floor(n/2))")
    ft.add_argument("--layers", default="1..8", help="k values, e.g. 1..16 or 2,4,6 (default 1..8)")
    ft.add_argument("--trials", type=positive_int, default=5, help="random maps per k (default 5)")
    ft.add_argument("--mode", choices=MODES, default="any")
    ft.add_argument("--seed", type=int, default=0)
    _format_option(ft, hidden_json=True)
    ft.add_argument("--plot", metavar="FILE.png", help="draw error against k (needs matplotlib: pip install -e '.[plot]')")
    ft.set_defaults(run=run_fit)


def _add_minimal(sub) -> None:
    mn = sub.add_parser(
        "minimal",
        help="the least number of couplings for a matrix, with evidence for both bounds",
        description="Decide the least number of couplings (split n/2) whose product is the matrix: the upper "
        "bound is the shortest product any route builds (checked by the independent checker), the lower bound "
        "the strongest lemma of proofs/lower_bounds.py that applies (a witness that proofs.lower_bounds re-checks), "
        "and when they differ for n <= 4 a time-bounded Groebner computation. Prints 'exactly k' or "
        "'between a and b' (docs/theory.md).",
    )
    mn.add_argument("input", nargs="?", help="matrix file, as for factor; omitted: the built-in 4x4 example")
    mn.add_argument("--mode", choices=MODES, default="any", help="scale mode (default %(default)s)")
    mn.add_argument("--seed", type=int, default=0, help="seed for the free choices (default %(default)s)")
    mn.add_argument("--groebner-seconds", type=float, default=20.0,
                    help="time for a Groebner computation when the bounds differ; 0 skips it (default %(default)s)")
    _format_option(mn)
    mn.set_defaults(run=run_minimal)


def _add_export(sub) -> None:
    xp = sub.add_parser(
        "export",
        help="turn a certificate into a runnable PyTorch flow (native, zuko or FrEIA) mapping x to T x",
        description="Check a certificate, then build a float64 flow whose forward map is x -> T x and whose "
        "log-determinant is log|det T|: the native module (--to torch, construct.flows.LinearCouplingFlow), zuko "
        "(a zuko.flows.Flow) or FrEIA (a FrEIA.framework.SequenceINN). --out writes tensors and plain values, no "
        "pickled classes (torch.load(FILE, weights_only=True) reads it); construct.load_flow(FILE) rebuilds the "
        "flow. With --check the flow is checked before anything is "
        'written, and a failing check writes no file. Needs the torch extra: pip install -e ".[torch]". Exit 0 done, '
        "1 the certificate does not check or --check finds a deviation above 1e-8, 2 bad input (unreadable "
        "certificate, entries beyond float64, negative scales for FrEIA).",
    )
    xp.add_argument("certificate", help="certificate JSON file (format couplings.certificate/1 or /2); '-' reads stdin")
    xp.add_argument("--to", choices=EXPORT_LIBRARIES, required=True, help="the flow library (torch: the native module)")
    xp.add_argument("--out", metavar="FILE", help="write the flow to FILE (e.g. flow.pt)")
    xp.add_argument("--check", action="store_true", help="run the flow on random float64 batches and print its "
                    "largest deviations from x T^T, log|det T| and the identity (round trip)")
    xp.add_argument("--sign-layer", action="store_true", help="FrEIA: move negative scales' signs into one fixed "
                    "sign flip at the input (a FixedLinearTransform) instead of refusing them")
    xp.add_argument("--seed", type=int, default=0, help="seed of --check's batches (default %(default)s)")
    xp.set_defaults(run=run_export)


def slow_warning(T, method: str, arith: str = "exact") -> str | None:
    """A warning when an exact factorization of ``T`` is likely to take more than about a minute.

    The cost grows about like ``n^4`` times the entries' bit length (docs/benchmarks.md,
    Benchmarks: n = 64 integer matrices take minutes with the short and paper
    methods, so do 16 x 16 ones with 100-digit entries; the levels method
    takes minutes on float data from n = 128). The warning names the fast
    path, ``--method levels --arith float64``.

    >>> from construct.core.matrices import identity
    >>> slow_warning(identity(8), "short") is None, slow_warning(identity(64), "short")[:33]
    (True, 'factoring a 64x64 matrix (entries')
    """
    if arith != "exact":
        return None
    n, bits = T.shape[0], max(bit_length(T), 1)
    fast = ("--method levels --arith float64 is the fast path for float data such as a float .npy "
            "(about a second at n = 512; a certificate with a tolerance)")
    if method == "levels":
        # LU entries are ratios of minors, about n times the input's bits long, so the work grows like
        # n^4 bits: a float64 Gaussian matrix (66 bits) takes 10 s at n = 64 and 100 s at n = 128
        if n**4 * bits < 10**10:
            return None
        return f"factoring a {n}x{n} matrix (entries up to {bits} bits) exactly may take minutes; {fast}"
    if n**4 * bits < 10**7:
        return None
    return (f"factoring a {n}x{n} matrix (entries up to {bits} bits) exactly with the {method} method may take "
            f"minutes; --method levels stays exact with shorter factors, and {fast}")


def verify_options(cert: dict) -> str:
    """The options ``couplings verify`` needs to read ``cert`` beyond its default limits ('' if it needs none).

    >>> verify_options({"matrix": [["1", "2.5e-12000"]], "factors": [], "claims": {"tolerance": "1e-3"}})
    '--max-exponent 12000'
    >>> verify_options({"matrix": [["0x1.ep-12001", "0x1.ep+1"]], "factors": [], "claims": {}})
    '--max-exponent 12001'
    """
    numbers = [x for row in cert["matrix"] for x in row] + [cert["claims"].get("tolerance") or "0"]
    # a float64 factor is written by float.hex: at most 22 characters, its exponent within 1074
    for f in cert["factors"] if cert["claims"].get("arith") != "float64" else ():
        numbers += [x for row in f["shear"] for x in row] + f["scale"]
    longest = max(map(len, numbers))
    hexes = [x for x in numbers if "x" in x]  # a hexadecimal number's binary exponent follows its "p"
    exponent = 0 if "symbols" in cert else max(  # in an expression, e1 may be a symbol; numbers are decimals
        [int(flint.fmpz(e)) for x in numbers if "x" not in x for e in _EXPONENT.findall(x)]
        + [abs(int(x[x.index("p") + 1:])) for x in hexes], default=0)
    options = [f"--max-entry-chars {longest}"] if longest > checker.LIMITS.entry_chars else []
    return " ".join(options + ([f"--max-exponent {exponent}"] if exponent > checker.LIMITS.exponent else []))


def blas_threads(count: int):
    """A context in which the BLAS uses ``count`` threads (threadpoolctl), or changes nothing without it."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=count, user_api="blas")


def run_factor(args) -> int:
    with blas_threads(args.blas_threads):
        return _factor_command(args)


def _factor_command(args) -> int:
    text_limit = args.max_input_mb * 2**20
    limits = {"max_digits": args.max_digits, "max_bytes": text_limit,
              "max_binary_bytes": text_limit if args.arith == "exact" else max(text_limit, MAX_BINARY_BYTES)}
    if args.digits is not None and args.arith != "mp":
        raise InputError(f"--digits sets the precision of --arith mp; with --arith {args.arith} it would change "
                         "nothing (drop it, or add --arith mp --method levels)")
    T = read_matrix(args.input, **limits) if args.input else matrix_from_text(EXAMPLE, "the example")
    if sys.stderr.isatty() and (warning := slow_warning(T, args.method, args.arith)):
        print(f"couplings: {warning}", file=sys.stderr, flush=True)
    result = factor(T, method=args.method, mode=args.mode, mask=args.mask, seed=args.seed,
                    arith=args.arith, digits=DIGITS if args.digits is None else args.digits, split=args.split,
                    max_relative_error=args.max_relative_error)
    cert = result.certificate()
    # numeric factorizations were checked against the matrix read inside factor (their residual decides there)
    verdict = result.verdict or check_certificate(cert, matrix=None if is_symbolic(T) else T.to_list(),
                                                  limits=OWN_LIMITS)
    if not verdict.ok:  # the builder is untrusted: never hand out a certificate the checker rejects
        raise RuntimeError(f"the built certificate does not check: {verdict.summary}")
    if options := verify_options(cert):
        print(f"couplings: note: the numbers of this certificate are beyond the default limits of verify; "
              f"check it with 'couplings verify {args.out or 'CERT.json'} {options}'", file=sys.stderr)
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8") as fh:
                fh.write(certificate_text(cert))
        except OSError as e:
            raise InputError(f"cannot write {args.out}: {e.strerror}") from None
    if args.format == "json":
        print(certificate_text(cert), end="")
    elif is_symbolic(T):  # rational functions of symbols, with the conditions under which the product holds
        print(format_symbolic(result, args.format, verdict.summary))
    elif args.format == "latex":
        print(format_latex(result))
    elif args.format == "markdown":
        print(format_markdown(result))
        print(f"\nChecked by the independent checker: {verdict.summary}")
    else:
        print(format_table(result))
        print()
        print(verdict.summary)
        if args.out:
            print(f"certificate written to {args.out}")
    return 0


def run_explain(args) -> int:
    T = read_matrix(args.input) if args.input else matrix_from_text(EXAMPLE, "the example")
    e = explain(T, method=args.method, mode=args.mode, seed=args.seed, limits=OWN_LIMITS)
    if not e.verdict.ok:  # as for factor: never present a product the checker rejects
        raise RuntimeError(f"the built certificate does not check: {e.verdict.summary}")
    print(format_explanation(e, args.format))
    return 0


def run_verify(args) -> int:
    return checker.run(args, prog="couplings")


def run_bounds(args) -> int:
    families = list(FAMILY_NAMES) if "all" in args.family else args.family
    if not os.path.isdir(args.save_dir):
        raise InputError(f"--save-dir {args.save_dir} is not a directory")
    if args.split is not None and not 1 <= args.split < min(args.sizes):
        raise InputError(f"--split must be from 1 to n - 1 for every size; got {args.split} with n = {min(args.sizes)}")
    if args.scheduler is not None and args.jobs > 1:
        raise InputError("--jobs sets the workers of a local cluster; with --scheduler the cluster's own workers run")
    rows = sweep(
        families, args.sizes, args.method, args.mode, args.samples, args.seed,
        jobs=args.jobs, progress=sys.stderr.isatty(), save_dir=args.save_dir, split=args.split,
        dask=args.dask, scheduler=args.scheduler,
    )
    failed = sum(len(r["failures"]) for r in rows)
    if args.format == "json":
        print(json.dumps(rows, indent=1))
    else:
        print(format_rows(rows))
        checked = sum(r["samples"] for r in rows)
        violations = sum(r["violations"] for r in rows)
        print(f"\n{counted(checked, 'certificate')} checked, {counted(failed, 'failure')}, {violations} above the short "
              "method's target (6, or 5 with an invertible off-diagonal block)")
    return 1 if failed else 0


def run_prove(args) -> int:
    if args.lower_bound:
        from proofs.lower_bounds import check_witness, format_report, load_witnesses

        witnesses = load_witnesses()
        verdicts = [check_witness(w) for w in witnesses]
        if args.format == "json":
            keys = ("id", "mode", "k", "n", "split", "statement", "argument")
            print(json.dumps([{**{k: w.get(k) for k in keys}, "ok": ok, "reasons": list(reasons)}
                              for w, (ok, reasons) in zip(witnesses, verdicts)], indent=1))
        else:
            print(format_report(witnesses))
        return 0 if all(ok for ok, _ in verdicts) else 1
    from proofs.gadget_proofs import STATEMENTS, format_report, prove, prove_free, verdict, verdict_json

    # per statement: the free-algebra proof (every d), then the check for each size as a cross-check
    sizes = [n // 2 for n in args.sizes]
    steps = len(STATEMENTS) * (1 + len(sizes))
    show = sys.stderr.isatty()

    def progress(step, st, what):
        if show:
            print(f"\rproving {step}/{steps}: {st.name}, {what}".ljust(72), end="", file=sys.stderr, flush=True)

    verdicts, step = [], 0
    for st in STATEMENTS:
        progress(step := step + 1, st, "all d")
        free = prove_free(st)
        checks = []
        for d in sizes:
            progress(step := step + 1, st, f"n = {2 * d}")
            checks.append(prove(st, d))
        verdicts.append(verdict(st, free, checks))
    if show:
        print("\r" + " " * 72 + "\r", end="", file=sys.stderr, flush=True)
    if args.format == "json":
        print(json.dumps([verdict_json(v) for v in verdicts], indent=1))
    else:
        print(format_report(verdicts))
    return 0 if all(v.holds for v in verdicts) else 1


def run_fit(args) -> int:
    from construct.front.regression import format_fit, plot_fit, run_fit as fit

    layers = parse_layers(args.layers)
    n = 2 * args.dim if args.dim is not None else args.size or 4
    if args.split is not None and not 1 <= args.split <= n - 1:
        raise InputError(f"--split must be from 1 to n - 1 = {n - 1}, got {args.split}")
    result = fit(n // 2, layers, args.trials, mode=args.mode, seed=args.seed, size=n, split=args.split)
    print(json.dumps(result, indent=1) if args.format == "json" else format_fit(result))
    if args.plot:
        try:
            plot_fit(result, args.plot)
        except ImportError:
            raise InputError("--plot needs matplotlib: pip install -e '.[plot]'") from None
        print(f"plot written to {args.plot}")
    return 0


def run_export(args) -> int:
    from construct.front.export import CertificateRejected, check_flow, describe_deviations, export_flow, \
        refuse_deviating_flow, save_flow

    if not args.out and not args.check:
        raise InputError("export needs --out FILE (to save the flow), --check (to test it), or both")
    cert = checker.read_certificate(args.certificate)
    try:
        flow = export_flow(cert, args.to, sign_layer=args.sign_layer)
    except CertificateRejected as e:
        print(f"couplings: not verified: {e}", file=sys.stderr)
        return 1
    if args.check:  # before anything is written: a flow that fails leaves no file
        worst = check_flow(flow, cert["matrix"], seed=args.seed)
        print(f"largest deviations on 4 random batches of 256 float64 points: {describe_deviations(worst)}")
        refuse_deviating_flow(worst)
    if args.out:
        save_flow(flow, args.out)
        print(f"{args.to} flow on {cert['n']} coordinates ({counted(len(cert['factors']), 'coupling')}) "
              f"written to {args.out} (construct.load_flow reads it)")
    return 0


def run_minimal(args) -> int:
    from construct.front.minimal import format_minimal, minimal

    if not 0 <= args.groebner_seconds < float("inf"):
        raise InputError(f"--groebner-seconds must be a finite number >= 0, got {args.groebner_seconds}")
    T = read_matrix(args.input) if args.input else matrix_from_text(EXAMPLE, "the example")
    result = minimal(T, args.mode, args.seed, args.groebner_seconds)
    print(json.dumps(result.to_json(), indent=1) if args.format == "json" else format_minimal(result))
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
