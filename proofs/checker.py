"""Trusted checker for ``couplings.certificate/1`` files.

This module must never import ``construct`` (the untrusted builder); it uses
only the standard library and python-flint.

Format (JSON object; every number is a string ``-?[0-9]+(/[0-9]+)?`` with a
nonzero denominator; JSON numbers are *not* accepted as matrix entries)::

    {"format": "couplings.certificate/1",
     "n": 8, "split": 4, "mode": "any" | "positive",
     "matrix": [["1", "-2/3", ...], ...],          # n rows of n numbers
     "factors": [{"kind": "lower", "shear": [[...]], "scale": [...]}, ...],
     "claims": {"method": "paper", "count": 37, "bound": 47,
                "stages": {"permutation": 9, ...}},   # stages optional
     "mask": [1, 0, 1, 0, ...]}                       # optional

With p = split, a lower factor is [[I_p, 0], [shear, diag(scale)]]
(shear (n-p) x p, n-p scales); an upper factor is [[diag(scale), shear],
[0, I_(n-p)]] (shear p x (n-p), p scales).  Scales are nonzero, and positive
in mode "positive".  The claim is  F_1 F_2 ... F_k == M'  where k = count <=
bound and M'[a][b] = matrix[idx[a]][idx[b]], idx listing the coordinates with
mask 1 and then those with mask 0 (without a mask, idx is the identity).
Extra keys are allowed at top level and in claims, not inside a factor.
All indices in reasons are 0-based positions in the JSON lists.
"""
import json
import re
from dataclasses import dataclass

from flint import fmpq, fmpq_mat, fmpz

FORMAT = "couplings.certificate/1"
_NUMBER = re.compile(r"(-?[0-9]+)(?:/([0-9]+))?")


class CertificateUnreadable(Exception):
    """The file could not be read or is not JSON (the CLI exits 2 on this)."""


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reasons: tuple[str, ...] = ()  # empty when ok
    summary: str = ""


def _show(x):
    """Short JSON rendering of a value, for messages: null, true, "0.5", ..."""
    try:
        s = json.dumps(x)
    except (TypeError, ValueError, RecursionError):
        s = f"a {type(x).__name__}"
    return s if len(s) <= 40 else s[:37] + "..."


def _is_int(x):
    return type(x) is int  # bool is not accepted as an int


def _bad(reasons, message):
    reasons.append(message)  # and return None


def _num(s):
    """Parse one exact number; return an fmpq, or a str saying what is wrong.

    >>> _num("-6/4"), _num("007"), _num("1/0")
    (-3/2, 7, 'which has a zero denominator')
    >>> _num("0.5") == _num(1) == _num("1e3") == 'expected an exact number string like "-3/7"'
    True
    """
    m = _NUMBER.fullmatch(s) if isinstance(s, str) else None
    if m is None:
        return 'expected an exact number string like "-3/7"'
    den = fmpz(m[2] or 1)
    return fmpq(fmpz(m[1]), den) if den != 0 else "which has a zero denominator"


def _vector(v, length, what, entry, reasons):
    """Parse a list of `length` numbers, or record the first problem and return None."""
    if not isinstance(v, list):
        return _bad(reasons, f"{what} is {_show(v)}, expected a list of {length} numbers")
    if len(v) != length:
        return _bad(reasons, f"{what} has {len(v)} entries, expected {length}")
    out = [_num(x) for x in v]
    for j, q in enumerate(out):
        if isinstance(q, str):
            return _bad(reasons, f"{entry.format(j)} is {_show(v[j])}, {q}")
    return out


def _table(rows, r, c, what, reasons):
    """Parse r rows of c numbers, or record the first bad row and return None."""
    if not isinstance(rows, list) or len(rows) != r:
        got = f"has {len(rows)} rows" if isinstance(rows, list) else f"is {_show(rows)}"
        return _bad(reasons, f"{what} {got}, expected a list of {r} rows of {c} numbers")
    out = []
    for i, row in enumerate(rows):
        out.append(_vector(row, c, f"{what} row {i}", f"{what}[{i}][{{}}]", reasons))
        if out[-1] is None:
            return None
    return out


def _factor(f, i, n, p, mode, reasons):
    """Check factor i and return it as a dense n x n fmpq_mat, or None after recording why not."""
    if not isinstance(f, dict):
        return _bad(reasons, f"factor {i} is {_show(f)}, expected an object")
    if set(f) != {"kind", "shear", "scale"}:
        keys = _show(sorted(map(str, f)))
        return _bad(reasons, f"factor {i} has the keys {keys}, expected exactly kind, shear, scale")
    kind = f["kind"]
    if kind not in ("lower", "upper"):
        return _bad(reasons, f'factor {i}: kind is {_show(kind)}, expected "lower" or "upper"')
    label = f"factor {i} ({kind})"
    rows, cols = (n - p, p) if kind == "lower" else (p, n - p)
    shear = _table(f["shear"], rows, cols, f"{label}: shear", reasons)
    scale = _vector(f["scale"], rows, f"{label}: scale", f"{label}: scale[{{}}]", reasons)
    if shear is None or scale is None:
        return None
    for j, s in enumerate(scale):
        if s == 0:
            return _bad(reasons, f"{label}: scale[{j}] is 0, scales must be nonzero")
        if mode == "positive" and s < 0:
            return _bad(reasons, f'{label}: scale[{j}] is {s}, but mode "positive" requires positive scales')
    e = _identity(n)  # then overwrite the rows of the non-identity block
    first_row, first_col = (p, 0) if kind == "lower" else (0, p)
    for r, (shear_row, s) in enumerate(zip(shear, scale)):
        row = first_row + r
        e[row * n + row] = s
        e[row * n + first_col: row * n + first_col + cols] = shear_row
    return fmpq_mat(n, n, e)


def _identity(n):
    zero, one = fmpq(0), fmpq(1)
    return [one if k % (n + 1) == 0 else zero for k in range(n * n)]


def _header(cert, reasons):
    """Check format, n, split, mode and mask; return (n, p, mode, idx), or None after recording why not."""
    if not isinstance(cert, dict):
        return _bad(reasons, f"the certificate is {_show(cert)}, expected a JSON object")
    missing = [k for k in ("format", "n", "split", "mode", "matrix", "factors", "claims") if k not in cert]
    if missing:
        return _bad(reasons, f"the certificate is missing the key(s) {', '.join(missing)}")
    n, p, mode, mask = cert["n"], cert["split"], cert["mode"], cert.get("mask")
    if cert["format"] != FORMAT:
        reasons.append(f'format is {_show(cert["format"])}, expected "{FORMAT}"')
    if not (_is_int(n) and n > 0):
        reasons.append(f"n is {_show(n)}, expected a positive integer")
    elif not (_is_int(p) and 0 < p < n):
        reasons.append(f"split is {_show(p)}, expected an integer with 0 < split < n = {n}")
    if mode not in ("any", "positive"):
        reasons.append(f'mode is {_show(mode)}, expected "any" or "positive"')
    if reasons or "mask" not in cert:
        return None if reasons else (n, p, mode, range(n))
    if not (isinstance(mask, list) and len(mask) == n and all(_is_int(b) and b in (0, 1) for b in mask)):
        return _bad(reasons, f"mask is {_show(mask)}, expected a list of n = {n} entries each 0 or 1")
    if sum(mask) != p:
        return _bad(reasons, f"mask has {sum(mask)} ones, expected split = {p}")
    return n, p, mode, [i for i in range(n) if mask[i]] + [i for i in range(n) if not mask[i]]


def _claims(claims, k, reasons):
    if not isinstance(claims, dict) or not {"method", "count", "bound"} <= claims.keys():
        return _bad(reasons, f"claims is {_show(claims)}, expected an object with keys method, count, bound")
    method, count, bound, stages = claims["method"], claims["count"], claims["bound"], claims.get("stages", {})
    if not isinstance(method, str):
        reasons.append(f"claims.method is {_show(method)}, expected a string")
    if not _is_int(count):
        reasons.append(f"claims.count is {_show(count)}, expected an integer")
    elif count != k:
        reasons.append(f"claims.count is {count} but the certificate has {k} factors")
    if not _is_int(bound):
        reasons.append(f"claims.bound is {_show(bound)}, expected an integer")
    elif _is_int(count) and count > bound:
        reasons.append(f"claims.count is {count}, which exceeds claims.bound = {bound}")
    if not (isinstance(stages, dict) and all(_is_int(v) and v >= 0 for v in stages.values())):
        reasons.append(f"claims.stages is {_show(stages)}, expected an object of non-negative integers")


def _rejected(reasons):
    return Verdict(False, tuple(reasons), reasons[0])


def check_certificate(cert) -> Verdict:
    """Check a parsed certificate; never raises, always returns a Verdict.

    >>> one = {"kind": "lower", "shear": [["2"]], "scale": ["1/2"]}
    >>> cert = {"format": FORMAT, "n": 2, "split": 1, "mode": "positive",
    ...         "matrix": [["1", "0"], ["2", "1/2"]], "factors": [one],
    ...         "claims": {"method": "hand", "count": 1, "bound": 1}}
    >>> check_certificate(cert).summary
    'verified: 2x2 matrix = product of 1 couplings (method hand, mode positive, split 1, bound 1)'
    >>> check_certificate(dict(cert, matrix=[["1", "0"], ["2", "1"]])).reasons
    ('the product of the factors differs from matrix at entry (1, 1) (1 of 4 entries differ)',)
    """
    reasons = []
    header = _header(cert, reasons)
    if header is None:
        return _rejected(reasons)
    n, p, mode, idx = header
    matrix = _table(cert["matrix"], n, n, "matrix", reasons)
    factors = cert["factors"] if isinstance(cert["factors"], list) else []
    if not isinstance(cert["factors"], list):
        reasons.append(f"factors is {_show(cert['factors'])}, expected a list")
    mats = [_factor(f, i, n, p, mode, reasons) for i, f in enumerate(factors)]
    _claims(cert["claims"], len(factors), reasons)
    if reasons:  # structural problems: stop before multiplying
        return _rejected(reasons)
    while len(mats) > 1:  # multiply neighbours pairwise (a balanced tree keeps intermediates small)
        mats = [mats[i] * mats[i + 1] if i + 1 < len(mats) else mats[i] for i in range(0, len(mats), 2)]
    product = mats[0].entries() if mats else _identity(n)
    wrong = [(idx[a], idx[b]) for a in range(n) for b in range(n) if product[a * n + b] != matrix[idx[a]][idx[b]]]
    if wrong:
        return _rejected([f"the product of the factors differs from matrix at entry {wrong[0]}"
                          f" ({len(wrong)} of {n * n} entries differ)"])
    claims, masked = cert["claims"], ", masked" if "mask" in cert else ""
    return Verdict(True, (), f"verified: {n}x{n} matrix = product of {len(factors)} couplings (method {claims['method']}"
                             f", mode {mode}, split {p}{masked}, bound {claims['bound']})")


def _no_duplicate_keys(pairs):
    seen = set()
    for k, _ in pairs:
        if k in seen:
            raise ValueError(f"duplicate key {_show(k)} in a JSON object")
        seen.add(k)
    return dict(pairs)


def check_file(path) -> Verdict:
    """Read a JSON certificate and check it; raise CertificateUnreadable if it cannot be read as JSON."""
    try:
        with open(path, encoding="utf-8") as fh:
            cert = json.load(fh, object_pairs_hook=_no_duplicate_keys)
    except (OSError, ValueError, RecursionError) as e:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise CertificateUnreadable(f"cannot read certificate {path}: {e}") from e
    return check_certificate(cert)
