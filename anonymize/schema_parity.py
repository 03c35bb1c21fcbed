"""What a restore carries besides the objects themselves, applied once the data and post-data are in, in the
order pg_restore uses: owners, then privileges (GRANT/REVOKE, ALTER DEFAULT PRIVILEGES) and publications, then the
materialized views refreshed (the source's `MATERIALIZED VIEW DATA` entries).

Why not let pg_restore do it with the objects: the rows are loaded by the target's role, which must own every table
while it does, and the target server may lack some of the source's roles (production's `app_rw` on a laptop) or
the loading role may not be allowed to hand objects to them. So the structural passes run with `--no-owner
--no-privileges` (what the loader needs), and this pass then applies the source's owner and privilege statements
one by one: one that names a role the target lacks, or that the loading role may not run, is skipped and noted
(its object keeps the loading role as owner, or lacks that grant); any other failure stops the run.

A refresh runs as the materialized view's owner, under that owner's privileges and row-level security, so it comes
after the owners and grants, as pg_restore's last pass does; it reads the anonymized rows.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import psycopg

from anonymize.errors import AnonymizeError
from anonymize.postgres import connect, quote_ident, scrub

OWNER, PRIVILEGE, PUBLICATION = "owner", "privilege", "publication"
PRIVILEGE_TYPES = frozenset({"ACL", "DEFAULT ACL"})
PUBLICATION_TYPES = frozenset({"PUBLICATION", "PUBLICATION TABLE", "PUBLICATION TABLES IN SCHEMA"})
METADATA_TYPES = PRIVILEGE_TYPES | PUBLICATION_TYPES
REFRESH_TYPE = "MATERIALIZED VIEW DATA"

# What a target may legitimately refuse: a role it doesn't have (undefined_object), a role the loading role may
# not act as or hand objects to, a superuser-only publication (insufficient_privilege), a grant option or
# grantor it can't honour.
TOLERATED = frozenset({"42704", "42501", "0LP01", "0L000"})

_HEADER = re.compile(r"-- (?:Data for )?Name: (.*); Type: ([A-Z ]+); Schema: .*; Owner: .*")
_OWNER_STATEMENT = re.compile(r'ALTER .+ OWNER TO (?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*);', re.DOTALL)
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_\x80-\U0010ffff]*)?\$")
_SPACE = re.compile(r"\s*")
_SPECIAL = re.compile(r"['\";$/-]")
_IDENT_CHAR = re.compile(r"[A-Za-z0-9_$\x80-\U0010ffff]")


class SchemaApplyError(AnonymizeError):
    def __init__(self, section: str, line: str, what: str | None = None) -> None:
        what = what or f"the source's {section} schema"
        super().__init__(
            f"applying {what} to the target failed: {line}",
            "the target server must support everything the source's schema uses (extensions, collations)",
        )


@dataclass(frozen=True)
class Statement:
    kind: str  # OWNER, PRIVILEGE or PUBLICATION
    sql: str
    # A sequence's owner: a sequence OWNED BY a column always has its table's owner (PostgreSQL refuses anything
    # else, feature_not_supported), so once the table's own statement ran or was skipped there is nothing left.
    sequence: bool = False


@dataclass(frozen=True)
class Entry:
    """A TOC entry as the `-- Name: ...; Type: ...` comment above its SQL names it."""

    kind: str | None  # "TABLE", "ACL", "COMMENT"...; None before the first header
    name: str = ""  # e.g. "Customer", "TABLE Customer", "PUBLICATION pgf_orders" (as pg_dump prints it)


def split_statements(text: str) -> Iterator[tuple[Entry, str]]:
    """The top-level statements of pg_dump SQL text, each with the TOC entry it belongs to. Quotes, dollar quotes
    and comments are honoured; psql meta-commands (`\\restrict`, `\\connect`) are skipped. A SQL-standard function body
    (BEGIN ATOMIC ... END) comes out in pieces, which is harmless here: only owner statements are taken from
    entries that may hold one, and those pieces are never owner statements."""
    entry = Entry(None)
    length = len(text)
    position = 0
    start: int | None = None
    while position < length:
        if start is None:
            position = _SPACE.match(text, position).end()
            if position >= length:
                break
            char = text[position]
            if text.startswith("--", position) or char == "\\":
                end = text.find("\n", position)
                end = length if end < 0 else end
                header = _HEADER.fullmatch(text, position, end)
                if header:
                    entry = Entry(header[2].strip(), header[1])
                position = end + 1
                continue
            if text.startswith("/*", position):
                position = _skip_comment(text, position)
                continue
            start = position
        found = _SPECIAL.search(text, position)  # jump to the next character that matters
        if found is None:
            break
        position = found.start()
        char = text[position]
        if char == "'":
            position = _skip_string(text, position)
        elif char == '"':
            position = _skip_until(text, position + 1, '"')
        elif char == "$" and (position == 0 or not _IDENT_CHAR.match(text[position - 1])):
            tag = _DOLLAR_TAG.match(text, position)
            if tag:
                position = _skip_until(text, tag.end(), tag[0])
            else:
                position += 1
        elif text.startswith("--", position):
            end = text.find("\n", position)
            position = length if end < 0 else end + 1
        elif text.startswith("/*", position):
            position = _skip_comment(text, position)
        elif char == ";":
            yield entry, text[start : position + 1].strip()
            start = None
            position += 1
        else:  # a lone '-' or '/'
            position += 1
    if start is not None and text[start:].strip():
        yield entry, text[start:].strip()


def _skip_until(text: str, position: int, closing: str) -> int:
    """Past the next `closing` from `position` (a doubled quote is two closings in a row: still inside)."""
    end = text.find(closing, position)
    return len(text) if end < 0 else end + len(closing)


def _skip_string(text: str, position: int) -> int:
    """Past a '...' literal starting at `position`; E'...' honours backslash escapes."""
    prefixed = position > 0 and text[position - 1] in "eE"
    escapes = prefixed and (position < 2 or not _IDENT_CHAR.match(text[position - 2]))
    position += 1
    while position < len(text):
        char = text[position]
        if escapes and char == "\\":
            position += 2
            continue
        if char == "'":
            if text.startswith("''", position):
                position += 2
                continue
            return position + 1
        position += 1
    return position


def _skip_comment(text: str, position: int) -> int:
    depth = 0
    while position < len(text):
        if text.startswith("/*", position):
            depth += 1
            position += 2
        elif text.startswith("*/", position):
            depth -= 1
            position += 2
            if depth == 0:
                return position
        else:
            position += 1
    return position


def is_publication(entry: Entry) -> bool:
    """A publication, one of its tables or schemas, or its comment."""
    return entry.kind in PUBLICATION_TYPES or (entry.kind == "COMMENT" and entry.name.startswith("PUBLICATION "))


def is_metadata(entry: Entry) -> bool:
    """An entry applied whole after post-data: privileges and publications (owners are a line of every entry)."""
    return entry.kind in PRIVILEGE_TYPES or is_publication(entry)


def metadata_statements(text: str) -> list[Statement]:
    """From pg_dump SQL text (a plain dump, or what pg_restore prints of an archive): publications (with their
    comments, which the structural passes can't make without them), then every
    object's owner (owned sequences last: they follow their table, and may not be given away on their own),
    then privileges -- the order pg_restore gives them."""
    publications: list[Statement] = []
    owners: list[Statement] = []
    sequences: list[Statement] = []
    privileges: list[Statement] = []
    for entry, sql in split_statements(text):
        if is_publication(entry):
            publications.append(Statement(PUBLICATION, sql))
        elif entry.kind in PRIVILEGE_TYPES:
            privileges.append(Statement(PRIVILEGE, sql))
        elif _OWNER_STATEMENT.fullmatch(sql):
            if entry.kind == "SEQUENCE":
                sequences.append(Statement(OWNER, sql, sequence=True))
            else:
                owners.append(Statement(OWNER, sql))
    return publications + owners + sequences + privileges


def apply_metadata(dsn: str, statements: Sequence[Statement]) -> list[str]:
    """Run the statements on the database at `dsn`, each on its own; those the target refuses for its roles are
    skipped. Returns one note per reason, saying how many statements of which kind it cost."""
    if not statements:
        return []
    with connect(dsn, "target", autocommit=True) as conn:
        conn.execute("SELECT pg_catalog.set_config('search_path', '', false)")
        return run_statements(conn, statements, dsn, "the source's owners, privileges and publications")


def run_statements(conn: psycopg.Connection, statements: Sequence[Statement], dsn: str, what: str) -> list[str]:
    """Each statement on its own (autocommit); those refused for a role (TOLERATED) are skipped and noted, any
    other failure raises. `what` names the statements in messages."""
    skipped: dict[str, Counter[str]] = {}
    for statement in statements:
        try:
            conn.execute(statement.sql.encode())  # type: ignore[call-overload]  # bytes: never a template
        except psycopg.Error as exc:
            if statement.sequence and exc.sqlstate == "0A000":
                continue  # owned by a column: it follows its table, whose statement said what happened
            line = scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, dsn)
            if exc.sqlstate not in TOLERATED:
                raise SchemaApplyError("", line, what) from None
            skipped.setdefault(line, Counter())[statement.kind] += 1
    notes = []
    for reason, counts in skipped.items():
        left = ", ".join(f"{n} {kind} statement{'s' if n > 1 else ''}" for kind, n in sorted(counts.items()))
        stays = "; those objects stay owned by the loading role" if OWNER in counts else ""
        notes.append(f"{what}: {left} left out: {reason}{stays}")
    return notes


# ---------------------------------------------------------------- the target database's own properties

SETTING = "setting"
# pg_dump's variable_is_guc_list_quote(): settings stored as a list of quoted elements.
_LIST_SETTINGS = frozenset(
    {
        "local_preload_libraries",
        "search_path",
        "session_preload_libraries",
        "shared_preload_libraries",
        "temp_tablespaces",
        "unix_socket_directories",
    }
)


def database_properties(conn: psycopg.Connection, database: str, onto: str) -> list[Statement]:
    """What `pg_dump --create` says of database `database` besides its contents -- owner, connection limit,
    privileges, comment, its settings and its roles' settings in it -- as statements for database `onto`.

    A snapshot swaps a new database in for the target's: these are the target's own (who may connect to dev,
    dev's search_path or time zone), not the source's (production's timeouts, read-only flags, work_mem), so
    they are taken from the database being replaced. `conn` is on any database of the server."""
    row = conn.execute(
        "SELECT oid, pg_get_userbyid(datdba), datconnlimit, shobj_description(oid, 'pg_database'), datacl IS NULL"
        " FROM pg_database WHERE datname = %s",
        (database,),
    ).fetchone()
    if row is None:
        return []
    oid, owner, limit, comment, default_acl = row
    target = quote_ident(onto)
    statements = [Statement(OWNER, f"ALTER DATABASE {target} OWNER TO {quote_ident(owner)}")]
    if limit != -1:
        statements.append(Statement(SETTING, f"ALTER DATABASE {target} CONNECTION LIMIT {int(limit)}"))
    if not default_acl:
        statements.append(Statement(PRIVILEGE, f"REVOKE ALL ON DATABASE {target} FROM PUBLIC, {quote_ident(owner)}"))
        grants = conn.execute(
            "SELECT a.grantee, coalesce(pg_get_userbyid(nullif(a.grantee, 0)), ''), a.privilege_type, a.is_grantable"
            " FROM pg_database d, aclexplode(d.datacl) WITH ORDINALITY AS a(grantor, grantee, privilege_type,"
            " is_grantable, n) WHERE d.oid = %s ORDER BY a.n",  # in the ACL's order: the same ACL again
            (oid,),
        ).fetchall()
        for grantee, name, privilege, grantable in grants:
            to = "PUBLIC" if grantee == 0 else quote_ident(name)
            option = " WITH GRANT OPTION" if grantable else ""
            statements.append(Statement(PRIVILEGE, f"GRANT {privilege} ON DATABASE {target} TO {to}{option}"))
    if comment is not None:
        statements.append(Statement(SETTING, f"COMMENT ON DATABASE {target} IS {quote_literal(comment)}"))
    settings = conn.execute(
        "SELECT coalesce(pg_get_userbyid(nullif(s.setrole, 0)), ''), c.setting FROM pg_db_role_setting s,"
        " unnest(s.setconfig) WITH ORDINALITY AS c(setting, n) WHERE s.setdatabase = %s ORDER BY 1, c.n",
        (oid,),
    ).fetchall()
    for role, setting in settings:
        name, _, value = setting.partition("=")
        who = f"ROLE {quote_ident(role)} IN DATABASE {target}" if role else f"DATABASE {target}"
        statements.append(Statement(SETTING, f"ALTER {who} SET {quote_ident(name)} TO {_setting_value(name, value)}"))
    return statements


def _setting_value(name: str, value: str) -> str:
    """A stored setting's value as SQL, as pg_dump writes it: a list setting element by element."""
    if name.lower() not in _LIST_SETTINGS:
        return quote_literal(value)
    elements = []
    for match in re.finditer(r'\s*(?:"((?:[^"]|"")*)"|([^,]*?))\s*(?:,|$)', value):
        if match.end() == match.start():
            break
        elements.append(match[1].replace('""', '"') if match[1] is not None else match[2])
    return ", ".join(quote_literal(element) for element in elements) or "''"


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# Every view and materialized view, with the views and materialized views its query reads (from its rewrite
# rule's dependencies), and whether it is a populated materialized view.
_VIEWS = """
SELECT c.oid, format('%I.%I', n.nspname, c.relname), c.relkind = 'm' AND c.relispopulated,
       coalesce(array_agg(DISTINCT d.refobjid) FILTER (WHERE d.refobjid IS NOT NULL), '{}')
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_rewrite r ON r.ev_class = c.oid
LEFT JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_class'::regclass
     AND d.refobjid <> c.oid AND d.refobjid IN (SELECT oid FROM pg_class WHERE relkind IN ('v', 'm'))
WHERE c.relkind IN ('v', 'm')
GROUP BY c.oid, n.nspname, c.relname
"""


def populated_matviews(conn: psycopg.Connection) -> list[str]:
    """The populated materialized views of the database `conn` is on, each after every materialized view its
    query reads (directly or through views), as pg_dump orders their refreshes; ties by name."""
    rows = conn.execute(_VIEWS).fetchall()
    names = {oid: name for oid, name, _, _ in rows}
    reads = {oid: set(refs) for oid, _, _, refs in rows}
    populated = {oid for oid, _, is_populated, _ in rows if is_populated}

    def matviews_read(oid: int) -> set[int]:
        found: set[int] = set()
        stack, seen = list(reads[oid]), set()
        while stack:
            ref = stack.pop()
            if ref in seen or ref not in reads:
                continue
            seen.add(ref)
            if ref in populated:
                found.add(ref)
            else:
                stack.extend(reads[ref])  # a view (or an unpopulated matview): look through it
        return found

    waiting = {oid: matviews_read(oid) for oid in populated}
    order: list[str] = []
    while waiting:
        ready = sorted((oid for oid, before in waiting.items() if not before), key=lambda oid: names[oid])
        if not ready:  # a cycle PostgreSQL would not allow; refresh the rest by name
            ready = sorted(waiting, key=lambda oid: names[oid])
        for oid in ready:
            order.append(names[oid])
            del waiting[oid]
        for before in waiting.values():
            before.difference_update(ready)
    return order


def refresh_matviews(dsn: str, names: Sequence[str]) -> None:
    """REFRESH each materialized view, in the order given. The refresh runs its query as the view's owner; with
    row_security on, the row-level security that applies to the owner filters it as it did in the source."""
    if not names:
        return
    with connect(dsn, "target", autocommit=True) as conn:
        conn.execute("SET row_security = on")
        for name in names:
            try:
                conn.execute(f"REFRESH MATERIALIZED VIEW {name}".encode())  # type: ignore[call-overload]
            except psycopg.Error as exc:
                line = scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, dsn)
                raise SchemaApplyError("", line, f"the refresh of materialized view {name}") from None


__all__ = [
    "METADATA_TYPES",
    "REFRESH_TYPE",
    "Entry",
    "SchemaApplyError",
    "Statement",
    "apply_metadata",
    "database_properties",
    "is_metadata",
    "metadata_statements",
    "populated_matviews",
    "refresh_matviews",
    "run_statements",
    "split_statements",
]
