"""The serving entry point (``uvicorn api.asgi:app``, what `ajib serve` and the load harness run)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_the_started_server_leaves_its_startup_objects_out_of_full_collections(database_url: str) -> None:
    """After the app is made, its objects are frozen: a full garbage collection then skips them instead of
    walking every module, route and mapper with the GIL held; and the collector's thresholds are the
    settings' (here set through the environment, as an operator would). Run in a fresh interpreter, as a
    worker is."""
    probe = textwrap.dedent(
        """
        import gc, json
        import api.asgi
        print(json.dumps({
            "frozen": gc.get_freeze_count(),
            "tracked": len(gc.get_objects()),
            "thresholds": gc.get_threshold(),
        }))
        """
    )
    env = {"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin", "AJIB_GC_THRESHOLDS": "[5000, 15, 12]"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    counts = __import__("json").loads(out.stdout.strip().splitlines()[-1])
    assert counts["frozen"] > 10 * max(counts["tracked"], 1), counts
    assert counts["thresholds"] == [5000, 15, 12]
