"""A finished factorization and its certificate (``couplings.certificate/1``, or ``/2`` for float and mp).

A numeric certificate (``/2``) writes every binary number exactly as a hexadecimal float, the way
``float.hex`` does (``0x1.8p-3`` is 1.5 * 2^-3), which is short and fast both ways; exact certificates
keep ``/1``. :func:`certificate_text` writes either as JSON, one line per row of numbers.

>>> from construct.core.couplings import Word, upper
>>> from construct.core.matrices import from_rows
>>> T = from_rows([[1, 2], [0, 1]])
>>> f = Factorization(T, Word(2, 1, [upper(from_rows([[2]]))]), "any", "short", 6)
>>> cert = f.certificate()
>>> cert["factors"], cert["claims"]["count"]
([{'kind': 'upper', 'shear': [['2']], 'scale': ['1']}], 1)
>>> print(certificate_text({"format": FORMAT_2, "matrix": [[hex_number(0.75), "0"]]}))
{"format":"couplings.certificate/2",
"matrix":[
["0x1.8000000000000p-1","0"]]}
<BLANKLINE>
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import partial

from sympy.polys.matrices import DomainMatrix

from construct.core.couplings import Word
from construct.core.numeric import round_up

FORMAT, FORMAT_2 = "couplings.certificate/1", "couplings.certificate/2"


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
    _numbers: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def count(self) -> int:
        return len(self.word)

    def certificate(self) -> dict:
        """The certificate as a JSON value; its numbers are written once and kept (they are most of the work)."""
        if self._numbers is None:
            exact = self.tolerance is None
            self._numbers = (_strings(self.matrix.to_list(), str if exact else rational_hex),
                             self.word.certificate_factors(str if exact else hex_number))
        cert = {
            "format": FORMAT if self.tolerance is None else FORMAT_2,
            "n": self.word.n,
            "split": self.word.p,
            "mode": self.mode,
            "matrix": self._numbers[0],
            "factors": self._numbers[1],
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


def hex_number(x) -> str:
    """A float64 or an mpmath ``mpf`` exactly, as a /2 number: "0", or hexadecimal digits and a binary exponent.

    >>> hex_number(0.1), hex_number(-3.0), hex_number(0.0)
    ('0x1.999999999999ap-4', '-0x1.8000000000000p+1', '0')
    >>> import mpmath
    >>> hex_number(mpmath.mpf(-6)), hex_number(mpmath.mpf(0))
    ('-0x3p+1', '0')
    """
    if type(x) is float:
        return x.hex() if x else "0"
    if not hasattr(x, "_mpf_"):
        return hex_number(float(x))  # a NumPy float64
    sign, man, exp, _ = x._mpf_
    return f"{'-' if sign else ''}0x{man:x}p{exp:+d}" if man else "0"


def rational_hex(q) -> str:
    """A rational of the matrix as a /2 number: a float64's float.hex, else "p/q".

    >>> from sympy import QQ
    >>> rational_hex(QQ(3, 4)), rational_hex(QQ(1, 10)), rational_hex(QQ(0)), rational_hex(QQ(10) ** 400)[:5]
    ('0x1.8000000000000p-1', '1/10', '0', '10000')
    """
    num, den = int(q.numerator), int(q.denominator)
    try:
        x = num / den  # correctly rounded; exact when it gives back num / den
    except OverflowError:
        return str(q)
    return hex_number(x) if x.as_integer_ratio() == (num, den) else str(q)


def certificate_text(cert: dict) -> str:
    """The certificate as JSON text: compact, one line per row of numbers (json's fast encoder writes each)."""
    dump = partial(json.dumps, separators=(",", ":"))

    def rows(table):
        return "[\n" + ",\n".join(map(dump, table)) + "]"
    parts = [f'"matrix":{rows(v)}' if k == "matrix" else '"factors":[\n' + ",\n".join(
        f'{{"kind":{dump(f["kind"])},"shear":{rows(f["shear"])},\n"scale":{dump(f["scale"])}}}' for f in v) + "]"
        if k == "factors" else f"{dump(k)}:{dump(v)}" for k, v in cert.items()]
    return "{" + ",\n".join(parts) + "}\n"
