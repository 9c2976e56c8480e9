"""Read the matrix a certificate must be for (``verify --matrix``): trusted, standard library and python-flint only.

The formats are those ``couplings factor`` reads (it reads them with this
module's grammar: :mod:`construct.front.parse`): CSV text, a JSON list of rows or an
object with a ``"matrix"`` key, a Matrix Market ``.mtx`` file (``coordinate``
or ``array``, ``real`` or ``integer``, ``general``, ``symmetric`` or
``skew-symmetric``), or a ``.npy`` array of integers or floats (each float
taken as the exact binary value it stores); ``-`` is CSV on stdin.

The grammar of a number (:data:`NUMBER`, read by :func:`parse_cell`) is an
integer, a decimal, scientific notation or ``p/q``, with an optional sign,
read exactly (``0.1`` is ``1/10``). CSV text (:func:`csv_rows`) has one row a
line; blank lines and lines starting with ``#`` are skipped; cells are
separated by commas, or by whitespace when no line has a comma; a cell may be
in double quotes, as spreadsheets write it. :func:`read_cells` also accepts
cells that are rational expressions in symbols (``2*x + 1``, the grammar of
:mod:`proofs.rational_functions`) and returns them as their text.

>>> matrix_from_text('# T\\n1, 0.1\\n-2/7, "+3e-2"\\n', "T.csv")
[[1, 1/10], [-2/7, 3/100]]
>>> matrix_from_text("1 2\\n3 $", "T.csv")
Traceback (most recent call last):
...
proofs.matrix_file.MatrixUnreadable: cell (2, 2) of T.csv is not a number: "$"
"""
import ast
import csv
import json
import math
import re
import struct
import sys
from array import array

from flint import fmpq, fmpz

from proofs.rational_functions import Field, tokens

#: A number: sign, then numerator / denominator, or whole part, fraction digits and exponent (any may be empty,
#: but not both the whole part and the fraction digits; a denominator is not zero: see parse_cell).
NUMBER = re.compile(r"([+-]?)(?:([0-9]+)/([0-9]+)|([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?)")
#: Words that are not numbers although Python's float() reads them, nor symbols of a rational expression.
NONFINITE = ("inf", "infinity", "nan")
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
    m = NUMBER.fullmatch(text.strip())
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


def expression(text):
    """``text`` stripped, if it is a rational expression that names a symbol; None if it names none.

    ValueError with the reason if it names a symbol but is not an expression of
    :mod:`proofs.rational_functions` (``sin(x)``). ``inf`` and ``nan`` are not symbols.

    >>> expression(" 2*x + 1 "), expression("1e5"), expression("$")
    ('2*x + 1', None, None)
    """
    try:
        names = sorted({word for kind, word in tokens(text) if kind == "symbol"})
    except ValueError:
        return None  # characters no expression has: not a number, and not an expression either
    if not names or text.strip().lstrip("+-").lower() in NONFINITE:
        return None
    Field(names).parse(text)
    return text.strip()


def number_or_expression(text, max_exponent=10_000):
    """:func:`parse_cell`'s number, else the text of a rational expression in symbols (:func:`expression`)."""
    q = parse_cell(text, max_exponent)
    return q if q is not None else expression(text)


def _square(rows, name, cell):
    """Check that ``rows`` is a non-empty square list of rows; convert each cell with ``cell``.

    ``cell`` returns the value or None (not a number); ValueError says why a rational expression is not one.
    """
    if not rows or not any(rows):
        raise MatrixUnreadable(f"{name} is empty")
    for i, row in enumerate(rows, 1):
        if type(row) is not list:
            raise MatrixUnreadable(f"row {i} of {name} is not a list of numbers: {_show(row)}")
        if len(row) != len(rows):
            raise MatrixUnreadable(f"{name} is not square: row {i} has {counted(len(row), 'entry', 'entries')} "
                                   f"and there {'is' if len(rows) == 1 else 'are'} {counted(len(rows), 'row')}")
    out = []
    for i, row in enumerate(rows, 1):
        out.append([])
        for j, x in enumerate(row, 1):
            try:
                q = cell(x)
            except ValueError as e:
                raise MatrixUnreadable(f"cell ({i}, {j}) of {name} is not a number or a rational expression: "
                                       f"{_show(x)}; {e}") from None
            if q is None:
                raise MatrixUnreadable(f"cell ({i}, {j}) of {name} is not a number: {_show(x)}")
            out[-1].append(q)
    return out


def counted(k, noun, plural=None):
    """A count and its noun, singular for one (the messages of construct/ use it too).

    >>> counted(1, "row"), counted(2, "row"), counted(1, "entry", "entries"), counted(0, "entry", "entries")
    ('1 row', '2 rows', '1 entry', '0 entries')
    """
    return f"{k} {noun if k == 1 else plural or noun + 's'}"


def csv_rows(text, name="input"):
    """The cells of CSV text, as rows of strings: one row a line, blank lines and ``#`` comments skipped, cells
    split by commas (with CSV quoting: ``"2"`` is ``2``) or, when no line has a comma, by whitespace.

    Rows of unequal length, a table that is not square and a ``;`` are refused, saying how the text was read.

    >>> csv_rows('\\ufeff# T\\n 1, "2"\\n\\n3 ,4\\n'), csv_rows("1  2\\n3\\t4")
    ([['1', '2'], ['3', '4']], [['1', '2'], ['3', '4']])
    >>> csv_rows("1,2,\\n3,4,\\n", "T.csv")
    Traceback (most recent call last):
    ...
    proofs.matrix_file.MatrixUnreadable: T.csv is 2x3, not square: every row ends with a comma, which starts an empty last cell (cells are separated by commas, not ended by them)
    """
    lines = [line.strip() for line in text.removeprefix("\ufeff").splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    comma = any("," in line for line in lines)
    how = "comma-separated cells" if comma else "cells separated by whitespace (no line has a comma)"
    if any(";" in line for line in lines):
        raise MatrixUnreadable(f"{name} has a ';', which does not separate cells: cells are separated by commas "
                               "(or by whitespace when no line has a comma), one row a line")
    try:
        rows = [[cell.strip() for cell in _cells(line, comma)] for line in lines]
    except csv.Error as e:
        raise MatrixUnreadable(f"{name} is not CSV text ({e})") from None
    for i, row in enumerate(rows[1:], 2):
        if len(row) != len(rows[0]):
            raise MatrixUnreadable(f"{name} is not square: row {i} has {counted(len(row), 'entry', 'entries')} but "
                                   f"row 1 has {len(rows[0])} (read as {how}, one row a line)")
    if rows and len(rows) != len(rows[0]):
        shape = f"{name} is {len(rows)}x{len(rows[0])}, not square"
        if comma and len(rows[0]) == len(rows) + 1 and not any(row[-1] for row in rows):
            raise MatrixUnreadable(f"{shape}: every row ends with a comma, which starts an empty last cell "
                                   "(cells are separated by commas, not ended by them)")
        raise MatrixUnreadable(f"{shape} (read as {how}, one row a line)")
    return rows


def _cells(line, comma):
    """The cells of one line; the csv module only when there are quotes (it refuses fields above 128 KiB)."""
    if '"' not in line:
        return line.split(",") if comma else line.split()
    return next(csv.reader([line if comma else " ".join(line.split())], delimiter="," if comma else " ",
                           skipinitialspace=True))


def matrix_from_text(text, name="input", max_exponent=10_000):
    """Rows of fmpqs from CSV text (:func:`csv_rows`)."""
    return _square(csv_rows(text, name), name, lambda x: parse_cell(x, max_exponent))


def _from_json(text, name, cell):
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
    return _square(data, name, lambda x: cell(x) if type(x) is str else None)


#: Matrix Market qualifiers this reader accepts, and why it refuses the others.
_MTX_FIELDS = ("real", "integer")
_MTX_SYMMETRIES = ("general", "symmetric", "skew-symmetric")
_MTX_REFUSED = {
    "pattern": "a pattern matrix (no values, only where the nonzeros are), which has no numbers to factor",
    "complex": "complex numbers; only real numbers can be factored",
    "hermitian": "a Hermitian (complex) matrix; only real numbers can be factored",
}
MAX_MTX_ENTRIES = 16 * 2 ** 20  # n^2 of the largest .mtx matrix read (its zeros are stored too)


def mtx_rows(text, name="input", value=None, max_entries=MAX_MTX_ENTRIES, raise_it=""):
    """Rows of a square matrix from Matrix Market text: ``coordinate`` or ``array``, ``real`` or ``integer``,
    ``general``, ``symmetric`` or ``skew-symmetric``.

    A symmetric file lists one triangle (``a_ji = a_ij``), a skew-symmetric one
    the strict triangle (``a_ji = -a_ij``, zero diagonal); ``array`` lists
    values column by column. Missing coordinate entries are zero.
    ``value(k, word)`` reads the value written on line ``k`` (default: :func:`parse_cell`,
    refusing what is not a number); ``n^2`` may be at most ``max_entries``, and ``raise_it`` says how to raise it.

    >>> mtx_rows("%%MatrixMarket matrix coordinate real symmetric\\n2 2 2\\n1 1 0.5\\n2 1 -3\\n", "T.mtx")
    [[1/2, -3], [-3, 0]]
    >>> mtx_rows("%%MatrixMarket matrix array integer skew-symmetric\\n2 2\\n7\\n", "T.mtx")
    [[0, -7], [7, 0]]
    >>> mtx_rows("%%MatrixMarket matrix coordinate pattern general\\n1 1 1\\n1 1\\n", "P.mtx")
    Traceback (most recent call last):
    ...
    proofs.matrix_file.MatrixUnreadable: P.mtx holds a pattern matrix (no values, only where the nonzeros are), which has no numbers to factor
    """
    lines = text.removeprefix("\ufeff").splitlines()
    banner = lines[0].split() if lines else []
    if len(banner) != 5 or banner[0].lower() != "%%matrixmarket":
        raise MatrixUnreadable(f"{name} is not a Matrix Market file (its first line should be '%%MatrixMarket "
                               "matrix coordinate|array real|integer general|symmetric|skew-symmetric')")
    obj, layout, field, symmetry = (w.lower() for w in banner[1:])
    for word in (field, symmetry):
        if word in _MTX_REFUSED:
            raise MatrixUnreadable(f"{name} holds {_MTX_REFUSED[word]}")
    if obj != "matrix" or layout not in ("coordinate", "array") or field not in _MTX_FIELDS \
            or symmetry not in _MTX_SYMMETRIES:
        raise MatrixUnreadable(f"{name} is a Matrix Market '{' '.join(banner[1:])}' file; this reader takes a "
                               "matrix in coordinate or array layout, real or integer, general, symmetric or "
                               "skew-symmetric")
    rows = [(k, line.split()) for k, line in enumerate(lines[1:], 2)
            if line.strip() and not line.lstrip().startswith("%")]
    if not rows:
        raise MatrixUnreadable(f"{name} has no size line")
    (k, size), body = rows[0], rows[1:]
    if len(size) != (3 if layout == "coordinate" else 2) or not all(w.isdigit() for w in size):
        expected = "rows columns entries" if layout == "coordinate" else "rows columns"
        raise MatrixUnreadable(f"line {k} of {name} should give the size as '{expected}', got {' '.join(size)!r}")
    m, n = int(size[0]), int(size[1])
    if m != n or n == 0:
        raise MatrixUnreadable(f"{name} is {m}x{n}, not a non-empty square matrix")
    if max_entries is not None and n * n > max_entries:
        raise MatrixUnreadable(f"{name} declares a {n}x{n} matrix, above the input limit of {max_entries} "
                               f"entries{raise_it}")

    def read(k, word):
        x = value(k, word) if value is not None else parse_cell(word)
        if x is None:
            raise MatrixUnreadable(f"line {k} of {name}: {word!r} is not a number")
        if field == "integer" and x.denominator != 1:
            raise MatrixUnreadable(f"line {k} of {name}: {word!r} is not an integer, but the file declares "
                                   "integer entries")
        return x

    out = [[fmpq(0)] * n for _ in range(n)]
    if layout == "coordinate":
        declared, seen = int(size[2]), set()
        if len(body) != declared:
            raise MatrixUnreadable(f"{name} declares {counted(declared, 'entry', 'entries')} but lists {len(body)}")
        for k, words in body:
            if len(words) != 3 or not (words[0].isdigit() and words[1].isdigit()):
                raise MatrixUnreadable(f"line {k} of {name} should be 'row column value', got {' '.join(words)!r}")
            i, j = int(words[0]) - 1, int(words[1]) - 1
            if not (0 <= i < n and 0 <= j < n):
                raise MatrixUnreadable(f"line {k} of {name}: position ({i + 1}, {j + 1}) is outside the {n}x{n} "
                                       "matrix")
            entries = [(i, j)] if symmetry == "general" or i == j else [(i, j), (j, i)]
            if symmetry == "skew-symmetric" and i == j:
                raise MatrixUnreadable(f"line {k} of {name}: a skew-symmetric matrix has no diagonal entries, "
                                       f"got ({i + 1}, {j + 1})")
            if any(e in seen for e in entries):
                raise MatrixUnreadable(f"line {k} of {name}: the entry ({i + 1}, {j + 1}) is given twice")
            seen.update(entries)
            x = read(k, words[2])
            out[i][j] = x
            if len(entries) == 2:
                out[j][i] = -x if symmetry == "skew-symmetric" else x
    else:
        # column by column: all of it (general), the lower triangle (symmetric) or the strict one (skew)
        cells = [(i, j) for j in range(n) for i in range(n)
                 if symmetry == "general" or i > j or (i == j and symmetry == "symmetric")]
        values = [(k, w) for k, words in body for w in words]
        if len(values) != len(cells):
            raise MatrixUnreadable(f"{name} should list {len(cells)} values for a {symmetry} {n}x{n} array, "
                                   f"got {len(values)}")
        for (i, j), (k, w) in zip(cells, values):
            x = read(k, w)
            out[i][j] = x
            if i != j and symmetry != "general":
                out[j][i] = -x if symmetry == "skew-symmetric" else x
    return out


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
    """Square matrix (rows of fmpqs) from ``path``, read by suffix: ``.json``, ``.npy``, ``.mtx``, else CSV;
    ``-`` is stdin. A cell that is not a number is refused, rational expressions too (see :func:`read_cells`)."""
    max_exponent = 10_000 if limits is None else limits.exponent
    return _read(path, lambda x: parse_cell(x, max_exponent))


def read_cells(path, limits=None):
    """As :func:`read_matrix`, but a CSV or JSON cell that is a rational expression in symbols (``2*x + 1``)
    comes back as its text (stripped), for a checker to read in its field of rational functions."""
    max_exponent = 10_000 if limits is None else limits.exponent
    return _read(path, lambda x: number_or_expression(x, max_exponent))


def _read(path, cell):
    name = "stdin" if str(path) == "-" else json.dumps(str(path))[1:-1]
    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else open(path, "rb").read()
    except OSError as e:
        raise MatrixUnreadable(f"cannot read {name}: {e.strerror or e}") from None
    suffix = "" if str(path) == "-" else str(path).lower().rpartition(".")[2]
    if suffix == "npy":
        return _from_npy(data, name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MatrixUnreadable(f"cannot read {name}: it is not UTF-8 text") from None
    if suffix == "json":
        return _from_json(text, name, cell)
    if suffix == "mtx":
        return _square(mtx_rows(text, name), name, lambda q: q)
    return _square(csv_rows(text, name), name, cell)
