"""Planning and courier-day errors: each with a stable code and an Indonesian and English message."""

from __future__ import annotations

from typing import Any

from dispatch.errors import Conflict, Forbidden, InvalidInput, NotFound


class OfficeNotFound(NotFound):
    default_code = "office_not_found"

    def __init__(self, office_id: int) -> None:
        super().__init__(f"Kantor {office_id} tidak ditemukan.", f"Office {office_id} not found.")


class OfficeForbidden(Forbidden):
    """A dispatcher works for one office; only admins see every office."""

    default_code = "office_forbidden"

    def __init__(self, office_id: int) -> None:
        super().__init__(
            f"Anda tidak berwenang atas kantor {office_id}.",
            f"You are not a dispatcher of office {office_id}.",
            details={"office_id": office_id},
        )


class PlanNotFound(NotFound):
    default_code = "plan_not_found"

    def __init__(self, plan_id: int) -> None:
        super().__init__(f"Rencana {plan_id} tidak ditemukan.", f"Plan {plan_id} not found.")


class SolveRunNotFound(NotFound):
    default_code = "solve_run_not_found"

    def __init__(self, run_id: object) -> None:
        super().__init__(f"Proses perencanaan {run_id} tidak ditemukan.", f"Solve run {run_id} not found.")


class SolveInProgress(Conflict):
    default_code = "solve_in_progress"

    def __init__(self, run_id: object) -> None:
        super().__init__(
            "Perencanaan untuk kantor dan tanggal ini sedang berjalan; tunggu hingga selesai.",
            "A solve for this office and day is already running; wait for it to finish.",
            details={"run_id": str(run_id)},
        )


class PlanNotEditable(Conflict):
    default_code = "plan_not_editable"

    def __init__(self, plan_id: int, status: str) -> None:
        super().__init__(
            f"Rencana {plan_id} berstatus {status} dan tidak dapat diubah atau diterbitkan.",
            f"Plan {plan_id} is {status}; it can no longer be edited or published.",
            details={"plan_id": plan_id, "status": status},
        )


class PlanOutdated(Conflict):
    """Publishing an old draft would silently drop what later versions changed."""

    default_code = "plan_outdated"

    def __init__(self, plan_id: int, latest_version: int) -> None:
        super().__init__(
            f"Rencana {plan_id} sudah tidak terbaru (versi terbaru {latest_version}).",
            f"Plan {plan_id} is not the latest version (latest is {latest_version}).",
            details={"plan_id": plan_id, "latest_version": latest_version},
        )


class JobNotInDay(InvalidInput):
    default_code = "job_not_in_plan_day"

    def __init__(self, job_id: int) -> None:
        super().__init__(
            f"Pekerjaan {job_id} bukan milik kantor dan tanggal rencana ini.",
            f"Job {job_id} does not belong to this plan's office and day.",
            details={"job_id": job_id},
        )


class JobNotMovable(Conflict):
    default_code = "job_not_movable"

    def __init__(self, job_id: int, why_id: str, why_en: str) -> None:
        super().__init__(
            f"Pekerjaan {job_id} tidak dapat dipindahkan: {why_id}",
            f"Job {job_id} cannot be moved: {why_en}",
            details={"job_id": job_id},
        )


class CourierNotWorking(InvalidInput):
    default_code = "courier_not_working"

    def __init__(self, courier_id: int) -> None:
        super().__init__(
            f"Kurir {courier_id} tidak bertugas di kantor ini pada tanggal tersebut.",
            f"Courier {courier_id} has no available shift at this office on that day.",
            details={"courier_id": courier_id},
        )


class MoveInfeasible(Conflict):
    """The edit would break a window, the box capacity, the shift or a break: refused, nothing written."""

    default_code = "move_infeasible"

    def __init__(self, job_id: int, courier_id: int, violations: list[dict[str, Any]]) -> None:
        rules = sorted({v["rule"] for v in violations})
        super().__init__(
            f"Pekerjaan {job_id} tidak muat di rute kurir {courier_id}: melanggar {', '.join(rules)}.",
            f"Job {job_id} does not fit courier {courier_id}'s route: it breaks {', '.join(rules)}.",
            details={"job_id": job_id, "courier_id": courier_id, "rules": rules, "violations": violations},
        )


class RouteNotFound(NotFound):
    """Also what a courier gets for someone else's route or stop: its existence is not revealed."""

    default_code = "route_not_found"

    def __init__(self) -> None:
        super().__init__(
            "Tidak ada rute terbit untuk Anda pada tanggal ini.", "You have no published route on that day."
        )


class StopNotFound(NotFound):
    default_code = "stop_not_found"

    def __init__(self, stop_id: int) -> None:
        super().__init__(f"Pemberhentian {stop_id} tidak ada di rute Anda.", f"Stop {stop_id} is not on your route.")


class NoCouriers(InvalidInput):
    default_code = "no_couriers"

    def __init__(self) -> None:
        super().__init__("Tidak ada kurir yang bertugas pada hari itu.", "No courier has an available shift that day.")


class PlanStale(Conflict):
    """The day moved on since the draft was made: publishing it would send couriers to work already done."""

    default_code = "plan_stale"

    def __init__(self, plan_id: int, job_ids: list[int]) -> None:
        super().__init__(
            f"Rencana {plan_id} sudah usang: status {len(job_ids)} pekerjaan berubah sejak rencana dibuat. "
            "Jalankan perencanaan ulang.",
            f"Plan {plan_id} is stale: {len(job_ids)} job(s) changed status since it was made. Re-plan first.",
            details={"plan_id": plan_id, "job_ids": job_ids},
        )


class PlanUnverified(Conflict):
    """The independent verifier found broken rules in the draft: publishing it would send couriers out on a plan
    that cannot be kept. Refused unless the dispatcher, shown the violations, publishes it anyway (``force``)."""

    default_code = "plan_unverified"

    def __init__(self, plan_id: int, violations: list[dict[str, Any]]) -> None:
        rules = sorted({str(v.get("rule", "other")) for v in violations})
        super().__init__(
            f"Rencana {plan_id} gagal diverifikasi ({', '.join(rules)}). Periksa pelanggarannya; terbitkan hanya "
            "bila Anda yakin (force).",
            f"Plan {plan_id} fails verification ({', '.join(rules)}). Review the violations; publish only if you are "
            "sure (force).",
            details={"plan_id": plan_id, "rules": rules, "violations": violations},
        )


class LockNeedsCourier(InvalidInput):
    default_code = "lock_needs_courier"

    def __init__(self) -> None:
        super().__init__("Penguncian memerlukan kurir tujuan.", "A lock needs a courier to lock the job to.")


class JobNotFound(NotFound):
    """Also what a dispatcher gets for another office's job: its existence is not revealed."""

    default_code = "job_not_found"

    def __init__(self, job_id: int) -> None:
        super().__init__(f"Pekerjaan {job_id} tidak ditemukan.", f"Job {job_id} not found.", details={"job_id": job_id})


class JobNeedsFixed(Conflict):
    default_code = "job_needs_fixed"

    def __init__(self, job_id: int, status: str) -> None:
        super().__init__(
            f"Prioritas dan keahlian pekerjaan {job_id} tidak dapat diubah lagi (status {status}).",
            f"Job {job_id}'s priority and skills can no longer change (status {status}).",
            details={"job_id": job_id, "status": status},
        )
