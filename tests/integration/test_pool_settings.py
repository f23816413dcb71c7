"""The server's connection pool follows the settings, so an operator can fit workers × pool under
PostgreSQL's max_connections."""

from __future__ import annotations

from sqlalchemy import text

from api.app import create_app


def test_the_app_pool_is_sized_by_the_settings(test_settings) -> None:
    settings = test_settings.model_copy(update={"db_pool_size": 3, "db_max_overflow": 1})
    app = create_app(settings)
    engine = app.state.session_factory.kw["bind"]
    assert (engine.pool.size(), engine.pool._max_overflow) == (3, 1)
    with app.state.session_factory() as session:  # and it is a working pool on the real database
        assert session.execute(text("SELECT 1")).scalar_one() == 1
    default = create_app(test_settings).state.session_factory.kw["bind"]
    assert (default.pool.size(), default.pool._max_overflow) == (20, 10)
