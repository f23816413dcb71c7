"""AJIB's routing engine: a pure library, ``Problem`` in, ``Solution`` out.

``solve`` plans a day, ``replan`` re-plans it around what is done, ``check_slots`` tells
which booking windows a new job can still get. ``schedule_route`` times stops in a given
order and ``best_insertion`` finds where new stops fit (the one timing rule, ``routing.schedule``);
``verify`` checks any plan independently and says which rule it breaks. No database, no web:
OR-Tools inside. Callers outside the engine use these names only.
"""

from routing.insertion import Insertion, best_insertion
from routing.lifetime import die_with_parent
from routing.params import SolveParams
from routing.problem import Break, Job, JobKind, Location, Matrix, Problem, ProblemError, Task, TimeWindow, Vehicle
from routing.replan import Replan, VehicleProgress, replan
from routing.roads import (
    MOTORBIKE_PROFILE,
    Calibration,
    EmbeddedValhalla,
    MatrixCache,
    OsrmEngine,
    RoadEngine,
    TimeErrors,
    ValhallaEngine,
    fit_haversine,
    time_errors,
)
from routing.schedule import Visit, job_visits, route_visits, schedule_route, travel_time
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
from routing.verify import Rule, Violation, verify, verify_route

__all__ = [
    "JAKARTA_MOTORBIKE_KMH",
    "MOTORBIKE_PROFILE",
    "Break",
    "Calibration",
    "EmbeddedValhalla",
    "HaversineTravel",
    "Insertion",
    "Job",
    "JobKind",
    "Location",
    "Matrix",
    "MatrixCache",
    "OsrmEngine",
    "Problem",
    "ProblemError",
    "Replan",
    "RoadEngine",
    "Route",
    "Rule",
    "SlotCheck",
    "Solution",
    "SolveParams",
    "Step",
    "StepKind",
    "Summary",
    "Task",
    "TimeErrors",
    "TimeWindow",
    "TravelError",
    "TravelModel",
    "Unassigned",
    "UnassignedReason",
    "ValhallaEngine",
    "Vehicle",
    "VehicleProgress",
    "Violation",
    "Visit",
    "best_insertion",
    "check_slots",
    "die_with_parent",
    "euclidean_matrix",
    "fit_haversine",
    "great_circle_m",
    "job_visits",
    "mean_speed",
    "replan",
    "route_visits",
    "scaled_profile",
    "schedule_route",
    "solve",
    "time_errors",
    "travel_time",
    "verify",
    "verify_route",
]
