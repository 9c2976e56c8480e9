"""Human-readable renderings of a factorization: a plain-text table and LaTeX.

>>> from construct.front.factor import factor
>>> from construct.core.matrices import from_rows
>>> print(format_table(factor(from_rows([[0, 1], [1, 0]]), method="paper")).splitlines()[0])
2x2 matrix, split 1 + 1, mode any, method paper: 3 couplings

With a mask the couplings act on the coordinates reordered as (mask-1
coordinates, then mask-0 ones). The table says so; the LaTeX rendering writes
every factor back in the original coordinates, so that its printed equation
``T = F_1 ... F_k`` holds as printed:

>>> f = factor(from_rows([[2, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]), mask="alternate")
>>> [M.to_list() for M in original_factors(f)]
[[[2, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]]
"""

from __future__ import annotations

from construct.core.conditioning import conditioning, format_conditioning
from construct.core.errors import InputError
from construct.core.factorization import Factorization
from construct.core.masks import mask_order
from construct.core.matrices import from_rows
from construct.core.numeric import matrix_rows, round_up
from proofs.matrix_file import counted

#: Above this size the factors are summarised instead of printed in full.
FULL_SIZE = 8


def format_table(f: Factorization) -> str:
    w = f.word
    lines = [f"{w.n}x{w.n} matrix, split {w.p} + {w.n - w.p}, mode {f.mode}, method {f.method}: {counted(f.count, 'coupling')}"]
    if f.mask is not None:
        lines.append("mask (1 = kept by lower couplings): " + "".join(map(str, f.mask)))
        order = ", ".join(str(i + 1) for i in mask_order(f.mask))
        lines.append(f"the couplings act on the coordinates in the order {order} (mask 1, then mask 0)")
    lines.append(f"word: {w.kinds() or '(identity)'}")
    lines.append("")
    if w.n <= FULL_SIZE:
        cell = str if f.tolerance is None else _short
        lines.append("T =")
        lines += grid(f.matrix.to_list(), "  ")
        for i, c in enumerate(w, 1):
            lines.append(f"F{i} = {c.kind} coupling, scale [{', '.join(map(cell, c.scale))}], shear =")
            lines += grid(matrix_rows(c.shear), "  ", cell)
        lines.append("")
    lines.append(format_conditioning(conditioning(f)))
    if f.relative_residual is not None:
        lines.append(f"relative residual max |prod - T| / max |T| <= {float(round_up(f.relative_residual)):.2g} "
                     "(the factors as written, bounded by the independent checker)")
    if f.stages:
        lines.append("")
        lines.append(f"{'stage':<14} {'count':>5} {'ours <=':>8} {'paper <=':>8}")
        for name, count in list(f.stages.items()) + [("total", f.count)]:
            own, paper = f.stage_bounds.get(name, ("", ""))
            lines.append(f"{name:<14} {count:>5} {own:>8} {paper:>8}")
    return "\n".join(lines)


def _short(x) -> str:
    """A computed number, rounded for display (the certificate holds its exact value)."""
    return f"{float(x):.6g}"


def grid(rows, indent: str, cell=str) -> list[str]:
    cells = [[cell(x) for x in row] for row in rows]
    width = max((len(c) for row in cells for c in row), default=1)
    return [indent + "[" + "  ".join(c.rjust(width) for c in row) + "]" for row in cells]


def original_factors(f: Factorization) -> list:
    """The full factor matrices in the input's own coordinates, so that their product is ``f.matrix``.

    Without a mask these are the couplings themselves; with one, each is
    conjugated back: ``F'[idx[a]][idx[b]] = F[a][b]`` with ``idx = mask_order(mask)``.
    """
    factors = [c.matrix() for c in f.word]
    if f.mask is None:
        return factors
    idx, n = mask_order(f.mask), f.word.n
    back = [idx.index(i) for i in range(n)]
    return [from_rows([[rows[back[i]][back[j]] for j in range(n)] for i in range(n)], f.word.K)
            for rows in (M.to_list() for M in factors)]


def format_latex(f: Factorization) -> str:
    """``T = F_1 F_2 ... F_k`` with every factor as a ``bmatrix`` (teaching material).

    With a mask, the factors are written in the original coordinates (see
    :func:`original_factors`), so the printed equation holds as printed.
    """
    if f.tolerance is not None:
        raise InputError(f"--format latex writes exact factors; these are {f.arith} numbers, whose exact values "
                         "are in the certificate (use --format json or --out)")
    body = " \n".join(bmatrix(M.to_list()) for M in original_factors(f)) or "I"
    masked = ""
    if f.mask is not None:
        masked = f"\n% mask {''.join(map(str, f.mask))}: each factor is a coupling after reordering the coordinates to " + \
            ", ".join(str(i + 1) for i in mask_order(f.mask)) + "; shown here in the original order"
    return (
        f"% {counted(f.count, 'coupling')} ({f.word.kinds()}), method {f.method}, mode {f.mode}{masked}\n"
        f"\\[\n{bmatrix(f.matrix.to_list())}\n=\n{body}\n\\]"
    )


def format_markdown(f: Factorization) -> str:
    """A Markdown report: a summary, a table of the factors, then ``T`` and each factor as ``$$`` math.

    Exact factorizations up to ``FULL_SIZE`` show every matrix, one per line
    (with a mask in the original coordinates, as in :func:`format_latex`);
    numeric ones show the table only (their exact values are in the certificate).

    >>> from construct.front.factor import factor
    >>> from construct.core.matrices import from_rows
    >>> print(format_markdown(factor(from_rows([[1, 0], [3, 1]]))))
    # 2x2 matrix, 1 coupling (method short:two, mode any)
    <BLANKLINE>
    Split 1 + 1, word `L`.
    <BLANKLINE>
    | factor | kind | scale | cond | max entry |
    |---|---|---|---|---|
    | F_1 | lower | 1 | 10.9 | 3 |
    <BLANKLINE>
    Max factor cond 10.9 (cond T = 10.9), float64 backward error 0.
    <BLANKLINE>
    $$T = \\begin{bmatrix} 1 & 0 \\\\ 3 & 1 \\end{bmatrix}$$
    <BLANKLINE>
    $$F_1 = \\begin{bmatrix} 1 & 0 \\\\ 3 & 1 \\end{bmatrix}$$
    """
    w, s = f.word, conditioning(f)
    summary = f"Split {w.p} + {w.n - w.p}, word `{w.kinds() or '(identity)'}`."
    if f.mask is not None:
        order = ", ".join(str(i + 1) for i in mask_order(f.mask))
        summary += (f" Mask `{''.join(map(str, f.mask))}` (1 = kept by lower couplings): the couplings act on the "
                    f"coordinates in the order {order}; the matrices below are in the original order.")
    cell = str if f.tolerance is None else _short
    lines = [f"# {w.n}x{w.n} matrix, {f.count} coupling{'' if f.count == 1 else 's'} "
             f"(method {f.method}, mode {f.mode})", "", summary, "",
             "| factor | kind | scale | cond | max entry |", "|---|---|---|---|---|"]
    for i, (c, r) in enumerate(zip(w, s["factors"]), 1):
        lines.append(f"| F_{i} | {c.kind} | {', '.join(map(cell, c.scale))} | {r['cond']:.3g} | {r['max_entry']:.3g} |")
    lines += ["", f"Max factor cond {s['max_cond']:.3g} (cond T = {s['cond_T']:.3g}), "
              f"float64 backward error {s['backward_error']:.2g}."]
    if w.n <= FULL_SIZE and f.tolerance is None:
        lines += ["", f"$$T = {_one_line(f.matrix.to_list())}$$"]
        for i, M in enumerate(original_factors(f), 1):
            lines += ["", f"$$F_{i} = {_one_line(M.to_list())}$$"]
    return "\n".join(lines)


def _one_line(rows) -> str:
    return bmatrix(rows).replace("\n", " ")


def bmatrix(rows) -> str:
    def cell(x):
        if x.denominator == 1:
            return str(x)
        sign = "-" if x < 0 else ""
        return f"{sign}\\frac{{{abs(x.numerator)}}}{{{x.denominator}}}"

    inner = " \\\\\n".join(" & ".join(cell(x) for x in row) for row in rows)
    return f"\\begin{{bmatrix}}\n{inner}\n\\end{{bmatrix}}"
