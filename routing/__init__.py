"""AJIB's routing engine: a pure library, ``Problem`` in, ``Solution`` out.

``solve`` plans a day, ``replan`` re-plans it around what is done, ``check_slots`` tells
which booking windows a new job can still get. No database, no web: OR-Tools inside.
"""

from routing.params import SolveParams
from routing.problem import Break, Job, JobKind, Location, Matrix, Problem, ProblemError, Task, TimeWindow, Vehicle
from routing.replan import VehicleProgress, replan
from routing.slots import SlotCheck, check_slots
from routing.solution import Route, Solution, Step, StepKind, Summary, Unassigned, UnassignedReason
from routing.solve import solve
from routing.travel import HaversineTravel, TableServiceTravel, TravelModel, euclidean_matrix

__all__ = [
    "Break",
    "HaversineTravel",
    "Job",
    "JobKind",
    "Location",
    "Matrix",
    "Problem",
    "ProblemError",
    "Route",
    "SlotCheck",
    "Solution",
    "SolveParams",
    "Step",
    "StepKind",
    "Summary",
    "TableServiceTravel",
    "Task",
    "TimeWindow",
    "TravelModel",
    "Unassigned",
    "UnassignedReason",
    "Vehicle",
    "VehicleProgress",
    "check_slots",
    "euclidean_matrix",
    "replan",
    "solve",
]
