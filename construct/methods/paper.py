"""The paper's construction: ``T = P L U``, each part in couplings.

The permutation is a swap network (at most 13 factors, the paper's bound is
21), each triangular factor at most 7 (bound 13). The signs the swaps leave
behind are moved into the triangular factors: with ``N = P S`` the network's
signed permutation, ``T = N (S L S) (S U)``; ``S L S`` is unit lower and the
diagonal of ``S U`` has the sign of ``det T`` times ``det N = 1``, so in
positive mode it splits into a positive scale and an even number of ``-1``.

>>> import random
>>> from construct.core.matrices import from_rows
>>> T = from_rows([[0, 1, 2, 3], [1, 0, 0, 1], [2, 2, 1, 0], [5, 0, 1, 1]])
>>> f = factor_paper(T, "any", random.Random(0))
>>> f.word.matrix() == T, f.count <= 47
(True, True)
"""

from __future__ import annotations

import random

from sympy.polys.matrices import DomainMatrix

from construct.core import trace
from construct.core.factorization import Factorization
from construct.core.matrices import diagonal, permutation_matrix, scale_columns, scale_rows
from construct.methods.lup import lup
from construct.methods.swap_network import swap_network
from construct.methods.triangular import triangular_word

#: Per stage: (this construction's bound, the paper's bound; Koehler, Mehta, Risteski).
STAGE_BOUNDS = {"permutation": (13, 21), "lower": (7, 13), "upper": (7, 13), "total": (27, 47)}


def factor_paper(T: DomainMatrix, mode: str, rng: random.Random) -> Factorization:
    """Factor an invertible ``T`` of even size along ``T = P L U``."""
    perm, L, U = lup(T)
    if trace.active():
        trace.record("LUP decomposition", "Gaussian elimination with row exchanges gives T = P L U, "
                     "P a permutation, L unit lower and U upper triangular (construct/methods/lup.py, lup).",
                     ("P", permutation_matrix(perm, T.domain)), ("L", L), ("U", U))
    network, signs = swap_network(perm, T.domain)
    positive = mode == "positive"
    lower_part, upper_part = scale_columns(scale_rows(signs, L), signs), scale_rows(signs, U)
    if trace.active():
        trace.record("signs moved into the triangular factors", "The swap network is P S for the signs S it "
                     "leaves; T = (P S) (S L S) (S U), where S L S is still unit lower triangular "
                     "and S U upper triangular.", ("S", diagonal(signs, T.domain)), ("S L S", lower_part),
                     ("S U", upper_part))
    stages = {
        "permutation": network,
        "lower": triangular_word(lower_part, positive, rng),
        "upper": triangular_word(upper_part, positive, rng),
    }
    word = stages["permutation"] * stages["lower"] * stages["upper"]
    counts = {name: len(w) for name, w in stages.items()}
    return Factorization(T, word, mode, "paper", STAGE_BOUNDS["total"][1], counts, STAGE_BOUNDS)
