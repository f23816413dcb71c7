"""Placeholder router; filled by the pages concept."""

from fastapi import APIRouter

router = APIRouter()
