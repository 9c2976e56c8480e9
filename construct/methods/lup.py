"""Exact LUP decomposition with row pivoting.

>>> from construct.core.matrices import from_rows, permutation_matrix
>>> T = from_rows([[0, 1], [2, 3]])
>>> perm, L, U = lup(T)
>>> permutation_matrix(perm) * L * U == T
True
>>> L.is_lower and U.is_upper
True
"""

from __future__ import annotations

from sympy.polys.matrices import DomainMatrix


def lup(T: DomainMatrix):
    """``(perm, L, U)`` with ``T = P L U``, ``P e_j = e_perm[j]``, ``L`` unit lower, ``U`` upper.

    ``T`` must be invertible. SymPy's elimination returns the row swaps it
    made to reach ``L U``; replaying them gives the row order.
    """
    L, U, swaps = T.lu()
    rows = list(range(T.shape[0]))
    for i, j in swaps:
        rows[i], rows[j] = rows[j], rows[i]
    return rows, L.to_dense(), U.to_dense()
