"""The README's quick tour prints what the README says it prints.

Every fenced ``console`` block of README.md is run, in order, in one temporary
directory (later blocks use the files earlier ones write), with ``couplings``
replaced by this checkout's code. A line ``$ command`` is a command; the lines
after it, up to the next command, are its expected output (stdout, then
stderr). In expected output a line ``...`` stands for any number of lines and
``...`` inside a line for any text.
"""
import doctest
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def console_blocks(text: str) -> list[list[tuple[str, list[str]]]]:
    """The README's console blocks, each a list of (command, expected output lines).

    >>> console_blocks("```console\\n$ echo a\\na\\n$ true\\n```\\n")
    [[('echo a', ['a']), ('true', [])]]
    """
    blocks = []
    for body in re.findall(r"^```console\n(.*?)^```", text, re.S | re.M):
        steps = []
        for line in body.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line)
        blocks.append(steps)
    return blocks


def output_pattern(expected: list[str]) -> re.Pattern:
    r"""A regular expression for the expected lines, ``...`` as a wildcard.

    >>> bool(output_pattern(["a ... c", "...", "z"]).fullmatch("a b c\nx\ny\nz\n"))
    True
    >>> bool(output_pattern(["a"]).fullmatch("b\n"))
    False
    """
    parts = []
    for line in expected:
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(".*".join(re.escape(piece) for piece in line.rstrip().split("...")) + r"\n")
    return re.compile("".join(parts))


def run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    command = re.sub(r"^couplings ", f"{sys.executable} -m construct ", command)
    command = command.replace("python -c", f"{sys.executable} -c")
    return subprocess.run(command, shell=True, cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"})


def test_every_console_example_of_the_readme_prints_what_the_readme_shows(tmp_path):
    blocks = console_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 5
    for steps in blocks:
        for command, expected in steps:
            result = run(command, tmp_path)
            assert result.returncode in (0, 1), f"$ {command}\n{result.stderr}"
            printed = "".join(line.rstrip() + "\n" for line in (result.stdout + result.stderr).splitlines())
            assert output_pattern(expected).fullmatch(printed), f"$ {command}\nprinted:\n{printed}"


def test_the_readme_stays_short_and_names_a_command_for_every_key_figure():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 250
    figures = text.split("## Key figures", 1)[1].split("\n## ", 1)[0]
    rows = [row for row in figures.splitlines() if row.startswith("| ") and not row.startswith("| figure")]
    assert rows and all(re.search(r"\| `(couplings|python benchmarks/)[^`]*` \|$", row) for row in rows), rows


def test_the_readme_python_example_runs_as_a_doctest():
    pytest.importorskip("torch", reason="the README's Python example needs the torch extra")
    text = README.read_text(encoding="utf-8")
    examples = re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)
    assert examples
    for example in examples:
        test = doctest.DocTestParser().get_doctest(example, {}, "README.md", str(README), 0)
        result = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS).run(test)
        assert result.failed == 0
