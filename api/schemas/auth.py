"""Request/response bodies for logging in and managing tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    kind: Literal["access", "device"] = Field(
        default="access", description="`device`: a long-lived token for a courier's phone (revocable)"
    )
    device_label: str = Field(default="", max_length=120)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    kind: str
    jti: uuid.UUID
    expires_at: datetime
    role: str
    user_id: int
    full_name: str
    courier_id: int | None = None
    office_id: int | None = None


class Me(BaseModel):
    user_id: int
    username: str
    full_name: str
    role: str
    office_id: int | None
    courier_id: int | None
    token_kind: str
    token_expires_at: datetime


class RevokeRequest(BaseModel):
    jti: uuid.UUID | None = Field(default=None, description="token to revoke; default: the caller's own")
