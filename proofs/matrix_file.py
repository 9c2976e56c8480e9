"""Read the matrix a certificate must be for (``verify --matrix``): trusted, standard library and python-flint only.

The formats are those ``couplings factor`` reads: CSV text (cells like ``3``,
``-2/7``, ``0.125``, ``1e-3``, read as exact decimals), a JSON list of rows or
an object with a ``"matrix"`` key, or a ``.npy`` array of integers or floats
(each float taken as the exact binary value it stores); ``-`` is CSV on stdin.

>>> matrix_from_text("# T\\n1, 0.1\\n-2/7, +3e-2\\n", "T.csv")
[[1, 1/10], [-2/7, 3/100]]
>>> matrix_from_text("1 2\\n3 x", "T.csv")
Traceback (most recent call last):
...
proofs.matrix_file.MatrixUnreadable: cell (2, 2) of T.csv is not a number: "x"
"""
import ast
import json
import math
import re
import struct
import sys
from array import array

from flint import fmpq, fmpz

_CELL = re.compile(r"([+-]?)(?:([0-9]+)/([0-9]+)|([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?)")
_MAGIC = b"\x93NUMPY"
_DTYPES = {"f2": "e", "f4": "f", "f8": "d", "i1": "b", "i2": "h", "i4": "i", "i8": "q",
           "u1": "B", "u2": "H", "u4": "I", "u8": "Q"}


class MatrixUnreadable(ValueError):
    """The matrix file cannot be read; the message is one sentence naming the problem and where."""


def _show(x):
    return json.dumps(x)[:40]


def parse_cell(text, max_exponent=10_000):
    """The exact rational written in ``text`` (integer, decimal, scientific notation or p/q), or None.

    >>> [str(parse_cell(s)) for s in ["3", "+5", "5.", ".5", "1e-3", " -2/7 ", "1/0", "e3", "1e99999"]]
    ['3', '5', '5', '1/2', '1/1000', '-2/7', 'None', 'None', 'None']
    """
    m = _CELL.fullmatch(text.strip())
    if m is None:
        return None
    sign, num, den, whole, frac, exp = m.groups()
    if den is not None:
        if fmpz(den) == 0:
            return None
        q = fmpq(fmpz(num), fmpz(den))
    else:
        if not (whole or frac) or (exp and (len(exp) > 12 or abs(int(exp)) > max_exponent)):
            return None
        e = int(exp or 0) - len(frac or "")
        mantissa = fmpz((whole or "") + (frac or ""))
        q = fmpq(mantissa * fmpz(10) ** e) if e >= 0 else fmpq(mantissa, fmpz(10) ** -e)
    return -q if sign == "-" else q


def _square(rows, name, cell):
    """Check that ``rows`` is a non-empty square list of rows; convert each cell with ``cell``."""
    if not rows or not any(rows):
        raise MatrixUnreadable(f"{name} is empty")
    for i, row in enumerate(rows, 1):
        if type(row) is not list:
            raise MatrixUnreadable(f"row {i} of {name} is not a list of numbers: {_show(row)}")
        if len(row) != len(rows):
            raise MatrixUnreadable(f"{name} is not square: row {i} has {len(row)} entries "
                                   f"and there are {len(rows)} rows")
    out = []
    for i, row in enumerate(rows, 1):
        out.append([])
        for j, x in enumerate(row, 1):
            q = cell(x)
            if q is None:
                raise MatrixUnreadable(f"cell ({i}, {j}) of {name} is not a number: {_show(x)}")
            out[-1].append(q)
    return out


def matrix_from_text(text, name="input", max_exponent=10_000):
    """Rows of fmpqs from CSV text: one row a line, cells split by commas (or by whitespace if there is none)."""
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    comma = any("," in line for line in lines)
    return _square([line.split(",") if comma else line.split() for line in lines], name,
                   lambda x: parse_cell(x, max_exponent))


def _from_json(text, name, max_exponent):
    try:
        data = json.loads(text, parse_float=str, parse_int=str, parse_constant=lambda s: None)
    except RecursionError:
        raise MatrixUnreadable(f"{name} is nested too deeply") from None
    except ValueError as e:
        raise MatrixUnreadable(f"{name} is not valid JSON ({e})") from None
    if type(data) is dict and "matrix" in data:
        data = data["matrix"]
    if type(data) is not list:
        raise MatrixUnreadable(f'{name} holds neither a list of rows nor an object with a "matrix" key')
    return _square(data, name, lambda x: parse_cell(x, max_exponent) if type(x) is str else None)


def _from_npy(data, name):
    """Rows of fmpqs from the bytes of a .npy file (version 1, 2 or 3; integers or floats; C or Fortran order).

    >>> header = b"{'descr': '<i2', 'fortran_order': True, 'shape': (2, 2), }"
    >>> data = struct.pack("<H", len(header)) + header + struct.pack("<4h", 1, 2, 3, 4)
    >>> _from_npy(b"\\x93NUMPY\\x01\\x00" + data, "T.npy")
    [[1, 3], [2, 4]]
    """
    if not data.startswith(_MAGIC) or len(data) < 10:
        raise MatrixUnreadable(f"{name} is not a NumPy .npy file (it does not start with the .npy signature)")
    size, start = (struct.unpack("<H", data[8:10])[0], 10) if data[6] == 1 else (struct.unpack("<I", data[8:12])[0], 12)
    try:
        header = ast.literal_eval(data[start:start + size].decode("latin-1"))
        descr, fortran, shape = header["descr"], header["fortran_order"], header["shape"]
    except (ValueError, SyntaxError, KeyError, TypeError, MemoryError, RecursionError):
        raise MatrixUnreadable(f"{name} has an unreadable .npy header") from None
    if type(descr) is not str or descr[1:] not in _DTYPES or descr[0] not in "<>|=":
        what = "Python objects" if descr == "|O" else f"values of type {_show(str(descr))}"
        raise MatrixUnreadable(f"{name} holds {what}; only integers and real floats can be read")
    if type(shape) is not tuple or len(shape) != 2 or not all(type(k) is int and k >= 0 for k in shape):
        raise MatrixUnreadable(f"{name} has shape {_show(str(shape))}, not that of a 2-D matrix")
    rows, cols = shape
    code, body = _DTYPES[descr[1:]], data[start + size:]
    itemsize = struct.calcsize(code)
    if rows * cols * itemsize != len(body):  # checked before anything is allocated
        raise MatrixUnreadable(f"{name} declares shape {shape} but holds {len(body)} bytes of data, "
                               f"not {rows * cols * itemsize}")
    values = array(code, body) if code != "e" else list(struct.unpack(f"<{rows * cols}e", body))
    if descr[0] == ">" and code != "e":
        values.byteswap()
    elif descr[0] == ">":
        values = list(struct.unpack(f">{rows * cols}e", body))
    if code in "efd" and not all(map(math.isfinite, values)):
        raise MatrixUnreadable(f"{name} holds a value that is not finite")
    exact = [fmpq(*x.as_integer_ratio()) if code in "efd" else fmpq(x) for x in values]
    grid = [exact[i * cols:(i + 1) * cols] for i in range(rows)] if not fortran else \
        [exact[i::rows] for i in range(rows)]
    return _square(grid, name, lambda q: q)


def read_matrix(path, limits=None):
    """Square matrix (rows of fmpqs) from ``path``, read by suffix: ``.json``, ``.npy``, else CSV; ``-`` is stdin."""
    max_exponent = 10_000 if limits is None else limits.exponent
    name = "stdin" if str(path) == "-" else json.dumps(str(path))[1:-1]
    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else open(path, "rb").read()
    except OSError as e:
        raise MatrixUnreadable(f"cannot read {name}: {e.strerror or e}") from None
    if str(path).lower().endswith(".npy"):
        return _from_npy(data, name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MatrixUnreadable(f"cannot read {name}: it is not UTF-8 text") from None
    if str(path).lower().endswith(".json"):
        return _from_json(text, name, max_exponent)
    return matrix_from_text(text, name, max_exponent)
