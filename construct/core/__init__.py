"""The shared core: matrices, words of couplings, arithmetics and numerics, the factorization record.

Everything the constructions build on; imports nothing else from ``construct``.
"""
