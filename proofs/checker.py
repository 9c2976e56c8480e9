"""Trusted checker for ``couplings.certificate/1`` files (format: ``docs/certificate.md``).

This module, ``proofs.matrix_file`` and ``proofs.rational_functions`` (symbolic certificates) are the
trusted base: they import only the standard library and python-flint, never ``construct``, SymPy or NumPy.

A certificate lists couplings F_1 ... F_k over a split p of n coordinates and
claims that F_1 F_2 ... F_k equals M' (``matrix`` reordered by the optional
``mask``): exactly, or within ``claims.tolerance`` in every entry.  The checker
re-derives the product and returns a Verdict with its reasons; it never raises
on a bad certificate.  ``python -m proofs.checker CERT`` is the command line,
and ``couplings verify`` runs the same ``main``.

Multiplying by a coupling touches one block only: with P = [A, B] (n x p and
n x (n-p)), P L(S, s) = [A + B S, B diag(s)] and P U(D, c) = [A diag(c), B + A D].
Shears are mostly sparse (signed partial permutations, block diagonal up to an
order of the coordinates), so the product is kept as a list of columns and only
the nonzero entries of a shear are used: they are grouped into the blocks they
connect, a block of one entry is one column update, a larger one a matrix product.
"""
import argparse
import json
import random
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from operator import add, mul, sub

import flint
from flint import arb, arb_mat, fmpq, fmpq_mat, fmpz, fmpz_mat, nmod, nmod_mat

from proofs.rational_functions import SYMBOL, Field, uncovered

FORMAT = "couplings.certificate/1"
_NUMBER = re.compile(r"(-?)([0-9]+)(?:/([0-9]+)|(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?)")
_ONE = r"-?[0-9]+(?:/[0-9]+|(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)"
_ROW = re.compile(rf"(?:{_ONE},)*{_ONE}")
_EXPONENT = re.compile(r"[eE]([+-]?[0-9]+)")
_ZERO_DENOMINATOR = re.compile(r"/0+(?:,|$)")
EXACT_TOLERANCE_N = 32  # tolerance claims up to this n are decided with exact rationals
PRECISIONS = (128, 512, 2048)  # bits tried by ball arithmetic before exact rationals
FAST_PRIMES = 4  # random primes in [2^59, 2^60) used by --fast


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


def _show(x):
    """Short ASCII JSON rendering of a value, for messages: null, true, "0.5", "\\ud800", ...

    >>> print(_show("a\\nb"), _show(object()) == "an object")
    "a\\nb" True
    """
    try:
        s = json.dumps(x)
    except Exception:  # not JSON, too deep, or an object whose methods raise
        s = f"a{'n' if type(x).__name__[:1].lower() in 'aeiou' else ''} {type(x).__name__}"
    return s if len(s) <= 40 else s[:37] + "..."


def _text(s):
    """``s`` itself if it is printable ASCII, else its JSON escape (no control codes reach a terminal).

    >>> _text("paper"), _text("a\\x1b[31m"), _text("\\ud800")
    ('paper', 'a\\\\u001b[31m', '\\\\ud800')
    """
    return s if s.isascii() and s.isprintable() else json.dumps(s)[1:-1]


def _is_int(x):
    return type(x) is int  # bool (and int subclasses) are not accepted as an int


@lru_cache(maxsize=None)
def _pow10(k):
    return fmpz(10) ** k


def _int(digits):
    return int(digits) if len(digits) <= 4000 else fmpz(digits)  # int() refuses more than 4300 digits


def _decimal_text(q, up=True):
    """``q >= 0`` with 4 significant digits, rounded up (or down): for residuals and tolerances.

    >>> _decimal_text(fmpq(1, 3)), _decimal_text(fmpq(0)), _decimal_text(fmpq(12345)), _decimal_text(fmpq(1, 10**20))
    ('3.334e-1', '0', '1.235e4', '1e-20')
    """
    if q == 0:
        return "0"
    e = int((q.p.bit_length() - q.q.bit_length()) * 0.30103) - 3
    while True:
        scaled = q / _pow10(e) if e >= 0 else q * _pow10(-e)
        m = scaled.ceil() if up else scaled.floor()
        if m < 1000:
            e -= 1
        elif m >= 10000:
            e += 1
        else:
            break
    digits = str(m).rstrip("0")
    e += 4 - len(digits) + len(digits) - 1
    return (digits[0] + ("." + digits[1:] if len(digits) > 1 else "")) + f"e{e}"


class _Reader:
    """Parses the numbers of one certificate, records the first problem of each part, counts characters."""

    def __init__(self, limits, field=None):
        self.limits, self.reasons, self.chars = limits, [], 0
        self.field = field  # a proofs.rational_functions.Field for symbolic certificates, else None

    def bad(self, message):
        self.reasons.append(message)  # and return None

    def num(self, s):
        """One exact number as an fmpq, or a str completing "... is <s>, ".

        >>> r = _Reader(LIMITS)
        >>> r.num("-6/4"), r.num("007"), r.num("-1.25e-3"), r.num("1/0")
        (-3/2, 7, -1/800, 'which has a zero denominator')
        >>> r.num("1e99999"), r.num(0.5) == r.num(".5") == 'expected an exact number string like "-3/7" or "1.5e-3"'
        ('whose exponent is beyond the limit of 10000', True)
        """
        if type(s) is not str:
            return 'expected an exact number string like "-3/7" or "1.5e-3"'
        if len(s) > self.limits.entry_chars:
            return f"{len(s)} characters long, beyond the limit of {self.limits.entry_chars} per number"
        if self.field is not None:
            try:
                return self.field.parse(s)
            except ValueError as e:
                return f"which is not a rational function of the symbols: {e}"
        m = _NUMBER.fullmatch(s)
        if m is None:
            return 'expected an exact number string like "-3/7" or "1.5e-3"'
        sign, whole, den, frac, exp = m.groups()
        if den is not None:
            if fmpz(den) == 0:
                return "which has a zero denominator"
            q = fmpq(_int(whole), _int(den))
        else:
            e = int(exp) if exp and len(exp) < 12 else (0 if not exp else None)
            if e is None or abs(e) > self.limits.exponent:
                return f"whose exponent is beyond the limit of {self.limits.exponent}"
            e -= len(frac or "")
            mantissa = _int(whole + (frac or ""))
            q = fmpq(mantissa * _pow10(e)) if e >= 0 else fmpq(mantissa, _pow10(-e))
        return -q if sign else q

    def count(self, strings):
        self.chars += sum(map(len, strings))
        if self.chars > self.limits.total_chars:
            self.bad(f"the numbers of the certificate have more than {self.limits.total_chars} characters, "
                     "beyond the limit")
            return False
        return True

    def vector(self, v, length, what, entry):
        """Parse a list of `length` numbers, or record the first problem and return None."""
        if type(v) is not list:
            return self.bad(f"{what} is {_show(v)}, expected a list of {length} numbers")
        if len(v) != length:
            return self.bad(f"{what} has {len(v)} entries, expected {length}")
        out = [self.num(x) for x in v]
        for j, q in enumerate(out):
            if type(q) is str:
                return self.bad(f"{entry.format(j)} is {_show(v[j])}, {q}")
        return out if self.count(v) else None

    def table(self, rows, r, c, what):
        """Check r rows of c numbers; return them as a _Table, or record the first problem and return None."""
        if type(rows) is not list or len(rows) != r:
            got = f"has {len(rows)} rows" if type(rows) is list else f"is {_show(rows)}"
            return self.bad(f"{what} {got}, expected a list of {r} rows of {c} numbers")
        strings, exact, seen = [], {}, set()  # exact: rows with a problem, or long numbers, one number at a time
        for i, row in enumerate(rows):
            joined = ",".join(row) if self.field is None and type(row) is list and len(row) == c \
                and set(map(type, row)) == {str} else ""  # symbolic rows are parsed one entry at a time
            if not (joined and joined.count(",") == c - 1 and max(map(len, row)) <= min(4000, self.limits.entry_chars)
                    and _ROW.fullmatch(joined)
                    and ("/" not in joined or not _ZERO_DENOMINATOR.search(joined))
                    and ("e" not in joined and "E" not in joined or all(
                        len(e) < 8 and abs(int(e)) <= self.limits.exponent for e in _EXPONENT.findall(joined)))):
                exact[i] = self.vector(row, c, f"{what} row {i}", f"{what}[{i}][{{}}]")
                if exact[i] is None:
                    return None
            elif not self.count(row):
                return None
            seen.update(ch for ch in "/.eE" if ch in joined)
            strings += row if type(row) is list else [None] * c
        return _Table(r, c, strings, exact, seen)


class _Table:
    """A checked r x c table of number strings, converted to exact rationals when needed."""

    def __init__(self, r, c, strings, exact, seen=()):
        self.r, self.c, self.strings, self.exact, self._rational, self._nonzero = r, c, strings, exact, None, None
        self.seen = set(seen)  # which of "/", ".", "e", "E" occur

    def nonzero(self):
        """The positions (i, j) of the numbers not written "0", and those numbers as a 1 x m _Table.

        >>> where, values = _Reader(LIMITS).table([["0", "1/2"], ["0.0", "0"]], 2, 2, "t").nonzero()
        >>> where, values.rational().tolist()
        ([(0, 1), (1, 0)], [[1/2, 0]])
        """
        if self._nonzero is None:
            keep = [k for k, s in enumerate(self.strings) if s != "0"]  # other zeros ("0.0") are kept, harmlessly
            exact = {0: list(map(self.rational().entries().__getitem__, keep))} if self.exact else {}
            self._nonzero = ([divmod(k, self.c) for k in keep],
                             _Table(1, len(keep), [self.strings[k] for k in keep], exact, self.seen))
        return self._nonzero

    def rational(self):
        """The exact values as an fmpq_mat.

        >>> _Reader(LIMITS).table([["0.5", "-2"], ["1/3", "1.5e1"]], 2, 2, "t").rational().tolist()
        [[1/2, -2], [1/3, 15]]
        """
        if self._rational is None:
            r, c, strings = self.r, self.c, self.strings
            if not self.exact and self.seen == {"/"}:  # integers and fractions only
                parts = list(map(str.partition, strings, repeat("/")))
                self._rational = fmpq_mat(r, c, list(map(fmpq, map(fmpz, [a for a, _, _ in parts]),
                                                         map(fmpz, [b or "1" for _, _, b in parts]))))
            elif self.exact or "/" in self.seen:
                value = _Reader(Limits(exponent=10 ** 9)).num  # the numbers were checked already
                out = [None] * (r * c)
                for i in range(r):
                    out[i * c:(i + 1) * c] = self.exact[i] if i in self.exact else \
                        [value(s) for s in strings[i * c:(i + 1) * c]]
                self._rational = fmpq_mat(r, c, out)
            else:
                scaled = self.scaled()
                if type(scaled) is list:
                    self._rational = fmpq_mat(r, c, scaled)
                else:
                    Z, top = fmpq_mat(scaled[0]), scaled[1]
                    self._rational = Z / _pow10(top) if top >= 0 else Z * _pow10(-top)
        return self._rational

    def scaled(self):
        """Decimals only: (an fmpz_mat Z, top) with values Z / 10^top, or a list of fmpqs if top would be long.

        >>> Z, top = _Reader(LIMITS).table([["1.5E-3", "-2e2", "7"]], 1, 3, "t").scaled()
        >>> Z.tolist(), top
        ([[15, -2000000, 70000]], 4)
        """
        strings = self.strings
        mantissas, shifts = list(strings), [0] * len(strings)
        if self.seen & {"e", "E"}:
            for i in [i for i, x in enumerate(strings) if "e" in x or "E" in x]:
                mantissas[i], _, e = strings[i].lower().partition("e")
                shifts[i] = int(e)
        digits = list(map(str.replace, mantissas, repeat("."), repeat("")))
        decimals = [(0 if f < 0 else m - f - 1) - e for f, m, e in
                    zip(map(str.find, mantissas, repeat(".")), map(len, mantissas), shifts)]
        top, low = max(decimals), min(decimals)
        if (top - low) * len(decimals) > 4 * sum(map(len, strings)) + 1000:  # padding would blow up
            return [fmpq(fmpz(x), _pow10(k)) if k >= 0 else fmpq(fmpz(x) * _pow10(-k))
                    for x, k in zip(digits, decimals)]
        zeros = ["0" * k for k in range(top - low + 1)]
        padded = map(str.__add__, digits, [zeros[top - k] for k in decimals])
        return fmpz_mat(self.r, self.c, list(map(fmpz, padded))), top

    def ball(self):
        """An arb_mat enclosing the values (at the current precision)."""
        scaled = self.scaled() if not self.exact and "/" not in self.seen else None
        if scaled is None or type(scaled) is list:
            return arb_mat(self.rational())
        Z, top = scaled
        return arb_mat(Z) / arb(_pow10(top)) if top >= 0 else arb_mat(Z * _pow10(-top))


def _decimal(s):
    """A plain decimal string as (numerator, denominator).

    >>> _decimal("-0.125"), _decimal("7")
    ((-125, 1000), (7, 1))
    """
    i = s.find(".")
    return (_int(s), 1) if i < 0 else (_int(s[:i] + s[i + 1:]), _pow10(len(s) - i - 1))


def _factor(f, i, n, p, mode, read):
    """Check factor i; return (kind, shear as a _Table, scales as fmpqs), or None after recording why not."""
    if type(f) is not dict:
        return read.bad(f"factor {i} is {_show(f)}, expected an object")
    if len(f) != 3 or any(type(k) is not str for k in f) or sorted(f) != ["kind", "scale", "shear"]:
        keys = _show(sorted(str(k) for k in f))
        return read.bad(f"factor {i} has the keys {keys}, expected exactly kind, shear, scale")
    kind = f["kind"]
    if type(kind) is not str or kind not in ("lower", "upper"):
        return read.bad(f'factor {i}: kind is {_show(kind)}, expected "lower" or "upper"')
    label = f"factor {i} ({kind})"
    rows, cols = (n - p, p) if kind == "lower" else (p, n - p)
    scale = read.vector(f["scale"], rows, f"{label}: scale", f"{label}: scale[{{}}]")
    shear = read.table(f["shear"], rows, cols, f"{label}: shear") if scale is not None else None
    if shear is None or scale is None:
        return None
    for j, s in enumerate(scale):
        if s == 0:
            return read.bad(f"{label}: scale[{j}] is 0, scales must be nonzero")
        if mode == "positive" and s < 0:
            return read.bad(f'{label}: scale[{j}] is {s}, but mode "positive" requires positive scales')
    return kind, shear, scale


def _header(cert, reasons):
    """Check format, n, split, mode and mask; return (n, p, mode, idx), or None after recording why not."""
    if type(cert) is not dict:
        return reasons.append(f"the certificate is {_show(cert)}, expected a JSON object")
    if any(type(k) is not str for k in cert):
        return reasons.append("the certificate has a key that is not a string")
    missing = [k for k in ("format", "n", "split", "mode", "matrix", "factors", "claims") if k not in cert]
    if missing:
        return reasons.append(f"the certificate is missing the key(s) {', '.join(missing)}")
    n, p, mode, mask = cert["n"], cert["split"], cert["mode"], cert.get("mask")
    if type(cert["format"]) is not str or cert["format"] != FORMAT:
        reasons.append(f'format is {_show(cert["format"])}, expected "{FORMAT}"')
    if not (_is_int(n) and n > 0):
        reasons.append(f"n is {_show(n)}, expected a positive integer")
    elif not (_is_int(p) and 0 < p < n):
        reasons.append(f"split is {_show(p)}, expected an integer with 0 < split < n = {n}")
    if type(mode) is not str or mode not in ("any", "positive"):
        reasons.append(f'mode is {_show(mode)}, expected "any" or "positive"')
    if reasons or "mask" not in cert:
        return None if reasons else (n, p, mode, range(n))
    if not (type(mask) is list and len(mask) == n and all(_is_int(b) and b in (0, 1) for b in mask)):
        return reasons.append(f"mask is {_show(mask)}, expected a list of n = {n} entries each 0 or 1")
    if sum(mask) != p:
        return reasons.append(f"mask has {sum(mask)} ones, expected split = {p}")
    return n, p, mode, [i for i in range(n) if mask[i]] + [i for i in range(n) if not mask[i]]


def _claims(claims, k, read):
    """Check the claims; return the tolerance (an fmpq, or None for an exact claim)."""
    if type(claims) is not dict or any(type(key) is not str for key in claims) \
            or not {"method", "count", "bound"} <= claims.keys():
        return read.bad(f"claims is {_show(claims)}, expected an object with keys method, count, bound")
    method, count, bound, stages = claims["method"], claims["count"], claims["bound"], claims.get("stages", {})
    if type(method) is not str:
        read.bad(f"claims.method is {_show(method)}, expected a string")
    if not _is_int(count):
        read.bad(f"claims.count is {_show(count)}, expected an integer")
    elif count != k:
        read.bad(f"claims.count is {count} but the certificate has {k} factors")
    if not _is_int(bound):
        read.bad(f"claims.bound is {_show(bound)}, expected an integer")
    elif _is_int(count) and count > bound:
        read.bad(f"claims.count is {count}, which exceeds claims.bound = {bound}")
    if not (type(stages) is dict and all(_is_int(v) and v >= 0 for v in stages.values())):
        read.bad(f"claims.stages is {_show(stages)}, expected an object of non-negative integers")
    if "arith" in claims and (type(claims["arith"]) is not str or claims["arith"] not in ("exact", "float64", "mp")):
        read.bad(f'claims.arith is {_show(claims["arith"])}, expected "exact", "float64" or "mp"')
    if "digits" in claims and not (_is_int(claims["digits"]) and claims["digits"] > 0):
        read.bad(f"claims.digits is {_show(claims['digits'])}, expected a positive integer")
    if "tolerance" not in claims:
        return None
    t = read.num(claims["tolerance"])
    if type(t) is str:
        return read.bad(f"claims.tolerance is {_show(claims['tolerance'])}, {t}")
    if t < 0:
        return read.bad(f"claims.tolerance is {_show(claims['tolerance'])}, expected a number >= 0")
    return t


# ---------------------------------------------------------------- the product, over three kinds of numbers


@dataclass(frozen=True)
class _Ring:
    """One kind of numbers: values(_Table) gives a table's numbers (a flat list), number(fmpq) one number,
    matrix(r, c, numbers) an r x c matrix (with * and .entries()), size(numbers) their bits (0 if they do not grow)."""
    values: object
    number: object
    matrix: object
    size: object = lambda numbers: 0


_RATIONALS = _Ring(lambda t: t.rational().entries(), lambda q: q, fmpq_mat, lambda v: sum(map(fmpq.height_bits, v)))


def _blocks(where, values, r, c, zero):
    """The entries of an r x c matrix (positions and values of the nonzero ones) grouped into the blocks they
    connect (entries sharing a row or a column are in one block): [(rows, columns, the block's values)].

    >>> _blocks([(0, 0), (1, 2), (2, 2), (2, 1)], [1, 2, 3, 4], 3, 3, 0)
    [([0], [0], [1]), ([1, 2], [1, 2], [0, 2, 4, 3])]
    """
    if len(values) == r * c:  # dense: one block
        return [(range(r), range(c), values)]
    root = list(range(r + c))  # union-find over the rows 0..r-1 and the columns r..r+c-1

    def find(x):
        while root[x] != x:
            root[x] = root[root[x]]
            x = root[x]
        return x
    for i, j in where:
        root[find(i)] = find(r + j)
    groups = {}
    for (i, j), x in zip(where, values):
        groups.setdefault(find(i), []).append((i, j, x))
    out = []
    for group in groups.values():
        rows, cols = sorted({e[0] for e in group}), sorted({e[1] for e in group})
        at_row, at_col, dense = {i: a for a, i in enumerate(rows)}, {j: a for a, j in enumerate(cols)}, \
            [zero] * (len(rows) * len(cols))
        for i, j, x in group:
            dense[at_row[i] * len(cols) + at_col[j]] = x
        out.append((rows, cols, dense))
    return sorted(out, key=lambda b: b[0][0])


def _chain(factors, n, p, ring, guard=None):
    """F_1 ... F_k as its n columns (lists of n numbers of the ring); guard(count, operands...) is told of each
    product before it is computed: count multiplications of numbers from the operands (fmpq_mats or lists).

    The product is cols[j] * d[j]: scales are kept aside in d while that makes the shears they are moved onto
    shorter (a coupling followed by its inverse), and multiplied into the columns otherwise.

    >>> shear = _Reader(LIMITS).table([["2"]], 1, 1, "shear")
    >>> _chain([("lower", shear, [fmpq(3)])], 2, 1, _RATIONALS)
    [[1, 2], [0, 3]]
    """
    zero, one = ring.number(fmpq(0)), ring.number(fmpq(1))
    cols, d = [[one if i == j else zero for i in range(n)] for j in range(n)], [one] * n
    for kind, shear, scale in factors:
        src, dst = (p, 0) if kind == "lower" else (0, p)  # columns dst + j += sum of columns src + i * shear[i][j]
        where, values = shear.nonzero()
        for rows, targets, block in _blocks(where, ring.values(values), shear.r, shear.c, zero) if where else ():
            used = [src + i for i in rows] + [dst + j for j in targets]
            if any(d[c] != one for c in used):  # diag(d_rows) block diag(d_targets)^-1, or apply d to the columns
                moved = [x * d[used[a // len(targets)]] / d[used[len(rows) + a % len(targets)]]
                         for a, x in enumerate(block)]
                if ring.size(moved) <= ring.size(block):
                    block = moved
                else:
                    for c in used:
                        if d[c] != one:
                            if guard is not None:
                                guard(n, cols[c], [d[c]])
                            cols[c], d[c] = [y * d[c] for y in cols[c]], one
            if len(block) == 1:  # one column update; additions for +-1 (cross-swap gadgets)
                x, y, s = cols[used[0]], cols[used[1]], block[0]
                if guard is not None:
                    guard(n, x, y, block)
                cols[used[1]] = list(map(add, y, x) if s == one else map(sub, y, x) if s == -one
                                     else map(add, y, map(mul, x, repeat(s))))
                continue
            X = ring.matrix(n, len(rows), [x for row in zip(*[cols[src + i] for i in rows]) for x in row])
            S = ring.matrix(len(rows), len(targets), block)
            if guard is not None:
                guard(n * len(rows) * len(targets), X, S)
            Y = (X * S).entries()
            for k, j in enumerate(targets):
                cols[dst + j] = list(map(add, cols[dst + j], Y[k::len(targets)]))
        for i, s in enumerate(scale):
            if s != 1:
                d[src + i] *= ring.number(s)
    if guard is not None:
        guard(n * sum(x != one for x in d), [x for c in cols for x in c], d)
    return [[y * x for y in c] if x != one else c for c, x in zip(cols, d)]


def _residuals(cols, target):
    """The entries of the product (its columns) minus target (a flat list), row by row."""
    return [x - t for x, t in zip([x for row in zip(*cols) for x in row], target)]


class _TooLarge(Exception):
    """The exact product would cost more than Limits.work allows."""


def _size(x):
    """Bits of the numbers of x as a product uses them: a list of fmpqs one by one, an fmpq_mat cleared of its
    denominators (all at once here, at least as long as row by row in flint's product).

    >>> _size([fmpq(3, 8), fmpq(-1)]), _size(fmpq_mat(2, 1, [fmpq(1, 3), fmpq(1, 5)]))
    (8, 7)
    """
    if type(x) is list:
        return 2 * max(map(fmpq.height_bits, x), default=0)
    N, den = x.numer_denom()
    return den.bit_length() + max(map(fmpz.bit_length, N.entries()), default=0)


def _work_guard(budget):
    """A guard for _chain: adds up the estimated word operations of each product, raises _TooLarge past budget."""
    spent = [0]

    def guard(count, *operands):
        spent[0] += count * (1 + sum(map(_size, operands)) // 64)
        if spent[0] > budget:
            raise _TooLarge(spent[0])
    return guard


def _decide_exact(factors, n, p, target, tol, budget=None):
    """Exact rationals: None if the claim holds, else the reason; and the residual text."""
    cols = _chain(factors, n, p, _RATIONALS, None if budget is None else _work_guard(budget))
    res = _residuals(cols, target)
    if tol is None:
        wrong = [k for k, x in enumerate(res) if x != 0]
        if not wrong:
            return None, ""
        return (wrong, len(wrong)), ""
    worst = max(range(len(res)), key=lambda k: abs(res[k]))
    r = abs(res[worst])
    text = f"residual {r}" if len(str(r)) <= 30 else f"residual <= {_decimal_text(r)}"
    return (None if r <= tol else ([worst], sum(abs(x) > tol for x in res))), text + " (exact)"


def _decide_balls(factors, n, p, target, tol, prec):
    """Ball arithmetic at prec bits: (True, False or None if inconclusive; reason data; residual text)."""
    old = flint.ctx.prec
    flint.ctx.prec = prec
    try:
        cols = _chain(factors, n, p, _Ring(lambda t: t.ball().entries(), arb, arb_mat))
        res = _residuals(cols, arb_mat(fmpq_mat(n, n, target)).entries())
        upper = [x.abs_upper() for x in res]
        worst = max(range(len(upper)), key=upper.__getitem__)
        t = arb(tol)
        text = f"residual <= {_decimal_text(_exact(upper[worst]))} (ball arithmetic, {prec} bits)"
        if upper[worst] <= t.lower():
            return True, None, text
        over = [k for k, x in enumerate(res) if x.abs_lower() > t.upper()]
        return (False, (over, len(over)), text) if over else (None, None, text)
    finally:
        flint.ctx.prec = old


def _exact(x):
    """The value of an exact ball (a dyadic number) as an fmpq."""
    m, e = x.man_exp()
    return fmpq(m * 2 ** int(e)) if e >= 0 else fmpq(m, 2 ** -int(e))


def _random_prime(rng):
    while True:
        x = fmpz(rng.randrange(2 ** 59 + 1, 2 ** 60, 2))
        if x.is_prime():
            return int(x)


def _decide_modular(factors, n, p, target, primes=FAST_PRIMES):
    """The product modulo random 60-bit primes: (None or reason data, the error probability bound text)."""
    rng = random.SystemRandom()
    cleared = {id(shear): shear.rational().numer_denom() for _, shear, _ in factors}  # (integers, denominator)
    # a nonzero entry x of product - matrix has x * D an integer below 2^height, D the product of all the
    # denominators below; at most height/59 primes in [2^59, 2^60) divide it, out of more than 10^16 primes there.
    den_bits = sum(d.bit_length() + sum(q.q.bit_length() for q in scale) for (_, d), (_, _, scale)
                   in zip(cleared.values(), factors)) + sum(q.q.bit_length() for q in target)
    height = den_bits + sum(n.bit_length() + max(max(map(fmpz.bit_length, N.entries()), default=0),
                                                 max(q.p.bit_length() for q in scale))
                            for (N, _), (_, _, scale) in zip(cleared.values(), factors))
    height += max(q.p.bit_length() for q in target) + 2
    used = []
    while len(used) < primes:
        m = _random_prime(rng)
        try:
            cols = _chain(factors, n, p, _Ring(lambda t, m=m: [nmod(x, m) for x in t.rational().entries()],
                                               lambda q, m=m: nmod(q, m), lambda r, c, v, m=m: nmod_mat(r, c, v, m)))
            tm = [nmod(t, m) for t in target]
        except ZeroDivisionError:  # m divides a denominator: draw another prime
            continue
        used.append(m)
        wrong = [k for k, x in enumerate(_residuals(cols, tm)) if x != 0]
        if wrong:
            return (wrong, len(wrong)), f"modulo the prime {m}"
    per_prime = fmpq(height, 59) / (10 ** 16 - den_bits // 59 - 1)
    bound = per_prime ** primes if per_prime < 1 else fmpq(1)
    return None, f"error probability < {_decimal_text(bound)}"


# ---------------------------------------------------------------- the verdict


def _rejected(reasons):
    return Verdict(False, tuple(reasons), reasons[0])


def _spec(matrix, n, name):
    """The given matrix (rows of str/int/fmpq/Fraction) as a flat list of fmpqs, or a reason."""
    read = _Reader(Limits(10 ** 9, 10 ** 9, 10 ** 18))
    if type(matrix) is not list or len(matrix) != n or any(type(r) is not list or len(r) != n for r in matrix):
        size = f"{len(matrix)}x{len(matrix[0]) if matrix and type(matrix[0]) is list else '?'}" \
            if type(matrix) is list else "not a matrix"
        return f"the certificate is for a {n}x{n} matrix but {name} is {size}"
    out = []
    for row in matrix:
        for x in row:
            q = read.num(x) if type(x) is str else fmpq(x.numerator, x.denominator) if hasattr(x, "denominator") \
                else fmpq(x) if type(x) in (int, fmpq, fmpz) else None
            if type(q) is not fmpq:
                return f"{name} holds {_show(x)}, not an exact number"
            out.append(q)
    return out


def _against(matrix, spec, n, idx, name):
    """None if the certificate's matrix is the given one, else a reason naming how they relate."""
    if matrix == spec:
        return None
    wrong = [k for k in range(n * n) if matrix[k] != spec[k]]
    i, j = divmod(wrong[0], n)
    why = f"the certificate is for another matrix: its matrix differs from {name} at entry ({i}, {j})" \
          f" ({len(wrong)} of {n * n} entries differ)"
    transposed = [matrix[j * n + i] for i in range(n) for j in range(n)]
    reordered = [matrix[idx[a] * n + idx[b]] for a in range(n) for b in range(n)]
    spec_reordered = [spec[idx[a] * n + idx[b]] for a in range(n) for b in range(n)]
    if transposed == spec:
        return why + f"; it is the transpose of {name}"
    if reordered == spec or spec_reordered == matrix:
        return why + f"; it equals {name} up to the order of the coordinates given by its mask"
    return why


def check_certificate(cert, *, matrix=None, max_factors=None, mode=None, fast=False, limits=LIMITS,
                      name="the given matrix") -> Verdict:
    """Check a parsed certificate (against ``matrix``, if given); never raises, always returns a Verdict.

    ``max_factors`` and ``mode`` ("positive") are requirements of the caller, ``fast`` checks an exact
    claim modulo random primes instead of exactly.

    >>> one = {"kind": "lower", "shear": [["2"]], "scale": ["0.5"]}
    >>> cert = {"format": FORMAT, "n": 2, "split": 1, "mode": "positive",
    ...         "matrix": [["1", "0"], ["2", "1/2"]], "factors": [one],
    ...         "claims": {"method": "hand", "count": 1, "bound": 1}}
    >>> check_certificate(cert).summary
    'verified: 2x2 matrix = product of 1 couplings (method hand, mode positive, split 1, bound 1)'
    >>> check_certificate(dict(cert, matrix=[["1", "0"], ["2", "1"]])).reasons
    ('the product of the factors differs from matrix at entry (1, 1) (1 of 4 entries differ)',)
    >>> near = dict(cert, matrix=[["1", "0"], ["2.001", "1/2"]], claims=dict(cert["claims"], tolerance="1e-3"))
    >>> check_certificate(near).summary.split("; ")[1]
    'residual 1/1000 (exact)'
    >>> check_certificate(cert, matrix=[[1, 0], [2, 1]], name="T.csv").reasons[0][:60]
    'the certificate is for another matrix: its matrix differs fr'
    """
    try:
        return _check(cert, matrix, max_factors, mode, fast, limits, name)
    except RecursionError:
        return _rejected(["the certificate is nested too deeply"])
    except _TooLarge as e:
        return _rejected([f"the exact product would take about {e.args[0]:.1e} word operations, beyond the limit "
                          f"for a certificate of this size (--max-work {limits.work}); --fast checks it modulo primes"])
    except MemoryError:
        return _rejected(["the certificate is too large to check in the memory available"])
    except Exception as e:  # an object no JSON file can hold (API use): reject, never raise
        return _rejected([f"the certificate could not be checked ({type(e).__name__}); "
                          "it holds something that is not plain JSON"])


def _check(cert, matrix, max_factors, mode, fast, limits, name):
    reasons = []
    header = _header(cert, reasons)
    if header is None:
        return _rejected(reasons)
    n, p, cert_mode, idx = header
    field = _field(cert, cert_mode, matrix, reasons) if "symbols" in cert or "conditions" in cert else None
    if reasons:
        return _rejected(reasons)
    read = _Reader(limits, field)
    table = read.table(cert["matrix"], n, n, "matrix")
    factors = cert["factors"] if type(cert["factors"]) is list else []
    if type(cert["factors"]) is not list:
        read.bad(f"factors is {_show(cert['factors'])}, expected a list")
    parsed = []
    for i, f in enumerate(factors):
        parsed.append(_factor(f, i, n, p, cert_mode, read))
        if read.chars > limits.total_chars:
            break
    tol = _claims(cert["claims"], len(factors), read)
    if read.reasons:  # structural problems: stop before multiplying
        return _rejected(read.reasons)
    if max_factors is not None and len(factors) > max_factors:
        return _rejected([f"the certificate has {len(factors)} factors, more than the required at most {max_factors}"])
    if mode == "positive" and cert_mode != "positive":
        return _rejected([f'the certificate is in mode "{cert_mode}", but mode "positive" is required'])
    if field is not None:
        return _check_symbolic(cert, read, table, parsed, n, p, idx, limits.work + 1000 * read.chars)
    entries = table.rational().entries()
    if matrix is not None:
        spec = _spec(matrix, n, name)
        if type(spec) is str:
            return _rejected([spec])
        other = _against(entries, spec, n, idx, name)
        if other:
            return _rejected([other])
    target = [entries[idx[a] * n + idx[b]] for a in range(n) for b in range(n)]
    verdict, residual, how = None, "", "verified"
    budget = limits.work + 1000 * read.chars
    if tol is not None and n > EXACT_TOLERANCE_N:
        for prec in PRECISIONS:
            decided, verdict, residual = _decide_balls(parsed, n, p, target, tol, prec)
            if decided is not None:
                break
        else:
            verdict, residual = _decide_exact(parsed, n, p, target, tol, budget)
    elif fast and tol is None:
        verdict, residual = _decide_modular(parsed, n, p, target)
        how = "verified with high probability"
    else:
        verdict, residual = _decide_exact(parsed, n, p, target, tol, budget)
    if verdict is not None:
        wrong, count = verdict
        at = f"({idx[wrong[0] // n]}, {idx[wrong[0] % n]})"
        if tol is None:
            modulo = f" {residual}" if fast else ""
            return _rejected([f"the product of the factors differs from matrix{modulo} at entry {at}"
                              f" ({count} of {n * n} entries differ)"])
        return _rejected([f"the product of the factors differs from matrix by more than the tolerance "
                          f"{_text(cert['claims']['tolerance'])} at entry {at} ({count} of {n * n} entries); "
                          f"{residual}"])
    claims, masked = cert["claims"], ", masked" if "mask" in cert else ""
    within = f" within tolerance {cert['claims']['tolerance']}" if tol is not None else ""
    extra = "".join(f", {k} {_text(str(claims[k]))}" for k in ("arith", "digits") if k in claims)
    spec_text = f"; its matrix is {name}" if matrix is not None else ""
    return Verdict(True, (), f"{how}: {n}x{n} matrix = product of {len(factors)} couplings{within} "
                             f"(method {_text(claims['method'])}, mode {cert_mode}, split {p}{masked}, "
                             f"bound {claims['bound']}{extra})" + (f"; {residual}" if residual else "") + spec_text)


# ---------------------------------------------------------------- symbolic certificates


def _field(cert, mode, matrix, reasons):
    """The rational functions in the symbols a symbolic certificate declares, or None after recording why not."""
    names, conditions = cert.get("symbols"), cert.get("conditions")
    if not (type(names) is list and 0 < len(names) <= 100 and all(
            type(x) is str and len(x) <= 100 and SYMBOL.fullmatch(x) for x in names) and len(set(names)) == len(names)):
        return reasons.append(f"symbols is {_show(names)}, expected a list of 1 to 100 distinct names like \"a\" or "
                              "\"x_1\" (letters, digits, _)")
    if type(conditions) is not list or set(map(type, conditions)) - {str}:
        return reasons.append(f"conditions is {_show(conditions)}, expected a list of rational function strings")
    if mode != "any":
        return reasons.append('a symbolic certificate must be in mode "any" (the sign of a rational function '
                              'is not decided)')
    if type(cert["claims"]) is dict and "tolerance" in cert["claims"]:
        return reasons.append("a symbolic certificate claims an exact product; it has no tolerance")
    if matrix is not None:
        return reasons.append("a symbolic certificate cannot be compared with a matrix file (those hold numbers)")
    return Field(names)


def _check_symbolic(cert, read, table, factors, n, p, idx, budget):
    """The claim of a symbolic certificate: F_1 ... F_k = M' over QQ(symbols), and the conditions cover every
    denominator, every scale's numerator and every divisor written, so the identity holds, with nonzero scales
    and every string defined as written, wherever the conditions are nonzero (docs/certificate.md)."""
    conditions = [read.num(c) for c in cert["conditions"]]
    for k, (c, text) in enumerate(zip(conditions, cert["conditions"])):
        if type(c) is str or c == 0:
            why = c if type(c) is str else "which is zero, so the certificate would hold nowhere"
            return _rejected([f"conditions[{k}] is {_show(text)}, {why}"])
    polys = [q for c in conditions for q in (c.num, c.den) if q.total_degree() > 0]
    entries = [x for i in range(n) for x in table.exact[i]]
    named = [(f"matrix[{k // n}][{k % n}]", s, x.den) for k, (s, x) in enumerate(zip(table.strings, entries))]
    for i, ((kind, shear, scale), f) in enumerate(zip(factors, cert["factors"])):
        named += [(f"factor {i} ({kind}): shear[{k // shear.c}][{k % shear.c}]", s, x.den) for k, (s, x)
                  in enumerate(zip(shear.strings, [x for r in range(shear.r) for x in shear.exact[r]]))]
        named += [(f"factor {i} ({kind}): scale[{k}]", s, x.den * x.num) for k, (s, x) in enumerate(zip(f["scale"], scale))]
    for what, text, must_be_nonzero in named:
        left = uncovered(must_be_nonzero, polys)
        if left.total_degree() > 0:
            part = "numerator or denominator" if "scale" in what else "denominator"
            return _rejected([f"{what} is {_show(text)}, whose {part} has the factor {left}, which divides no "
                              "listed condition, so it may vanish where the conditions hold"])
    for text, divisor in read.field.divisions:  # each string must be defined as written, too
        left = uncovered(divisor, polys)
        if left.total_degree() > 0:
            return _rejected([f"{_show(text)} divides by an expression with the factor {left}, which divides no "
                              "listed condition, so it may vanish where the conditions hold"])
    cols = _symbolic_product(factors, n, p, read.field, budget)
    target = [entries[idx[a] * n + idx[b]] for a in range(n) for b in range(n)]
    wrong = [k for k, x in enumerate(_residuals(cols, target)) if not x == 0]
    if wrong:
        at = f"({idx[wrong[0] // n]}, {idx[wrong[0] % n]})"
        return _rejected([f"the product of the factors differs from matrix at entry {at} ({len(wrong)} of {n * n} "
                          "entries differ, as rational functions)"])
    claims, masked = cert["claims"], ", masked" if "mask" in cert else ""
    where = f" wherever {', '.join(map(_text, cert['conditions']))} {'is' if len(conditions) == 1 else 'are'} nonzero" \
        if conditions else ""
    return Verdict(True, (), f"verified: {n}x{n} matrix over QQ({', '.join(cert['symbols'])}) = product of "
                             f"{len(factors)} couplings{where} (method {_text(claims['method'])}, mode any, split {p}"
                             f"{masked}, bound {claims['bound']})")


def _symbolic_product(factors, n, p, field, budget):
    """F_1 ... F_k over the rational functions, as its n columns; _TooLarge once the work passes ``budget``
    (the products of the operands' terms, which bound the cost of each product and sum of fractions)."""
    one, zero, spent = field.number("1"), field.number("0"), [0]

    def combine(op, x, y):  # x and y: a column and a column, or a column and one rational function
        y = y if type(y) is list else [y] * len(x)
        spent[0] += sum(a.size() * b.size() for a, b in zip(x, y))
        if spent[0] > budget:
            raise _TooLarge(spent[0])
        return list(map(op, x, y))
    cols = [[one if i == j else zero for i in range(n)] for j in range(n)]
    for kind, shear, scale in factors:
        src, dst = (p, 0) if kind == "lower" else (0, p)  # as in _chain: columns dst + j += columns src + i * shear
        for k, s in enumerate(x for r in range(shear.r) for x in shear.exact[r]):
            if not s == 0:
                i, j = divmod(k, shear.c)
                cols[dst + j] = combine(add, cols[dst + j], combine(mul, cols[src + i], s))
        for i, s in enumerate(scale):
            cols[src + i] = combine(mul, cols[src + i], s)
    return cols


# ---------------------------------------------------------------- files and the command line


def _no_duplicate_keys(pairs):
    seen = set()
    for k, _ in pairs:
        if k in seen:
            raise ValueError(f"duplicate key {_show(k)} in a JSON object")
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
                        "(.csv, .json or .npy, read exactly as 'couplings factor' reads it)")
    parser.add_argument("--max-factors", type=int, metavar="N", help="require at most N factors")
    parser.add_argument("--mode", choices=("any", "positive"), help="require positive scales ('positive')")
    parser.add_argument("--all", action="store_true", help="list every problem found, not only the first")
    parser.add_argument("--fast", action="store_true", help="check an exact claim modulo random 60-bit primes "
                        "(probabilistic; the error probability is printed) instead of exactly")
    parser.add_argument("--max-entry-chars", type=int, default=LIMITS.entry_chars, metavar="N",
                        help="refuse numbers longer than N characters (default %(default)s)")
    parser.add_argument("--max-exponent", type=int, default=LIMITS.exponent, metavar="N",
                        help="refuse exponents beyond +-N, as in 1e99999 (default %(default)s)")
    parser.add_argument("--max-total-chars", type=int, default=LIMITS.total_chars, metavar="N",
                        help="refuse certificates whose numbers have more than N characters (default %(default)s)")
    parser.add_argument("--max-work", type=int, default=LIMITS.work, metavar="N",
                        help="refuse exact products estimated to need more than N word operations, plus 1000 per "
                        "character of the numbers (default %(default)s)")


def run(args, prog="checker") -> int:
    """Check ``args.certificate`` as the options say; print the verdict; return the exit code (0, 1 or 2)."""
    from proofs.matrix_file import MatrixUnreadable, read_matrix
    try:
        if args.certificate == "-" and args.matrix == "-":
            raise CertificateUnreadable("the certificate and --matrix cannot both be read from stdin")
        if args.max_factors is not None and args.max_factors < 0:
            raise CertificateUnreadable(f"--max-factors must be at least 0, got {args.max_factors}")
        if min(args.max_entry_chars, args.max_exponent, args.max_total_chars, args.max_work) < 1:
            raise CertificateUnreadable("the --max-... limits must be positive")
        limits = Limits(args.max_entry_chars, args.max_exponent, args.max_total_chars, args.max_work)
        matrix = None if args.matrix is None else read_matrix(args.matrix, limits)
        cert = read_certificate(args.certificate)
    except (CertificateUnreadable, MatrixUnreadable) as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 2
    verdict = check_certificate(cert, matrix=matrix, max_factors=args.max_factors, mode=args.mode,
                                fast=args.fast, limits=limits, name=_text(str(args.matrix)))
    if verdict.ok:
        print(verdict.summary)
        return 0
    for reason in verdict.reasons if args.all else verdict.reasons[:1]:
        print(f"not verified: {reason}", file=sys.stderr)
    return 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m proofs.checker", description="Check a couplings certificate "
                                     "(exit 0 verified, 1 not verified, 2 unreadable input).")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
