"""Literature benchmarks: instance readers, best known solutions, and the bridge to ``Problem``."""

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
