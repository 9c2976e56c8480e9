"""The trusted kernel: a certificate is accepted only if it proves its claim.

A certificate is accepted only if it is a JSON object of format couplings.certificate/1 or /2 whose numbers are
strings of the grammar NUMBER, in /2 also HEX (read as the exact rationals they denote; with "symbols", rational
functions of those symbols), whose factors are couplings of its split p (lower [[I_p, 0], [S, diag(s)]], upper
[[diag(s), S], [0, I_(n-p)]]) with nonzero scales, positive in mode "positive", whose claims.count is the number
of factors and at most claims.bound and the caller's max_factors, whose matrix equals the caller's matrix if one
is given, and whose product F_1 ... F_k equals M' (the matrix, reordered by the mask) exactly, or, with
claims.tolerance t (at most the caller's max_tolerance, and max_relative times max |M'|), differs from M' by at
most t in every entry.
A symbolic certificate proves its identity wherever its conditions are nonzero (every denominator and scale is
covered by them), and its conditions are implied by the caller's allowed conditions if those are given.

Ball arithmetic decides only what it proves: the bounds of a ball are read as exact rationals, a tolerance claim
is accepted only if every residual's upper bound is at most t and rejected only if some lower bound exceeds t;
otherwise more bits are tried, then exact rationals. No decision is ever taken by comparing two balls.
Everything else (messages, --fast, resource limits, the command line) lives in proofs/checker.py, which may
reject or hand over, never accept on its own.  Format and argument: docs/certificate.md.
"""
import json
import re
from dataclasses import dataclass
from functools import lru_cache

import flint
from flint import arb, arb_mat, fmpq, fmpq_mat, fmpz

from proofs.rational_functions import SYMBOL, Field, uncovered

FORMAT, FORMAT_2 = "couplings.certificate/1", "couplings.certificate/2"
NUMBER = re.compile(r"(-?)([0-9]+)(?:/([0-9]+)|(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?)")
HEX = re.compile(r"(-?)0x([0-9a-f]+)(?:\.([0-9a-f]*))?p([+-]?[0-9]+)")  # /2: m * 2^e, as float.hex writes it
BALL_PRECISIONS = (128, 512, 2048)  # bits tried, in this order, before exact rationals
EXACT_TOLERANCE_N = 32  # tolerance claims up to this n go straight to exact rationals (either way is sound)
ZERO, ONE = fmpq(0), fmpq(1)


@dataclass(frozen=True)
class Limits:
    """Sizes beyond which a certificate is rejected unread (they bound the time and memory of a check; the
    defaults are proofs.checker.LIMITS)."""
    entry_chars: int  # characters of one number string
    exponent: int  # |e| in 1.5e-7
    total_chars: int  # characters of all number strings together


class Rejected(Exception):
    """The certificate is not accepted: ``reason`` is one sentence; ``kind`` is "structure", "claim",
    "matrix" (not the caller's matrix) or "product"; ``where`` lists the (row, column)
    entries of the product that differ, counted from 1."""

    def __init__(self, reason, kind="structure", where=(), residual=None):
        super().__init__(reason)
        self.reason, self.kind, self.where = reason, kind, tuple(where)
        self.residual = residual  # for a tolerance claim: (">=" or "=", the worst |residual| or its lower bound, how)


@dataclass(frozen=True)
class Accepted:
    """What was proved.  ``residual`` is max |product - M'| (exact) or an upper bound of it (balls)."""
    n: int
    split: int
    mode: str
    count: int
    bound: int
    method: str
    tolerance: object  # fmpq, or None for an exact claim
    residual: object  # fmpq, or None for an exact claim
    how: str  # "exact", "ball arithmetic, 128 bits", or the field of a symbolic certificate
    largest: object  # max |M'| (fmpq), 0 for a symbolic certificate


@dataclass(frozen=True)
class Coupling:
    kind: str  # "lower" or "upper"
    shear: dict  # (i, j) -> nonzero exact value, for an r x c shear
    rows: int
    cols: int
    scale: list  # exact values


@dataclass(frozen=True)
class Certificate:
    """A certificate whose structure is checked, its numbers read exactly."""
    n: int
    split: int
    mode: str
    order: list  # idx: M'[a][b] = matrix[order[a]][order[b]]
    matrix: list  # n x n exact values, as written (not reordered)
    factors: list
    claims: dict
    tolerance: object
    field: object  # a Field for a symbolic certificate, else None
    conditions: list


def _require(holds, reason, kind="structure"):
    if not holds:
        raise Rejected(reason, kind)


def _show(x):
    """A short ASCII rendering of a JSON value for a message: null, true, "0.5", ... or "a list"."""
    try:
        s = json.dumps(_first(x))
    except Exception:  # not JSON, too deep, or an object whose methods raise
        s = f"a{'n' if type(x).__name__[:1].lower() in 'aeiou' else ''} {type(x).__name__}"
    return s if len(s) <= 40 else s[:37] + "..."


def _first(x):
    """x with every list and object cut to its first 40 members: the same first 37 characters in JSON, and
    _show(certificate) costs nothing (messages are built before _require knows they are needed)."""
    if type(x) is list:
        return [_first(v) for v in x[:40]]
    if type(x) is dict:
        return {k: _first(v) for k, v in list(x.items())[:40]}
    return x


class _Numbers:
    """Reads number strings exactly, within the limits, counting their characters."""

    def __init__(self, limits, field, hex_allowed=False):
        self.limits, self.field, self.chars, self.hex_allowed = limits, field, 0, hex_allowed

    def read(self, s, what, *index):
        """The exact value of the number string s; ``what`` and the ``index`` (from 0) name it in a message."""
        if s == "0" and type(s) is str and self.field is None:
            self.chars += 1
            if self.chars > self.limits.total_chars:
                self.too_many()
            return ZERO
        if type(s) is not str:
            self.bad(what, index, f"is {_show(s)}, expected an exact number string like \"-3/7\" or \"1.5e-3\"")
        self.chars += len(s)
        if len(s) > self.limits.entry_chars:
            self.bad(what, index, f"is {len(s)} characters long, beyond the limit of {self.limits.entry_chars} per "
                     "number")
        if self.chars > self.limits.total_chars:
            self.too_many()
        if self.field is not None:
            try:
                return self.field.parse(s)
            except ValueError as e:
                self.bad(what, index, f"is {_show(s)}, which is not a rational function of the symbols: {e}")
        h = HEX.fullmatch(s) if self.hex_allowed else None
        if h is not None:
            return self.hex(h.groups(), what, index, s)
        m = NUMBER.fullmatch(s)
        if m is None:
            self.bad(what, index, f"is {_show(s)}, expected an exact number string like \"-3/7\" or \"1.5e-3\""
                     + (' or "0x1.8p-3"' if self.hex_allowed else ""))
        sign, whole, den, frac, exp = m.groups()
        if den is not None:
            if fmpz(den) == 0:
                self.bad(what, index, f"is {_show(s)}, which has a zero denominator")
            q = fmpq(fmpz(whole), fmpz(den))
        else:
            if exp and (len(exp) >= 12 or abs(int(exp)) > self.limits.exponent):
                self.bad(what, index, f"is {_show(s)}, whose exponent is beyond the limit of {self.limits.exponent}")
            e = int(exp or 0) - len(frac or "")
            mantissa = fmpz(whole + frac if frac else whole)
            q = fmpq(mantissa) * _power10(e)
        return -q if sign else q

    def hex(self, groups, what, index, s):
        """The exact value of HEX: sign, the hexadecimal digits m.f and the binary exponent e: m.f * 2^e."""
        sign, whole, frac, exp = groups
        if len(exp) >= 12 or abs(int(exp)) > self.limits.exponent:
            self.bad(what, index, f"is {_show(s)}, whose exponent is beyond the limit of {self.limits.exponent}")
        q = fmpq(int(whole + (frac or ""), 16)) * _power2(int(exp) - 4 * len(frac or ""))
        return -q if sign else q

    def too_many(self):
        raise Rejected(f"the numbers of the certificate have more than {self.limits.total_chars} characters, "
                       "beyond the limit")

    @staticmethod
    def bad(what, index, problem):
        raise Rejected(f"{what}{''.join(f'[{k + 1}]' for k in index)} {problem}")

    def table(self, rows, r, c, what):
        """r rows of c numbers, as a list of rows of exact values."""
        got = f"has {len(rows)} rows" if type(rows) is list else f"is {_show(rows)}"
        _require(type(rows) is list and len(rows) == r, f"{what} {got}, expected a list of {r} rows of {c} numbers")
        for i, row in enumerate(rows):
            if type(row) is not list:
                raise Rejected(f"{what} row {i + 1} is {_show(row)}, expected a list of {c} numbers")
            if len(row) != c:
                raise Rejected(f"{what} row {i + 1} has {len(row)} {'entry' if len(row) == 1 else 'entries'}, "
                               f"expected {c}")
        if self.field is not None:
            return [[self.read(x, what, i, j) for j, x in enumerate(row)] for i, row in enumerate(rows)]
        self.chars += sum(row.count("0") for row in rows)  # the strings "0", read here without a call
        if self.chars > self.limits.total_chars:
            self.too_many()
        return [[ZERO if x == "0" else self.read(x, what, i, j) for j, x in enumerate(row)] for i, row in
                enumerate(rows)]


@lru_cache(maxsize=4096)  # bounded: distinct exponents are many only in an adversarial file
def _power10(k):
    return fmpq(10) ** k


@lru_cache(maxsize=4096)  # bounded: distinct exponents are many only in an adversarial file
def _power2(k):
    return fmpq(2) ** k


def _header(cert):
    """(n, p, mode, order) after checking format, n, split, mode and mask."""
    _require(type(cert) is dict, f"the certificate is {_show(cert)}, expected a JSON object")
    _require(all(type(k) is str for k in cert), "the certificate has a key that is not a string")
    missing = [k for k in ("format", "n", "split", "mode", "matrix", "factors", "claims") if k not in cert]
    _require(not missing, f"the certificate is missing the key(s) {', '.join(missing)}")
    n, p, mode = cert["n"], cert["split"], cert["mode"]
    _require(type(cert["format"]) is str and cert["format"] in (FORMAT, FORMAT_2), f"format is "
             f"{_show(cert['format'])}, expected {FORMAT!r} or {FORMAT_2!r}")
    _require(type(n) is int and n > 0, f"n is {_show(n)}, expected a positive integer")
    _require(type(p) is int and 0 < p < n, f"split is {_show(p)}, expected an integer with 0 < split < n = {n}")
    _require(type(mode) is str and mode in ("any", "positive"), f'mode is {_show(mode)}, expected "any" or "positive"')
    if "mask" not in cert:
        return n, p, mode, range(n)
    mask = cert["mask"]
    _require(type(mask) is list and len(mask) == n and all(type(b) is int and b in (0, 1) for b in mask),
             f"mask is {_show(mask)}, expected a list of n = {n} entries each 0 or 1")
    _require(sum(mask) == p, f"mask has {sum(mask)} ones, expected split = {p}")
    return n, p, mode, [i for i in range(n) if mask[i]] + [i for i in range(n) if not mask[i]]


def _claims(claims, count):
    _require(type(claims) is dict and all(type(k) is str for k in claims) and {"method", "count", "bound"} <=
             claims.keys(), f"claims is {_show(claims)}, expected an object with keys method, count, bound")
    method, claimed, bound, stages = claims["method"], claims["count"], claims["bound"], claims.get("stages", {})
    _require(type(method) is str, f"claims.method is {_show(method)}, expected a string")
    _require(type(claimed) is int, f"claims.count is {_show(claimed)}, expected an integer")
    _require(claimed == count, f"claims.count is {claimed} but the certificate has {count} factors")
    _require(type(bound) is int, f"claims.bound is {_show(bound)}, expected an integer")
    _require(count <= bound, f"claims.count is {count}, which exceeds claims.bound = {bound}")
    _require(type(stages) is dict and all(type(v) is int and v >= 0 for v in stages.values()),
             f"claims.stages is {_show(stages)}, expected an object of non-negative integers")
    arith = claims.get("arith", "exact")
    _require(type(arith) is str and arith in ("exact", "float64", "mp"),
             f'claims.arith is {_show(arith)}, expected "exact", "float64" or "mp"')
    if "digits" in claims:
        digits = claims["digits"]
        _require(type(digits) is int and digits > 0, f"claims.digits is {_show(digits)}, expected a positive integer")


def _coupling(f, i, n, p, mode, numbers):
    what = f"factor {i + 1}"
    _require(type(f) is dict, f"{what} is {_show(f)}, expected an object")
    _require(all(type(k) is str for k in f) and sorted(f) == ["kind", "scale", "shear"],
             f"{what} has the keys {_show(sorted(map(str, f)))}, expected exactly kind, shear, scale")
    kind = f["kind"]
    _require(kind in ("lower", "upper") and type(kind) is str, f"{what}: kind is {_show(kind)}, "
             'expected "lower" or "upper"')
    rows, cols = (n - p, p) if kind == "lower" else (p, n - p)
    what = f"{what} ({kind})"
    scale = f["scale"]
    if type(scale) is not list:  # (not _require: its message would write out a long list first)
        raise Rejected(f"{what}: scale is {_show(scale)}, expected a list of {rows} numbers")
    _require(len(scale) == rows, f"{what}: scale has {len(scale)} entries, expected {rows}")
    scale = [numbers.read(s, f"{what}: scale", j) for j, s in enumerate(scale)]
    for j, s in enumerate(scale):
        if s == 0:
            numbers.bad(f"{what}: scale", [j], "is 0, scales must be nonzero")
        if mode == "positive" and not s > 0:
            numbers.bad(f"{what}: scale", [j], f'is {s}, but mode "positive" requires positive scales')
    shear = numbers.table(f["shear"], rows, cols, f"{what}: shear")
    nonzero = {(a, b): x for a, row in enumerate(shear) for b, x in enumerate(row) if x is not ZERO and not x == 0}
    return Coupling(kind, nonzero, rows, cols, scale)


def read(cert, limits):
    """The certificate with its structure checked and its numbers read exactly; Rejected if it is malformed."""
    n, p, mode, order = _header(cert)
    field = _field(cert, mode) if "symbols" in cert or "conditions" in cert else None
    numbers = _Numbers(limits, field, cert["format"] == FORMAT_2)
    _require(type(cert["factors"]) is list, "factors is not a list")
    _claims(cert["claims"], len(cert["factors"]))
    matrix = numbers.table(cert["matrix"], n, n, "matrix")
    factors = [_coupling(f, i, n, p, mode, numbers) for i, f in enumerate(cert["factors"])]
    tolerance = None
    if "tolerance" in cert["claims"]:
        _require(field is None, "a symbolic certificate claims an exact product; it has no tolerance")
        tolerance = numbers.read(cert["claims"]["tolerance"], "claims.tolerance")
        _require(tolerance >= 0, f"claims.tolerance is {_show(cert['claims']['tolerance'])}, expected a number >= 0")
    conditions = []
    if field is not None:
        for k, text in enumerate(cert["conditions"]):
            c = numbers.read(text, "conditions", k)
            _require(not c == 0, f"conditions[{k + 1}] is {_show(text)}, which is zero, so the certificate would hold "
                     "nowhere")
            conditions.append(c)
    return Certificate(n, p, mode, order, matrix, factors, cert["claims"], tolerance, field, conditions)


def _field(cert, mode):
    names, conditions = cert.get("symbols"), cert.get("conditions")
    _require(type(names) is list and 0 < len(names) <= 100 and len(set(names)) == len(names) and all(
        type(x) is str and len(x) <= 100 and SYMBOL.fullmatch(x) for x in names),
        f'symbols is {_show(names)}, expected a list of 1 to 100 distinct names like "a" or "x_1" (letters, digits, _)')
    _require(type(conditions) is list and all(type(c) is str for c in conditions),
             f"conditions is {_show(conditions)}, expected a list of rational function strings")
    _require(mode == "any", 'a symbolic certificate must be in mode "any" (the sign of a rational function is not '
             "decided)")
    return Field(names)


@dataclass(frozen=True)
class Ring:
    """Where a product is computed: number(x) takes an exact value in; matrix(r, c, numbers) builds a matrix
    with +, -, * (by a matrix or a number), .transpose() and .entries(), or is None (entry by entry, columns
    as _Vector); defer: scales may be set aside (rationals only)."""
    number: object
    matrix: object = None
    defer: bool = False

    def column(self, numbers):
        """A column of the product: an n x 1 matrix, or a _Vector."""
        return _Vector(numbers) if self.matrix is None else self.matrix(len(numbers), 1, numbers)


class _Vector(list):
    """A column of numbers with the operations of a one-column matrix: +, - and * by a number."""

    def __add__(self, other):
        return _Vector(u + v for u, v in zip(self, other))

    def __sub__(self, other):
        return _Vector(u - v for u, v in zip(self, other))

    def __mul__(self, x):
        return _Vector(u * x for u in self)

    def entries(self):
        return list(self)


RATIONALS = Ring(lambda q: q, fmpq_mat, True)
BALLS = Ring(arb, arb_mat)  # at flint.ctx.prec bits: each exact value enters as a ball containing it


def _blocks(entries, rows, cols):
    """The nonzero entries {(i, j): x} of a rows x cols matrix grouped into the blocks they connect (entries
    sharing a row or a column are in one block): [(block rows, block columns, {(i, j): x})]."""
    if len(entries) == rows * cols:  # a full shear is one block
        return [(list(range(rows)), list(range(cols)), entries)]
    root = list(range(rows + cols))  # union-find over the rows and the columns (rows + j)

    def find(a):
        while root[a] != a:
            root[a] = root[root[a]]
            a = root[a]
        return a
    for i, j in entries:
        root[find(i)] = find(rows + j)
    groups = {}
    for (i, j), x in entries.items():
        groups.setdefault(find(i), {})[i, j] = x
    return [(sorted({i for i, _ in g}), sorted({j for _, j in g}), g) for g in groups.values()]


def product(factors, n, p, ring, guard=None):
    """F_1 ... F_k as its n columns of ring numbers.  Every choice (zero, one, blocks, which scale is set aside)
    is taken on exact values, never on ring numbers, so the steps are the same in every ring.

    With P = [A, B] (n x p, n x (n-p)): P L(S, s) = [A + B S, B diag(s)] and P U(D, c) = [A diag(c), B + A D].
    The product is cols[j] * aside[j]: a scale is set aside while that keeps the next shears short (a coupling
    followed by its inverse); D E = (D E D^-1) D moves it past a shear E."""
    zero, one = ring.number(ZERO), ring.number(ONE)
    cols = [ring.column([one if i == j else zero for i in range(n)]) for j in range(n)]
    aside = [ONE] * n
    for f in factors:
        src, dst = (p, 0) if f.kind == "lower" else (0, p)  # columns dst + j += columns src + i times shear[i][j]
        for rows, targets, block in _blocks(f.shear, f.rows, f.cols):
            used = [src + i for i in rows] + [dst + j for j in targets]
            if any(not aside[c] == ONE for c in used):
                moved = {(i, j): x * aside[src + i] / aside[dst + j] for (i, j), x in block.items()}
                if ring.defer and _bits(moved.values()) <= _bits(block.values()):
                    block = moved
                else:
                    for c in used:
                        if guard is not None:
                            guard(n, cols[c], [aside[c]])
                        cols[c], aside[c] = cols[c] * ring.number(aside[c]), ONE
            if len(block) == 1 or ring.matrix is None:
                for (i, j), x in block.items():
                    a, b = cols[src + i], cols[dst + j]
                    if guard is not None:
                        guard(n, a, b, [x])
                    cols[dst + j] = b + a if x == ONE else b - a if x == -ONE else b + a * ring.number(x)
                continue
            X = ring.matrix(len(rows), n, [y for i in rows for y in cols[src + i].entries()]).transpose()
            S = ring.matrix(len(rows), len(targets), [ring.number(block.get((i, j), ZERO)) for i in rows
                                                        for j in targets])
            if guard is not None:
                guard(n * len(rows) * len(targets), X, S)
            Y = (X * S).entries()
            for k, j in enumerate(targets):
                cols[dst + j] = cols[dst + j] + ring.column(Y[k::len(targets)])
        for i, s in enumerate(f.scale):
            if ring.defer:
                aside[src + i] *= s
            elif not s == ONE:
                cols[src + i] = cols[src + i] * ring.number(s)
    for c in range(n):
        if not aside[c] == ONE:
            if guard is not None:
                guard(n, cols[c], [aside[c]])
            cols[c] = cols[c] * ring.number(aside[c])
    return [c.entries() for c in cols]


def _bits(values):
    return sum(q.height_bits() for q in values)


def _exact(bound):
    """A bound of a ball (an exact dyadic number) as an fmpq, or None if it is not finite."""
    if not bound.is_finite():
        return None
    m, e = bound.man_exp()
    return fmpq(fmpz(m)) * _power2(int(e))


def target(cert):
    """M' as a flat list, row by row: M'[a][b] = matrix[order[a]][order[b]]."""
    return [cert.matrix[i][j] for i in cert.order for j in cert.order]


def _differing(cols, goal, n, order, test):
    """The (row, column) entries of the matrix, from 1, where test(product entry, goal entry) holds."""
    return [(order[a] + 1, order[b] + 1) for a in range(n) for b in range(n) if test(cols[b][a], goal[a * n + b])]


def _decide_tolerance(cert, goal, guard):
    """(proved residual bound, how) or Rejected; balls first for large n, exact rationals when undecided."""
    n, t, order = cert.n, cert.tolerance, cert.order
    if n > EXACT_TOLERANCE_N:
        old = flint.ctx.prec
        try:
            for prec in BALL_PRECISIONS:
                flint.ctx.prec = prec
                cols = product(cert.factors, n, cert.split, BALLS)
                res = [cols[b][a] - arb(goal[a * n + b]) for a in range(n) for b in range(n)]
                upper = [_exact(x.abs_upper()) for x in res]
                if all(u is not None and u <= t for u in upper):
                    return max(upper), f"ball arithmetic, {prec} bits"
                lower = [_exact(x.abs_lower()) or ZERO for x in res]
                over = [k for k in range(n * n) if lower[k] > t]
                if over:
                    where = [(order[k // n] + 1, order[k % n] + 1) for k in over]
                    raise Rejected(f"the product of the factors differs from matrix by more than the tolerance "
                                   f"{_show(cert.claims['tolerance'])[1:-1]} at entry {where[0]} ({len(over)} of {n * n} entries; proved in ball arithmetic, "
                                   f"{prec} bits)", "product", where, (">=", max(lower), f"ball arithmetic, {prec} bits"))
        finally:
            flint.ctx.prec = old
    cols = product(cert.factors, n, cert.split, RATIONALS, guard)
    worst = max(abs(cols[b][a] - goal[a * n + b]) for a in range(n) for b in range(n))
    if worst > t:
        where = _differing(cols, goal, n, order, lambda x, y: abs(x - y) > t)
        raise Rejected(f"the product of the factors differs from matrix by more than the tolerance "
                       f"{_show(cert.claims['tolerance'])[1:-1]} at entry {where[0]} ({len(where)} of {n * n} entries)",
                       "product", where, ("=", worst, "exact"))
    return worst, "exact"


def check(cert, *, matrix=None, max_factors=None, mode=None, max_tolerance=None, max_relative=None,
          allowed_conditions=None, limits, guard=None):
    """Accepted if ``cert`` (a parsed JSON value) proves its claim and the caller's requirements, else Rejected.

    matrix: n x n values the certificate must be for, each an fmpq or a string of the certificate's grammar; max_factors; mode "positive"; max_tolerance (absolute) and max_relative (times max |M'|) bound the
    claimed tolerance; allowed_conditions: strings whose nonvanishing must imply the certificate's conditions.
    guard(count, operands...) is told of each exact product before it is computed and may raise to stop."""
    c = read(cert, limits)
    requirements(c, limits, matrix, max_factors, mode)
    goal, n, count = target(c), c.n, len(c.factors)
    if c.field is not None:
        return _check_symbolic(c, goal, allowed_conditions, guard)
    largest = max(abs(x) for x in goal)
    if c.tolerance is None:
        cols = product(c.factors, n, c.split, RATIONALS, guard)
        wrong = _differing(cols, goal, n, c.order, lambda x, y: not x == y)
        if wrong:
            raise Rejected(f"the product of the factors differs from matrix at entry {wrong[0]} ({len(wrong)} of "
                           f"{n * n} entries differ)", "product", wrong)
        residual, how = None, "exact"
    else:
        _require(max_tolerance is None or c.tolerance <= max_tolerance, "the claimed tolerance exceeds the "
                 "required maximum", "claim")
        _require(max_relative is None or c.tolerance <= max_relative * largest, "the claimed tolerance relative "
                 "to the largest entry of the matrix exceeds the required maximum", "claim")
        residual, how = _decide_tolerance(c, goal, guard)
    return Accepted(n, c.split, c.mode, count, c.claims["bound"], c.claims["method"], c.tolerance, residual,
                    how, largest)


def requirements(c, limits, matrix=None, max_factors=None, mode=None):
    """Rejected unless the read certificate ``c`` meets the caller's count, mode and matrix."""
    n, count = c.n, len(c.factors)
    _require(max_factors is None or count <= max_factors, f"the certificate has {count} factors, more than the "
             f"required at most {max_factors}", "claim")
    _require(mode != "positive" or c.mode == "positive", f'the certificate is in mode "{c.mode}", but mode '
             '"positive" is required', "claim")
    if matrix is not None:
        size = f"{len(matrix)}x{len(matrix[0]) if matrix and type(matrix[0]) is list else '?'}" \
            if type(matrix) is list else "not a matrix"
        _require(type(matrix) is list and len(matrix) == n and all(type(r) is list and len(r) == n for r in matrix),
                 f"the certificate is for a {n}x{n} matrix but the given one is {size}", "matrix")
        numbers = _Numbers(limits, c.field)
        given = [[x if type(x) is fmpq and c.field is None else numbers.read(str(x), "the given matrix", i, j)
                  for j, x in enumerate(row)] for i, row in enumerate(matrix)]
        wrong = [(i + 1, j + 1) for i in range(n) for j in range(n) if not c.matrix[i][j] == given[i][j]]
        if wrong:
            raise Rejected(f"the certificate is for another matrix: its matrix differs from the given one at "
                           f"entry {wrong[0]} ({len(wrong)} of {n * n} entries differ)", "matrix", wrong)


def _check_symbolic(c, goal, allowed, guard):
    """F_1 ... F_k = M' over QQ(symbols), and the conditions cover every denominator, every scale's numerator
    and every divisor written, so the identity holds, with nonzero scales and every string defined as written,
    wherever the conditions are nonzero; the conditions themselves are implied by the allowed ones."""
    polys = [q for x in c.conditions for q in (x.num, x.den)]  # constants among them divide nothing away
    needed = [("matrix", x.den) for row in c.matrix for x in row]
    for i, f in enumerate(c.factors):
        needed += [(f"factor {i + 1}: shear", x.den) for x in f.shear.values()]
        needed += [(f"factor {i + 1}: scale", q) for x in f.scale for q in (x.num, x.den)]
    for what, poly in needed:
        left = uncovered(poly, polys)
        _require(left.total_degree() == 0, f"{what} has the factor {left}, which divides no listed condition, so "
                 "it may vanish where the conditions hold")
    for text, divisor in c.field.divisions:  # each string must be defined as written, too
        left = uncovered(divisor, polys)
        _require(left.total_degree() == 0, f"{_show(text)} divides by an expression with the factor {left}, which "
                 "divides no listed condition, so it may vanish where the conditions hold")
    if allowed is not None:
        given = []
        for text in allowed:
            try:
                given.append(c.field.parse(text))
            except ValueError as e:
                raise Rejected(f"the allowed condition {_show(text)} is not a rational function of the symbols: {e}",
                               "claim")
        allowed_polys = [q for x in given for q in (x.num, x.den)]
        for q in polys:
            left = uncovered(q, allowed_polys)
            _require(left.total_degree() == 0, f"the certificate needs the condition {left} != 0, which the allowed "
                     "conditions do not imply", "claim")
    zero, one = c.field.number("0"), c.field.number("1")
    cols = product(c.factors, c.n, c.split, Ring(lambda x: zero if x is ZERO else one if x is ONE else x), guard)
    wrong = _differing(cols, goal, c.n, c.order, lambda x, y: not (x - y) == 0)
    if wrong:
        raise Rejected(f"the product of the factors differs from matrix at entry {wrong[0]} ({len(wrong)} of "
                       f"{c.n * c.n} entries differ, as rational functions)", "product", wrong)
    return Accepted(c.n, c.split, c.mode, len(c.factors), c.claims["bound"], c.claims["method"], None, None,
                    f"QQ({', '.join(map(str, c.field.gens))})", ZERO)
