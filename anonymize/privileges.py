"""The privileges a command needs from its database roles, checked before it reads or creates anything, so a
missing grant is one line naming every object and the GRANT that fixes it, not a traceback after the data moved.

What each end really needs (found on PostgreSQL 15 with restricted roles; tests/cli/test_snapshot_privileges.py holds
a role with exactly this to a full run, and takes each piece away):

- Snapshot source (live): SELECT on every user table, partitioned parents included: `pg_dump --schema-only`
  takes LOCK TABLE ... IN ACCESS SHARE MODE on each, which needs table-level SELECT (column grants don't do),
  and the rows are copied from each leaf directly, where a parent's grant doesn't reach. SELECT on every
  sequence: its value is read with `SELECT last_value` (USAGE, for nextval/currval, neither allows nor is
  needed for that). USAGE on each schema holding those tables and sequences, through which their names are
  looked up. Views, functions and types need nothing: pg_dump reads their definitions from the catalog.
- Snapshot target: CREATEDB (or superuser) to create the database the run loads; to swap it in for an existing
  database, the privileges of that database's owner (ownership, or membership in the owner role): the rename
  and the drop check them. `--output` needs CREATEDB only: its scratch database is its own.
- `scan` and `rules init --scan`: SELECT on the columns they sample (table-level or column grants), of the
  table they sample them from, and USAGE on its schema. `rules init --no-scan` reads only the catalog.

Each kind of object is one catalog query with has_*_privilege over all of them, not a query per object: the
check stays well under a second on thousands of tables.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from psycopg.conninfo import conninfo_to_dict

from anonymize.catalog import USER_RELATION
from anonymize.errors import PrivilegeError
from anonymize.postgres import connect
from anonymize.sinks import DatabaseSink, Sink

LISTED = 10  # names listed per kind; past that, counted (a thousand table names help nobody)


@dataclass(frozen=True)
class Missing:
    """What one role lacks (`problem`, naming the objects) and the statements that grant it (`fix`)."""

    problem: str
    fix: str


def privilege_error(missing: Sequence[Missing]) -> PrivilegeError:
    """One error for every missing privilege, source's and target's together."""
    return PrivilegeError("; ".join(m.problem for m in missing), "; ".join(m.fix for m in missing))


def require(*missing: Missing | None) -> None:
    found = [m for m in missing if m is not None]
    if found:
        raise privilege_error(found)


# ---------------------------------------------------------------- the source of a snapshot

_RELATIONS = f"FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {USER_RELATION}"

_UNREADABLE_TABLES = f"""
SELECT n.nspname, quote_ident(n.nspname) || '.' || quote_ident(c.relname) {_RELATIONS}
  AND c.relkind IN ('r', 'p') AND NOT has_table_privilege(c.oid, 'SELECT')
ORDER BY 2
"""

_UNREADABLE_SEQUENCES = f"""
SELECT n.nspname, quote_ident(n.nspname) || '.' || quote_ident(c.relname) {_RELATIONS}
  -- CASE: the planner may test the privilege before the kind, and has_sequence_privilege() fails on a table
  AND CASE WHEN c.relkind = 'S' THEN NOT has_sequence_privilege(c.oid, 'SELECT') ELSE false END
ORDER BY 2
"""

_CLOSED_SCHEMAS = f"""
SELECT DISTINCT n.nspname, quote_ident(n.nspname) {_RELATIONS}
  AND c.relkind IN ('r', 'p', 'S') AND NOT has_schema_privilege(n.oid, 'USAGE')
ORDER BY 2
"""


def source_privileges(conn: psycopg.Connection) -> Missing | None:
    """What the role of a live source lacks to be snapshotted (None: nothing)."""
    role, grantee = _whoami(conn)
    schemas = conn.execute(_CLOSED_SCHEMAS).fetchall()
    tables = conn.execute(_UNREADABLE_TABLES).fetchall()
    sequences = conn.execute(_UNREADABLE_SEQUENCES).fetchall()
    problems: list[str] = []
    fixes: list[str] = []
    if schemas:
        names = [name for _, name in schemas]
        problems.append(f"USAGE on schema {_listed(names)}")
        fixes.append(f"GRANT USAGE ON SCHEMA {', '.join(names)} TO {grantee}")
    if tables:
        problems.append(f"SELECT on {_listed([name for _, name in tables])}")
        fixes.append(_grant("TABLE", tables, grantee))
    if sequences:
        problems.append(f"SELECT on sequence {_listed([name for _, name in sequences])}")
        fixes.append(_grant("SEQUENCE", sequences, grantee))
    if not problems:
        return None
    return Missing(f'source role "{role}" lacks {"; ".join(problems)}', "; ".join(fixes))


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[:LISTED])
    return f"{shown} (+{len(names) - LISTED} more)" if len(names) > LISTED else shown


def _grant(kind: str, objects: Sequence[tuple[str, str]], grantee: str) -> str:
    """GRANT SELECT on the objects by name, or on all of them in their schemas when there are too many to list."""
    if len(objects) > LISTED:
        schemas = sorted({_sql_name(schema) for schema, _ in objects})
        return f"GRANT SELECT ON ALL {kind}S IN SCHEMA {', '.join(schemas)} TO {grantee}"
    on = "SEQUENCE " if kind == "SEQUENCE" else ""
    return f"GRANT SELECT ON {on}{', '.join(name for _, name in objects)} TO {grantee}"


def unreadable_sequence(role: str, name: str, reason: str) -> PrivilegeError:
    """A sequence that couldn't be read although the up-front check passed (a grant revoked meanwhile)."""
    fix = f"GRANT SELECT ON SEQUENCE {name} TO {_sql_name(role)}"
    if "schema" in reason:
        fix = f"GRANT USAGE ON SCHEMA {name.partition('.')[0]} TO {_sql_name(role)}; {fix}"
    return PrivilegeError(f'source role "{role}" can\'t read sequence {name}: {reason}', fix)


# ---------------------------------------------------------------- columns sampled by scan / rules init --scan

_UNREADABLE_COLUMNS = """
SELECT quote_ident(w.nsp), quote_ident(w.nsp) || '.' || quote_ident(w.rel),
       has_schema_privilege(n.oid, 'USAGE'), bool_and(has_column_privilege(c.oid, w.col, 'SELECT'))
FROM unnest(%s::text[], %s::text[], %s::text[]) AS w(nsp, rel, col)
JOIN pg_namespace n ON n.nspname = w.nsp
JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = w.rel
GROUP BY w.nsp, w.rel, n.oid
ORDER BY 2
"""


def sampling_privileges(conn: psycopg.Connection, wanted: Sequence[tuple[str, Sequence[str]]]) -> Missing | None:
    """What the role lacks to read `wanted`: (table as `schema.name`, columns) pairs."""
    triples = [(*table.split(".", 1), column) for table, columns in wanted for column in columns]
    if not triples:
        return None
    role, grantee = _whoami(conn)
    rows = conn.execute(_UNREADABLE_COLUMNS, [list(part) for part in zip(*triples, strict=True)]).fetchall()
    schemas = sorted({schema for schema, _, usage, _ in rows if not usage})
    tables = [table for _, table, _, readable in rows if not readable]
    problems: list[str] = []
    fixes: list[str] = []
    if schemas:
        problems.append(f"USAGE on schema {_listed(schemas)}")
        fixes.append(f"GRANT USAGE ON SCHEMA {', '.join(schemas)} TO {grantee}")
    if tables:
        problems.append(f"SELECT on {_listed(tables)}")
        fixes.append(f"GRANT SELECT ON {', '.join(tables)} TO {grantee}")
    if not problems:
        return None
    return Missing(f'source role "{role}" lacks {"; ".join(problems)} (sampled for personal data)', "; ".join(fixes))


# ---------------------------------------------------------------- the target of a snapshot

_TARGET = """
SELECT current_user, quote_ident(current_user), r.rolsuper OR r.rolcreatedb,
       pg_get_userbyid(d.datdba), quote_ident(pg_get_userbyid(d.datdba)), pg_has_role(d.datdba, 'USAGE')
FROM pg_roles r LEFT JOIN pg_database d ON d.datname = %s
WHERE r.rolname = current_user
"""


def target_privileges(sink: Sink) -> list[Missing]:
    """What the target role lacks for `sink` to create its database and, if it replaces one, swap it in.
    Connects where the sink's own begin() would (so CONNECT there is tested too); raises ConnectError."""
    replaces = sink.database if isinstance(sink, DatabaseSink) else None
    with connect(sink.admin_dsn, "target", autocommit=True) as conn:
        row = conn.execute(_TARGET, (replaces,)).fetchone()
    assert row is not None, "current_user is always in pg_roles"
    role, grantee, can_create, owner, owner_sql, owner_privileges = row
    missing: list[Missing] = []
    if not can_create:
        missing.append(
            Missing(
                f'target role "{role}" lacks CREATEDB: the snapshot loads into a new database on '
                f"{_server(sink.server_dsn)}",
                f"ALTER ROLE {grantee} CREATEDB",
            )
        )
    # pg_has_role(..., 'USAGE'): the owner's privileges, held directly or inherited through membership, which is
    # what ALTER DATABASE ... RENAME and DROP DATABASE check. No owner: the database doesn't exist yet.
    if replaces is not None and owner is not None and not owner_privileges:
        missing.append(
            Missing(
                f'target role "{role}" can\'t replace database "{replaces}": it is owned by "{owner}" '
                "(needs ownership or membership in the owner role)",
                f"ALTER DATABASE {_sql_name(replaces)} OWNER TO {grantee} (or GRANT {owner_sql} TO {grantee})",
            )
        )
    return missing


def _server(dsn: str) -> str:
    """host:port of a DSN: a server, rather than one of its databases."""
    params = conninfo_to_dict(dsn)
    return f"{params.get('host') or params.get('hostaddr') or 'localhost'}:{params.get('port') or '5432'}"


def _whoami(conn: psycopg.Connection) -> tuple[str, str]:
    """The role whose privileges count (current_user), as a message names it and as SQL spells it."""
    row = conn.execute("SELECT current_user, quote_ident(current_user)").fetchone()
    assert row is not None
    return row[0], row[1]


_PLAIN_NAME = re.compile(r"[a-z_][a-z0-9_$]*")


def _sql_name(name: str) -> str:
    """An identifier as SQL needs it (quote_ident() where the server names it; this for names from elsewhere)."""
    return name if _PLAIN_NAME.fullmatch(name) else '"' + name.replace('"', '""') + '"'
