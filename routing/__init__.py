"""AJIB's routing engine: a pure library, ``Problem`` in, ``Solution`` out.

``solve`` plans a day, ``replan`` re-plans it around what is done, ``check_slots`` tells
which booking windows a new job can still get. No database, no web: OR-Tools inside.
"""

from routing.params import SolveParams
from routing.problem import Break, Job, JobKind, Location, Matrix, Problem, ProblemError, Task, TimeWindow, Vehicle
from routing.replan import VehicleProgress, replan
from routing.roads import (
    Calibration,
    EmbeddedValhalla,
    MatrixCache,
    OsrmEngine,
    RoadEngine,
    ValhallaEngine,
    fit_haversine,
    time_errors,
)
from routing.slots import SlotCheck, check_slots
from routing.solution import Route, Solution, Step, StepKind, Summary, Unassigned, UnassignedReason
from routing.solve import solve
from routing.travel import (
    JAKARTA_MOTORBIKE_KMH,
    HaversineTravel,
    TravelError,
    TravelModel,
    euclidean_matrix,
    great_circle_m,
    mean_speed,
    scaled_profile,
)

__all__ = [
    "JAKARTA_MOTORBIKE_KMH",
    "Break",
    "Calibration",
    "EmbeddedValhalla",
    "HaversineTravel",
    "Job",
    "JobKind",
    "Location",
    "Matrix",
    "MatrixCache",
    "OsrmEngine",
    "Problem",
    "ProblemError",
    "RoadEngine",
    "Route",
    "SlotCheck",
    "Solution",
    "SolveParams",
    "Step",
    "StepKind",
    "Summary",
    "Task",
    "TimeWindow",
    "TravelError",
    "TravelModel",
    "Unassigned",
    "UnassignedReason",
    "ValhallaEngine",
    "Vehicle",
    "VehicleProgress",
    "check_slots",
    "euclidean_matrix",
    "fit_haversine",
    "great_circle_m",
    "mean_speed",
    "replan",
    "scaled_profile",
    "solve",
    "time_errors",
]
