"""couplings' import package: factor a matrix into affine couplings, and turn it into a flow.

From Python, :func:`factor_array` factors a NumPy matrix and :func:`to_module`
returns a checked PyTorch flow of it, :func:`save_flow` and :func:`load_flow`
write and read flows without pickles (all in :mod:`construct.flows.api`,
documented in ``docs/flows.md``). They are imported on first use, so that
``import construct`` stays light and never imports torch. The command
line is :mod:`construct.front.cli`; the layers are ``core``, ``methods``,
``front`` (``tests/test_layout.py``).
"""

__all__ = ["factor_array", "to_module", "ArrayFactorization", "save_flow", "load_flow"]


def __getattr__(name: str):
    if name in __all__:
        from construct.flows import api

        return getattr(api, name)
    raise AttributeError(f"module 'construct' has no attribute {name!r}")
