"""The user-facing front: reading input, choosing a method (:mod:`~construct.front.factor`), reports,
explanations, export and the command line.

Imports from :mod:`construct.methods`, :mod:`construct.core` and :mod:`proofs`.
"""
