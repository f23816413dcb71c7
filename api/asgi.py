"""ASGI entry point for uvicorn/gunicorn workers: ``uvicorn api.asgi:app`` (DATABASE_URL must be set)."""

from api.app import create_app

app = create_app()
