"""Import every concept's ORM models so ``Base.metadata`` is complete (Alembic, tests)."""

from dispatch.audit.models import AuditEvent, IdempotencyRecord
from dispatch.couriers.models import BreakWindow, Courier, Shift, ShiftBreak
from dispatch.custody.models import (
    Attempt,
    DeviceKey,
    Evidence,
    Handover,
    LogCheckpoint,
    LogCosignature,
    LogEntry,
    LogNode,
)
from dispatch.db.base import Base
from dispatch.jobs.models import Applicant, GeocodeCache, Job, JobDocument
from dispatch.notifications.models import Notification
from dispatch.offices.models import AdminArea, Office
from dispatch.planning.models import Plan, PlanUnassigned, Route, SolveRun, Stop
from dispatch.throttle.models import RateLimitCounter
from dispatch.tracking.models import Position
from dispatch.users.models import AuthToken, User

__all__ = [
    "AdminArea",
    "Applicant",
    "Attempt",
    "AuditEvent",
    "AuthToken",
    "Base",
    "BreakWindow",
    "Courier",
    "DeviceKey",
    "Evidence",
    "GeocodeCache",
    "Handover",
    "IdempotencyRecord",
    "Job",
    "JobDocument",
    "LogCheckpoint",
    "LogCosignature",
    "LogEntry",
    "LogNode",
    "Notification",
    "Office",
    "Plan",
    "PlanUnassigned",
    "Position",
    "RateLimitCounter",
    "Route",
    "Shift",
    "ShiftBreak",
    "SolveRun",
    "Stop",
    "User",
]
