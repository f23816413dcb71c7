"""Placeholder router; filled by the bookings concept."""

from fastapi import APIRouter

router = APIRouter()
