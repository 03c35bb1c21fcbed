"""A checkpoint asked for at the start of a run whose end drops a database, on a side connection, so that the
drop does not wait for one at the end. On PostgreSQL 15, DROP DATABASE requests an immediate checkpoint and waits
for it (`checkpoints_req` + 1): every buffer the server holds dirty, whoever dirtied it, is written then, and a
checkpoint already under way (one that the WAL of a big load started, spread over minutes) is finished first.
Measured (a 1% subset of bench/snapshot/subset.py's database right after a full snapshot into the same server,
the server's log): the swap's DROP DATABASE of the previous copy took 0.94 s, most of it waiting for the spread
checkpoint the full load's WAL had started; asked for here, that checkpoint is finished beside the run's own work
(the closure, pre-data), and the drop's own checkpoint then wrote ~1,100 buffers in 4-26 ms. (The rest of a
DROP DATABASE, removing the old copy's files, stays: 0.1-0.5 s right after a full load, while the kernel is
still writing that load's pages out.)

It is only an advance: nothing depends on it. A target role that may not checkpoint (PostgreSQL 15: superuser or
pg_checkpoint) is not asked to; a failure is ignored."""

from __future__ import annotations

import contextlib
import threading

import psycopg

_MAY_CHECKPOINT = """
SELECT r.rolsuper OR EXISTS (SELECT 1 FROM pg_roles c WHERE c.rolname = 'pg_checkpoint'
                                                      AND pg_has_role(current_user, c.oid, 'USAGE'))
FROM pg_roles r WHERE r.rolname = current_user
"""


class CheckpointAhead:
    """`CHECKPOINT` on its own connection to `dsn`, in a thread; `close()` waits for it (the run's DROP DATABASE
    would wait for a checkpoint anyway). `done` says whether it ran to completion."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.done = False
        self._thread = threading.Thread(target=self._run, name="checkpoint-ahead", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with contextlib.suppress(psycopg.Error), psycopg.connect(self.dsn, autocommit=True, connect_timeout=10) as conn:
            row = conn.execute(_MAY_CHECKPOINT).fetchone()
            if row is not None and row[0]:
                conn.execute("CHECKPOINT")
                self.done = True

    def close(self) -> None:
        self._thread.join(timeout=60)
