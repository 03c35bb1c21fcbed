"""The cleanup batch as it was before issue 16, kept as the benchmark's baseline (not used by devkit).

Each batch fetched its orders' ids into Python, then every child table's ids (one SELECT per foreign-key link,
`= ANY(array)`), and sent them back as arrays in one DELETE per table, children first; the next batch re-selected
from the oldest order on. No archive (the benchmark measures deletes only)."""

from __future__ import annotations

from datetime import datetime

import psycopg
from psycopg import sql

from devkit.cleanup import ROOT_TABLE, cascade


def baseline_cleanup(dsn: str, cutoff: datetime, batch_size: int) -> tuple[int, int, float]:
    """(rows deleted, batches, longest batch in seconds)."""
    import time

    steps = cascade()
    rows = batches = 0
    longest = 0.0
    with psycopg.connect(dsn, autocommit=True) as conn:
        while True:
            began = time.monotonic()
            with conn.transaction():
                conn.execute("SET LOCAL lock_timeout = '5s'")
                ids: dict[str, list] = {
                    ROOT_TABLE: [
                        row[0]
                        for row in conn.execute(
                            "SELECT id FROM orders WHERE is_test AND ordered_at < %s ORDER BY ordered_at, id LIMIT %s "
                            "FOR UPDATE SKIP LOCKED",
                            (cutoff, batch_size),
                        )
                    ]
                }
                if not ids[ROOT_TABLE]:
                    return rows, batches, longest
                for name, links in steps[1:]:
                    found: set = set()
                    for link in links:
                        if ids.get(link.parent):
                            query = sql.SQL("SELECT id FROM {} WHERE {} = ANY(%s)").format(
                                sql.Identifier(name), sql.Identifier(link.column)
                            )
                            found.update(row[0] for row in conn.execute(query, (ids[link.parent],)))
                    ids[name] = sorted(found)
                for name, _ in reversed(steps):
                    if ids[name]:
                        delete = sql.SQL("DELETE FROM {} WHERE id = ANY(%s)").format(sql.Identifier(name))
                        conn.execute(delete, (ids[name],))
            rows += sum(len(found) for found in ids.values())
            batches += 1
            longest = max(longest, time.monotonic() - began)
