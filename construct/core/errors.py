"""The refusal every layer raises for input it cannot read or factor: :class:`InputError`.

(Numerical refusals are :class:`~construct.core.accuracy.AccuracyError`.) The
command line prints its one-sentence message and exits 1.
"""

from __future__ import annotations


class InputError(ValueError):
    """A matrix that cannot be read; the message is one sentence naming the problem and where."""


def negative_det_message(what: str) -> str:
    """Why a matrix with negative determinant has no positive-mode factorization."""
    return (f"{what}, but couplings with positive scales all have det > 0, "
            "so no factorization exists in positive mode (use --mode any)")
