"""Load and fault harness: the real server under a compressed courier day, then an exact reconciliation.

Run ``.venv/bin/python -m bench.load --help``; docs/robustness.md explains what is measured and why.
"""
