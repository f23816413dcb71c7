"""task queue (procrastinate) for solves, who ran a solve, and 'logged' notifications

Revision ID: 0006_ops_task_queue
Revises: 0005_ux_applicant
Create Date: 2026-12-06

procrastinate's own tables, types and functions are created from the schema the installed
procrastinate ships (``SchemaManager.get_schema()``, 3.10 when this was written); a later procrastinate
with schema changes gets a new revision that applies its migration files (docs/deploy.md).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_ops_task_queue"
down_revision: str | None = "0005_ux_applicant"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DROP_PROCRASTINATE = """
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'procrastinate\\_%' LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', r.tablename);
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS sig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%' LOOP
        EXECUTE format('DROP ROUTINE IF EXISTS %s CASCADE', r.sig);
    END LOOP;
    FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
             WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate\\_%' AND t.typtype IN ('e', 'c') LOOP
        EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', r.typname);
    END LOOP;
END $$;
"""


def upgrade() -> None:
    from procrastinate.schema import SchemaManager

    # the raw driver connection: the schema is many statements, with % and :: that a bind layer would parse
    op.get_bind().connection.driver_connection.execute(SchemaManager.get_schema())

    op.add_column("solve_runs", sa.Column("worker", sa.String(length=120), nullable=True))
    op.add_column("solve_runs", sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))

    op.drop_constraint(op.f("ck_notifications_status"), "notifications", type_="check")
    op.create_check_constraint(
        op.f("ck_notifications_status"),
        "notifications",
        "status IN ('pending', 'sending', 'sent', 'logged', 'failed', 'dead')",
    )


def downgrade() -> None:
    op.execute("UPDATE notifications SET status = 'sent' WHERE status = 'logged'")
    op.drop_constraint(op.f("ck_notifications_status"), "notifications", type_="check")
    op.create_check_constraint(
        op.f("ck_notifications_status"), "notifications", "status IN ('pending', 'sending', 'sent', 'failed', 'dead')"
    )
    op.drop_column("solve_runs", "attempts")
    op.drop_column("solve_runs", "worker")
    op.get_bind().connection.driver_connection.execute(_DROP_PROCRASTINATE)
