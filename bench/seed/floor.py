"""PostgreSQL's own floor for loading the seed's rows: the same rows and schema loaded with no generator at all.

The seed's aim is a ratio to `pgbench -i`, whose rows are four narrow columns with one integer key. What a staging
seed's rows cost the server (their jsonb, uuids and timestamps parsed, 18 indexes and 12 foreign keys on the
transaction tables) is the schema's, whoever writes them. So the bench measures, beside the seed, two loads of one
seed's exact rows into fresh databases of the same server:

- `pg_restore -j JOBS` of a directory dump (`pg_dump -Fd`): PostgreSQL's own tool (text COPY per table, then
  indexes, keys and foreign keys built JOBS at a time);
- server-side binary COPY: every table `COPY ... FROM 'file' (FORMAT binary)` from files the server wrote itself
  (JOBS connections, biggest tables first; no client touches a row), then the dump's post-data with
  `pg_restore -j JOBS`.

Both run with the seed's own `maintenance_work_mem` (devkit/seed/bulk.py's REBUILD_MEMORY) so the key
builds are not slowed by a smaller sort memory than the seed gets. If even the second is below a ratio, no
seeder can reach it on that server and schema. The files are written by the server, so --floor needs a server
on this machine (the throwaway one by default).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from devkit.seed.bulk import REBUILD_MEMORY
from testbed.servers import server_cpu

_TABLES = """
SELECT format('%I.%I', n.nspname, c.relname), pg_relation_size(c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
ORDER BY 2 DESC
"""


@dataclass
class Floor:
    """One seeded database's rows, kept as a directory dump and as binary files the server wrote."""

    dump: Path
    files: Path
    tables: list[str]  # biggest first
    rows: int
    bindir: Path

    @classmethod
    def prepare(cls, dsn: str, workdir: Path, bindir: Path) -> Floor:
        dump, files = workdir / "dump", workdir / "files"
        files.mkdir(parents=True)
        # The server (the postgres user) writes and reads the files.
        os.chmod(workdir, 0o755)
        os.chmod(files, 0o777)
        try:
            subprocess.run([str(bindir / "pg_dump"), "-Fd", "-j", "2", "-f", str(dump), dsn], check=True)
            with psycopg.connect(dsn, autocommit=True) as conn:
                tables = [name for name, _ in conn.execute(_TABLES).fetchall()]
                rows = 0
                for table in tables:
                    rows += conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                    conn.execute(f"COPY {table} TO '{files / table}.bin' (FORMAT binary)")
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        return cls(dump=dump, files=files, tables=tables, rows=rows, bindir=bindir)

    def _restore(self, dsn: str, *options: str) -> None:
        environment = os.environ | {"PGOPTIONS": f"-c maintenance_work_mem={REBUILD_MEMORY}"}
        command = [str(self.bindir / "pg_restore"), *options, "-d", dsn, str(self.dump)]
        subprocess.run(command, check=True, env=environment, capture_output=True)

    def pg_restore(self, dsn: str, jobs: int, datadir: Path | None) -> dict:
        began, server_before = time.monotonic(), server_cpu(datadir)
        self._restore(dsn, "-j", str(jobs))
        return {"seconds": time.monotonic() - began, "server_cpu": server_cpu(datadir) - server_before}

    def server_copy(self, dsn: str, jobs: int, datadir: Path | None) -> dict:
        self._restore(dsn, "--section=pre-data")
        began, server_before = time.monotonic(), server_cpu(datadir)
        pending, lock, failures = list(self.tables), threading.Lock(), []

        def load() -> None:
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    while True:
                        with lock:
                            if not pending:
                                return
                            table = pending.pop(0)
                        conn.execute(f"COPY {table} FROM '{self.files / table}.bin' (FORMAT binary)")
            except psycopg.Error as error:
                failures.append(error)

        threads = [threading.Thread(target=load) for _ in range(jobs)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise SystemExit(f"floor: binary COPY failed: {failures[0]}")
        copied, copy_cpu = time.monotonic(), server_cpu(datadir)
        self._restore(dsn, "--section=post-data", "-j", str(jobs))
        return {
            "seconds": time.monotonic() - began,
            "copy_seconds": copied - began,
            "copy_server_cpu": copy_cpu - server_before,
            "server_cpu": server_cpu(datadir) - server_before,
        }

    def remove(self) -> None:
        shutil.rmtree(self.dump.parent, ignore_errors=True)  # hundreds of MB at --scale 0.01
