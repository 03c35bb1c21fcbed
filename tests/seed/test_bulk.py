"""The keys' rebuild after a bulk load (devkit/seed/bulk.py), on real PostgreSQL."""

from __future__ import annotations

import psycopg
import pytest

from devkit.seed.bulk import REBUILD_MEMORY, rebuild


@pytest.mark.parametrize("session, expected", [("64MB", REBUILD_MEMORY), ("1GB", "1GB")])
def test_the_rebuild_raises_maintenance_work_mem_for_its_transaction_only(
    pg_database: str, session: str, expected: str
) -> None:
    with psycopg.connect(pg_database) as conn:
        conn.execute(f"SET maintenance_work_mem = '{session}'")
        conn.execute("CREATE TABLE t (id int)")
        rebuild(conn, ["ALTER TABLE t ADD PRIMARY KEY (id)"])
        assert conn.execute("SHOW maintenance_work_mem").fetchone()[0] == expected  # raised, never lowered
        assert conn.execute("SELECT count(*) FROM pg_index WHERE indrelid = 't'::regclass").fetchone()[0] == 1
        conn.commit()
        assert conn.execute("SHOW maintenance_work_mem").fetchone()[0] == session  # the session's again
