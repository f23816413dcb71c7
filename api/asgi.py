"""ASGI entry point for uvicorn/gunicorn workers: ``uvicorn api.asgi:app`` (DATABASE_URL must be set)."""

import gc

from api.app import create_app
from dispatch.custody.evidence_store import store_from_settings

app = create_app()
# The evidence store's client (boto3 for S3) is made now, not by the first handover, which waited for it.
store_from_settings(app.state.settings)
# What was made while starting lives as long as the process. Frozen, it is left out of the garbage collector's
# full passes, and the passes come less often: one over the ~270,000 objects of a started server took
# 150-650 ms under load with the GIL held, every request in flight in the process waited for it, and with
# Python's default thresholds that happened every few seconds (docs/robustness.md).
gc.set_threshold(*app.state.settings.gc_thresholds)
gc.freeze()
