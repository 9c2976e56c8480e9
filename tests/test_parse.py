"""Exact matrix input: numbers are parsed as written, never through a float."""

import decimal
import io
import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import QQ

from construct.core.errors import InputError
from construct.front.parse import matrix_from_text, parse_number, read_matrix
from proofs.matrix_file import MatrixUnreadable, parse_cell
from proofs.matrix_file import read_matrix as trusted_read_matrix


def entries(M):
    """Entries of a DomainMatrix as Fractions, so comparisons are exact."""
    return [[Fraction(int(x.numerator), int(x.denominator)) for x in row] for row in M.to_list()]


# ---------------------------------------------------------------- parse_number


@pytest.mark.parametrize(
    "text, value",
    [
        ("0.1", Fraction(1, 10)),
        ("1e-3", Fraction(1, 1000)),
        ("-2/7", Fraction(-2, 7)),
        ("3", Fraction(3)),
        ("+5", Fraction(5)),
        (".5", Fraction(1, 2)),
        ("5.", Fraction(5)),
        ("1.5E+2", Fraction(150)),
        ("  -0.25e1\t", Fraction(-5, 2)),
        ("+3/6", Fraction(1, 2)),
        ("-0", Fraction(0)),
        ("0.30000000000000004", Fraction(30000000000000004, 10**17)),
        ("9" * 5000, Fraction(int("9" * 2500) * (10**2500 + 1))),  # beyond int()'s 4300-digit limit
        ("1e-400", Fraction(1, 10**400)),
    ],
)
def test_parse_number_exact(text, value):
    assert parse_number(text, max_digits=None) == value
    assert isinstance(parse_number(text, max_digits=None), Fraction)


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "not a number"),
        ("inf", "not finite"),
        ("-Infinity", "not finite"),
        ("NaN", "not finite"),
        ("1/0", "zero denominator"),
        ("0x10", "not a number"),
        ("1_000", "not a number"),
        ("1.5/2", "not a number"),
        ("1/-2", "not a number"),
        ("1e", "not a number"),
        (".", "not a number"),
        ("-", "not a number"),
        ("1 2", "not a number"),
        ("٣", "not a number"),  # a non-ASCII digit
        ("1e1000000000", "too long"),
        ("1e100000", "about 100001 digits, above the limit of 400"),
        ("1e-400", "401 digits"),
        ("1/" + "3" * 401, "401 digits"),
        ("1e" + "9" * 30, "exponent of more than 18 digits"),
    ],
)
def test_parse_number_rejects(text, words):
    with pytest.raises(ValueError, match=words):
        parse_number(text)


@given(st.fractions())
def test_parse_number_fraction_strings(q):
    assert parse_number(str(q)) == q
    assert parse_number(f"{q.numerator}/{q.denominator}") == q


@given(st.integers(), st.integers(min_value=0, max_value=40))
def test_parse_number_power_of_ten_denominators(n, k):
    q = Fraction(n, 10**k)
    sign = "-" if n < 0 else ""
    digits = str(abs(n)).rjust(k + 1, "0")
    text = f"{sign}{digits[: len(digits) - k]}.{digits[len(digits) - k:]}"
    assert parse_number(text) == q
    assert parse_number(f"{n}e-{k}") == q


decimal_strings = st.builds(
    lambda sign, whole, frac, exp: sign + whole + frac + exp,
    st.sampled_from(["", "+", "-"]),
    st.text("0123456789", min_size=1, max_size=30),
    st.one_of(st.just(""), st.text("0123456789", max_size=30).map(lambda d: "." + d)),
    st.one_of(st.just(""), st.builds(lambda e, s, x: e + s + str(x), st.sampled_from("eE"),
                                     st.sampled_from(["", "+", "-"]), st.integers(0, 500))),
)


@given(decimal_strings)
def test_parse_number_matches_decimal(s):
    assert parse_number(s, max_digits=None) == Fraction(decimal.Decimal(s))


@given(st.text("0123456789", max_size=20), st.text("0123456789", min_size=1, max_size=20))
def test_parse_number_leading_dot(whole, frac):
    s = f"{whole}.{frac}"
    assert parse_number(s) == Fraction(decimal.Decimal(s))


# ---------------------------------------------------------------- CSV


def test_matrix_from_text_returns_dense_qq():
    M = matrix_from_text("1, 0.1\n-2/7, 1e-3\n")
    assert M.domain == QQ and M.rep.fmt == "dense"
    assert entries(M) == [[1, Fraction(1, 10)], [Fraction(-2, 7), Fraction(1, 1000)]]


def test_csv_comments_blank_lines_whitespace_and_tabs(tmp_path):
    p = tmp_path / "T.csv"
    p.write_text("# a comment\n\n  1 ,  2 \n\n# another\n3,4\n")
    assert entries(read_matrix(p)) == [[1, 2], [3, 4]]
    t = tmp_path / "T.tsv"
    t.write_text("1\t2.5\n  3   4\n")
    assert entries(read_matrix(t)) == [[1, Fraction(5, 2)], [3, 4]]
    u = tmp_path / "T.txt"
    u.write_text("\ufeff1 0\n0 1\n")  # a byte-order mark, as some spreadsheets write
    assert entries(read_matrix(str(u))) == [[1, 0], [0, 1]]


def test_unknown_suffix_is_csv(tmp_path):
    p = tmp_path / "matrix.dat"
    p.write_text("7")
    assert entries(read_matrix(p)) == [[7]]


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 5).flatmap(lambda n: st.lists(st.lists(st.fractions(), min_size=n, max_size=n),
                                                      min_size=n, max_size=n)))
def test_csv_round_trip(rows):
    text = "\n".join(",".join(str(x) for x in row) for row in rows)
    assert entries(matrix_from_text(text)) == rows


def test_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"0.1 0\n0 -2/7\n")))
    assert entries(read_matrix("-")) == [[Fraction(1, 10), 0], [0, Fraction(-2, 7)]]


def test_byte_order_mark_on_stdin_and_in_files(monkeypatch, tmp_path):
    """A UTF-8 BOM was accepted in a CSV file but not on stdin; now everywhere, JSON included."""
    bom = b"\xef\xbb\xbf"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(bom + b"1,2\n3,5\n")))
    assert entries(read_matrix("-")) == [[1, 2], [3, 5]]
    (tmp_path / "T.csv").write_bytes(bom + b"1,2\n3,5\n")
    (tmp_path / "T.json").write_bytes(bom + b'[[1, 2], [3, 5]]')
    assert entries(read_matrix(tmp_path / "T.csv")) == entries(read_matrix(tmp_path / "T.json")) == [[1, 2], [3, 5]]
    assert entries(matrix_from_text("\ufeff1 2\n3 5")) == [[1, 2], [3, 5]]


def test_entry_digit_limit_and_override(tmp_path):
    """A 4x4 CSV of ``1e100000`` entries once took a minute to factor; it is refused while read."""
    p = tmp_path / "bomb.csv"
    p.write_text("1e100000, 1, 0, 0\n0, 1, 0, 0\n0, 0, 1, 0\n0, 0, 0, 1\n")
    with pytest.raises(InputError, match=r"cell \(1, 1\) of .*bomb.csv is too long: '1e100000' has about 100001 digits, above the limit of 400 \(raise it with --max-digits\)"):
        read_matrix(p)
    assert entries(read_matrix(p, max_digits=100_001))[0][0] == 10**100000
    assert entries(read_matrix(p, max_digits=None))[0][0] == 10**100000
    assert entries(matrix_from_text("1e399 0\n0 1/" + "9" * 400)) == [[10**399, 0], [0, Fraction(1, 10**400 - 1)]]



@pytest.mark.parametrize(
    "text, words",
    [
        ("1,2,3\n4,5,a@c\n7,8,9\n", ["T.csv", "(2, 3)", "not a number", "'a@c'"]),
        ("1,2,3,4\n1,2,3\n", ["T.csv", "not square", "row 2 has 3 entries but row 1 has 4"]),
        ("1,2,3,4\n1,2,3,4\n5,6,7,8\n", ["T.csv is 3x4, not square"]),
        ("", ["T.csv is empty"]),
        ("# only a comment\n\n", ["T.csv is empty"]),
        ("1,2\n3,inf\n", ["(2, 2)", "not finite", "inf"]),
        ("nan,2\n3,4\n", ["(1, 1)", "nan"]),
        ("1,\n3,4\n", ["(1, 2)", "empty"]),
        ("1,1/0\n3,4\n", ["(1, 2)", "zero denominator"]),
    ],
)
def test_csv_errors(tmp_path, text, words):
    p = tmp_path / "T.csv"
    p.write_text(text)
    with pytest.raises(InputError) as e:
        read_matrix(p)
    for w in words:
        assert w in str(e.value)
    assert "\n" not in str(e.value)


def test_missing_file():
    with pytest.raises(InputError, match="cannot read .*T.csv: No such file or directory"):
        read_matrix("/nonexistent/dir/T.csv")


def test_input_error_is_value_error():
    assert issubclass(InputError, ValueError)


def test_binary_file_as_csv(tmp_path):
    p = tmp_path / "T.csv"
    p.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(InputError, match="cannot read"):
        read_matrix(p)


# ---------------------------------------------------------------- JSON


def test_json_literal_is_exact(tmp_path):
    p = tmp_path / "T.json"
    p.write_text('[[0.1, 1e-3], [-2, "-2/7"]]')
    assert entries(read_matrix(p)) == [[Fraction(1, 10), Fraction(1, 1000)], [-2, Fraction(-2, 7)]]


def test_json_certificate_object(tmp_path):
    p = tmp_path / "cert.json"
    p.write_text(json.dumps({"version": 1, "matrix": [["1/3", "0"], ["0", "3"]], "layers": []}))
    assert entries(read_matrix(p)) == [[Fraction(1, 3), 0], [0, 3]]


def test_json_huge_integer_exact(tmp_path):
    n = 10**5000 + 1
    p = tmp_path / "T.json"
    p.write_text("[[1" + "0" * 4999 + "1]]")  # str(n) would hit int()'s 4300-digit limit
    assert entries(read_matrix(p, max_digits=5001)) == [[n]]
    with pytest.raises(InputError, match="5001 digits, above the limit of 5000"):
        read_matrix(p, max_digits=5000)


def test_json_nested_too_deeply(tmp_path):
    """100 000 nested brackets once raised RecursionError (exit 3)."""
    p = tmp_path / "deep.json"
    p.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError, match="deep.json is nested too deeply to be a matrix"):
        read_matrix(p)
    p.write_text(json.dumps([[[[1]], 2], [3, 4]]))
    with pytest.raises(InputError, match=r"cell \(1, 1\) of .*deep.json is not a number: \[\[\"1\"\]\]"):
        read_matrix(p)


def test_input_size_limit(tmp_path, monkeypatch):
    p = tmp_path / "T.csv"
    p.write_text("1, 0\n0, 1\n" + "# padding\n" * 100)
    with pytest.raises(InputError, match="larger than the input limit of 100 bytes"):
        read_matrix(p, max_bytes=100)
    assert entries(read_matrix(p, max_bytes=10_000)) == [[1, 0], [0, 1]]
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"1 0\n0 1\n" * 20)))
    with pytest.raises(InputError, match="stdin is larger than the input limit of 100 bytes"):
        read_matrix("-", max_bytes=100)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4).flatmap(lambda n: st.lists(st.lists(st.fractions(), min_size=n, max_size=n),
                                                      min_size=n, max_size=n)))
def test_json_round_trip(tmp_path_factory, rows):
    p = tmp_path_factory.mktemp("json") / "T.json"
    p.write_text(json.dumps([[str(x) for x in row] for row in rows]))
    assert entries(read_matrix(p)) == rows


@pytest.mark.parametrize(
    "text, words",
    [
        ("[]", ["T.json is empty"]),
        ("[[]]", ["T.json is empty"]),
        ("", ["not valid JSON"]),
        ("[[1, 2], [3]]", ["not square", "row 2 has 1 entry but row 1 has 2"]),
        ("[[1, 2, 3], [4, 5, 6]]", ["2x3, not square"]),
        ('[[1, 2], [3, "a@c"]]', ["(2, 2)", "not a number", "a@c"]),
        ("[[1, true], [3, 4]]", ["(1, 2)", "not a number", "true"]),
        ("[[1, null], [3, 4]]", ["(1, 2)", "not a number", "null"]),
        ("[[NaN, 2], [3, 4]]", ["(1, 1)", "not finite", "NaN"]),
        ("[[1, 2], [3, -Infinity]]", ["(2, 2)", "not finite", "Infinity"]),
        ("[1, 2]", ["row 1", "not a list"]),
        ('{"rows": [[1]]}', ['"matrix"']),
        ("3", ['"matrix"']),
    ],
)
def test_json_errors(tmp_path, text, words):
    p = tmp_path / "T.json"
    p.write_text(text)
    with pytest.raises(InputError) as e:
        read_matrix(p)
    for w in words:
        assert w in str(e.value)
    assert "T.json" in str(e.value)


# ---------------------------------------------------------------- npy


def save(tmp_path, a, name="T.npy"):
    p = tmp_path / name
    np.save(p, a)
    return p


def test_npy_float_is_exact_dyadic(tmp_path):
    M = read_matrix(save(tmp_path, np.array([[0.1, 0.5], [-3.0, 1e-300]])))
    assert entries(M) == [[Fraction(3602879701896397, 36028797018963968), Fraction(1, 2)],
                          [-3, Fraction(1e-300)]]
    assert entries(M)[0][0] != Fraction(1, 10)


def test_npy_float32_is_exact(tmp_path):
    a = np.array([[0.1]], dtype=np.float32)
    assert entries(read_matrix(save(tmp_path, a))) == [[Fraction(*a[0, 0].as_integer_ratio())]]


def test_npy_int64_huge_values_exact(tmp_path):
    big = np.iinfo(np.int64).max
    small = np.iinfo(np.int64).min
    M = read_matrix(save(tmp_path, np.array([[big, small], [big - 1, 1]], dtype=np.int64)))
    assert entries(M) == [[2**63 - 1, -(2**63)], [2**63 - 2, 1]]
    U = read_matrix(save(tmp_path, np.array([[2**64 - 1]], dtype=np.uint64), "U.npy"))
    assert entries(U) == [[2**64 - 1]]


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 5).flatmap(lambda n: st.lists(st.lists(st.floats(allow_nan=False, allow_infinity=False),
                                                               min_size=n, max_size=n), min_size=n, max_size=n)))
def test_npy_round_trip(tmp_path_factory, rows):
    p = tmp_path_factory.mktemp("npy") / "T.npy"
    np.save(p, np.array(rows, dtype=np.float64))
    assert entries(read_matrix(p)) == [[Fraction(x) for x in row] for row in rows]


@pytest.mark.parametrize(
    "array, words",
    [
        (np.array([[1.0, 2.0], [np.nan, 4.0]]), ["cell (2, 1) of", "T.npy", "nan", "only finite"]),
        (np.array([[1.0, -np.inf], [3.0, 4.0]]), ["(1, 2)", "-inf"]),
        (np.array([[1 + 2j]]), ["T.npy holds complex numbers; only real numbers can be factored"]),
        (np.array([[True]]), ["booleans"]),
        (np.array([["1"]]), ["strings"]),
        (np.array([1.0, 2.0]), ["1-dimensional", "not a 2-D matrix"]),
        (np.zeros((2, 2, 2)), ["3-dimensional"]),
        (np.zeros((2, 3)), ["T.npy is 2x3, not square"]),
        (np.zeros((0, 0)), ["T.npy is empty"]),
        (np.zeros((3, 0)), ["T.npy is empty"]),
        (np.array([[1, None]], dtype=object), ["Python objects"]),
    ],
)
def test_npy_errors(tmp_path, array, words):
    p = tmp_path / "T.npy"
    np.save(p, array, allow_pickle=True)
    with pytest.raises(InputError) as e:
        read_matrix(p)
    for w in words:
        assert w in str(e.value)


def test_npy_not_a_npy_file(tmp_path):
    """A text file named T.npy once got a message about pickled data."""
    p = tmp_path / "T.npy"
    p.write_text("1,2\n3,4\n")
    with pytest.raises(InputError, match="T.npy is not a NumPy file"):
        read_matrix(p)
    with pytest.raises(InputError, match="No such file"):
        read_matrix(tmp_path / "missing.npy")


def huge_header_npy(path, shape, dtype="<f8"):
    """A ``.npy`` file whose header declares ``shape`` but which holds only 16 bytes of data."""
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, header)
        fh.write(b"\0" * 16)
    return path


def test_npy_huge_declared_shape_refused_before_allocating(tmp_path):
    """A header declaring 10^6 x 10^6 float64 once ended in MemoryError (exit 3)."""
    p = huge_header_npy(tmp_path / "big.npy", (10**6, 10**6))
    with pytest.raises(InputError, match=r"big.npy declares a 1000000x1000000 array of 8000000000000 bytes, above the input limit"):
        read_matrix(p)
    with pytest.raises(InputError, match=r"big.npy is truncated: its header declares shape \(1000000, 1000000\)"):
        read_matrix(p, max_bytes=None, max_binary_bytes=None)
    p = huge_header_npy(tmp_path / "short.npy", (3, 3))
    with pytest.raises(InputError, match="short.npy is truncated"):
        read_matrix(p)


# ---------------------------------------------------------------- one grammar, one CSV splitting


@settings(max_examples=500, deadline=None)
@given(st.text("0123456789+-./eE x", max_size=7))
def test_the_builder_reads_numbers_by_the_trusted_grammar(s):
    """parse_number reads what proofs.matrix_file.parse_cell reads, to the same value, and nothing else
    (it adds messages and the digit limit: at most 7 characters stay far within it)."""
    trusted = parse_cell(s, max_exponent=10**6)
    try:
        value = parse_number(s, max_digits=None)
    except ValueError:
        assert trusted is None, s
    else:
        assert trusted is not None and value == Fraction(int(trusted.p), int(trusted.q)), s


@pytest.mark.parametrize("text, words", [
    ("1,2,\n3,4,\n", ["T.csv is 2x3, not square", "every row ends with a comma", "separated by commas, not ended"]),
    ("1;2\n3;4\n", ["';', which does not separate cells", "separated by commas"]),
    ("1;2\n", ["';'"]),
    ("1,2\n3\n", ["row 2 has 1 entry but row 1 has 2", "read as comma-separated cells, one row a line"]),
    ("1 2 3\n4 5 6\n", ["2x3, not square", "separated by whitespace (no line has a comma)"]),
])
def test_csv_separator_errors_say_what_was_expected(text, words, tmp_path):
    """A trailing comma once gave only "is 2x3, not square", ``1;2`` "is 2x1"; both readers say the same."""
    p = tmp_path / "T.csv"
    p.write_text(text)
    with pytest.raises(InputError) as builder:
        read_matrix(p)
    with pytest.raises(MatrixUnreadable) as trusted:
        trusted_read_matrix(p)
    assert str(builder.value) == str(trusted.value)
    for w in words:
        assert w in str(builder.value), str(builder.value)


def test_csv_quotes_are_read_by_both_readers(tmp_path):
    """A quoted ``"2"``, as spreadsheets write it, was once "not a number"."""
    p = tmp_path / "T.csv"
    p.write_text('"1", "2"\n"-2/7",4\n')
    assert entries(read_matrix(p)) == [[1, 2], [Fraction(-2, 7), 4]]
    assert [[Fraction(int(q.p), int(q.q)) for q in row] for row in trusted_read_matrix(p)] == entries(read_matrix(p))
    p.write_text('"1" "2"\n3 "4"\n')
    assert entries(read_matrix(p)) == [[1, 2], [3, 4]]
    assert str(matrix_from_text('a, "2*x + 1"\n0, 1').to_Matrix()) == "Matrix([[a, 2*x + 1], [0, 1]])"
