"""Records of a construction's steps, for ``couplings explain``; off unless asked for.

A builder calls :func:`record` at each step worth showing (a decomposition,
a similarity, a swap-network round) with matrices it has already computed.
Outside :func:`tracing` the call returns at once, so building costs the same
as without it; a step that needs extra work to show is guarded by
:func:`active`.

>>> from construct.core.matrices import identity
>>> record("ignored", "nobody is tracing")
>>> with tracing() as steps:
...     record("LU", "T = L U", ("L", identity(2)))
>>> [(s.name, s.reason, [label for label, _ in s.matrices]) for s in steps]
[('LU', 'T = L U', ['L'])]
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

_STEPS: ContextVar[list | None] = ContextVar("construct_trace_steps", default=None)


@dataclass(frozen=True)
class Step:
    """One step: a short ``name``, the ``reason`` in a sentence or two, and ``(label, matrix)`` pairs."""

    name: str
    reason: str
    matrices: tuple = ()


def active() -> bool:
    """True inside :func:`tracing`: only then is it worth computing something just to show it."""
    return _STEPS.get() is not None


def record(name: str, reason: str, *matrices) -> None:
    """Append a :class:`Step` when tracing; ``matrices`` are ``(label, DomainMatrix)`` pairs."""
    steps = _STEPS.get()
    if steps is not None:
        steps.append(Step(name, reason, tuple(matrices)))


@contextmanager
def tracing():
    """Collect the steps recorded inside the ``with`` block into the list it yields."""
    steps: list[Step] = []
    token = _STEPS.set(steps)
    try:
        yield steps
    finally:
        _STEPS.reset(token)
