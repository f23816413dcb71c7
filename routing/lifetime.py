"""Processes the engine forks die with the process that forked them.

``solve`` forks a second worker (``num_workers=2``), one process per group of offices
(``routing.decompose``) and PyVRP's second search on a spare core (``routing.pyvrp_search``). A parent
killed with SIGKILL (a server worker killed, its solver process killed by ``PR_SET_PDEATHSIG``) cannot
stop them, and ``daemon=True`` only helps on a clean exit: without this they searched on for nobody until
their deadline (issue 16).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

__all__ = ["die_with_parent"]

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
