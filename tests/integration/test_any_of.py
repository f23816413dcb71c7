"""``any_of``: the same rows as ``in_``, with one statement text whatever the number of values."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from dispatch.db.arrays import any_of
from dispatch.offices.models import AdminArea

pytestmark = pytest.mark.usefixtures("reference_data")


def test_any_of_selects_what_in_selects(db_session: Session) -> None:
    ids = list(db_session.scalars(select(AdminArea.id).order_by(AdminArea.id)))
    codes = list(db_session.scalars(select(AdminArea.code).order_by(AdminArea.id)))
    assert len(ids) > 300  # the reference data: enough for a board-sized list
    for wanted in ([], [ids[0]], [*ids[:5], -1, 10**9], ids[::2], ids):
        by_in = set(db_session.scalars(select(AdminArea.id).where(AdminArea.id.in_(wanted))))
        by_any = set(db_session.scalars(select(AdminArea.id).where(any_of(AdminArea.id, wanted))))
        assert by_any == by_in == (set(wanted) & set(ids))
    # text columns too (the array takes the column's type)
    assert set(db_session.scalars(select(AdminArea.code).where(any_of(AdminArea.code, codes[:3])))) == set(codes[:3])


def test_any_of_writes_one_text_for_any_length() -> None:
    dialect = postgresql.psycopg.dialect()  # type: ignore[attr-defined]

    def sql(where: Any) -> str:  # as sent: expanding parameters rendered
        return str(
            select(AdminArea.id).where(where).compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        )

    one, many = sql(any_of(AdminArea.id, [1])), sql(any_of(AdminArea.id, range(500)))
    assert one == many and one.count("%(") == 1
    # what it replaces: one parameter per value, so a new text for every length
    assert sql(AdminArea.id.in_(range(3))).count("%(") == 3
    assert sql(AdminArea.id.in_(range(3))) != sql(AdminArea.id.in_(range(4)))
