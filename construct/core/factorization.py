"""A finished factorization and its certificate (format ``couplings.certificate/1``).

>>> from construct.core.couplings import Word, upper
>>> from construct.core.matrices import from_rows
>>> T = from_rows([[1, 2], [0, 1]])
>>> f = Factorization(T, Word(2, 1, [upper(from_rows([[2]]))]), "any", "short", 6)
>>> cert = f.certificate()
>>> cert["factors"], cert["claims"]["count"]
([{'kind': 'upper', 'shear': [['2']], 'scale': ['1']}], 1)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sympy.polys.matrices import DomainMatrix

from construct.core.couplings import Word
from construct.core.numeric import exact_decimal, round_up

FORMAT = "couplings.certificate/1"


@dataclass
class Factorization:
    """``matrix = product of word``, built by ``method`` with the claimed ``bound``."""

    matrix: DomainMatrix
    word: Word
    mode: str
    method: str
    bound: int
    stages: dict = field(default_factory=dict)
    #: stage (and "total") -> (this construction's bound, the paper's bound)
    stage_bounds: dict = field(default_factory=dict)
    mask: list | None = None
    #: numeric factorizations: the arithmetic ("float64", "mp"), its digits and the claimed tolerance
    arith: str = "exact"
    digits: int | None = None
    tolerance: str | None = None
    #: numeric factorizations: the independent checker's verdict on the certificate, and its residual over max |T|
    verdict: object = None
    relative_residual: float | None = None

    @property
    def count(self) -> int:
        return len(self.word)

    def certificate(self) -> dict:
        entry = str if self.tolerance is None else exact_decimal
        cert = {
            "format": FORMAT,
            "n": self.word.n,
            "split": self.word.p,
            "mode": self.mode,
            "matrix": _strings(self.matrix.to_list()),
            "factors": self.word.certificate_factors(entry),
            "claims": {"method": self.method, "count": self.count, "bound": self.bound},
        }
        if self.tolerance is not None:
            cert["claims"].update(tolerance=self.tolerance, arith=self.arith)
            if self.digits is not None:
                cert["claims"]["digits"] = self.digits
        if self.relative_residual is not None:  # a report for the reader, not a claim: the checker decides tolerance
            cert["relative_residual"] = float(round_up(self.relative_residual))
        if self.stages:
            cert["claims"]["stages"] = dict(self.stages)
        if self.mask is not None:
            cert["mask"] = list(self.mask)
        return cert


def _strings(rows, entry=str):
    return [[entry(x) for x in row] for row in rows]
