"""Masks: which coordinates the lower couplings keep (``--mask``, ``--split``), and the order they induce.

A mask is a 0/1 list, 1 for a coordinate kept by lower couplings; the
couplings act on the coordinates reordered as (mask-1 coordinates, then
mask-0 ones), :func:`mask_order`.
"""

from __future__ import annotations

import math

from construct.core.errors import InputError
from proofs.matrix_file import counted

#: The named masks of ``--mask``.
MASK_NAMES = ("half", "checkerboard", "alternate")


def mask_bits(mask, n: int, split: int | None = None) -> list[int]:
    """The 0/1 list of a mask name or list; 1 marks a coordinate kept by lower couplings.

    ``split`` is the number of ones it must have (default: ``floor(n/2)``
    for ``half``, whatever a named or listed mask has); ``half`` keeps the
    first ``split`` coordinates.

    >>> mask_bits("alternate", 4), mask_bits("checkerboard", 4), mask_bits(None, 4), mask_bits("half", 5, 1)
    ([1, 0, 1, 0], [1, 0, 0, 1], [1, 1, 0, 0], [1, 0, 0, 0, 0])
    >>> mask_bits(None, 5, 5)
    Traceback (most recent call last):
    ...
    construct.core.errors.InputError: --split must be from 1 to n - 1 = 4 (coordinates kept by lower couplings), got 5
    """
    if split is not None and not (isinstance(split, int) and 1 <= split <= n - 1):
        raise InputError(f"--split must be from 1 to n - 1 = {n - 1} (coordinates kept by lower couplings), got {split}")
    if mask is None or mask == "half":
        p = n // 2 if split is None else split
        return [1] * p + [0] * (n - p)
    if mask == "alternate":
        mask = [1 - i % 2 for i in range(n)]
    elif mask == "checkerboard":
        # the most square h x w grid with h w = n, coloured like a chessboard
        h = max(k for k in range(1, math.isqrt(n) + 1) if n % k == 0)
        w = n // h
        mask = [1 - (i // w + i % w) % 2 for i in range(n)]
    elif isinstance(mask, str):
        try:
            mask = [int(c) for c in mask.replace(",", " ").split()]
        except ValueError:
            raise InputError(
                f"mask {mask!r} is neither a name ({', '.join(MASK_NAMES)}) nor a list of 0s and 1s"
            ) from None
    bits = list(mask)
    if len(bits) != n or any(b not in (0, 1) for b in bits):
        raise InputError(f"the mask must list {n} entries, each 0 or 1; got {bits}")
    if split is not None and sum(bits) != split:
        raise InputError(f"the mask keeps {counted(sum(bits), 'coordinate')} but --split is {split}")
    if not 1 <= sum(bits) <= n - 1:
        raise InputError(f"the mask keeps {sum(bits)} of {n} coordinates; a coupling needs at least one kept and one changed")
    return bits


def mask_order(mask) -> list[int]:
    """The coordinates with mask 1, then those with mask 0 (0-based): the couplings' order."""
    return [i for i, b in enumerate(mask) if b] + [i for i, b in enumerate(mask) if not b]
