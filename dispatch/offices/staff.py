"""Office staff accounts: administrators create dispatchers, clerks and courier logins for an office.

Builds on dispatch.users.service (password hashing, token revocation); this module adds the office
rules: every role but admin belongs to an office, and a deactivated account loses its tokens at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.audit.service import record_event
from dispatch.clock import utcnow
from dispatch.couriers.models import Courier
from dispatch.errors import InvalidInput, NotFound
from dispatch.offices.service import require_office
from dispatch.users.models import ROLES, User
from dispatch.users.passwords import check_password
from dispatch.users.service import create_user, hash_password, revoke_all_for_user, unlock

if TYPE_CHECKING:
    from dispatch.throttle.service import Throttle

OFFICE_ROLES = frozenset({"dispatcher", "clerk", "courier"})
UPDATABLE = frozenset({"full_name", "office_id", "is_active", "password"})


class UserNotFound(NotFound):
    default_code = "user_not_found"

    def __init__(self, user_id: int) -> None:
        super().__init__(
            f"Pengguna {user_id} tidak ditemukan.", f"User {user_id} not found.", details={"user_id": user_id}
        )


class OfficeRequired(InvalidInput):
    default_code = "office_required"

    def __init__(self, role: str) -> None:
        super().__init__(
            f"Peran {role} harus terdaftar di sebuah kantor (office_id).",
            f"Role {role} must belong to an office (office_id).",
            details={"role": role},
        )


@dataclass(frozen=True)
class StaffView:
    user: User
    courier_id: int | None


def _office_for(session: Session, role: str, office_id: int | None) -> int | None:
    if role in OFFICE_ROLES and office_id is None:
        raise OfficeRequired(role)
    if office_id is not None:
        require_office(session=session, office_id=office_id)
    return office_id


def create_staff_user(
    *, session: Session, username: str, full_name: str, role: str, password: str, office_id: int | None = None
) -> User:
    """An account for a person of an office (admins may have none)."""
    if role not in ROLES:
        raise InvalidInput(f"Peran tidak dikenal: {role}.", f"Unknown role: {role}.", code="unknown_role")
    office_id = _office_for(session, role, office_id)
    user = create_user(
        session=session,
        username=username.strip(),
        full_name=" ".join(full_name.split()),
        role=role,
        password=password,
        office_id=office_id,
    )
    session.commit()
    return user


def update_staff_user(*, session: Session, user_id: int, changes: dict[str, Any]) -> User:
    """Rename, move to another office, reset the password or (de)activate; deactivation revokes tokens."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise InvalidInput(
            f"Kolom tidak dikenal: {sorted(unknown)}.", f"Unknown fields: {sorted(unknown)}.", code="unknown_field"
        )
    if "is_active" in changes and changes["is_active"] is None:
        raise InvalidInput("is_active tidak boleh kosong.", "is_active may not be null.", code="null_not_allowed")
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(user_id)
    if "office_id" in changes:
        user.office_id = _office_for(session, user.role, changes["office_id"])
    if changes.get("full_name"):
        user.full_name = " ".join(changes["full_name"].split())
    if changes.get("password"):
        check_password(changes["password"], username=user.username, full_name=user.full_name)
        user.password_hash = hash_password(changes["password"])
        revoke_all_for_user(session=session, user_id=user.id, now=utcnow())
    if "is_active" in changes:
        user.is_active = bool(changes["is_active"])
        if not user.is_active:
            revoke_all_for_user(session=session, user_id=user.id, now=utcnow())
    session.commit()
    return user


def unlock_staff_user(*, session: Session, throttle: Throttle, user_id: int, admin_id: int) -> None:
    """Lift an account's login slow-down, with an audit event saying who did it."""
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(user_id)
    unlock(throttle=throttle, user=user)
    record_event(session=session, action="user.unlocked", object_type="user", object_id=user.id, actor_user_id=admin_id)
    session.commit()


def list_staff(
    *, session: Session, office_id: int | None = None, role: str | None = None, include_inactive: bool = False
) -> list[StaffView]:
    stmt = (
        select(User, Courier.id)
        .outerjoin(Courier, Courier.user_id == User.id)
        .order_by(User.office_id.nulls_first(), User.role, User.username)
    )
    if office_id is not None:
        stmt = stmt.where(User.office_id == office_id)
    if role is not None:
        stmt = stmt.where(User.role == role)
    if not include_inactive:
        stmt = stmt.where(User.is_active.is_(True))
    return [StaffView(user, courier_id) for user, courier_id in session.execute(stmt)]


def get_staff(*, session: Session, user_id: int) -> StaffView:
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(user_id)
    courier_id = session.scalar(select(Courier.id).where(Courier.user_id == user.id))
    return StaffView(user, courier_id)
