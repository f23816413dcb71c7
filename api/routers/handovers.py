"""Placeholder router; filled by the handovers concept."""

from fastapi import APIRouter

router = APIRouter()
