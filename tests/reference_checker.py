"""A plain reference checker: the oracle the kernel (proofs/kernel.py) is tested against.

Every number becomes a Fraction, every factor a dense matrix; the product is multiplied out and compared
exactly, by the rules of docs/certificate.md for numeric certificates.  Slow and obvious on purpose: no
balls, no sparsity, no scales set aside, no shared code with the kernel.
"""
import re
from fractions import Fraction

FORMATS = ("couplings.certificate/1", "couplings.certificate/2")
NUMBER = re.compile(r"-?[0-9]+(/[0-9]+)?|-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
HEX = re.compile(r"(-?)0x([0-9a-f]+)\.?([0-9a-f]*)p([+-]?[0-9]+)")  # /2 only: hexadecimal digits times 2^e


class Invalid(Exception):
    pass


def need(condition):
    if not condition:
        raise Invalid


def number(s, hex_allowed=False):
    need(type(s) is str and len(s) <= 100_000)
    if hex_allowed and HEX.fullmatch(s):
        sign, whole, fraction, exponent = HEX.fullmatch(s).groups()
        need(abs(int(exponent)) <= 10_000)
        value = int(whole + fraction, 16) * Fraction(2) ** (int(exponent) - 4 * len(fraction))
        return -value if sign else value
    need(NUMBER.fullmatch(s))
    exponent = re.search(r"[eE]([+-]?[0-9]+)$", s)
    need(exponent is None or abs(int(exponent[1])) <= 10_000)
    need("/" not in s or int(s.split("/")[1]) != 0)
    return Fraction(s)


def table(rows, r, c, hex_allowed):
    need(type(rows) is list and len(rows) == r and all(type(row) is list and len(row) == c for row in rows))
    return [[number(x, hex_allowed) for x in row] for row in rows]


def dense(kind, shear, scale, n, p):
    """The n x n matrix of a coupling: lower [[I, 0], [shear, diag(scale)]], upper [[diag(scale), shear], [0, I]]."""
    m = [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]
    first_row, first_col = (p, 0) if kind == "lower" else (0, p)
    for r, (row, s) in enumerate(zip(shear, scale)):
        m[first_row + r][first_col:first_col + len(row)] = row
        m[first_row + r][first_row + r] = s
    return m


def matmul(a, b):
    return [[sum(x * y for x, y in zip(row, col)) for col in zip(*b)] for row in a]


def accepts(cert, matrix=None, max_factors=None, mode=None, max_tolerance=None):
    """True if the certificate is valid, its claim true and the caller's requirements met."""
    try:
        need(type(cert) is dict and all(type(k) is str for k in cert))
        need({"format", "n", "split", "mode", "matrix", "factors", "claims"} <= cert.keys())
        n, p, cert_mode = cert["n"], cert["split"], cert["mode"]
        need(type(cert["format"]) is str and cert["format"] in FORMATS)
        hex_allowed = cert["format"] == FORMATS[1]
        need(type(n) is int and n > 0 and type(p) is int and 0 < p < n and cert_mode in ("any", "positive"))
        order = list(range(n))
        if "mask" in cert:
            mask = cert["mask"]
            need(type(mask) is list and len(mask) == n and all(type(b) is int and b in (0, 1) for b in mask))
            need(sum(mask) == p)
            order = [i for i in range(n) if mask[i]] + [i for i in range(n) if not mask[i]]
        written = table(cert["matrix"], n, n, hex_allowed)
        need(type(cert["factors"]) is list)
        product = [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]
        for f in cert["factors"]:
            need(type(f) is dict and sorted(f) == ["kind", "scale", "shear"] and f["kind"] in ("lower", "upper"))
            need(type(f["kind"]) is str)
            rows, cols = (n - p, p) if f["kind"] == "lower" else (p, n - p)
            shear = table(f["shear"], rows, cols, hex_allowed)
            need(type(f["scale"]) is list and len(f["scale"]) == rows)
            scale = [number(x, hex_allowed) for x in f["scale"]]
            need(all(s != 0 and (cert_mode == "any" or s > 0) for s in scale))
            product = matmul(product, dense(f["kind"], shear, scale, n, p))
        claims = cert["claims"]
        need(type(claims) is dict and all(type(k) is str for k in claims))
        need({"method", "count", "bound"} <= claims.keys() and type(claims["method"]) is str)
        count, bound = claims["count"], claims["bound"]
        need(type(count) is int and count == len(cert["factors"]) and type(bound) is int and count <= bound)
        stages = claims.get("stages", {})
        need(type(stages) is dict and all(type(v) is int and v >= 0 for v in stages.values()))
        need("arith" not in claims or claims["arith"] in ("exact", "float64", "mp") and type(claims["arith"]) is str)
        need("digits" not in claims or type(claims["digits"]) is int and claims["digits"] > 0)
        tolerance = number(claims["tolerance"], hex_allowed) if "tolerance" in claims else Fraction(0)
        need(tolerance >= 0 and (max_tolerance is None or tolerance <= max_tolerance))
        need(max_factors is None or count <= max_factors)
        need(mode != "positive" or cert_mode == "positive")
        need(matrix is None or [[Fraction(x) for x in row] for row in matrix] == written)
        return all(abs(product[a][b] - written[order[a]][order[b]]) <= tolerance for a in range(n) for b in range(n))
    except Invalid:
        return False
