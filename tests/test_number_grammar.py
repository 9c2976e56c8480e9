"""One number grammar: every string the trusted kernel reads, the builder reads to the same rational.

The kernel (:data:`proofs.kernel.NUMBER`) is the reference; the builder's
readers (:func:`proofs.matrix_file.parse_cell` for ``verify --matrix`` and
matrix files, :func:`construct.front.parse.parse_number` for ``factor``) read
a documented superset (docs/design.md, "The number grammar").
"""

import random
from fractions import Fraction

import pytest

from construct.front.parse import parse_number
from proofs import kernel
from proofs.matrix_file import parse_cell

LIMITS = kernel.Limits(entry_chars=10_000, exponent=10_000, total_chars=10**6)


def kernel_value(s):
    """The kernel's reading of ``s`` as the matrix entry of a 1 x 1 certificate, or None if it rejects it."""
    cert = {"format": kernel.FORMAT, "n": 2, "split": 1, "mode": "any", "matrix": [[s, "0"], ["0", "1"]],
            "factors": [], "claims": {"method": "test", "count": 0, "bound": 0}}
    try:
        q = kernel.read(cert, LIMITS).matrix[0][0]
    except kernel.Rejected:
        return None
    return Fraction(int(q.p), int(q.q))


def cell(s):
    """The builder's trusted-side reader (matrix files, ``verify --matrix``), as a Fraction or None."""
    q = parse_cell(s)
    return None if q is None else Fraction(int(q.p), int(q.q))


def kernel_strings(rng, count):
    """Random strings of the kernel's grammar: sign, digits, then ``/digits`` or ``.digits`` and ``e[+-]digits``."""
    def digits(most):
        return "".join(rng.choice("0123456789") for _ in range(rng.randint(1, most)))
    for _ in range(count):
        s = rng.choice(["", "-"]) + digits(25)
        if rng.random() < 0.3:
            s += "/" + digits(25)
        else:
            if rng.random() < 0.6:
                s += "." + digits(25)
            if rng.random() < 0.5:
                s += rng.choice("eE") + rng.choice(["", "+", "-"]) + digits(3)
        yield s


EDGES = ["0", "-0", "00", "007", "1/1", "-3/7", "0/5", "10/4", "0.1", "-0.000", "1e0", "1E-0", "1e+3", "-2.50e-3",
         "123456789012345678901234567890", "1.5e-300", "9/0", "1e10001"]


@pytest.mark.parametrize("s", EDGES)
def test_kernel_edge_strings_read_alike_by_builder(s):
    q = kernel_value(s)
    if q is None:  # the kernel rejects it (zero denominator, exponent beyond its limit): so does the builder
        assert cell(s) is None
        return
    assert cell(s) == q
    assert parse_number(s, max_digits=None) == q


def test_random_kernel_strings_read_to_the_same_rational_by_builder():
    for s in kernel_strings(random.Random(23), 2000):
        q = kernel_value(s)
        if q is None:
            assert "/" in s and not s.split("/")[1].strip("0"), s  # only a zero denominator is rejected here
            continue
        assert cell(s) == q, s
        assert parse_number(s, max_digits=None) == q, s


def test_every_short_string_the_kernel_reads_the_builder_reads_alike():
    """All strings of up to four characters over the grammar's alphabet: the kernel's language is inside the
    builder's, with the same values."""
    alphabet = "0129-+./eE "
    strings = [""]
    for _ in range(4):
        strings = [s + c for s in strings for c in alphabet] + strings
    read = 0
    for s in set(strings):
        q = kernel_value(s)
        if q is not None:
            read += 1
            assert cell(s) == q, s
            assert parse_number(s, max_digits=None) == q, s
    assert read > 1000


@pytest.mark.parametrize("s, value", [("+5", 5), (".5", Fraction(1, 2)), ("5.", 5), (" 7 ", 7), ("+1.e1", 10)])
def test_builder_superset_is_refused_by_the_kernel(s, value):
    """What only the builder reads (docs/design.md): a plus sign, a bare point, blanks around the number."""
    assert kernel_value(s) is None
    assert cell(s) == value and parse_number(s) == value
