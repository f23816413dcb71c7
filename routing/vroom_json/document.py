"""What a VROOM request becomes: the ``Problem`` plus what is needed to answer in VROOM's terms."""

from __future__ import annotations

from dataclasses import dataclass, field

from routing.problem import Problem
from routing.solution import StepKind

__all__ = ["DEFAULT_PROFILE", "TASK_STEPS", "TaskRef", "VroomDocument", "VroomInputError"]

DEFAULT_PROFILE = "car"  # VROOM's default vehicle profile
TASK_STEPS = (StepKind.JOB, StepKind.PICKUP, StepKind.DELIVERY)


class VroomInputError(ValueError):
    """Malformed or unsupported VROOM input; ``path`` is the JSON path of the offending value."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


@dataclass(frozen=True, slots=True)
class TaskRef:
    """How one of our job steps is called in VROOM: its integer id, type and extras."""

    id: int
    type: str  # "job", "pickup" or "delivery"
    setup: int = 0
    description: str | None = None


@dataclass(frozen=True)
class VroomDocument:
    """A VROOM request translated to a ``Problem``, with what is needed to answer in VROOM's terms.

    ``tasks`` maps (our job id, step kind) to the VROOM task; ``vehicles`` maps our vehicle
    id to VROOM's; ``breaks`` maps (vehicle id, break id) to VROOM's break id. ``coordinates``
    holds [lon, lat] per location when known; ``indexed`` says places came as matrix indices.
    """

    problem: Problem
    vehicles: dict[str, int]
    tasks: dict[tuple[str, StepKind], TaskRef]
    breaks: dict[tuple[str, str], int]
    coordinates: tuple[tuple[float, float] | None, ...]
    indexed: bool
    has_distances: bool
    descriptions: dict[str, str] = field(default_factory=dict)  # vehicle and break descriptions
    notes: tuple[str, ...] = ()  # accepted-but-ignored input, worth telling the user
