"""custody transparency log: leaves, subtree hashes, signed checkpoints, cosignatures, device keys;
custody state guarded by the database; TRUNCATE refused on custody tables

Revision ID: 0002_custody_log
Revises: 0001
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_custody_log"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Rows that are evidence: never updated, deleted or truncated (the app role also lacks the privileges).
APPEND_ONLY = ("log_entries", "log_nodes", "log_checkpoints", "log_cosignatures", "attempts")
NO_TRUNCATE = ("handovers", "audit_events", "evidence", "device_keys", *APPEND_ONLY)

JOB_GUARD = """
CREATE FUNCTION ajib_job_custody_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last record;
    initial text := CASE NEW.kind WHEN 'pickup' THEN 'applicant' ELSE 'office' END;
    want_party text;
    want_courier integer;
    allowed text[];
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.kind, NEW.status, NEW.custody_party, NEW.custody_courier_id, NEW.chain_head,
                             NEW.chain_length) IS NOT DISTINCT FROM
                            (OLD.kind, OLD.status, OLD.custody_party, OLD.custody_courier_id, OLD.chain_head,
                             OLD.chain_length) THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.kind <> OLD.kind THEN
        RAISE EXCEPTION 'job % kind cannot change', NEW.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    SELECT h.to_party, h.from_party, h.courier_id, h.hash, h.seq INTO last
      FROM handovers h WHERE h.job_id = NEW.id ORDER BY h.seq DESC LIMIT 1;
    IF NOT FOUND THEN
        want_party := initial;
        allowed := ARRAY['booked', 'planned', 'failed', 'cancelled'];
        IF NEW.custody_party <> want_party OR NEW.custody_courier_id IS NOT NULL OR NEW.chain_head IS NOT NULL
           OR NEW.chain_length <> 0 THEN
            RAISE EXCEPTION 'job % custody is derived from its handovers (none yet)', NEW.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    ELSE
        want_party := last.to_party;
        want_courier := CASE WHEN last.to_party = 'courier' THEN last.courier_id END;
        allowed := CASE
            WHEN NEW.kind = 'pickup' AND last.to_party = 'courier' THEN ARRAY['picked_up']
            WHEN NEW.kind = 'pickup' AND last.to_party = 'office' THEN ARRAY['at_office']
            WHEN NEW.kind = 'delivery' AND last.to_party = 'courier' THEN ARRAY['out_for_delivery', 'failed']
            WHEN NEW.kind = 'delivery' AND last.to_party = 'applicant' THEN ARRAY['delivered']
            WHEN NEW.kind = 'delivery' AND last.to_party = 'office' THEN ARRAY['failed', 'cancelled']
            ELSE ARRAY[]::text[] END;
        IF NEW.custody_party IS DISTINCT FROM want_party OR NEW.custody_courier_id IS DISTINCT FROM want_courier
           OR NEW.chain_head IS DISTINCT FROM last.hash OR NEW.chain_length IS DISTINCT FROM last.seq THEN
            RAISE EXCEPTION 'job % custody is derived from its handovers (last: seq %)', NEW.id, last.seq
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    IF NOT NEW.status = ANY (allowed) THEN
        RAISE EXCEPTION 'job % status % does not follow from its custody log', NEW.id, NEW.status
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "device_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("courier_id", sa.Integer(), nullable=False),
        sa.Column("token_jti", sa.Uuid(), nullable=True),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leaf_idx", sa.BigInteger(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("key_id ~ '^[0-9a-f]{64}$'", name=op.f("ck_device_keys_key_id_hex")),
        sa.ForeignKeyConstraint(["courier_id"], ["couriers.id"], name=op.f("fk_device_keys_courier_id_couriers")),
        sa.ForeignKeyConstraint(
            ["token_jti"], ["auth_tokens.jti"], name=op.f("fk_device_keys_token_jti_auth_tokens"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_keys")),
        sa.UniqueConstraint("key_id", name=op.f("uq_device_keys_key_id")),
    )
    op.create_index(op.f("ix_device_keys_courier_id"), "device_keys", ["courier_id"], unique=False)
    op.add_column("handovers", sa.Column("device_key_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_handovers_device_key_id_device_keys"), "handovers", "device_keys", ["device_key_id"], ["id"]
    )
    op.add_column("evidence", sa.Column("upload_sha256", sa.String(length=64), nullable=True))
    op.create_table(
        "log_entries",
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("handover_id", sa.Integer(), nullable=True),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("leaf", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('handover', 'attempt', 'purge', 'device_key', 'device_revoked')", name=op.f("ck_log_entries_kind")
        ),
        sa.CheckConstraint("idx >= 0", name=op.f("ck_log_entries_idx_nonnegative")),
        sa.CheckConstraint("octet_length(leaf_hash) = 32", name=op.f("ck_log_entries_leaf_hash_size")),
        sa.ForeignKeyConstraint(["attempt_id"], ["attempts.id"], name=op.f("fk_log_entries_attempt_id_attempts")),
        sa.ForeignKeyConstraint(["handover_id"], ["handovers.id"], name=op.f("fk_log_entries_handover_id_handovers")),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_log_entries_job_id_jobs")),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_log_entries")),
        sa.UniqueConstraint("attempt_id", name=op.f("uq_log_entries_attempt_id")),
        sa.UniqueConstraint("handover_id", name=op.f("uq_log_entries_handover_id")),
    )
    op.create_index(op.f("ix_log_entries_job_id"), "log_entries", ["job_id"], unique=False)
    op.create_table(
        "log_nodes",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("octet_length(hash) = 32", name=op.f("ck_log_nodes_hash_size")),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_log_nodes")),
    )
    op.create_table(
        "log_checkpoints",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("size > 0", name=op.f("ck_log_checkpoints_size_positive")),
        sa.PrimaryKeyConstraint("size", name=op.f("pk_log_checkpoints")),
    )
    op.create_table(
        "log_cosignatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkpoint_size", sa.BigInteger(), nullable=False),
        sa.Column("witness", sa.String(length=200), nullable=False),
        sa.Column("key_id", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_size"],
            ["log_checkpoints.size"],
            name=op.f("fk_log_cosignatures_checkpoint_size_log_checkpoints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_cosignatures")),
        sa.UniqueConstraint("checkpoint_size", "witness", "key_id", name="uq_log_cosignatures_once"),
    )
    op.create_index(op.f("ix_log_cosignatures_checkpoint_size"), "log_cosignatures", ["checkpoint_size"], unique=False)
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ajib_forbid_change()"
        )
    for table in NO_TRUNCATE:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ajib_forbid_change()"
        )
    op.execute(JOB_GUARD)
    op.execute(
        "CREATE TRIGGER jobs_custody_guard BEFORE INSERT OR UPDATE ON jobs "
        "FOR EACH ROW EXECUTE FUNCTION ajib_job_custody_guard()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS jobs_custody_guard ON jobs")
    op.execute("DROP FUNCTION IF EXISTS ajib_job_custody_guard()")
    for table in NO_TRUNCATE:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    op.drop_index(op.f("ix_log_cosignatures_checkpoint_size"), table_name="log_cosignatures")
    op.drop_table("log_cosignatures")
    op.drop_table("log_checkpoints")
    op.drop_table("log_nodes")
    op.drop_index(op.f("ix_log_entries_job_id"), table_name="log_entries")
    op.drop_table("log_entries")
    op.drop_column("evidence", "upload_sha256")
    op.drop_constraint(op.f("fk_handovers_device_key_id_device_keys"), "handovers", type_="foreignkey")
    op.drop_column("handovers", "device_key_id")
    op.drop_index(op.f("ix_device_keys_courier_id"), table_name="device_keys")
    op.drop_table("device_keys")
