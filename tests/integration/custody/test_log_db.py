"""The custody log in PostgreSQL: gapless leaves, stored subtrees, checkpoints, and what the app role may not do."""

from __future__ import annotations

import threading

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from dispatch.clock import utcnow
from dispatch.custody import log
from dispatch.custody.models import LogEntry
from dispatch.custody.tlog import merkle
from dispatch.custody.tlog.formats import parse_checkpoint
from dispatch.custody.tlog.note import generate_signer, open_note
from dispatch.db.roles import CUSTODY_TABLES, app_url
from dispatch.db.session import normalise_url


def test_stored_subtrees_give_the_same_roots_and_proofs_as_the_leaves(db_session):
    """Append 37 leaves: every root and every proof read from log_nodes equals the in-memory RFC 6962 one."""
    start = log.log_size(db_session)
    for i in range(37):
        log.append(db_session, kind="purge", leaf=f"leaf {i}".encode())
    size = log.log_size(db_session)
    assert size == start + 37
    hashes = [bytes(h) for h in db_session.scalars(text("SELECT leaf_hash FROM log_entries ORDER BY idx"))]
    assert len(hashes) == size
    tree = log.StoredTree(db_session)
    for n in (1, 2, 3, 8, 13, size):
        assert tree.root(n) == merkle.root_of(hashes[:n])
    memory = merkle.list_subtree(hashes)
    for index in (0, 1, size // 2, size - 1):
        assert tree.inclusion(index, size) == merkle.inclusion_proof(index, size, memory)
    assert tree.consistency(5, size) == merkle.consistency_proof(5, size, memory)


def test_checkpoints_are_signed_kept_and_consistent(db_session):
    """publish_checkpoint signs size and root in the tlog-checkpoint format only when the log grew."""
    key = generate_signer("test.example/log")
    log.append(db_session, kind="purge", leaf=b"a")
    first = log.publish_checkpoint(db_session, key, utcnow())
    assert first is not None
    assert log.publish_checkpoint(db_session, key, utcnow()) is None  # nothing new
    log.append(db_session, kind="purge", leaf=b"b")
    second = log.publish_checkpoint(db_session, key, utcnow())
    note, _ = open_note(second.note, [key.verifier])
    cp = parse_checkpoint(note.text)
    assert (cp.origin, cp.size, cp.root) == ("test.example/log", second.size, bytes(second.root))
    proof = log.StoredTree(db_session).consistency(first.size, second.size)
    merkle.verify_consistency(first.size, second.size, bytes(first.root), bytes(second.root), proof)


def test_concurrent_appends_are_gapless_and_ordered(engine):
    """Eight transactions appending at once get distinct, gapless indices and a consistent tree."""
    errors = []

    def worker(n: int) -> None:
        try:
            with Session(engine) as session:
                for i in range(5):
                    log.append(session, kind="purge", leaf=f"concurrent {n}.{i}".encode())
                    session.commit()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with Session(engine) as session:
        indices = [int(i) for i in session.scalars(text("SELECT idx FROM log_entries ORDER BY idx"))]
        assert indices == list(range(len(indices)))
        hashes = [bytes(h) for h in session.scalars(text("SELECT leaf_hash FROM log_entries ORDER BY idx"))]
        assert log.StoredTree(session).root(len(hashes)) == merkle.root_of(hashes)


@pytest.fixture
def app_conn(database_url):
    """A connection as the least-privilege application role, as the server makes it."""
    eng = create_engine(normalise_url(app_url(database_url)))
    with eng.connect() as conn:
        yield conn
    eng.dispose()


@pytest.mark.parametrize("table", CUSTODY_TABLES)
@pytest.mark.parametrize(
    "statement", ["UPDATE {t} SET {c} = {c}", "DELETE FROM {t}", "TRUNCATE {t}", "ALTER TABLE {t} DISABLE TRIGGER ALL"]
)
def test_the_app_role_cannot_change_custody_rows(app_conn, table, statement):
    """As ajib_app: UPDATE, DELETE, TRUNCATE and ALTER on custody tables are refused by privileges."""
    column = {"log_nodes": "hash", "log_checkpoints": "note", "evidence": "sha256"}.get(
        table, "id" if table not in ("log_entries",) else "kind"
    )
    with pytest.raises(Exception) as info:
        app_conn.execute(text(statement.format(t=table, c=column)))
    app_conn.rollback()
    assert isinstance(info.value.orig, psycopg.errors.InsufficientPrivilege | psycopg.errors.WrongObjectType)


def test_the_app_role_may_only_mark_evidence_purged(app_conn):
    app_conn.execute(text("UPDATE evidence SET purged_at = purged_at WHERE false"))
    app_conn.rollback()


@pytest.mark.parametrize("table", CUSTODY_TABLES)
def test_truncate_is_blocked_by_trigger_even_for_the_owner(db_session, table):
    """The owner keeps TRUNCATE privileges; a statement trigger still refuses it."""
    nested = db_session.begin_nested()
    with pytest.raises(Exception, match="append-only"):
        db_session.execute(text(f"TRUNCATE {table} CASCADE"))
    nested.rollback()


def test_log_rows_are_append_only_for_the_owner_too(db_session):
    log.append(db_session, kind="purge", leaf=b"x")
    for sql in (
        "UPDATE log_entries SET kind = 'attempt'",
        "DELETE FROM log_nodes",
        "UPDATE log_entries SET leaf = 'y'",
    ):
        nested = db_session.begin_nested()
        with pytest.raises(Exception, match="append-only"):
            db_session.execute(text(sql))
        nested.rollback()
    assert db_session.query(LogEntry).count() >= 1
