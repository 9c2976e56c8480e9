"""Read a square matrix exactly, from CSV text, JSON or ``.npy``; no float is ever rounded.

Text is parsed digit by digit: ``0.1`` is ``1/10``, not the nearest double.
A ``.npy`` float is taken as the exact binary value it stores.

>>> parse_number(" -2/7 "), parse_number("1.5E+2"), parse_number(".5")
(Fraction(-2, 7), Fraction(150, 1), Fraction(1, 2))
>>> matrix_from_text("# T\\n1, 0.1\\n-2/7, 3e-2\\n").to_list()
[[1, 1/10], [-2/7, 3/100]]
>>> matrix_from_text("1 2\\n3 x", "T.csv")
Traceback (most recent call last):
...
construct.parse.InputError: cell (2, 2) of T.csv is not a number: 'x'
"""

from __future__ import annotations

import json
import re
import sys
from fractions import Fraction
from pathlib import Path

import flint
import numpy as np
from sympy.polys.matrices import DomainMatrix

from .matrices import from_rows

MAX_EXPONENT = 100_000  # refuse ``1e999999999``, whose exact value would not fit in memory
_DECIMAL = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")
_FRACTION = re.compile(r"([+-]?[0-9]+)/([0-9]+)")
_NONFINITE = {"inf", "infinity", "nan"}


class InputError(ValueError):
    """A matrix that cannot be read; the message is one sentence naming the problem and where."""


def _int(digits: str) -> int:
    return int(flint.fmpz(digits.removeprefix("+")))  # plain int() refuses strings of more than 4300 digits


def parse_number(text: str) -> Fraction:
    """The exact rational written in ``text``: an integer, a decimal, scientific notation or ``p/q``.

    On failure the ``ValueError`` message completes "the entry is ...".

    >>> [str(parse_number(s)) for s in ["3", "+5", "5.", "0.1", "1e-3", " -2/7 "]]
    ['3', '5', '5', '1/10', '1/1000', '-2/7']
    >>> parse_number("nan")
    Traceback (most recent call last):
    ...
    ValueError: not finite: 'nan'; only finite numbers can be factored
    >>> parse_number("1/0")
    Traceback (most recent call last):
    ...
    ValueError: not a number: '1/0' (zero denominator)
    """
    s = text.strip()
    if not s:
        raise ValueError("empty")
    if s.lstrip("+-").lower() in _NONFINITE:
        raise ValueError(f"not finite: {s!r}; only finite numbers can be factored")
    if m := _FRACTION.fullmatch(s):
        if _int(m[2]) == 0:
            raise ValueError(f"not a number: {s!r} (zero denominator)")
        return Fraction(_int(m[1]), _int(m[2]))
    m = _DECIMAL.fullmatch(s)
    if not m or not (m[2] or m[3]):
        raise ValueError(f"not a number: {s!r}")
    sign, whole, frac, exp = m[1], m[2], m[3] or "", _int(m[4] or "0")
    if abs(exp) > MAX_EXPONENT:
        raise ValueError(f"out of range: {s!r} (exponents beyond ±{MAX_EXPONENT} are refused)")
    value = Fraction(_int(whole + frac)) * Fraction(10) ** (exp - len(frac))
    return -value if sign == "-" else value


def _to_matrix(rows: list, name: str, cell=parse_number) -> DomainMatrix:
    """Check that ``rows`` is a non-empty square list of rows, then convert each cell exactly."""
    if not any(rows):
        raise InputError(f"{name} is empty")
    for i, row in enumerate(rows[1:], 2):
        if len(row) != len(rows[0]):
            raise InputError(f"{name} is not square: row {i} has {len(row)} entries but row 1 has {len(rows[0])}")
    if len(rows) != len(rows[0]):
        raise InputError(f"{name} is {len(rows)}x{len(rows[0])}, not square")
    out = [[None] * len(row) for row in rows]
    for i, row in enumerate(rows):
        for j, x in enumerate(row):
            try:
                out[i][j] = cell(x)
            except ValueError as e:
                raise InputError(f"cell ({i + 1}, {j + 1}) of {name} is {e}") from None
    return from_rows(out)


def matrix_from_text(text: str, name: str = "input") -> DomainMatrix:
    """Matrix from CSV text: one row a line, cells split by commas, or by whitespace if there is no comma.

    Blank lines and lines starting with ``#`` are ignored.
    """
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    comma = any("," in line for line in lines)
    return _to_matrix([line.split(",") if comma else line.split() for line in lines], name)


def _json_cell(x) -> Fraction:
    if not isinstance(x, str):  # numbers arrive as their literal text, see parse_float below
        raise ValueError(f"not a number: {json.dumps(x)}")
    return parse_number(x)


def _from_json(text: str, name: str) -> DomainMatrix:
    try:
        data = json.loads(text, parse_float=str, parse_int=str, parse_constant=str)
    except json.JSONDecodeError as e:
        raise InputError(f"{name} is not valid JSON: {e}") from None
    if isinstance(data, dict) and "matrix" in data:
        data = data["matrix"]
    if not isinstance(data, list):
        raise InputError(f'{name} holds neither a list of rows nor an object with a "matrix" key')
    for i, row in enumerate(data, 1):
        if not isinstance(row, list):
            raise InputError(f"row {i} of {name} is not a list of numbers: {json.dumps(row)}")
    return _to_matrix(data, name, _json_cell)


def _from_npy(path: Path, name: str) -> DomainMatrix:
    try:
        a = np.load(path, allow_pickle=False)
    except OSError as e:
        raise InputError(f"cannot read {name}: {e.strerror or e}") from None
    except (ValueError, EOFError) as e:
        if "Object arrays" in str(e):
            raise InputError(f"{name} holds Python objects; only real numbers can be factored") from None
        raise InputError(f"cannot read {name}: it is not a valid .npy file ({e})") from None
    if not isinstance(a, np.ndarray):
        raise InputError(f"cannot read {name}: it is not a .npy file")
    kinds = {"b": "booleans", "c": "complex numbers", "U": "strings", "S": "strings"}
    if a.dtype.kind not in "iuf":
        raise InputError(f"{name} holds {kinds.get(a.dtype.kind, f'{a.dtype} values')}; only real numbers can be factored")
    if a.ndim != 2:
        raise InputError(f"{name} is {a.ndim}-dimensional with shape {a.shape}, not a 2-D matrix")
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        i, j = np.argwhere(~np.isfinite(a))[0]
        raise InputError(f"cell ({i + 1}, {j + 1}) of {name} is not finite: {a[i, j]}; only finite numbers can be factored")
    rows = a.tolist()  # Python ints, or floats (exact for float16/32/64); longdouble stays numpy
    exact = (lambda x: x) if a.dtype.kind in "iu" else (lambda x: Fraction(*x.as_integer_ratio()))
    return _to_matrix(rows, name, exact)


def read_matrix(path: str | Path) -> DomainMatrix:
    """Square matrix over ``QQ`` from ``path``, read by suffix: ``.json``, ``.npy``, else CSV; ``-`` is CSV on stdin."""
    if str(path) == "-":
        return matrix_from_text(sys.stdin.read(), "stdin")
    path, name = Path(path), str(path)
    if path.suffix.lower() == ".npy":
        return _from_npy(path, name)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise InputError(f"cannot read {name}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise InputError(f"cannot read {name}: it is not UTF-8 text") from None
    if path.suffix.lower() == ".json":
        return _from_json(text, name)
    return matrix_from_text(text, name)
