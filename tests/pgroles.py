"""Real login roles with restricted grants, for tests of what devkit needs a database role to be allowed.

Roles belong to the whole server, not to one database: each is made with a unique name and removed afterwards
from every database it touched (its grants dropped, whatever it owns handed back to the superuser).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from testbed.servers import PostgresServer


@dataclass(frozen=True)
class Role:
    name: str
    password: str

    def dsn(self, dsn: str) -> str:
        """`dsn` (a superuser's, naming server and database) with this role's credentials instead."""
        return make_conninfo(dsn, user=self.name, password=self.password)


@contextmanager
def login_role(server: PostgresServer, prefix: str, attributes: str = "") -> Iterator[Role]:
    """A fresh LOGIN role (`attributes` e.g. "CREATEDB"), gone again afterwards."""
    role = Role(f"{prefix}_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex)
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role.name} LOGIN PASSWORD '{role.password}' {attributes}")
    try:
        yield role
    finally:
        drop_role(server, role.name)


def drop_role(server: PostgresServer, name: str) -> None:
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        databases = [
            row[0] for row in conn.execute("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate")
        ]
        conn.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{name}'")
    for database in databases:
        try:
            with psycopg.connect(server.dsn(database), autocommit=True) as conn:
                # REASSIGN OWNED also hands back shared objects: a database the role created or owns.
                conn.execute(f"REASSIGN OWNED BY {name} TO {server.user}")
                conn.execute(f"DROP OWNED BY {name}")
        except psycopg.OperationalError:
            continue  # dropped meanwhile
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {name}")


def database_name(dsn: str) -> str:
    return str(conninfo_to_dict(dsn)["dbname"])
