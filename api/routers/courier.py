"""Placeholder router; filled by the courier concept."""

from fastapi import APIRouter

router = APIRouter()
