"""The constructions: each turns a matrix into a word of couplings (``--method short``, ``paper``, ``levels``).

Imports only from :mod:`construct.core` and from one another.
"""
