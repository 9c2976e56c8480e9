"""The least number of couplings for a given matrix (``couplings minimal``).

Two sides, each with its own evidence:

* **upper**: the shortest product any route builds, tried from the fewest
  factors up: ``T = I`` (0), the exact and complete tests of the short method
  for at most two and three couplings, the four-coupling construction below,
  then the short method (5 or 6). The product is a certificate
  (``couplings.certificate/1``) checked by the trusted checker.
* **lower**: the strongest lemma of :mod:`proofs.lower_bounds` that applies to
  ``T`` (:func:`proofs.lower_bounds.lower_bound_witness`), written as a
  lower-bound witness that :func:`proofs.lower_bounds.check_witness` re-checks
  from the matrix alone; when the two sides differ and ``d <= 2``, a
  time-bounded Groebner computation may close the gap. When only four
  couplings are in doubt, an exact product over a number field
  (:func:`algebraic_four_word`) is looked for and reported as a note.

Four couplings (``docs/theory.md``, "The least number of couplings"):
``T diag(E, F)^-1 = L_u(a) U_u(b) L_u(c) U_u(e)`` with ``P`` invertible holds
when ``X (Sigma G) X^-1 = E A`` for ``A = P^-1``, ``Sigma = S - R P^-1 Q``,
``G = F^-1`` (then ``b = X``); :func:`four_word` finds diagonals ``E, G``
with equal characteristic polynomials, rational for ``d <= 3``.

>>> from construct.core.matrices import from_rows
>>> m = minimal(from_rows([[1, 2, 3, 4], [0, 1, 5, 6], [7, 8, 1, 0], [9, 1, 2, 1]]))
>>> m.lower, m.upper, m.verdict
(4, 4, 'exactly 4')
"""

from __future__ import annotations

import multiprocessing
import random
import time
from dataclasses import dataclass
from fractions import Fraction

from sympy import QQ
from sympy.polys.matrices import DomainMatrix

from construct.core.couplings import Word, lower, upper
from construct.core.errors import InputError
from construct.core.factorization import Factorization
from construct.core.gadgets import cyclic_basis, similarity_pair
from construct.core.matrices import blocks, charpoly, identity, inverse, scale_columns, scale_rows
from construct.front.factor import validate
from construct.methods.short import ROUTES, either_orientation, factor_short, small_shear, with_first_shear
from proofs.checker import check_certificate
from proofs.lower_bounds import ARGUMENTS, FAST_ARGUMENTS, check_witness, lower_bound_witness
from proofs.matrix_file import counted

#: Groebner budget (seconds) when the lemmas leave a gap; k = 3 at d = 2 takes about a second.
GROEBNER_SECONDS = 20.0


@dataclass
class Minimal:
    """What is known about the least number of couplings of ``matrix`` in ``mode``."""

    matrix: DomainMatrix
    mode: str
    lower: int
    upper: int
    upper_factorization: Factorization
    #: a ``couplings.lower-bound/1`` witness for ``lower - 1``, or ``None`` (lower 0 or 1: ``T == I`` or not)
    lower_witness: dict | None
    notes: list

    @property
    def verdict(self) -> str:
        if self.lower == self.upper:
            return f"exactly {self.lower}"
        return f"between {self.lower} and {self.upper}"

    @property
    def missing(self) -> str | None:
        if self.lower == self.upper:
            return None
        ks = f"{self.lower}" if self.lower == self.upper - 1 else f"{self.lower} ... {self.upper - 1}"
        return f"a proof that T is not a product of {ks} {'coupling' if ks == '1' else 'couplings'}, or a product of fewer than {self.upper}"

    def to_json(self) -> dict:
        return {
            "mode": self.mode,
            "n": self.matrix.shape[0],
            "lower": self.lower,
            "upper": self.upper,
            "exact": self.lower == self.upper,
            "verdict": self.verdict,
            "missing": self.missing,
            "upper_method": self.upper_factorization.method,
            "upper_certificate": self.upper_factorization.certificate(),
            "lower_argument": self.lower_witness["argument"] if self.lower_witness else _trivial(self.lower),
            "lower_witness": self.lower_witness,
            "notes": list(self.notes),
        }


def format_minimal(m: Minimal) -> str:
    """A readable report: the verdict, then the evidence for each side."""
    f = m.upper_factorization
    kinds = " ".join(f.word.kinds()) or "no factors"
    lines = [f"least number of couplings (mode {m.mode}, n = {m.matrix.shape[0]}): {m.verdict}",
             f"  upper {m.upper}: route {f.method} ({kinds}), checked by the independent checker"]
    if m.lower_witness is None:
        lines.append(f"  lower {m.lower}: {_trivial(m.lower)}")
    else:
        w = m.lower_witness
        lines.append(f"  lower {m.lower}: lemma {w['argument']} (proofs/lower_bounds.py): "
                     f"not a product of {counted(w['k'], 'coupling')}")
        lines += [f"    - {r}" for r in w["statement"].split(": ", 1)[1].split("; ")]
    if m.missing:
        lines.append(f"  missing: {m.missing}")
    lines += [f"  note: {note}" for note in m.notes]
    return "\n".join(lines)


def _trivial(lower: int) -> str:
    return "T != I" if lower == 1 else "none needed"


def minimal(T: DomainMatrix, mode: str = "any", seed: int = 0, groebner_seconds: float = GROEBNER_SECONDS) -> Minimal:
    """Bounds on the least number of couplings (split ``n/2``) whose product is ``T``."""
    T = T.convert_to(QQ).to_dense()
    validate(T, mode)
    n = T.shape[0]
    if n % 2:
        raise InputError(f"the matrix is {n}x{n}; the least number of couplings is decided for even sizes n = 2d only")
    d = n // 2
    rows = [[Fraction(int(x.numerator), int(x.denominator)) for x in row] for row in T.to_list()]
    notes = []
    factorization = _shortest(T, mode, random.Random(seed))
    cert = factorization.certificate()
    verdict = check_certificate(cert, matrix=T.to_list())
    if not verdict.ok:  # the builders are untrusted
        raise RuntimeError(f"the shortest certificate does not check: {verdict.summary}")
    upper_count = factorization.count
    witness = lower_bound_witness(rows, d, mode)
    lower_count = 0 if T == identity(n) else (1 if witness is None else witness["k"] + 1)
    deadline = time.monotonic() + groebner_seconds
    # raise the lower bound one k at a time: the k = lower system is the cheapest that can help
    while lower_count < upper_count and d <= 2 and f"groebner-{lower_count}" in ARGUMENTS:
        name, left = f"groebner-{lower_count}", deadline - time.monotonic()
        if left <= 0:
            break
        found = _with_timeout(lower_bound_witness, (rows, d, mode, [name]), left)
        if found is _TIMEOUT:
            notes.append(f"{name}: no answer within {groebner_seconds:g} s")
            break
        if found is None:
            notes.append(f"{name}: the system has a solution over C, so it proves nothing")
            break
        witness, lower_count = found, lower_count + 1
    if lower_count <= 4 < upper_count and 2 <= d <= 4 and groebner_seconds > 0:
        found = _with_timeout(algebraic_four_summary, (T, mode == "positive", seed), groebner_seconds)
        if isinstance(found, dict):
            notes.append(f"a product of 4 couplings with scales in Q(alpha), alpha of degree {found['degree']}, "
                         "exists and was checked exactly by SymPy; the checker takes rational certificates only")
    if witness is not None and witness["argument"] in FAST_ARGUMENTS and not check_witness(witness)[0]:
        raise RuntimeError(f"the lower-bound witness {witness['argument']} does not check")
    return Minimal(T, mode, lower_count, upper_count, factorization, witness, notes)


def _shortest(T, mode, rng) -> Factorization:
    """The first route, from the fewest couplings up, that builds a product."""
    positive = mode == "positive"
    n = T.shape[0]
    if T == identity(n):
        return Factorization(T, Word(n, n // 2), mode, "identity", 0)
    routes = {name: route for name, route, _ in ROUTES}
    for name, route in (("short:two", routes["two"]), ("short:three", routes["three"]), ("four", four_word),
                        ("five", five_word)):
        word = route(T, positive, rng)
        if word is not None and not (positive and any(s <= 0 for f in word for s in f.scale)):
            if word.matrix() != T:
                raise RuntimeError(f"route {name} built a wrong product")
            return Factorization(T, word, mode, name, len(word))
    f = factor_short(T, mode, rng)
    f.bound = f.count
    return f


_TIMEOUT = object()


def _call(queue, function, args):
    try:
        queue.put((True, function(*args)))
    except Exception as e:  # raised again in the parent, which reports it; the child prints nothing
        queue.put((False, e))


def _with_timeout(function, args, seconds):
    """``function(*args)`` in a child process, or ``_TIMEOUT`` if it takes longer than ``seconds``."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_call, args=(queue, function, args), daemon=True)
    child.start()
    child.join(seconds)
    if child.is_alive():
        child.terminate()
        child.join()
        return _TIMEOUT
    if queue.empty():
        return _TIMEOUT
    finished, value = queue.get()
    if not finished:
        raise value
    return value


# ---------------------------------------------------------------- four couplings


def four_word(T: DomainMatrix, positive: bool, rng: random.Random):
    """``T = L U L U`` or ``U L U L`` (four couplings), or ``None`` if no choice tried works.

    >>> from construct.core.matrices import from_rows
    >>> T = from_rows([[1, 2, 3, 4], [0, 1, 5, 6], [7, 8, 1, 0], [9, 1, 2, 1]])
    >>> w = four_word(T, True, random.Random(0))
    >>> w.matrix() == T, w.kinds(), all(s > 0 for f in w for s in f.scale)
    (True, 'LULU', True)
    """
    return either_orientation(_four_lower, T, positive, rng)


def five_word(T: DomainMatrix, positive: bool, rng: random.Random, tries: int = 12):
    """``T = L_u(g) (U L U L)`` or ``U_u(g) (L U L U)``: five couplings, or ``None``.

    ``L_u(-g) T = [[P, Q], [R - g P, S - g Q]]``; since ``[Q; S]`` has full
    column rank, ``S - g Q`` is invertible for most ``g``, which is all the
    mirrored four-coupling construction needs besides its trace condition.
    So this reaches five couplings when both off-diagonal blocks are
    singular, where the short method needs six (both diagonal blocks
    singular, as for many permutations).
    """
    d, K = T.shape[0] // 2, T.domain
    _, Q, R, _ = blocks(T, d)
    if inverse(Q) is not None or inverse(R) is not None:
        return None  # the short method's five-coupling route covers it
    pairs = ((g, g) for g in (small_shear(d, K, rng) for _ in range(tries)))
    return with_first_shear(T, pairs, four_word, positive, rng)


def _four_lower(T, positive, rng, scalings=None):
    """``T = L_u(a) U_u(b) L_u(c) U_u(e) diag(E, F)``.

    With ``M = T diag(E, F)^-1``: ``P_M^-1 = E A`` and ``Sigma_M = Sigma G``;
    a similarity ``X Sigma_M X^-1 = P_M^-1`` gives ``b = X``,
    ``c = X^-1 (P_M - I)``, ``e = P_M^-1 (Q_M - X)``, ``a = (R_M - c) P_M^-1``.
    """
    n, K = T.shape[0], T.domain
    d = n // 2
    P, Q, R, S = blocks(T, d)
    A = inverse(P)
    if A is None:
        return None
    Sigma = S - R * A * Q
    I = identity(d, K)
    for E, G in (equal_charpoly_scalings(A, Sigma, positive) if scalings is None else scalings(A, Sigma, positive)):
        EA, SG = scale_rows(E, A), scale_columns(Sigma, G)
        pair = (I, I) if EA == SG else _similarity_pair(SG, EA, rng)
        if pair is None:
            continue
        X, Xi = pair
        F = [K.one / g for g in G]
        M = scale_columns(T, [K.one / e for e in E] + list(G))
        PM, QM, RM, _ = blocks(M, d)
        c = Xi * (PM - I)
        word = Word(n, d, [lower((RM - c) * EA), upper(X), lower(c), upper(EA * (QM - X))], K)
        if word.matrix() != M:  # cannot happen when the similarity is right; cheap at the sizes tried
            continue
        word.times_diagonal(E, F)
        return word
    return None


def algebraic_four_summary(T: DomainMatrix, positive: bool, seed: int = 0):
    """``{"degree": ..., "kinds": ...}`` of an :func:`algebraic_four_word` checked exactly, or ``None``."""
    word = algebraic_four_word(T, positive, random.Random(seed))
    if word is None or word.matrix() != T.convert_to(word.K):
        return None
    if positive and any(complex(word.K.to_sympy(s).evalf(30)).real <= 0 for f in word for s in f.scale):
        return None
    degree = word.K.ext.minpoly.degree() if word.K.is_AlgebraicField else 1
    return {"degree": degree, "kinds": word.kinds()}


def _similarity_pair(A, B, rng):
    """:func:`gadgets.similarity_pair` over ``QQ``; over an algebraic field (no bit lengths) from cyclic bases directly."""
    if A.domain == QQ:
        return similarity_pair(A, B, rng)
    KA, KB = cyclic_basis(A, rng), cyclic_basis(B, rng)
    if KA is None or KB is None or charpoly(A) != charpoly(B):
        return None
    return KB * KA.inv(), KA * KB.inv()


def algebraic_four_word(T: DomainMatrix, positive: bool, rng: random.Random):
    """Four couplings with algebraic scales: a word over ``Q(alpha)`` equal to ``T``, or ``None``.

    For any ``d``: ``e1 = g1 = 1``, ``e2 ... e(d-1)`` fixed small rationals,
    and the ``d`` coefficient equations solved for ``x = e_d`` and
    ``g2 ... gd`` by a lexicographic Groebner basis over Q, which here has
    the shape ``g_i = p_i(x)``, ``f(x) = 0``. Each real root ``alpha`` of an
    irreducible factor of ``f`` (a ``CRootOf``) gives the field ``Q(alpha)``,
    in which :func:`_four_lower` runs exactly (signs in positive mode are
    read numerically, values are nonzero exactly). For ``d = 4`` ``f`` had
    degree 6 and was irreducible on the matrices tried.
    """
    return either_orientation(_four_lower_algebraic, T, positive, rng)


def _four_lower_algebraic(T, positive, rng):
    from sympy import CRootOf, Matrix, Poly, Rational, groebner, symbols

    d = T.shape[0] // 2
    P, _, _, _ = blocks(T, d)
    A = inverse(P)
    if d < 2 or A is None:
        return None
    Sigma = T[d:, d:] - T[d:, :d] * A * T[:d, d:]
    a, s = (Matrix([[Rational(int(v.numerator), int(v.denominator)) for v in row] for row in M.to_list()])
            for M in (A, Sigma))
    x, *gs = symbols(f"x g2:{d + 1}")
    for g1, fixed in _algebraic_slices(a, s, positive):
        e, g = [Rational(1), *fixed, x], [g1, *gs]
        equations = [_coefficient(a, e, k) - _coefficient(s, g, k) for k in range(1, d + 1)]
        basis = groebner(equations, *reversed(gs), x, order="lex").exprs
        f = basis[-1]
        if len(basis) != d or f.free_symbols != {x}:
            continue
        solved = {}
        for expr, gi in zip(basis[:-1], reversed(gs)):
            if Poly(expr, gi).degree() != 1 or expr.free_symbols - {gi, x}:
                break
            solved[gi] = gi - expr  # the reduced basis is monic: g_i - p_i(x)
        else:
            for factor, _ in Poly(f, x).factor_list()[1]:
                for i in range(factor.count_roots()):
                    alpha = CRootOf(factor.as_expr(), i)
                    word = _in_field(T, alpha, e, g, solved, x, positive, rng)
                    if word is not None:
                        return word
    return None


def _algebraic_slices(a, s, positive):
    """``(g1, (e2, ..., e(d-1)))``: fixed rationals that cut the solutions down to finitely many.

    A few small choices; in positive mode first the rounded point of a
    floating-point least-squares solution with positive scales, so that the
    slice passes through the positive part (the float only chooses the slice:
    everything after it is exact).
    """
    from sympy import Rational

    d = a.shape[0]
    choices = [(1, 2, -1, 3, -2), (1, Rational(1, 2), Rational(1, 3), Rational(1, 4)), (1, 2, 3, 5),
               (2, 3, Rational(1, 2), 2), (Rational(1, 3), Rational(1, 7), 5, Rational(2, 3))]
    if positive:
        point = _positive_point(a, s)
        if point is not None:
            choices.insert(0, point)
    for c in choices:
        c = [Rational(v) for v in c]
        if not positive or all(v > 0 for v in c[:d - 1]):
            yield c[0], c[1:d - 1]


def _positive_point(a, s):
    """Rounded ``(g1, e2, ..., e(d-1))`` of a float solution with positive scales and ``e1 = 1``, or ``None``."""
    import numpy as np
    from scipy.optimize import least_squares

    d = a.shape[0]
    af, sf = (np.array(m.tolist(), dtype=float) for m in (a, s))

    def residual(z):
        e, g = np.exp(np.concatenate([[0.0], z[:d - 1]])), np.exp(z[d - 1:])
        return np.poly(np.diag(e) @ af)[1:] - np.poly(sf @ np.diag(g))[1:]

    for k in range(40):
        fit = least_squares(residual, 2 * np.random.default_rng(k).normal(size=2 * d - 1))
        if fit.cost < 1e-16:
            z = np.exp(fit.x)
            return [Fraction(f"{v:.4g}") for v in (z[d - 1], *z[:d - 2])]  # four significant digits
    return None


def _in_field(T, alpha, e, g, solved, x, positive, rng):
    """:func:`_four_lower` over ``Q(alpha)`` with the scales ``e, g`` at ``x = alpha``."""
    from sympy import Poly

    K = QQ.algebraic_field(alpha)
    values = [v.subs(solved) if hasattr(v, "subs") else v for v in e + g]
    evaluated = [v.subs(x, alpha).evalf(30) if hasattr(v, "subs") else v for v in values]
    if any(getattr(z, "free_symbols", None) for z in evaluated):
        return None  # a scale the solution leaves free: no point of Q(alpha) is chosen for it here
    numeric = [complex(z) for z in evaluated]
    if positive and any(z.real <= 0 for z in numeric):
        return None
    a = K.from_sympy(alpha)
    exact = []
    for v in values:
        coefficients = Poly(v, x).all_coeffs() if hasattr(v, "free_symbols") and v.free_symbols else [v]
        value = K.zero
        for c in coefficients:  # Horner in Q(alpha)
            value = value * a + K.from_sympy(c)
        if value == K.zero:
            return None
        exact.append(value)
    d = len(e)
    E, G = exact[:d], exact[d:]
    return _four_lower(T.convert_to(K), positive, rng, scalings=lambda A, Sigma, pos: [(E, G)])


def _coefficient(m, values, k):
    """``c_k(diag(values) m)``: the sum over k-subsets ``I`` of ``prod(values[I]) det m[I, I]``."""
    from itertools import combinations

    return sum(_prod(values[i] for i in idx) * m.extract(list(idx), list(idx)).det()
               for idx in combinations(range(len(values)), k)).expand()


def equal_charpoly_scalings(A: DomainMatrix, Sigma: DomainMatrix, positive: bool):
    """Admissible diagonals ``(E, G)`` (lists) with ``charpoly(E A) == charpoly(Sigma G)``, rational.

    ``d = 1``: ``G = A / Sigma``. ``d = 2``: ``e1 = 1``, ``g1 = t`` and the
    trace and determinant equations are linear in ``(e2, g2)`` after
    ``e2 = t g2 det(Sigma) / det(A)``; ``t`` runs over points between and
    beyond the zeros and poles of ``g2(t)`` and ``e2(t)``, so every interval
    of admissible ``t`` is visited. ``d = 3``: :func:`_scalings_3`.
    Larger ``d``: nothing (open).

    >>> from construct.core.matrices import from_rows
    >>> A, Sigma = from_rows([[1, 2], [3, 4]]), from_rows([[5, 1], [1, -2]])
    >>> E, G = next(equal_charpoly_scalings(A, Sigma, True))
    >>> charpoly(scale_rows(E, A)) == charpoly(scale_columns(Sigma, G)), min(E + G) > 0
    (True, True)
    """
    d, K = A.shape[0], A.domain

    def admissible(values):
        return all(v != 0 and (not positive or v > 0) for v in values)

    def check(E, G):
        return admissible(E + G) and charpoly(scale_rows(E, A)) == charpoly(scale_columns(Sigma, G))

    if d == 1:
        E, G = [K.one], [A[0, 0].element / Sigma[0, 0].element]
        if check(E, G):
            yield E, G
        return
    if d == 2:
        a, s = A.to_list(), Sigma.to_list()
        kappa = Sigma.det() / A.det()
        critical = {K.zero}
        if s[0][0] != 0:
            critical.add(a[0][0] / s[0][0])
        if a[1][1] != 0:
            critical.add(s[1][1] / (kappa * a[1][1]))
        for t in _between(sorted(critical)):
            num, den = s[0][0] * t - a[0][0], a[1][1] * t * kappa - s[1][1]
            for g2 in ([num / den] if den != 0 else _between([K.zero]) if num == 0 else []):
                E, G = [K.one, t * g2 * kappa], [t, g2]
                if check(E, G):
                    yield E, G
        return
    if d == 3:
        for E, G in _scalings_3(A, Sigma):
            if check(E, G):
                yield E, G


def _between(points):
    """Rationals in every gap of the sorted ``points``, beyond both ends, the points themselves, and a few more."""
    out = list(points)
    out += [(x + y) / 2 for x, y in zip(points, points[1:])]
    out += [points[0] - 1, points[-1] + 1, points[0] - QQ(1, 7), points[-1] + QQ(1, 7)]
    out += [QQ(v) for v in (2, -2, 3, -3, 5, -1, 1)] + [QQ(1, 3), QQ(-1, 3), QQ(7, 5)]
    seen = []
    for x in out:
        if x not in seen:
            seen.append(x)
    return seen


def _scalings_3(A, Sigma):
    """``d = 3``: rational ``(E, G)`` with equal characteristic polynomials (docs/theory.md).

    ``g1 = 1``, ``e1 = s`` free; ``g3 = kappa e2 e3 / g2`` from the
    determinants (``kappa = s det A / det Sigma``); the trace and the second
    coefficient are then ``p0 + p1 e2 + p2 e3 + p3 e2 e3 = 0`` and
    ``q0 + ... + q3 e2 e3 = 0``. ``q3 (first) - p3 (second)`` is linear in
    ``e2, e3``, and substituting it leaves a quadratic in ``e2`` with leading
    coefficient ``p3 r1``; ``r1 = g2 (linear in g2)``, so one ``g2(s)`` makes
    it linear: a rational curve ``s -> (E, G)`` of solutions. Every role of
    the coordinates (which ``e`` is ``s``, which ``g`` is 1) gives another
    curve (the three rotations of each side are tried); ``s`` runs over points between and beyond the real zeros and
    poles of all six entries, so positive solutions on a curve are found.
    """
    from itertools import combinations

    from sympy import Matrix, Rational, cancel, fraction, symbols

    s, g, x, y = symbols("s g x y")
    K = A.domain
    a0 = Matrix([[Rational(int(v.numerator), int(v.denominator)) for v in row] for row in A.to_list()])
    s0 = Matrix([[Rational(int(v.numerator), int(v.denominator)) for v in row] for row in Sigma.to_list()])

    def minors(m, k):
        return {c: m.extract(list(c), list(c)).det() for c in combinations(range(3), k)}

    rotations = [(0, 1, 2), (1, 2, 0), (2, 0, 1)]  # which coordinate is free (e) or normalised (g)
    for pa, ps in ((pa, ps) for pa in rotations for ps in rotations):
        a, sg = a0.extract(list(pa), list(pa)), s0.extract(list(ps), list(ps))
        kappa = s * a.det() / sg.det()
        e, gg = (s, x, y), (1, g, kappa * x * y / g)
        c = []
        for k in (1, 2):
            lhs = sum(m * _prod(e[i] for i in idx) for idx, m in minors(a, k).items())
            rhs = sum(m * _prod(gg[i] for i in idx) for idx, m in minors(sg, k).items())
            c.append(((lhs - rhs) * g).expand())
        (p0, p1, p2, p3), (q0, q1, q2, q3) = ([ci.coeff(x, i).coeff(y, j) for i, j in ((0, 0), (1, 0), (0, 1), (1, 1))]
                                              for ci in c)
        r1 = cancel((q3 * p1 - p3 * q1) / g)
        if r1.diff(g) == 0:
            continue
        g2 = cancel(-r1.subs(g, 0) / r1.diff(g))
        sub = {g: g2}
        P0, P2, P3 = (cancel(v.subs(sub)) for v in (p0, p2, p3))
        Q0, Q2, Q3 = (cancel(v.subs(sub)) for v in (q0, q2, q3))
        P1 = cancel(p1.subs(sub))
        R0, R2 = cancel(Q3 * P0 - P3 * Q0), cancel(Q3 * P2 - P3 * Q2)
        denominator = cancel(P1 * R2 - P3 * R0)
        if R2 == 0 or denominator == 0:
            continue
        X = cancel(-(P0 * R2 - P2 * R0) / denominator)
        Y = cancel(-R0 / R2)
        curve = [s, X, Y, Rational(1), g2, cancel(kappa * X * Y / g2)]
        critical = sorted({float(r) for v in curve for part in fraction(cancel(v)) if part.has(s)
                           for r in _real_roots(part, s)})
        for value in _between([_rational(r) for r in critical] or [QQ(0)]):
            try:
                point = [v.subs(s, Rational(value.numerator, value.denominator)) if hasattr(v, "subs") else v
                         for v in curve]
            except ZeroDivisionError:
                continue
            if not all(v.is_Rational for v in point):
                continue
            qq = [K(int(v.p)) / K(int(v.q)) for v in point]
            E, G = [K.zero] * 3, [K.zero] * 3
            for i in range(3):
                E[pa[i]], G[ps[i]] = qq[i], qq[3 + i]
            yield E, G


def _real_roots(poly, s):
    """Floating-point real roots of a polynomial in ``s`` (only to place test points between them)."""
    from sympy import Poly

    p = Poly(poly, s)
    if p.degree() <= 0:
        return []
    return [complex(r).real for r in p.nroots(n=15, maxsteps=200) if abs(complex(r).imag) < 1e-9]


def _rational(x: float):
    f = Fraction(x).limit_denominator(10**6)
    return QQ(f.numerator, f.denominator)


def _prod(values):
    out = 1
    for v in values:
        out *= v
    return out
