"""The checker's front: reading files, resource limits, messages, ``--fast`` and the command line.

Soundness lives in :mod:`proofs.kernel` alone; this module decides nothing that the kernel has not proved,
except ``--fast``, which says it is probabilistic and prints its error probability.  It may reject (a
resource limit, an unreadable file) or explain a rejection; it never accepts on its own.
``python -m proofs.checker CERT`` and ``couplings verify`` run :func:`run`; format: ``docs/certificate.md``.

>>> one = {"kind": "lower", "shear": [["2"]], "scale": ["0.5"]}
>>> cert = {"format": FORMAT, "n": 2, "split": 1, "mode": "positive",
...         "matrix": [["1", "0"], ["2", "1/2"]], "factors": [one],
...         "claims": {"method": "hand", "count": 1, "bound": 1}}
>>> check_certificate(cert).summary
'verified: 2x2 matrix = product of 1 coupling (method hand, mode positive, split 1, bound 1)'
>>> check_certificate(dict(cert, matrix=[["1", "0"], ["2", "1"]])).reasons
('the product of the factors differs from matrix at entry (2, 2) (1 of 4 entries differ)',)
>>> near = dict(cert, matrix=[["1", "0"], ["2.001", "1/2"]], claims=dict(cert["claims"], tolerance="1e-3"))
>>> check_certificate(near).summary.split("; ")[1]
'residual <= 1e-3 (relative 4.998e-4 of max |T|, exact)'
>>> check_certificate(cert, matrix=[[1, 0], [2, 1]], name="T.csv").reasons[0][:60]
'the certificate is for another matrix: its matrix differs fr'
"""
import argparse
import functools
import json
import random
import sys
from dataclasses import dataclass

from flint import fmpq, fmpq_mat, fmpz, nmod, nmod_mat

from proofs import kernel
from proofs.kernel import FORMAT, Rejected  # noqa: F401 (FORMAT: part of the API)
from proofs.rational_functions import RationalFunction

FAST_PRIMES = 4  # random primes in [2^59, 2^60) used by --fast
LOOSE = fmpq(1, 10 ** 8)  # a claimed tolerance above this times max |T| is called loose in the verdict


@dataclass(frozen=True)
class Limits:
    """Limits on the numbers in a certificate, so that a small file cannot take minutes.

    >>> LIMITS
    Limits(entry_chars=100000, exponent=10000, total_chars=1000000000, work=300000000)
    """
    entry_chars: int = 100_000  # characters of one number string
    exponent: int = 10_000  # |e| in 1.5e-7
    total_chars: int = 1_000_000_000  # characters of all number strings together
    work: int = 3 * 10 ** 8  # estimated word operations of an exact product, plus 1000 per character of numbers


LIMITS = Limits()


class CertificateUnreadable(Exception):
    """The file could not be read or is not JSON (the CLI exits 2 on this)."""


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reasons: tuple[str, ...] = ()  # empty when ok
    summary: str = ""
    where: tuple = ()  # (row, column) entries, from 1, where the product differs
    relative_residual: object = None  # a tolerance claim that holds: max |product - matrix| / max |matrix|, bounded


def _text(s):
    """``s`` itself if it is printable ASCII, else its JSON escape (no control codes reach a terminal).

    >>> _text("paper"), _text("a\\x1b[31m"), _text("\\ud800")
    ('paper', 'a\\\\u001b[31m', '\\\\ud800')
    """
    return s if s.isascii() and s.isprintable() else json.dumps(s)[1:-1]


def short(q, up=True):
    """``q >= 0`` with at most 4 significant digits, rounded up (or down): for residuals and tolerances.

    >>> short(fmpq(1, 3)), short(fmpq(0)), short(fmpq(12345)), short(fmpq(1, 10**20)), short(fmpq(24, 10**15))
    ('3.334e-1', '0', '1.235e4', '1e-20', '2.4e-14')
    """
    if q == 0:
        return "0"
    e = int((q.p.bit_length() - q.q.bit_length()) * 0.30103) - 3
    while True:
        scaled = q / fmpz(10) ** e if e >= 0 else q * fmpz(10) ** -e
        m = scaled.ceil() if up else scaled.floor()
        if m < 1000:
            e -= 1
        elif m >= 10000:
            e += 1
        else:
            break
    digits = str(m).rstrip("0")
    e += 3
    return digits[0] + ("." + digits[1:] if len(digits) > 1 else "") + f"e{e}"


def _plural(k, word):
    return f"{k} {word}" if k == 1 else f"{k} {word}s"


class _TooLarge(Exception):
    """The exact product would cost more than Limits.work allows."""


def _size(x):
    """Bits of the numbers of x (a list of fmpqs, or an fmpq_mat cleared of denominators) as a product uses them."""
    if type(x) is fmpq_mat:
        N, den = x.numer_denom()
        return den.bit_length() + max(map(fmpz.bit_length, N.entries()), default=0)
    return 2 * max(map(fmpq.height_bits, x), default=0)


def _work_guard(budget):
    """A guard for kernel.product: adds up the estimated word operations of each product, raises _TooLarge.
    Rational functions cost the product of their numbers of terms; numbers their bits."""
    spent = [0]

    def guard(count, *operands):
        if any(isinstance(x, list) and x and type(x[0]) is RationalFunction for x in operands):
            cost = 1
            for x in operands:
                cost *= max((y.size() for y in x if type(y) is RationalFunction), default=1)
            spent[0] += count * cost
        else:
            spent[0] += count * (1 + sum(map(_size, operands)) // 64)
        if spent[0] > budget:
            raise _TooLarge(spent[0])
    guard.budget = budget  # read by tests/mutate_kernel.py to replay a check
    return guard


def _characters(cert):
    """Characters of the number strings of a certificate (0 if it is not shaped like one)."""
    try:
        rows = cert["matrix"] + [row for f in cert["factors"] for row in f["shear"] + [f["scale"]]]
        return sum(sum(map(len, row)) for row in rows)
    except Exception:  # not strings: the kernel rejects it anyway
        return 0


def _as_number(x):
    """An int, Fraction-like, fmpz or fmpq as an fmpq; a string as it is (the kernel reads it); else None."""
    if type(x) in (fmpq, str):
        return x
    if type(x) in (int, fmpz):
        return fmpq(x)
    if hasattr(x, "numerator") and hasattr(x, "denominator") and type(x) is not float and type(x) is not bool:
        return fmpq(fmpz(int(x.numerator)), fmpz(int(x.denominator)))
    return None


def _explain_other_matrix(cert, given, name):
    """Why the certificate is for another matrix: its transpose, or a reordering by its mask, if so."""
    c = kernel.read(cert, kernel.Limits(10 ** 12, 10 ** 9, 10 ** 18))
    n, idx = c.n, c.order
    if c.field is not None or any(type(x) is not fmpq for row in given for x in row):
        return ""
    if all(c.matrix[j][i] == given[i][j] for i in range(n) for j in range(n)):
        return f"; it is the transpose of {name}"
    if all(c.matrix[idx[a]][idx[b]] == given[a][b] for a in range(n) for b in range(n)) or \
            all(given[idx[a]][idx[b]] == c.matrix[a][b] for a in range(n) for b in range(n)):
        return f"; it equals {name} up to the order of the coordinates given by its mask"
    return ""


def _summary(a, cert, name, note=""):
    claims = cert["claims"]
    extra = "".join(f", {k} {_text(str(claims[k]))}" for k in ("arith", "digits") if k in claims)
    masked = ", masked" if "mask" in cert else ""
    what = f"{a.n}x{a.n} matrix" + (f" over {a.how}" if a.how.startswith("QQ(") else "")
    within, residual = "", ""
    if a.tolerance is not None:
        rel = a.tolerance / a.largest if a.largest else None
        within = f" within tolerance {short(a.tolerance)}" + (f" (relative {short(rel)} of max |T|)" if rel else "")
        rres = f"relative {short(a.residual / a.largest)} of max |T|, " if a.largest else ""
        residual = f"; residual <= {short(a.residual)} ({rres}{a.how})"
        if rel is not None and rel > LOOSE:
            residual += f"; the claim is loose: its tolerance is {short(rel)} of the largest entry, above 1e-8"
    conditions = cert.get("conditions", [])
    where = f" wherever {', '.join(map(_text, conditions))} {'is' if len(conditions) == 1 else 'are'} nonzero" \
        if conditions else ""
    return (f"{note or 'verified'}: {what} = product of {_plural(a.count, 'coupling')}{within}{where} (method "
            f"{_text(a.method)}, mode {a.mode}, split {a.split}{masked}, bound {a.bound}{extra}){residual}"
            + (f"; its matrix is {name}" if name else ""))


def check_certificate(cert, *, matrix=None, max_factors=None, mode=None, fast=False, limits=LIMITS,
                      name="the given matrix", max_tolerance=None, max_relative=None, conditions=None) -> Verdict:
    """Check a parsed certificate with the kernel (against ``matrix``, if given); never raises.

    ``max_factors``, ``mode`` ("positive"), ``max_tolerance``, ``max_relative`` and ``conditions`` (allowed
    conditions of a symbolic certificate) are requirements of the caller; ``fast`` checks an exact numeric
    claim modulo random primes instead of exactly (probabilistic, and the summary says so)."""
    given = None
    if matrix is not None:
        given = [[_as_number(x) for x in row] for row in matrix] if type(matrix) is list and all(
            type(row) is list for row in matrix) else matrix
        bad = [x for row in given for x in row if x is None] if type(given) is list else []
        if bad:
            return _rejected(f"{name} holds a value that is not an exact number")
    budget = limits.work + 1000 * _characters(cert)
    options = dict(max_factors=max_factors, mode=mode, allowed_conditions=conditions,
                   max_tolerance=None if max_tolerance is None else _as_number(max_tolerance),
                   max_relative=None if max_relative is None else _as_number(max_relative),
                   limits=kernel.Limits(limits.entry_chars, limits.exponent, limits.total_chars))
    try:
        if fast and _is_exact_numeric(cert):
            return _check_fast(cert, given, options, name)
        accepted = kernel.check(cert, matrix=given, guard=_work_guard(budget), **options)
    except Rejected as e:
        extra = _explain_other_matrix(cert, given, name) if e.kind == "matrix" and e.where else ""
        reason = e.reason.replace("the given one", name) + extra + _claimed(cert, e, options)
        if e.residual is not None:
            relation, value, how = e.residual
            reason += f"; residual {relation} {short(value, up=relation == '=')} ({how})"
        return Verdict(False, (reason,), reason, e.where)
    except _TooLarge as e:
        undecided = "ball arithmetic up to 2048 bits left the tolerance claim undecided, and " \
            if type(cert.get("claims")) is dict and "tolerance" in cert["claims"] else ""
        return _rejected(f"inconclusive: {undecided}the exact product would take about {e.args[0]:.1e} word "
                         f"operations, beyond the limit for a certificate of this size (--max-work {limits.work})"
                         + ("" if undecided else "; --fast checks it modulo primes"))
    except RecursionError:
        return _rejected("the certificate is nested too deeply")
    except MemoryError:
        return _rejected("the certificate is too large to check in the memory available")
    except Exception as e:  # an object no JSON file can hold (API use): reject, never raise
        return _rejected(f"the certificate could not be checked ({type(e).__name__}); "
                         "it holds something that is not plain JSON")
    relative = accepted.residual / accepted.largest if accepted.residual is not None and accepted.largest else None
    return Verdict(True, (), _summary(accepted, cert, name if matrix is not None else ""), relative_residual=relative)


def _claimed(cert, rejection, options):
    """For a tolerance above the caller's maximum: the two numbers (relative ones for --max-relative-error)."""
    if not rejection.reason.startswith("the claimed tolerance"):
        return ""
    c = kernel.read(cert, options["limits"])
    tol, limit = c.tolerance, options["max_tolerance"]
    if "relative" in rejection.reason:
        tol, limit = tol / max(abs(x) for x in kernel.target(c)), options["max_relative"]
    return f" ({short(tol)} claimed, at most {short(limit, up=False)} required)"


def _rejected(reason):
    return Verdict(False, (reason,), reason)


def _is_exact_numeric(cert):
    return type(cert) is dict and type(cert.get("claims")) is dict and "tolerance" not in cert["claims"] \
        and "symbols" not in cert and "conditions" not in cert


# ---------------------------------------------------------------- --fast: probabilistic, outside the kernel


def _random_prime(rng):
    while True:
        x = fmpz(rng.randrange(2 ** 59 + 1, 2 ** 60, 2))
        if x.is_prime():
            return int(x)


def _check_fast(cert, given, options, name, primes=FAST_PRIMES):
    """The exact claim modulo random 60-bit primes: a difference found is a certain rejection, an agreement is
    an acceptance with the error probability printed.  The structure and requirements are the kernel's."""
    c = kernel.read(cert, options["limits"])
    kernel.requirements(c, options["limits"], given, options["max_factors"], options["mode"])
    goal = kernel.target(c)
    # A nonzero entry x of product - M' times D (the product of every factor's common denominator and of M''s)
    # is an integer below 2^height; at most height/59 primes in [2^59, 2^60) divide it, of more than 10^16.
    dens = [_lcm([x.q for x in list(f.shear.values()) + f.scale]) for f in c.factors] + [_lcm([x.q for x in goal])]
    den_bits = sum(d.bit_length() for d in dens)
    height = 2 * den_bits + 2 + max(x.p.bit_length() for x in goal) + sum(
        c.n.bit_length() + max(x.p.bit_length() for x in list(f.shear.values()) + f.scale) for f in c.factors)
    rng, used = random.SystemRandom(), []
    while len(used) < primes:
        m = _random_prime(rng)
        if any(d % m == 0 for d in dens):
            continue  # m divides a denominator: draw another prime
        ring = kernel.Ring(lambda q, m=m: nmod(q, m), lambda r, k, v, m=m: nmod_mat(r, k, v, m))
        cols = kernel.product(c.factors, c.n, c.split, ring)
        wrong = [(c.order[a] + 1, c.order[b] + 1) for a in range(c.n) for b in range(c.n)
                 if cols[b][a] != nmod(goal[a * c.n + b], m)]
        if wrong:
            reason = (f"the product of the factors differs from matrix modulo the prime {m} at entry {wrong[0]} "
                      f"({len(wrong)} of {c.n * c.n} entries differ)")
            return Verdict(False, (reason,), reason, tuple(wrong))
        used.append(m)
    per_prime = fmpq(height, 59) / (10 ** 16 - den_bits // 59 - 1)
    bound = per_prime ** primes if per_prime < 1 else fmpq(1)
    accepted = kernel.Accepted(c.n, c.split, c.mode, len(c.factors), c.claims["bound"], c.claims["method"], None,
                               None, "modular", max(abs(x) for x in goal))
    return Verdict(True, (), _summary(accepted, cert, "", "verified with high probability")
                   + f"; error probability < {short(bound)}")


def _lcm(values):
    out = fmpz(1)
    for v in values:
        out = out.lcm(v) if v != 1 else out
    return out


# ---------------------------------------------------------------- files and the command line


def _no_duplicate_keys(pairs):
    seen = set()
    for k, _ in pairs:
        if k in seen:
            raise ValueError(f"duplicate key {json.dumps(k)} in a JSON object")
        seen.add(k)
    return dict(pairs)


def read_certificate(path):
    """The JSON value in ``path`` ("-": stdin; a UTF-8 byte order mark is skipped), or CertificateUnreadable."""
    where = "stdin" if str(path) == "-" else _text(str(path))
    try:
        if str(path) == "-":
            text = sys.stdin.buffer.read().decode("utf-8-sig")
        else:
            with open(path, encoding="utf-8-sig") as fh:
                text = fh.read()
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except RecursionError:
        raise CertificateUnreadable(f"cannot read certificate {where}: its JSON is nested too deeply") from None
    except UnicodeDecodeError:
        raise CertificateUnreadable(f"cannot read certificate {where}: it is not UTF-8 text") from None
    except OSError as e:
        raise CertificateUnreadable(f"cannot read certificate {where}: {e.strerror or e}") from None
    except ValueError as e:  # JSONDecodeError
        raise CertificateUnreadable(f"cannot read certificate {where}: it is not valid JSON ({e})") from None


def check_file(path, **options) -> Verdict:
    """Read a JSON certificate and check it; raise CertificateUnreadable if it cannot be read as JSON."""
    return check_certificate(read_certificate(path), **options)


def add_arguments(parser):
    """The options of ``python -m proofs.checker`` and ``couplings verify`` (one definition for both)."""
    parser.add_argument("certificate", help="certificate JSON file (format couplings.certificate/1); '-' reads stdin")
    parser.add_argument("--matrix", metavar="T", help="require the certificate to be for this matrix "
                        "(.csv, .json, .mtx or .npy, read exactly as 'couplings factor' reads it)")
    parser.add_argument("--max-factors", type=int, metavar="N", help="require at most N factors")
    parser.add_argument("--mode", choices=("any", "positive"), help="require positive scales ('positive')")
    parser.add_argument("--max-tolerance", metavar="X", help="require a claimed tolerance of at most X "
                        "(absolute; an exact number such as 1e-12)")
    parser.add_argument("--max-relative-error", metavar="X", help="require a claimed tolerance of at most X "
                        "times the largest |entry| of the matrix")
    parser.add_argument("--conditions", nargs="+", metavar="C", help="symbolic certificates: require every "
                        "condition to follow from these being nonzero (expressions such as 'a*d - b*c', or a file "
                        "with one per line); a condition follows when each of its irreducible factors divides one "
                        "of these")
    parser.add_argument("--all", action="store_true", help="list every entry where the product differs, not only "
                        "the first")
    parser.add_argument("--fast", action="store_true", help="check an exact numeric claim modulo random 60-bit "
                        "primes (probabilistic; the error probability is printed) instead of exactly")
    parser.add_argument("--max-entry-chars", type=int, default=LIMITS.entry_chars, metavar="N",
                        help="refuse numbers longer than N characters (default %(default)s)")
    parser.add_argument("--max-exponent", type=int, default=LIMITS.exponent, metavar="N",
                        help="refuse exponents beyond +-N, as in 1e99999 (default %(default)s)")
    parser.add_argument("--max-total-chars", type=int, default=LIMITS.total_chars, metavar="N",
                        help="refuse certificates whose numbers have more than N characters (default %(default)s)")
    parser.add_argument("--max-work", type=int, default=LIMITS.work, metavar="N",
                        help="refuse exact products estimated to need more than N word operations, plus 1000 per "
                        "character of the numbers (default %(default)s)")


def certificate_number(text):
    """The exact value (fmpq) of a number string of a certificate, /1 or /2 (ValueError if it is not one).

    >>> certificate_number("0x1.8p-3"), certificate_number("-2.5e1")
    (3/16, -25)
    """
    try:
        return _certificate_numbers().read(text, "it")
    except Rejected as e:
        raise ValueError(e.reason) from None


@functools.cache
def _certificate_numbers():
    """One reader for every call of :func:`certificate_number` (its caches are bounded)."""
    return kernel._Numbers(kernel.Limits(10 ** 12, 10 ** 12, 10 ** 15), None, hex_allowed=True)


def _user_number(text, option):
    q = kernel._Numbers(kernel.Limits(LIMITS.entry_chars, LIMITS.exponent, LIMITS.total_chars), None)
    try:
        value = q.read(text.strip(), option)
    except Rejected:
        raise CertificateUnreadable(f"{option} is {text!r}, expected a number such as 1e-12 or 3/7") from None
    if value < 0:
        raise CertificateUnreadable(f"{option} is {text!r}, expected a number >= 0")
    return value


def _user_conditions(items):
    """Expressions, each given directly or as a file of one expression per line."""
    out = []
    for item in items:
        try:
            with open(item, encoding="utf-8-sig") as fh:
                out += [line.strip() for line in fh if line.strip() and not line.lstrip().startswith("#")]
        except OSError:
            out.append(item)
    return out


def run(args, prog="checker") -> int:
    """Check ``args.certificate`` as the options say; print the verdict; return the exit code (0, 1 or 2)."""
    from proofs.matrix_file import MatrixUnreadable, read_cells
    try:
        if args.certificate == "-" and args.matrix == "-":
            raise CertificateUnreadable("the certificate and --matrix cannot both be read from stdin")
        if args.max_factors is not None and args.max_factors < 0:
            raise CertificateUnreadable(f"--max-factors must be at least 0, got {args.max_factors}")
        if min(args.max_entry_chars, args.max_exponent, args.max_total_chars, args.max_work) < 1:
            raise CertificateUnreadable("the --max-... limits must be positive")
        limits = Limits(args.max_entry_chars, args.max_exponent, args.max_total_chars, args.max_work)
        max_tolerance = None if args.max_tolerance is None else _user_number(args.max_tolerance, "--max-tolerance")
        max_relative = None if args.max_relative_error is None else \
            _user_number(args.max_relative_error, "--max-relative-error")
        conditions = None if args.conditions is None else _user_conditions(args.conditions)
        matrix = None if args.matrix is None else read_cells(args.matrix, limits)
        cert = read_certificate(args.certificate)
    except (CertificateUnreadable, MatrixUnreadable) as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 2
    if args.fast and not _is_exact_numeric(cert):
        print(f"{prog}: --fast speeds up exact numeric claims only; this certificate is checked as usual",
              file=sys.stderr)
    verdict = check_certificate(cert, matrix=matrix, max_factors=args.max_factors, mode=args.mode,
                                fast=args.fast, limits=limits, name=_text(str(args.matrix)),
                                max_tolerance=max_tolerance, max_relative=max_relative, conditions=conditions)
    if verdict.ok:
        print(verdict.summary)
        return 0
    print(f"not verified: {verdict.reasons[0]}", file=sys.stderr)
    if args.all and len(verdict.where) > 1:
        print("the product differs at the entries " + ", ".join(map(str, verdict.where)), file=sys.stderr)
    return 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m proofs.checker", description="Check a couplings certificate "
                                     "(exit 0 verified, 1 not verified, 2 unreadable input).")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
