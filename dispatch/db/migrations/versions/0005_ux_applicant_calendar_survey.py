"""office calendar days and the satisfaction survey

Revision ID: 0005_ux_applicant
Revises: 0004_security_login_attempts
Create Date: 2026-12-06 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_ux_applicant"
down_revision: str | None = "0004_security_login_attempts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ELEMENTS = ("requirements", "procedure", "time", "cost", "product", "competence", "conduct", "complaints", "facilities")


def upgrade() -> None:
    op.create_table(
        "office_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_office_days_office_id_offices"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_office_days_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_days")),
    )
    op.create_index(
        "uq_office_days_office_day",
        "office_days",
        ["office_id", "day"],
        unique=True,
        postgresql_where=sa.text("office_id IS NOT NULL"),
    )
    op.create_index(
        "uq_office_days_citywide_day",
        "office_days",
        ["day"],
        unique=True,
        postgresql_where=sa.text("office_id IS NULL"),
    )
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("courier_id", sa.Integer(), nullable=True),
        sa.Column("service_date", sa.Date(), nullable=False),
        *(sa.Column(name, sa.SmallInteger(), nullable=False) for name in ELEMENTS),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        *(
            sa.CheckConstraint(f"{name} BETWEEN 1 AND 4", name=op.f(f"ck_survey_responses_{name}_range"))
            for name in ELEMENTS
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_survey_responses_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"], name=op.f("fk_survey_responses_office_id_offices")),
        sa.ForeignKeyConstraint(
            ["courier_id"], ["couriers.id"], name=op.f("fk_survey_responses_courier_id_couriers"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint("job_id", name=op.f("uq_survey_responses_job_id")),
    )
    op.create_index("ix_survey_responses_office_day", "survey_responses", ["office_id", "service_date"])
    op.create_index(op.f("ix_survey_responses_courier_id"), "survey_responses", ["courier_id"])


def downgrade() -> None:
    op.drop_table("survey_responses")
    op.drop_table("office_days")
