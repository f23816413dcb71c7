"""At most as many requests inside the application as there are worker threads to run them.

Why: a sync endpoint, its token look-up and its response validation each run in one of anyio's worker threads,
and a request holds its pooled database connection from its first query until its session closes. With more
requests inside than threads, every thread could be waiting for a connection while every connection is held by
a request waiting for a thread: nothing moves until the pool's time-out fails them all. ``bench.load`` at
150 position batches/s and 200 couriers did exactly that (every request timed out, the machine idle). With at
most as many requests inside as threads, a thread is always free for a request that holds a connection, so the
requests holding connections always finish and hand them back. Requests over the limit wait here, on the event
loop, costing nothing but their place in the queue.

The limit is ``AJIB_MAX_IN_FLIGHT`` (default 4; a ``None`` limit means the number of worker threads, anyio's 40),
and the thread pool always has a few more threads than that for what is not a request. Why few: the requests
inside share one GIL, so past a handful each extra one only stretches the others. A 30 ms handover among 40
requests took seconds; ``bench.load`` at 200 couriers on 2 cores gave a worst p99 of 2.7 s with 40 and 0.8-1.0 s
with 6-10, carrying the same load with less CPU; once the garbage collector no longer stalled the servers, 4
gave 291-442 ms where 8 gave 494-646 ms, runs interleaved on the same machine (docs/robustness.md). Requests
that wait on a slow outside service hold their place while they wait: raise the limit where that is common.
JSON bodies are read before the gate (``BodyLimitMiddleware`` runs first); multipart uploads stream inside it,
so a proxy that buffers request bodies (nginx's default) keeps slow phones from holding places (docs/deploy.md).
"""

from __future__ import annotations

import asyncio
import weakref

import anyio
import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

# threads beyond the gate's limit: the few anyio users that are not requests (health probes' hops, start-up)
_SPARE_THREADS = 8


class AdmissionMiddleware:
    def __init__(self, app: ASGIApp, limit: int | None = None) -> None:
        self.app = app
        self.limit = limit
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.Semaphore] = weakref.WeakKeyDictionary()

    def _gate(self) -> anyio.Semaphore:
        """One gate per event loop (a test client and a server may drive the same app from different loops)."""
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            threads = anyio.to_thread.current_default_thread_limiter()
            limit = self.limit or int(threads.total_tokens)
            threads.total_tokens = max(int(threads.total_tokens), limit + _SPARE_THREADS)
            gate = self._gates[loop] = anyio.Semaphore(limit)
        return gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        async with self._gate():
            await self.app(scope, receive, send)
