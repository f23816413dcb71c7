"""Placeholder router; filled by the admin concept."""

from fastapi import APIRouter

router = APIRouter()
