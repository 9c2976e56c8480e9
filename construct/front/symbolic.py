"""Symbolic entries: a matrix of rational functions of named symbols, factored over ``QQ(symbols)``.

A cell such as ``a``, ``2*x + 1`` or ``(a - b)/c`` makes the whole matrix a
matrix over the field of rational functions ``QQ(a, b, ...)`` (SymPy's
``QQ.frac_field``). The builders are written over any field, so they run on
it unchanged; where they test whether a pivot or a determinant is zero, the
test is "zero as a rational function". The result therefore holds for the
symbols' values that keep every division defined and every scale nonzero:
the *conditions*, collected from the factors themselves (see
``docs/theory.md``, "Symbolic entries"), and re-checked by the checker. Such
matrices are read by :func:`construct.front.parse.symbolic_matrix`.

>>> from construct.front.parse import symbolic_matrix
>>> T = symbolic_matrix([[None, None], [None, None]], {(0, 0): "a", (0, 1): "b", (1, 0): "c", (1, 1): "d"})
>>> f = factor_symbolic(T)
>>> [(c.kind, str(c.shear[0, 0].element), str(c.scale[0])) for c in f.word]
[('lower', 'c/a', '(a*d - b*c)/a'), ('upper', 'b', 'a')]
>>> f.conditions
['a', 'a*d - b*c']
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sympy import QQ, latex
from sympy.polys.matrices import DomainMatrix

from construct.core.errors import InputError
from construct.core.factorization import Factorization
from construct.core.masks import mask_bits, mask_order
from construct.core.matrices import from_rows
from construct.front.parse import parse_number
from construct.front.report import original_factors
from construct.methods.paper import factor_paper
from construct.methods.short import factor_short
from construct.methods.splits import factor_split
from proofs.matrix_file import counted
from proofs.rational_functions import parse

#: Largest symbolic matrix factored: rational functions grow fast with n, and teaching needs small ones.
MAX_N = 8
#: Builders that run over any field (``levels`` needs QQ or floating point), and the largest
#: ``symbols * n^2`` each takes in seconds rather than minutes (measured: ``docs/theory.md``).
METHODS = {"short": 64, "paper": 256}
BUILDERS = {"short": factor_short, "paper": factor_paper}


def is_symbolic(T) -> bool:
    """True when ``T`` is a matrix over a field of rational functions (symbolic entries)."""
    return isinstance(T, DomainMatrix) and T.domain.is_FractionField


@dataclass
class SymbolicFactorization(Factorization):
    """A factorization over ``QQ(symbols)``, valid wherever every expression in ``conditions`` is nonzero."""

    conditions: list = field(default_factory=list)

    @property
    def symbols(self) -> list[str]:
        return [str(s) for s in self.matrix.domain.symbols]

    def certificate(self) -> dict:
        cert = super().certificate()  # entries are printed rational functions, which the checker's grammar reads
        cert.update(symbols=self.symbols, conditions=list(self.conditions))
        return cert


def factor_symbolic(T: DomainMatrix, method: str = "short", mode: str = "any", mask=None, seed: int = 0,
                    arith: str = "exact", split: int | None = None) -> SymbolicFactorization:
    """Couplings with rational-function entries whose product is ``T``, and the conditions under which they hold.

    Any field works for the ``short`` and ``paper`` builders; positive mode is
    refused, since the sign of a rational function depends on the symbols' values.
    """
    n, m = T.shape
    if mode == "positive":
        raise InputError("positive mode needs the sign of each scale, which for symbolic entries depends on the "
                         "values of the symbols; use --mode any")
    if arith != "exact" or method not in METHODS:
        raise InputError(f"symbolic entries are factored exactly with the {' or '.join(METHODS)} method, "
                         f"not {method if method not in METHODS else arith}")
    if n != m or not 2 <= n <= MAX_N:
        raise InputError(f"the symbolic matrix is {n}x{m}; symbolic entries need a square size n from 2 to {MAX_N}")
    k = len(T.domain.symbols)
    if k * n * n > METHODS[method]:
        faster = " (--method paper goes further, with more couplings)" if method == "short" else ""
        raise InputError(f"factoring a {n}x{n} matrix in {k} symbols with the {method} method would take minutes "
                         f"(its rational functions grow with symbols * n^2 = {k * n * n}, above {METHODS[method]}); "
                         f"use fewer symbols{faster}")
    if T.det() == T.domain.zero:
        raise InputError("the symbolic matrix is singular (its determinant is 0 as a rational function), "
                         "so it is not a product of couplings")
    bits = mask_bits(mask, n, split)
    order, rows = mask_order(bits), T.to_list()
    blocked = from_rows([[rows[i][j] for j in order] for i in order], T.domain)

    def balanced(S):
        return BUILDERS[method](S, "any", random.Random(seed))
    built = balanced(blocked) if 2 * sum(bits) == n else factor_split(blocked, sum(bits), balanced)
    return SymbolicFactorization(T, built.word, "any", built.method, built.bound, built.stages, built.stage_bounds,
                                 None if order == sorted(order) else bits, conditions=conditions(T, built.word))


def conditions(T: DomainMatrix, word) -> list[str]:
    """The irreducible factors of every denominator (of ``T`` and of the factors) and of every scale's numerator.

    Wherever none of them is zero, every entry is defined, every scale is
    nonzero and the product identity, true over ``QQ(symbols)``, holds at
    those values. Each factor is written with integer coefficients and a
    positive leading one; shorter ones first.
    """
    polys = [x.denom for row in T.to_list() for x in row]
    for c in word:
        polys += [x.denom for row in c.shear.to_list() for x in row]
        polys += [q for s in c.scale for q in (s.numer, s.denom)]
    found = {}
    for poly in polys:
        for factor, _ in poly.factor_list()[1]:
            _, factor = factor.clear_denoms()
            _, factor = factor.primitive()
            factor = -factor if factor.LC < 0 else factor
            found.setdefault(str(factor), (max(map(sum, factor.monoms())), len(factor.terms())))
    return sorted(found, key=lambda s: (found[s], s))


def format_symbolic(f: SymbolicFactorization, fmt: str = "table", verdict: str = "") -> str:
    """The factors as full matrices of rational functions and the conditions under which their product is ``T``.

    ``fmt`` is ``table`` (plain text), ``latex`` (``bmatrix``es) or ``markdown`` (``$$`` math);
    ``verdict`` is the checker's summary, printed last (a comment in LaTeX).
    """
    K, w = f.matrix.domain, f.word
    matrices = [("T", f.matrix)] + [(f"F_{i}", M) for i, M in enumerate(original_factors(f), 1)]
    title = (f"{w.n}x{w.n} matrix over QQ({', '.join(f.symbols)}), split {w.p} + {w.n - w.p}, mode any, "
             f"method {f.method}: {counted(f.count, 'coupling')} ({w.kinds() or 'identity'})")
    masked = f"mask {''.join(map(str, f.mask))} (1 = kept by lower couplings); the factors are shown in the " \
        "original coordinates" if f.mask is not None else ""
    if fmt == "table":
        lines = [title] + ([masked] if masked else [])
        for label, M in matrices:
            cells = [[str(x) for x in row] for row in M.to_list()]
            widths = [max(map(len, column)) for column in zip(*cells)]
            lines += ["", f"{label} ="] + ["  [" + "  ".join(c.rjust(k) for c, k in zip(row, widths)) + "]"
                                           for row in cells]
        when = ", ".join(f"{c} != 0" for c in f.conditions)
        return "\n".join(lines + ["", f"T = {' '.join(label for label, _ in matrices[1:]) or 'I'} wherever "
                                   f"{when or 'the symbols take any values'}", "", verdict]).rstrip()

    def bmatrix(M):
        rows = " \\\\ ".join(" & ".join(latex(K.to_sympy(x)) for x in row) for row in M.to_list())
        return f"\\begin{{bmatrix}} {rows} \\end{{bmatrix}}"

    when = ", \\quad ".join(latex(_expr(K, c)) + " \\neq 0" for c in f.conditions)
    product = " ".join(bmatrix(M) for _, M in matrices[1:]) or "I"
    if fmt == "latex":
        return "\n".join([f"% {title}"] + ([f"% {masked}"] if masked else []) +
                         [f"\\[\n{bmatrix(f.matrix)}\n=\n{product}\n\\]"] + ([f"valid when \\({when}\\)"] if when else [])
                         + ([f"% {verdict}"] if verdict else []))
    lines = [f"# {title}", ""] + ([masked, ""] if masked else [])
    lines += [f"$${label} = {bmatrix(M)}$$\n" for label, M in matrices]
    lines += [f"$T = {' '.join(label for label, _ in matrices[1:]) or 'I'}$ wherever ${when}$" if when else "",
              "", verdict]
    return "\n".join(lines).rstrip()


def _expr(K, text):
    """A condition (as printed by :func:`conditions`) back as a SymPy expression, for LaTeX."""
    gens = dict(zip(map(str, K.symbols), K.gens))
    return K.to_sympy(parse(text, lambda t: K.convert(QQ(*parse_number(t).as_integer_ratio())), gens.__getitem__))

