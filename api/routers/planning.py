"""Placeholder router; filled by the planning concept."""

from fastapi import APIRouter

router = APIRouter()
