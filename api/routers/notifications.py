"""Placeholder router; filled by the notifications concept."""

from fastapi import APIRouter

router = APIRouter()
