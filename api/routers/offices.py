"""Placeholder router; filled by the offices concept."""

from fastapi import APIRouter

router = APIRouter()
