"""A request must not hold a pooled database connection while it waits for a thread.

``bench.load`` at 150 position batches/s found every request timing out: worker threads blocked in the token
look-up waiting for a connection, while every connection was held by a request whose token had been looked up
and which waited for a thread to run its endpoint. Here the pool has one connection and the event loop one
worker thread, so two requests at once reproduce it exactly (before the fix, all but one failed after the
pool's time-out).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import anyio
import httpx
import pytest
from sqlalchemy import create_engine, delete
from sqlalchemy.orm import Session, sessionmaker

from dispatch.db.session import normalise_url
from dispatch.users.models import AuthToken, User
from tests.factories.users import auth_headers, make_user


@pytest.fixture
def committed_users(engine, test_settings):
    """Four dispatchers with tokens, committed (the app under test uses its own pool, not the test's transaction)."""
    with Session(engine) as session:
        users = [make_user(session, role="dispatcher") for _ in range(4)]
        headers = [auth_headers(session, u, test_settings) for u in users]
        session.commit()
        ids = [u.id for u in users]
    yield headers
    with Session(engine) as session:
        session.execute(delete(AuthToken).where(AuthToken.user_id.in_(ids)))
        session.execute(delete(User).where(User.id.in_(ids)))
        session.commit()


def test_requests_outnumbering_threads_and_connections_all_succeed(committed_users, database_url, test_settings):
    from api.app import create_app

    pooled = create_engine(normalise_url(database_url), pool_size=1, max_overflow=0, pool_timeout=5)
    app = create_app(test_settings, sessions=sessionmaker(bind=pooled, expire_on_commit=False))

    async def burst() -> list[int]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 1
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ajib.test") as client:
            answers = await asyncio.gather(*(client.get("/api/auth/me", headers=h) for h in committed_users * 3))
        return [a.status_code for a in answers]

    try:
        # a loop of its own in a thread of its own: Playwright's sync API, used by browser tests earlier in the
        # same process, leaves an event loop running in the main thread, and asyncio.run refuses to nest
        with ThreadPoolExecutor(1) as thread:
            codes = thread.submit(asyncio.run, burst()).result()
    finally:
        pooled.dispose()
    assert codes == [200] * 12
