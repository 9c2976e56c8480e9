"""Hypothesis without its 200 ms deadline per example: a deadline is a timing assertion, which fails on a
loaded machine; timing belongs in benchmarks/ (tests that need a bound on the work count the work)."""
from hypothesis import settings

settings.register_profile("no deadline", deadline=None)
settings.load_profile("no deadline")
