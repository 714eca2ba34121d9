"""Benchmarks (not part of the default test run): ``python -m bench [name ...]`` / ``make bench``."""
