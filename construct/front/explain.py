"""``couplings explain``: how a factorization was built, step by step, for teaching.

The builders record their steps (:mod:`construct.core.trace`: the LUP or LU
decomposition, the swap-network rounds, the triangular stages, the levels and
their frames); for the short method, whose routes are tried in turn, the
explanation states each route's test on ``T`` and its outcome. Then come the
factors, labelled in product order (``L_1``, ``U_2``, ...), and the verdict of
the independent checker on their product.

>>> from construct.core.matrices import from_rows
>>> e = explain(from_rows([[1, 0, 2, 0], [0, 1, 0, 3], [0, 0, 1, 0], [0, 0, 0, 1]]))
>>> e.labels, [s.name for s in e.steps], e.verdict.ok
(['U_1'], ['route short:two taken'], True)
>>> print(format_explanation(e, "latex").splitlines()[-5])
T &= U_1 \\\\
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from sympy.polys.matrices import DomainMatrix

from construct.core.errors import InputError
from construct.core.factorization import Factorization
from construct.core.matrices import bit_length, blocks, inverse, join, rank, scale_columns
from construct.core.trace import Step, tracing
from construct.front.factor import factor
from construct.front.report import FULL_SIZE, bmatrix, grid
from construct.front.symbolic import is_symbolic
from construct.methods.short import regular_split
from proofs.checker import LIMITS, Verdict, check_certificate
from proofs.matrix_file import counted

FORMATS = ("table", "markdown", "latex")


@dataclass
class Explanation:
    """The steps that built ``factorization`` of ``matrix``, its factor labels and the checker's verdict."""

    matrix: DomainMatrix
    factorization: Factorization
    steps: list
    labels: list
    verdict: Verdict


def explain(T: DomainMatrix, method: str = "short", mode: str = "any", seed: int = 0, limits=LIMITS) -> Explanation:
    """Factor ``T`` exactly with ``method`` while recording its steps, then check the product."""
    if is_symbolic(T):
        raise InputError("explain walks through factorizations of numbers; for symbolic entries, couplings factor "
                         "prints the factors and the conditions under which they hold")
    with tracing() as steps:
        f = factor(T, method=method, mode=mode, seed=seed)
    n, p = f.word.n, f.word.p
    if f.stages.get("mixing"):  # build_levels ran twice, on T and on T R: keep the run that was used
        used = max(i for i, s in enumerate(steps) if s.name == "LU with row pivoting")
        steps = [Step("mixing", "The level shears of T grew beyond 10^6, so the levels word is built for T R, R = U(B) "
                      "L(A) a random well-conditioned pair of couplings, and T = (word of T R) L(-A) U(-B) "
                      "(construct/methods/levels.py, build_with_mixing). The steps below are for T R.")] + steps[used:]
    if 2 * p != n:
        steps.insert(0, Step("unequal split", f"With {p} of {n} coordinates kept by lower couplings, a few unit "
                             "couplings first reduce T to a balanced core of even size, whose couplings act as the "
                             "identity on the cleared coordinates (construct/methods/splits.py, factor_split). The steps "
                             f"below build the core's couplings (method {f.method}), for U(-g) T' when both "
                             "off-diagonal blocks of the core T' are singular; where the reduction built more than "
                             "one core and kept the shortest word, the steps of each core follow in turn."))
    elif f.method.startswith("short:"):
        steps = short_route_steps(f.matrix, f.method.removeprefix("short:"), mode == "positive",
                                  _conjugated_matrix(steps) if f.method == "short:five" else None) + steps
    verdict = check_certificate(f.certificate(), matrix=f.matrix.to_list(), limits=limits)
    return Explanation(f.matrix, f, steps, factor_labels(f), verdict)


def _conjugated_matrix(steps):
    """The ``G`` of the five-coupling route's last conjugation (a similarity from ``G`` to ``X Y``, its
    regular split), i.e. of the free choice that was kept: the route returns at its first success."""
    for s in reversed(steps):
        if s.name == "similarity from cyclic bases":
            m = dict(s.matrices)
            split = regular_split(m["A"])
            if split is not None and split[0] * split[1] == m["B"]:
                return m["A"]
    return None


def factor_labels(f: Factorization) -> list[str]:
    """``L_1``, ``U_2``, ...: each factor's kind and its place in the product ``T = F_1 F_2 ... F_k``."""
    return [f"{c.kind[0].upper()}_{i}" for i, c in enumerate(f.word, 1)]


# The short method's routes, as tests on T: which one decided, and why.

def short_route_steps(T: DomainMatrix, taken: str, positive: bool, G=None) -> list[Step]:
    """One step per route of the short method tried before ``taken`` (failed), and one for ``taken``.

    ``G`` is the matrix the five-coupling route split, if known (else the one of its first choice, ``F = I``).
    """
    d = T.shape[0] // 2
    P, Q, R, S = blocks(T, d)
    steps = [_two_step(P, Q, R, S, taken == "two")]
    if taken == "two":
        return steps
    steps.append(_three_step(P, Q, R, S, taken == "three"))
    if taken == "three":
        return steps
    steps.append(_five_step(P, Q, R, S, taken == "five", positive, G if taken == "five" else None))
    if taken == "five":
        return steps
    six = (f"Neither off-diagonal block is invertible (rank Q = {rank(Q)}, rank R = {rank(R)} of {d}), "
           "so one unit coupling L(g) or U(g) with small random g goes first to make one invertible, "
           "and the five-coupling route factors the rest: six couplings (construct/methods/short.py, _six).")
    steps.append(Step(f"route short:six {'taken' if taken == 'six' else 'not taken'}", six))
    return steps


def _is_diagonal(M) -> bool:
    return M.is_diagonal and all(M[i, i].element != 0 for i in range(M.shape[0]))


def _two_step(P, Q, R, S, taken: bool) -> Step:
    """``L(A, B) U(C, D) = [[C, D], [A C, A D + B]]`` and its mirror ``U(C, D) L(A, B)``."""
    test = ("Two couplings: L(A, B) U(C, D) = [[C, D], [A C, A D + B]], so T = L U exactly when the top-left "
            "block P is an invertible diagonal and the Schur complement S - R P^-1 Q is diagonal; mirrored, "
            "T = U L when S is an invertible diagonal and P - Q S^-1 R is diagonal (construct/methods/short.py, _two). ")
    shown = [("P", P), ("S", S)]
    if _is_diagonal(P):
        shown.append(("S - R P^-1 Q", S - R * P.inv() * Q))
    if _is_diagonal(S):
        shown.append(("P - Q S^-1 R", P - Q * S.inv() * R))
    outcome = "The test holds." if taken else "The test fails."
    return Step(f"route short:two {'taken' if taken else 'not taken'}", test + outcome, tuple(shown))


def _three_step(P, Q, R, S, taken: bool) -> Step:
    test = ("Three couplings: with V = T^-1, T = U(Gamma, D) L(R, B) U(X) exactly when some diagonals Gamma, "
            "beta = B^-1 (nonzero; positive in positive mode) satisfy V21 Gamma = -beta R, P v = Gamma v for v "
            "in the kernel of R, and u^T V22 = u^T beta for u in the left kernel of V21; then D solves D R = "
            "P - Gamma and V21 D = beta - V22, and X = -(V11 D + V12) B. R may be singular: the first condition "
            "needs R and V21 to share their zeros and fixes the scales up to one factor per connected part of "
            "that pattern, which the kernel conditions may pin. The mirror L U L is the same test on J T J "
            "(construct/methods/short.py, _three_upper, three_scales; docs/theory.md, 'The short method'). ")
    d = R.shape[0]
    V21 = join(P, Q, R, S).inv()[d:, :d]
    shown = [("R", R), ("V21", V21)]
    outcome = "The test holds." if taken else "The test fails (in both orientations)."
    return Step(f"route short:three {'taken' if taken else 'not taken'}", test + outcome, tuple(shown))


def _five_step(P, Q, R, S, taken: bool, positive: bool, G=None) -> Step:
    name = f"route short:five {'taken' if taken else 'not taken'}"
    mirrored = inverse(Q) is None
    if mirrored:
        if inverse(R) is None:
            return Step(name, "Five couplings need an invertible off-diagonal block; here neither Q nor R is.",
                        (("Q", Q), ("R", R)))
        P, Q, R, S = S, R, Q, P  # the mirror: the same construction on J T J, whose top-right block is R
    H = R - S * Q.inv() * P
    if G is None:  # the first choice: F = I, E = diag(det(-Q H), 1, ..., 1)
        G1 = -Q * H
        G = scale_columns(G1, [1 / G1.det()] + [G1.domain.one] * (G1.shape[0] - 1))
    text = ("Five couplings L(x) U(b) L(c) U(e) L(f) diag(E, F): the top-right block Q is invertible"
            + (" in the mirror J T J (T's own Q is singular, its R is not), which gives U L U L U" if mirrored else "")
            + ". With the Schur complement H = R - S Q^-1 P and a free diagonal F (first F = I), "
            "G = -Q F^-1 H E^-1 with E = diag(det, 1, ...) has determinant 1 (below, for the F that was kept). A conjugation diag(M, M) (unit couplings stay unit "
            "couplings) takes G to X Y, the product of the regular unipotent pair below (X unit lower, Y unit "
            "upper triangular, X Y with the characteristic polynomial of G). Then the last coupling L(f) makes "
            "the top-left block X, and the middle three couplings pass the three-coupling test by construction; M comes from cyclic (Krylov) bases (construct/methods/short.py, _five_upper, "
            "regular_split; construct/core/gadgets.py, similarity_pair): the first similarity below (A = G, B = X Y), "
            "and the second (A = Y, B = X^-1) builds the middle three couplings. When a step degenerates another "
            "F is tried, and the similarities below belong to the choice that was kept.")
    shown = [("Q", Q), ("H = R - S Q^-1 P", H), ("G = -Q H E^-1", G)]
    split = regular_split(G)
    if split is not None:
        shown += [("X", split[0]), ("Y", split[1])]
    if positive:
        text += " Positive mode needs E > 0 (det G > 0 follows from det T > 0)."
    return Step(name, text, tuple(shown))


# Rendering

def format_explanation(e: Explanation, fmt: str = "table") -> str:
    """The explanation as plain text (``table``), Markdown with ``$$`` math, or a LaTeX document."""
    return {"table": _text, "markdown": _markdown, "latex": _latex}[fmt](e)


def _title(e: Explanation) -> str:
    f = e.factorization
    n = f.word.n
    return (f"Factoring the {n}x{n} matrix T into {counted(f.count, 'coupling')} (method {f.method}, mode {f.mode}); "
            f"split {f.word.p} + {n - f.word.p}")


def _factor_rows(e: Explanation):
    """``(label, sentence, full matrix)`` for each factor."""
    out = []
    for label, c in zip(e.labels, e.factorization.word):
        scale = ", ".join(map(str, c.scale))
        out.append((label, f"{c.kind} coupling, scale ({scale})", c.matrix()))
    return out


def _product(e: Explanation) -> str:
    return " ".join(e.labels) or "I"


def _big(M) -> str:
    return f"({M.shape[0]}x{M.shape[1]} matrix, entries up to {counted(bit_length(M), 'bit')})"


def _text(e: Explanation) -> str:
    lines = [_title(e), "", "T ="] + _show_text(e.matrix)
    for k, s in enumerate(e.steps, 1):
        lines += ["", f"Step {k}. {s.name}", textwrap.fill(s.reason, 100, initial_indent="  ", subsequent_indent="  ")]
        for label, M in s.matrices:
            lines += [f"  {label} ="] + _show_text(M, "    ")
    lines += ["", f"Factors, in product order: T = {_product(e)}"]
    for label, sentence, M in _factor_rows(e):
        lines += [f"{label} = {sentence}:"] + _show_text(M)
    lines += ["", f"Check of T = {_product(e)} by the independent checker: {e.verdict.summary}"]
    return "\n".join(lines)


def _show_text(M, indent="  ") -> list[str]:
    if max(M.shape) > FULL_SIZE:
        return [indent + _big(M)]
    return grid(M.to_list(), indent)


def _math(M) -> str:
    """A matrix as one line of LaTeX (a ``bmatrix``), or a sentence when it is too big to show."""
    if max(M.shape) > FULL_SIZE:
        return r"\text{" + _big(M) + "}"
    return bmatrix(M.to_list()).replace("\n", " ")


def _tex_label(label: str) -> str:
    r"""A step's label as LaTeX math.

    >>> _tex_label("X_0"), _tex_label("G(Pi)"), _tex_label("H = R - S Q^-1 P")
    ('X_{0}', 'G(\\Pi)', 'H = R - S Q^{-1} P')
    """
    out = label.replace("^-1", "^{-1}").replace("^T", "^{T}").replace("Pi", r"\Pi").replace("Delta", r"\Delta")
    out = out.replace("unit part", r"\text{unit part}")
    if "_" in out:
        head, _, tail = out.partition("_")
        out = f"{head}_{{{tail}}}"
    return out


def _markdown(e: Explanation) -> str:
    lines = [f"# {_title(e)}", "", f"$$T = {_math(e.matrix)}$$"]
    for k, s in enumerate(e.steps, 1):
        lines += ["", f"## Step {k}: {s.name}", "", s.reason]
        for label, M in s.matrices:
            lines += ["", f"$${_tex_label(label)} = {_math(M)}$$"]
    lines += ["", "## Factors", "", f"In product order, $T = {_product(e)}$:", ""]
    for label, sentence, M in _factor_rows(e):
        lines.append(f"- ${label}$ ({sentence}): $${label} = {_math(M)}$$")
    lines += ["", "## Check", "", f"The independent checker multiplies the factors out: {e.verdict.summary}"]
    return "\n".join(lines)


_LATEX_SPECIALS = {"\\": r"\textbackslash{}", "_": r"\_", "^": r"\^{}", "{": r"\{", "}": r"\}", "#": r"\#",
                   "%": r"\%", "&": r"\&", "$": r"\$", "~": r"\textasciitilde{}", "<": r"$<$", ">": r"$>$",
                   "|": r"$|$"}


def latex_text(s: str) -> str:
    r"""Plain text made safe for LaTeX.

    >>> latex_text("S - R P^-1 Q, 1 <-> 3, 50%")
    'S - R P\\^{}-1 Q, 1 $<$-$>$ 3, 50\\%'
    """
    return "".join(_LATEX_SPECIALS.get(ch, ch) for ch in s)


def _latex(e: Explanation) -> str:
    lines = [r"\documentclass{article}", r"\usepackage{amsmath}", r"\setcounter{MaxMatrixCols}{64}",
             r"\begin{document}", rf"\section*{{{latex_text(_title(e))}}}", rf"\[ T = {_math(e.matrix)} \]"]
    for k, s in enumerate(e.steps, 1):
        lines += [rf"\subsection*{{Step {k}: {latex_text(s.name)}}}", latex_text(s.reason)]
        lines += [rf"\[ {_tex_label(label)} = {_math(M)} \]" for label, M in s.matrices]
    lines += [r"\subsection*{Factors}", "In product order:", r"\begin{align}", rf"T &= {_product(e)} \\"]
    rows = _factor_rows(e)
    for i, (label, sentence, M) in enumerate(rows):
        end = r" \\" if i < len(rows) - 1 else ""
        lines.append(rf"{label} &= {_math(M)} && \text{{{latex_text(sentence)}}}{end}")
    lines += [r"\end{align}", latex_text(f"Checked by the independent checker: {e.verdict.summary}"),
              r"\end{document}"]
    return "\n".join(lines)
