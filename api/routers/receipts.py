"""Placeholder router; filled by the receipts concept."""

from fastapi import APIRouter

router = APIRouter()
