"""Solver benchmarks, outside the engine: instance readers, best known solutions, peers, the AJIB office days.

``routing/`` is the engine; this package drives it next to VROOM and PyVRP (``peers``), reads the
literature (``instances``, ``bks``, ``build``), generates days (``jakarta``, ``ajib_days``) and runs the
bench (``run``, ``days``). It is repository tooling, not installed with the product: ``ajib bench`` runs
from a checkout.
"""

from .bks import BestKnown, BksTable
from .build import SCALE, to_problem, true_distance, vehicles_used
from .instances import Instance, InstanceFormatError, read_lilim, read_solomon

__all__ = [
    "SCALE",
    "BestKnown",
    "BksTable",
    "Instance",
    "InstanceFormatError",
    "read_lilim",
    "read_solomon",
    "to_problem",
    "true_distance",
    "vehicles_used",
]
