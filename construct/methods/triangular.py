"""Block-triangular matrices with triangular blocks in at most 7 couplings.

A lower triangular ``T`` (in ``d x d`` blocks ``[[T11, 0], [T21, T22]]``) is
``diag(X, Y) L_u(M) Delta`` with ``Delta`` its diagonal (its absolute value in
positive mode) and ``X, Y`` unit or sign-diagonal triangular. Then

    diag(X, Y) = diag(X Z^-1, Y Z) diag(Z, Z^-1)

with a lower bidiagonal ``Z`` chosen so that ``Z X^-1`` and ``Y Z`` have the
same diagonal (up to order) and nonzero subdiagonals. Such triangular matrices
are nonderogatory with equal characteristic polynomials, hence similar, so the
first factor is the block-diagonal gadget ``L U L U`` and the second a
mirrored Whitehead gadget ``U L U L``. Joined with ``L_u(M)`` the word is
``L U L U L U L``: 7 factors (the paper allows 13). Upper triangular
matrices are handled by transposition.

>>> import random
>>> from construct.core.matrices import from_rows
>>> T = from_rows([[2, 0, 0, 0], [1, -3, 0, 0], [4, 5, 1, 0], [0, 1, 7, 2]])
>>> w = triangular_word(T, positive=False, rng=random.Random(0))
>>> w.matrix() == T, len(w) <= 7
(True, True)
"""

from __future__ import annotations

import random

from sympy.polys.matrices import DomainMatrix

from construct.core import trace
from construct.core.couplings import Word, lower
from construct.core.gadgets import block_diagonal_word, whitehead
from construct.core.matrices import blocks, diagonal, diagonal_entries, from_rows, scale_columns


def triangular_word(T: DomainMatrix, positive: bool, rng: random.Random) -> Word:
    """Couplings whose product is the (lower or upper) triangular ``T``.

    In positive mode all scales are positive, which needs ``det T > 0``.
    """
    n, K = T.shape[0], T.domain
    entries = diagonal_entries(T)
    scale = [abs(x) for x in entries] if positive else entries
    unit = scale_columns(T, [K.one / s for s in scale])
    if trace.active():
        side = "lower" if T.is_lower else "upper"
        trace.record(f"{side} triangular stage", f"Take out the diagonal: the {side} triangular matrix is "
                     "(its unit part) times Delta" + (", with |diagonal| in positive mode" if positive else "")
                     + "; Delta is absorbed into the last two couplings (construct/methods/triangular.py, triangular_word)."
                     + ("" if T.is_lower else " An upper triangular matrix is factored as the transpose of a lower one."),
                     ("Delta", diagonal(scale, K)), ("unit part", unit))
    if T.is_lower:
        word = unit_lower_word(unit, rng)
    else:
        word = unit_lower_word(unit.transpose(), rng).transposed()
    word.times_diagonal(scale[: n // 2], scale[n // 2 :])
    return word


def unit_lower_word(T: DomainMatrix, rng: random.Random) -> Word:
    """Unit couplings for a lower triangular ``T`` whose diagonal entries are ``+-1`` (evenly many ``-1``)."""
    n, K = T.shape[0], T.domain
    d = n // 2
    X, _, T21, Y = blocks(T, d)
    Xi = X.inv()
    for Z in balancing_factors(X, Y, rng, Xi=Xi):
        Zi = Z.inv()
        gadget = block_diagonal_word(X * Zi, Y * Z, rng, Xi=Z * Xi)
        if gadget is not None:
            break
    else:
        raise ArithmeticError("internal: no balancing factor made the diagonal blocks similar")
    if trace.active():
        trace.record("balancing the diagonal blocks", "[[X, 0], [C, Y]] = diag(X, Y) L(Y^-1 C) and "
                     "diag(X, Y) = diag(X Z^-1, Y Z) diag(Z, Z^-1): Z is lower triangular so that Z X^-1 and "
                     "Y Z are similar; the first factor is the block-diagonal gadget L U L U (a similarity "
                     "from cyclic bases), the second a mirrored Whitehead gadget U L U L (unit_lower_word).",
                     ("X", X), ("Y", Y), ("Z", Z), ("X Z^-1", X * Zi), ("Y Z", Y * Z), ("Y^-1 C", Y.inv() * T21))
    word = Word(n, d, K=K)
    word.extend(gadget)
    word.extend(whitehead(Zi, Z).mirrored())
    word.append(lower(Y.inv() * T21))
    return word


def balancing_factors(X: DomainMatrix, Y: DomainMatrix, rng: random.Random, tries: int = 64, Xi=None):
    """Lower triangular ``Z`` to try for making ``Z X^-1`` and ``Y Z`` similar and nonderogatory.

    Diagonal: at positions where the signs of ``X`` and ``Y`` differ, taken in
    pairs ``(i, j)``, ``z_i = 1`` and ``z_j = -x_i x_j`` put the values
    ``{x_i, -x_i}`` on both sides, so the characteristic polynomials agree.
    First candidate, bidiagonal: each entry of ``Z X^-1`` and of ``Y Z`` below
    the diagonal is affine in ``z_(i+1,i)`` with a nonzero slope, so one of
    four small values avoids both zeros. With unit diagonals (all of ``any``
    mode) that makes both regular nilpotent plus ``I``: it always works. With
    signs a nonzero subdiagonal is not enough, and random strictly lower parts
    follow (nonderogatory is the generic case). ``Xi = X^-1`` if known.
    """
    d, K = X.shape[0], X.domain
    x, y = diagonal_entries(X), diagonal_entries(Y)
    z = [K.one] * d
    differ = [i for i in range(d) if x[i] != y[i]]
    if len(differ) % 2:
        raise ValueError("the blocks' sign patterns cannot be balanced (odd number of sign changes)")
    for i, j in zip(differ[::2], differ[1::2]):
        z[j] = -x[i] * x[j]
    Xi = X.inv() if Xi is None else Xi
    rows = [[z[i] if i == k else K.zero for k in range(d)] for i in range(d)]
    for i in range(d - 1):
        # (Z X^-1)[i+1, i] = Z[i+1,i] Xi[i,i] + z[i+1] Xi[i+1,i];  (Y Z)[i+1, i] = Y[i+1,i] z[i] + Y[i+1,i+1] Z[i+1,i]
        bad = {-z[i + 1] * Xi[i + 1, i].element / Xi[i, i].element, -Y[i + 1, i].element * z[i] / Y[i + 1, i + 1].element}
        rows[i + 1][i] = next(K(c) for c in (0, 1, -1, 2) if K(c) not in bad)
    yield from_rows(rows, K)
    for _ in range(tries):
        yield from_rows([[z[i] if i == k else K(rng.randint(-2, 2)) if k < i else K.zero for k in range(d)] for i in range(d)], K)
