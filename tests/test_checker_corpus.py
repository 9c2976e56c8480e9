"""Every checker change must keep classifying the corpus tests/certificates/ the same way.

valid/*.json must be verified; invalid/*.json must be rejected with the first reason recorded in
expected.json (or be unreadable as JSON, exit 2). The corpus is written by make_corpus.py.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from proofs.checker import CertificateUnreadable, check_file

CORPUS = Path(__file__).parent / "certificates"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())


def test_the_corpus_is_complete():
    files = sorted(str(p.relative_to(CORPUS)) for p in CORPUS.glob("*/*.json"))
    assert files == sorted(EXPECTED)
    kinds = [name.split("/")[0] for name in EXPECTED]
    assert kinds.count("valid") >= 10 and kinds.count("invalid") >= 25


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file(name):
    expected = EXPECTED[name]
    try:
        verdict = check_file(CORPUS / name)
    except CertificateUnreadable as e:
        assert expected.startswith("unreadable: ") and str(e).startswith(expected.removeprefix("unreadable: "))
        return
    if expected == "verified":
        assert verdict.ok, verdict.reasons
    else:
        assert not verdict.ok and verdict.reasons[0].startswith(expected), (verdict.reasons[0], expected)


def test_corpus_exit_codes():
    for name, code in [("valid/tolerance_balls_n36.json", 0), ("invalid/tolerance_too_small_balls.json", 1),
                       ("invalid/deep_nesting.json", 2)]:
        r = subprocess.run([sys.executable, "-m", "proofs.checker", str(CORPUS / name)], capture_output=True)
        assert r.returncode == code, (name, r.stderr)
