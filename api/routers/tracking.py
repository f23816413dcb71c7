"""Placeholder router; filled by the tracking concept."""

from fastapi import APIRouter

router = APIRouter()
