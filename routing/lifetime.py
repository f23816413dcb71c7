"""Processes the engine forks die with the process that forked them, and hand back one result.

``solve`` forks a second worker (``num_workers=2``), one process per group of offices
(``routing.decompose``) and PyVRP's second search on a spare core (``routing.pyvrp_search``). A parent
killed with SIGKILL (a server worker killed, its solver process killed by ``PR_SET_PDEATHSIG``) cannot
stop them, and ``daemon=True`` only helps on a clean exit: without this they searched on for nobody until
their deadline (issue 16).
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import signal
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Generic, TypeVar

__all__ = ["Beside", "can_fork", "die_with_parent"]

T = TypeVar("T")

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Have Linux SIGKILL this process when ``parent`` (its parent's pid at fork) dies; exit now if it has.

    ``PR_SET_PDEATHSIG`` is not inherited over fork, so every forked child asks for itself. It watches
    the parent *thread*: fork from a thread that waits for the child (``solve`` does). Elsewhere than
    Linux it only checks that the parent is still there.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the kernel could watch for it
        os._exit(1)


def can_fork() -> bool:
    """Whether work can go to a forked process here (not on Windows): callers then do it themselves."""
    return "fork" in mp.get_all_start_methods()


def _serve(conn: Connection, work: Callable[[], object], parent: int) -> None:  # pragma: no cover - other process
    die_with_parent(parent)
    try:
        conn.send(work())
    finally:
        conn.close()


class Beside(Generic[T]):
    """``work()`` started in a forked process that dies with this one; ``result`` waits for its answer.

    Forked, not spawned: ``work`` may be any closure (nothing is pickled but its result), and the child
    starts with the parent's built model and warm caches. Call only where ``can_fork()``.
    """

    def __init__(self, work: Callable[[], T]) -> None:
        ctx = mp.get_context("fork")
        self._recv, send = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_serve, args=(send, work, os.getpid()), daemon=True)
        self._proc.start()
        send.close()

    def result(self, timeout_s: float) -> T | None:
        """Its answer, or None if it gives none within ``timeout_s`` or died; the process is gone after."""
        got: T | None = None
        try:
            if self._recv.poll(timeout_s):
                got = self._recv.recv()
        except EOFError:  # it died without answering
            got = None
        self._proc.join(timeout=5)
        if self._proc.is_alive():
            self._proc.kill()
        return got
