"""Read a square matrix exactly, from CSV text, JSON, Matrix Market or ``.npy``; no float is ever rounded.

Text is parsed digit by digit: ``0.1`` is ``1/10``, not the nearest double.
A ``.npy`` float is taken as the exact binary value it stores. Numbers, CSV
splitting and Matrix Market files follow the trusted reader of ``verify
--matrix``, :mod:`proofs.matrix_file`, whose docstring documents the grammar;
this module is a superset: it adds messages, size limits, and cells that are
rational expressions in symbols (:func:`symbolic_matrix`, factored by :mod:`construct.front.symbolic`).

>>> parse_number(" -2/7 "), parse_number("1.5E+2"), parse_number(".5")
(Fraction(-2, 7), Fraction(150, 1), Fraction(1, 2))
>>> matrix_from_text("# T\\n1, 0.1\\n-2/7, 3e-2\\n").to_list()
[[1, 1/10], [-2/7, 3/100]]
>>> matrix_from_text("1 2\\n3 $", "T.csv")
Traceback (most recent call last):
...
construct.core.errors.InputError: cell (2, 2) of T.csv is not a number: '$'
>>> matrix_from_text("a, 2*x + 1\\n0, 1").to_list()  # symbols: rational functions (construct/front/symbolic.py)
[[a, 2*x + 1], [0, 1]]

Limits keep a small file from costing minutes or gigabytes: an entry's exact
value may have at most ``MAX_DIGITS`` decimal digits in its numerator and in
its denominator (400: every float64 value fits, ``1e100000`` does not), and an
input at most ``MAX_INPUT_BYTES`` bytes (16 MiB). Both are keyword arguments
(``max_digits``, ``max_bytes``; ``None`` lifts a limit) and flags of
``couplings factor`` (``--max-digits``, ``--max-input-mb``). A ``.npy`` of
binary numbers (floats or integers of at most 8 bytes) carries no exponent to
blow up, so it has its own limit ``max_binary_bytes``, which ``couplings
factor`` sets to ``MAX_BINARY_BYTES`` (128 MiB: a float64 matrix of n = 4096)
for float arithmetic, where bytes do not predict the cost.

>>> parse_number("1e100000")
Traceback (most recent call last):
...
ValueError: too long: '1e100000' has about 100001 digits, above the limit of 400 (raise it with --max-digits)
"""

from __future__ import annotations

import json
import math
import sys
from fractions import Fraction
from pathlib import Path

import flint
import numpy as np
from sympy import QQ, Symbol
from sympy.polys.matrices import DomainMatrix

from construct.core.errors import InputError
from construct.core.matrices import from_rows
from proofs.matrix_file import NONFINITE, NUMBER, MatrixUnreadable, counted, csv_rows, mtx_rows, parse_cell
from proofs.rational_functions import parse as parse_expression, tokens

MAX_DIGITS = 400  # per entry, numerator and denominator each: every float64 value fits (at most 324 digits)
MAX_INPUT_BYTES = 16 * 2**20
MAX_BINARY_BYTES = 128 * 2**20
_NPY_MAGIC = b"\x93NUMPY"


def _digits(x: int) -> int:
    return len(str(flint.fmpz(x)).lstrip("-"))  # str(int) also has the 4300-digit limit


def check_digits(q: Fraction, text, max_digits: int | None = MAX_DIGITS) -> Fraction:
    """Return ``q``, or raise ``ValueError`` if its numerator or denominator has more than ``max_digits`` digits.

    >>> check_digits(Fraction(1, 10**5), "1e-5", 4)
    Traceback (most recent call last):
    ...
    ValueError: too long: '1e-5' has 6 digits, above the limit of 4 (raise it with --max-digits)
    """
    if max_digits is not None:
        digits = max(_digits(q.numerator), _digits(q.denominator))
        if digits > max_digits:
            raise ValueError(f"too long: {_show(text)} has {digits} digits, above the limit of {max_digits} (raise it with --max-digits)")
    return q


def _show(s: str) -> str:
    """``repr(s)``, shortened to about 40 characters for messages."""
    return repr(s) if len(s) <= 40 else repr(s[:20]) + f"...({len(s)} characters)"


def parse_number(text: str, max_digits: int | None = MAX_DIGITS) -> Fraction:
    """The exact rational written in ``text``: an integer, a decimal, scientific notation or ``p/q``.

    The grammar is the trusted reader's, :data:`proofs.matrix_file.NUMBER`
    (documented at the top of :mod:`proofs.matrix_file`), and the value is
    :func:`proofs.matrix_file.parse_cell`'s; this function adds the messages
    and the size limit: the numerator and denominator may have at most
    ``max_digits`` digits each (``None``: no limit), bounded from the text
    before any big number is built, so ``1e999999999`` is refused at once.
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
    if s.lstrip("+-").lower() in NONFINITE:
        raise ValueError(f"not finite: {_show(s)}; only finite numbers can be factored")
    m = NUMBER.fullmatch(s)
    if not m:
        raise ValueError(f"not a number: {_show(s)}")
    _, numerator, denominator, whole, frac, exp = m.groups()
    if denominator is not None:
        _bound(s, max(len(numerator.lstrip("0")), len(denominator.lstrip("0"))), max_digits)
        if not denominator.strip("0"):
            raise ValueError(f"not a number: {_show(s)} (zero denominator)")
    else:
        if not (whole or frac):
            raise ValueError(f"not a number: {_show(s)}")
        significand = ((whole or "") + (frac or "").rstrip("0")).lstrip("0")
        if not significand:
            return Fraction(0)  # 0e999999999 is 0; its exponent is never evaluated
        if exp and len(exp.lstrip("+-").lstrip("0")) > 18:
            raise ValueError(f"too long: {_show(s)} has an exponent of more than 18 digits")
        shift = int(exp or "0") - len((frac or "").rstrip("0"))
        _bound(s, max(len(significand) + max(shift, 0), -shift), max_digits)
    q = parse_cell(s, max_exponent=math.inf)
    if q is None:  # the grammar matched, so it is parse_cell's own bound: exponents of at most 12 characters
        raise ValueError(f"too long: {_show(s)} has an exponent of more than 12 characters")
    return check_digits(Fraction(int(q.p), int(q.q)), s, max_digits)


def _bound(text: str, estimate: int, max_digits: int | None) -> None:
    """Refuse at once when the digits written (an upper bound of the value's) are far above the limit."""
    if max_digits is not None and estimate > 2 * max_digits + 20:
        raise ValueError(
            f"too long: {_show(text)} has about {estimate} digits, above the limit of {max_digits} (raise it with --max-digits)"
        )


def _to_matrix(rows: list, name: str, cell=parse_number, max_digits: int | None = MAX_DIGITS) -> DomainMatrix:
    """Check that ``rows`` is a non-empty square list of rows, then convert each cell exactly.

    Cells with symbols (``a``, ``2*x + 1``) make a matrix of rational functions (:mod:`construct.front.symbolic`).
    """
    if not any(rows):
        raise InputError(f"{name} is empty")
    for i, row in enumerate(rows[1:], 2):
        if len(row) != len(rows[0]):
            raise InputError(f"{name} is not square: row {i} has {counted(len(row), 'entry', 'entries')} but row 1 has {len(rows[0])}")
    if len(rows) != len(rows[0]):
        raise InputError(f"{name} is {len(rows)}x{len(rows[0])}, not square")
    out, symbolic = [[None] * len(row) for row in rows], {}
    for i, row in enumerate(rows):
        for j, x in enumerate(row):
            try:
                out[i][j] = cell(x)
            except ValueError as e:
                if not (isinstance(x, str) and has_symbols(x) and x.strip().lstrip("+-").lower() not in NONFINITE):
                    raise InputError(f"cell ({i + 1}, {j + 1}) of {name} is {e}") from None
                symbolic[i, j] = x
    if symbolic:
        return symbolic_matrix(out, symbolic, name, max_digits)
    return from_rows(out)


def matrix_from_text(text: str, name: str = "input", max_digits: int | None = MAX_DIGITS) -> DomainMatrix:
    """Matrix from CSV text, split into cells by :func:`proofs.matrix_file.csv_rows`: one row a line, cells split
    by commas (``"2"`` in quotes is ``2``), or by whitespace if there is no comma.

    Blank lines and lines starting with ``#`` are ignored; a leading byte order mark is dropped.
    """
    try:
        rows = csv_rows(text, name)
    except MatrixUnreadable as e:
        raise InputError(str(e)) from None
    return _to_matrix(rows, name, lambda x: parse_number(x, max_digits), max_digits)


def _json_cell(x, max_digits) -> Fraction:
    if not isinstance(x, str):  # numbers arrive as their literal text, see parse_float below
        raise ValueError(f"not a number: {_show_json(x)}")
    return parse_number(x, max_digits)


def _from_json(text: str, name: str, max_digits: int | None = MAX_DIGITS) -> DomainMatrix:
    """Matrix from JSON text: a list of rows, or an object whose ``matrix`` is one (a certificate).

    >>> _from_json("[" * 100000 + "]" * 100000, "deep.json")
    Traceback (most recent call last):
    ...
    construct.core.errors.InputError: deep.json is nested too deeply to be a matrix (a matrix is a list of rows)
    """
    try:
        data = json.loads(text.removeprefix("\ufeff"), parse_float=str, parse_int=str, parse_constant=str)
    except json.JSONDecodeError as e:
        raise InputError(f"{name} is not valid JSON: {e}") from None
    except RecursionError:
        raise InputError(f"{name} is nested too deeply to be a matrix (a matrix is a list of rows)") from None
    if isinstance(data, dict) and "matrix" in data:
        data = data["matrix"]
    if not isinstance(data, list):
        raise InputError(f'{name} holds neither a list of rows nor an object with a "matrix" key')
    for i, row in enumerate(data, 1):
        if not isinstance(row, list):
            raise InputError(f"row {i} of {name} is not a list of numbers: {_show_json(row)}")
    return _to_matrix(data, name, lambda x: _json_cell(x, max_digits), max_digits)


def _show_json(x) -> str:
    try:
        s = json.dumps(x)
    except RecursionError:
        return "a deeply nested value"
    return s if len(s) <= 40 else s[:37] + "..."


def _npy_header(path: Path, name: str, max_bytes: int | None, max_binary_bytes: int | None):
    """Read and check a ``.npy`` header before numpy allocates anything: magic string, shape, declared size
    (binary numbers of at most 8 bytes within ``max_binary_bytes``, others within ``max_bytes``)."""
    try:
        with open(path, "rb") as fh:
            if fh.read(len(_NPY_MAGIC)) != _NPY_MAGIC:
                raise InputError(f"{name} is not a NumPy file (it does not start with the .npy magic string)")
            fh.seek(0)
            version = np.lib.format.read_magic(fh)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = read(fh, max_header_size=10_000)
            data_offset = fh.tell()
    except OSError as e:
        raise InputError(f"cannot read {name}: {e.strerror or e}") from None
    except (ValueError, EOFError, SyntaxError) as e:
        raise InputError(f"cannot read {name}: its .npy header is not valid ({e})") from None
    size = path.stat().st_size - data_offset
    declared = math.prod(shape) * dtype.itemsize
    if dtype.hasobject:
        return  # refused with a clear message after loading (without pickles nothing big is allocated)
    if dtype.kind in "iuf" and dtype.itemsize <= 8:
        max_bytes = max_binary_bytes
    if max_bytes is not None and declared > max_bytes:
        raise InputError(
            f"{name} declares a {'x'.join(map(str, shape))} array of {declared} bytes, above the input limit of "
            f"{max_bytes} bytes (raise it with --max-input-mb)"
        )
    if declared > size:
        raise InputError(f"{name} is truncated: its header declares shape {shape} ({declared} bytes) but it holds {size}")


def _from_npy(path: Path, name: str, max_digits: int | None = MAX_DIGITS, max_bytes: int | None = MAX_INPUT_BYTES,
              max_binary_bytes: int | None = MAX_INPUT_BYTES) -> DomainMatrix:
    _npy_header(path, name, max_bytes, max_binary_bytes)
    try:
        a = np.load(path, allow_pickle=False)
    except OSError as e:
        raise InputError(f"cannot read {name}: {e.strerror or e}") from None
    except (ValueError, EOFError) as e:
        if "Object arrays" in str(e) or "pickled" in str(e):
            raise InputError(f"{name} holds Python objects; only real numbers can be factored") from None
        raise InputError(f"cannot read {name}: it is not a valid .npy file ({e})") from None
    if not isinstance(a, np.ndarray):
        raise InputError(f"{name} is not a NumPy file")
    return matrix_from_array(a, name, max_digits)


def matrix_from_array(a: np.ndarray, name: str = "the array", max_digits: int | None = MAX_DIGITS) -> DomainMatrix:
    """A NumPy array of real numbers as an exact square matrix: each float is the binary value it stores.

    >>> matrix_from_array(np.array([[0.5, 1], [0.1, 2]])).to_list()[1]
    [3602879701896397/36028797018963968, 2]
    >>> matrix_from_array(np.array([[1.0, np.nan], [0, 1]]))
    Traceback (most recent call last):
    ...
    construct.core.errors.InputError: cell (1, 2) of the array is not finite: nan; only finite numbers can be factored
    """
    kinds = {"b": "booleans", "c": "complex numbers", "U": "strings", "S": "strings"}
    if a.dtype.kind not in "iuf":
        raise InputError(f"{name} holds {kinds.get(a.dtype.kind, f'{a.dtype} values')}; only real numbers can be factored")
    if a.ndim != 2:
        raise InputError(f"{name} is {a.ndim}-dimensional with shape {a.shape}, not a 2-D matrix")
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        i, j = np.argwhere(~np.isfinite(a))[0]
        raise InputError(f"cell ({i + 1}, {j + 1}) of {name} is not finite: {a[i, j]}; only finite numbers can be factored")
    rows = a.tolist()  # Python ints, or floats (exact for float16/32/64); longdouble stays numpy
    if a.dtype.kind in "iu" or (a.dtype.itemsize <= 8 and (max_digits is None or max_digits >= 324)):
        # ints have at most 20 digits; a float64 (or shorter) value is m / 2^k with
        # k <= 1074, at most 324 digits each, always within the digit limit
        exact = lambda x: x  # noqa: E731
    else:
        exact = lambda x: check_digits(Fraction(*x.as_integer_ratio()), str(x), max_digits)  # noqa: E731
    return _to_matrix(rows, name, exact)


def _from_mtx(text: str, name: str, max_digits: int | None = MAX_DIGITS, max_bytes: int | None = MAX_INPUT_BYTES) -> DomainMatrix:
    """Matrix from Matrix Market text, read by :func:`proofs.matrix_file.mtx_rows` (``coordinate`` or ``array``,
    ``real`` or ``integer``, ``general``, ``symmetric`` or ``skew-symmetric``); every value read exactly, as in CSV.

    >>> _from_mtx("%%MatrixMarket matrix coordinate real symmetric\\n2 2 2\\n1 1 0.5\\n2 1 -3\\n", "T.mtx").to_list()
    [[1/2, -3], [-3, 0]]
    """
    def value(k, text):
        try:
            return parse_number(text, max_digits)
        except ValueError as e:
            raise InputError(f"line {k} of {name}: the entry is {e}") from None

    try:
        return from_rows(mtx_rows(text, name, value, max_bytes, " (raise it with --max-input-mb)"))
    except MatrixUnreadable as e:
        raise InputError(str(e)) from None


def _read_limited(fh, name: str, max_bytes: int | None) -> bytes:
    data = fh.read() if max_bytes is None else fh.read(max_bytes + 1)
    if max_bytes is not None and len(data) > max_bytes:
        raise InputError(f"{name} is larger than the input limit of {max_bytes} bytes (raise it with --max-input-mb)")
    return data


def read_matrix(path: str | Path, max_digits: int | None = MAX_DIGITS, max_bytes: int | None = MAX_INPUT_BYTES,
                max_binary_bytes: int | None = MAX_INPUT_BYTES) -> DomainMatrix:
    """Square matrix over ``QQ`` from ``path``, read by suffix: ``.json``, ``.npy``, ``.mtx`` (Matrix Market),
    else CSV; ``-`` is CSV on stdin.

    Text is UTF-8, with or without a byte order mark (in a file or on stdin).
    ``max_digits`` bounds every entry (see :func:`parse_number`), ``max_bytes``
    the size of the input, ``max_binary_bytes`` that of a ``.npy`` of binary
    numbers; ``None`` lifts a limit.
    """
    if str(path) == "-":
        path, name = None, "stdin"
    else:
        path, name = Path(path), str(path)
        if path.suffix.lower() == ".npy":
            return _from_npy(path, name, max_digits, max_bytes, max_binary_bytes)
    try:
        if path is None:
            data = _read_limited(sys.stdin.buffer, name, max_bytes)
        else:
            with open(path, "rb") as fh:
                data = _read_limited(fh, name, max_bytes)
        text = data.decode("utf-8-sig")
    except OSError as e:
        raise InputError(f"cannot read {name}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise InputError(f"cannot read {name}: it is not UTF-8 text") from None
    if path is not None and path.suffix.lower() == ".json":
        return _from_json(text, name, max_digits)
    if path is not None and path.suffix.lower() == ".mtx":
        return _from_mtx(text, name, max_digits, max_bytes)
    return matrix_from_text(text, name, max_digits)


# -- cells with symbols: a matrix over QQ(symbols), factored by construct.front.symbolic --------------------

#: Products of terms allowed while reading one cell (SymPy's polynomials are pure Python: 0.1 s or so).
MAX_CELL_WORK = 10 ** 5


def has_symbols(text: str) -> bool:
    """True when ``text`` reads as tokens of a rational expression and names a symbol (``1e5`` names none).

    >>> has_symbols("2*x + 1"), has_symbols("sin(x)"), has_symbols("1e5"), has_symbols("a@b")
    (True, True, False, False)
    """
    try:
        return any(kind == "symbol" for kind, _ in tokens(text))
    except ValueError:
        return False


def symbolic_matrix(values, cells, name: str = "input", max_digits: int | None = MAX_DIGITS) -> DomainMatrix:
    """The matrix over ``QQ(symbols)`` whose entry ``(i, j)`` is ``cells[i, j]`` (text) or else ``values[i][j]``.

    The symbols are the names used in the cells, in alphabetical order. Each
    cell is read by the grammar of :mod:`proofs.rational_functions` (numbers,
    symbols, ``+ - * /``, whole powers ``^``), never evaluated as code.

    >>> from fractions import Fraction
    >>> symbolic_matrix([[Fraction(1), None]], {(0, 1): "x^2/2 - 1/(y + 1)"}).to_list()
    [[1, (x**2*y + x**2 - 2)/(2*y + 2)]]
    >>> symbolic_matrix([[None]], {(0, 0): "sin(x)"}, "T.csv")
    Traceback (most recent call last):
    ...
    construct.core.errors.InputError: cell (1, 1) of T.csv is not a number or a rational expression: 'sin(x)'; it calls the function sin, but only numbers and symbols joined by + - * / and whole powers ^ are allowed
    """
    names = set()
    for (i, j), text in cells.items():
        try:
            names.update(t for kind, t in tokens(text) if kind == "symbol")
        except ValueError as e:
            raise _cell_error(i, j, name, text, e) from None
    K = QQ.frac_field(*[Symbol(s) for s in sorted(names)])
    gens = dict(zip(sorted(names), K.gens))

    def number(digits):
        return K.convert(QQ(*parse_number(digits, max_digits).as_integer_ratio()))

    rows = [[K.convert(QQ(*x.as_integer_ratio())) if x is not None else None for x in row] for row in values]
    for (i, j), text in cells.items():
        try:
            rows[i][j] = parse_expression(text, number, gens.__getitem__, lambda x: len(x.numer) + len(x.denom), MAX_CELL_WORK)
        except ValueError as e:
            raise _cell_error(i, j, name, text, e) from None
    return from_rows(rows, K)


def _cell_error(i, j, name, text, reason) -> InputError:
    return InputError(f"cell ({i + 1}, {j + 1}) of {name} is not a number or a rational expression: "
                      f"{text.strip()!r}; {reason}")
