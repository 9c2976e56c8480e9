"""A plain reference checker for numeric certificates: the oracle the kernel is tested against.

Every number becomes a Fraction, every factor a dense matrix; the product is multiplied out and compared
exactly.  Slow and obvious on purpose: no balls, no sparsity, no scales set aside (docs/certificate.md).
"""
import re
from fractions import Fraction

NUMBER = re.compile(r"-?[0-9]+(/[0-9]+|(\.[0-9]+)?([eE][+-]?[0-9]+)?)")


def number(s):
    if type(s) is not str or not NUMBER.fullmatch(s):
        raise ValueError(s)
    return Fraction(s)  # exact for both forms; a zero denominator raises ZeroDivisionError


def accepts(cert, matrix=None, max_factors=None, mode=None, max_tolerance=None):
    """True if the certificate proves its claim and the caller's requirements, else False."""
    try:
        n, p, factors, claims = cert["n"], cert["split"], cert["factors"], cert["claims"]
        if cert["format"] != "couplings.certificate/1" or type(n) is not int or type(p) is not int \
                or not 0 < p < n or cert["mode"] not in ("any", "positive"):
            return False
        mask = cert.get("mask", [1] * p + [0] * (n - p))
        if sorted(mask) != [0] * (n - p) + [1] * p or len(mask) != n:
            return False
        order = [i for i in range(n) if mask[i] == 1] + [i for i in range(n) if mask[i] == 0]
        target = [[number(cert["matrix"][i][j]) for j in order] for i in order]
        if any(len(row) != n for row in cert["matrix"]) or len(cert["matrix"]) != n:
            return False
        if type(claims["count"]) is not int or type(claims["bound"]) is not int \
                or not len(factors) == claims["count"] <= claims["bound"]:
            return False
        if max_factors is not None and len(factors) > max_factors or mode == "positive" != cert["mode"]:
            return False
        product = [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]
        for f in factors:
            rows, first_row, first_col = (n - p, p, 0) if f["kind"] == "lower" else (p, 0, p)
            if f["kind"] not in ("lower", "upper") or len(f["shear"]) != rows or len(f["scale"]) != rows \
                    or any(len(row) != n - rows for row in f["shear"]):
                return False
            dense = [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]
            for r in range(rows):
                dense[first_row + r][first_col:first_col + n - rows] = map(number, f["shear"][r])
                dense[first_row + r][first_row + r] = s = number(f["scale"][r])
                if s == 0 or cert["mode"] == "positive" and s < 0:
                    return False
            product = [[sum(a * b for a, b in zip(row, col)) for col in zip(*dense)] for row in product]
        if matrix is not None and [[Fraction(x) for x in row] for row in matrix] != \
                [[number(x) for x in row] for row in cert["matrix"]]:
            return False
        if "tolerance" not in claims:
            return product == target
        t = number(claims["tolerance"])
        if t < 0 or max_tolerance is not None and t > max_tolerance:
            return False
        return all(abs(product[i][j] - target[i][j]) <= t for i in range(n) for j in range(n))
    except (ValueError, KeyError, TypeError, IndexError, ZeroDivisionError):
        return False
