"""Locations of values in a database, as builders' oracles name them, and the SQL that reads them back.

`public.customers.email`, `public.orders.shipping$.address.line1`, `public.customers.first_name+last_name`,
`public."Order"."Full Name"`. Also read: a composite type's field after the column (`public.order.ship_to.street`),
`[]` for an array's elements (`public.Customer.emails[]`), `.$` for `$`, and bare names that need quoting in SQL
(`public.Customer.Full Name`): the spellings of testbed/strangers/pgfeatures.py. Reading a location row by row, keyed
by the table's primary key, is what lets the harness compare a source row with the same row of the output (in
place), whatever order either was written in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
from psycopg import sql

_IDENT = re.compile(r'"((?:[^"]|"")*)"|([^."$+\[\]]+)')
_PATH_STEP = re.compile(r"""\.("(?:[^"]|"")*"|[^.\[\]"+$]+)|\[(\d+|\*)\]""")  # `+` starts the next part


@dataclass(frozen=True)
class Part:
    column: str
    path: tuple[str, ...] = ()  # JSON keys and list indexes ("0"); "*" is any element
    fields: tuple[str, ...] = ()  # composite type fields: (column).field
    array: bool = False  # the elements of an array column (read in place as the whole array's text)

    @property
    def text(self) -> str:
        out = _quote(self.column) + "".join(f".{_quote(f)}" for f in self.fields) + ("[]" if self.array else "")
        return out + ("$" + "".join(_path_step(p) for p in self.path) if self.path else "")


@dataclass(frozen=True)
class Location:
    schema: str
    table: str
    parts: tuple[Part, ...]

    @property
    def qualified_table(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.column for p in self.parts))

    @property
    def is_column(self) -> bool:
        """A whole column (or columns joined), no JSON path."""
        return all(not p.path for p in self.parts)

    @property
    def readable_in_place(self) -> bool:
        """One value per row: no `[*]` step."""
        return all("*" not in p.path for p in self.parts)

    def table_sql(self) -> sql.Composable:
        return sql.Identifier(self.schema, self.table)

    def value_sql(self) -> sql.Composable:
        """The location's text value in a row (NULL when any part is NULL)."""
        exprs = [_part_sql(p) for p in self.parts]
        if len(exprs) == 1:
            return exprs[0]
        nulls = sql.SQL(" OR ").join(sql.SQL("({}) IS NULL").format(e) for e in exprs)
        joined = sql.SQL(" || ' ' || ").join(sql.SQL("({})").format(e) for e in exprs)
        return sql.SQL("CASE WHEN {} THEN NULL ELSE {} END").format(nulls, joined)

    def __str__(self) -> str:
        return f"{_quote(self.schema)}.{_quote(self.table)}." + "+".join(p.text for p in self.parts)


def parse(text: str) -> Location:
    """`schema.table.column[.field...][[]][$path][+column...]` -> Location."""
    schema, rest = _ident(text, 0)
    if not text.startswith(".", rest):
        raise ValueError(f"{text!r}: expected schema.table.column")
    table, rest = _ident(text, rest + 1)
    if not text.startswith(".", rest):
        raise ValueError(f"{text!r}: expected schema.table.column")
    parts = []
    position = rest + 1
    while True:
        part, position = _part(text, position)
        parts.append(part)
        if position == len(text):
            return Location(schema, table, tuple(parts))
        if text[position] != "+":
            raise ValueError(f"{text!r}: unexpected {text[position:]!r}")
        position += 1


def _part(text: str, position: int) -> tuple[Part, int]:
    column, position = _ident(text, position)
    fields: list[str] = []
    while text.startswith(".", position) and not text.startswith(".$", position):
        field, position = _ident(text, position + 1)
        fields.append(field)
    array = text.startswith("[]", position)
    position += 2 if array else 0
    path: list[str] = []
    if text.startswith(("$", ".$"), position):
        position += 1 if text[position] == "$" else 2
        while match := _PATH_STEP.match(text, position):
            key, index = match.groups()
            path.append(index if index is not None else _unquote(key))
            position = match.end()
    return Part(column, tuple(path), tuple(fields), array), position


def primary_key(conn: psycopg.Connection, schema: str, table: str) -> list[str]:
    """The primary key columns of a table, in key order; [] without one."""
    rows = conn.execute(
        "SELECT a.attname FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)"
        " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
        " WHERE i.indrelid = to_regclass(%s) AND i.indisprimary ORDER BY k.n",
        (f"{_quote_always(schema)}.{_quote_always(table)}",),
    ).fetchall()
    return [name for (name,) in rows]


def read_by_key(conn: psycopg.Connection, location: Location, key: list[str]) -> Iterator[tuple[tuple, str | None]]:
    """(primary key values as text, the location's value) for every row of the location's table."""
    query = sql.SQL("SELECT {}, {} FROM {}").format(
        sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(k)) for k in key),
        location.value_sql(),
        location.table_sql(),
    )
    for row in conn.execute(query):
        yield tuple(row[:-1]), row[-1]


def read_values(conn: psycopg.Connection, location: Location) -> Iterator[str]:
    """Every non-NULL value of a location (`[*]` steps and arrays expanded)."""
    first = location.parts[0]
    if len(location.parts) == 1 and first.array and not first.path:
        query = sql.SQL("SELECT concat(v) FROM {}, unnest({}) AS v WHERE v IS NOT NULL").format(
            location.table_sql(), _column_sql(first)
        )
    elif location.readable_in_place:
        query = sql.SQL("SELECT v FROM (SELECT {} AS v FROM {}) t WHERE v IS NOT NULL").format(
            location.value_sql(), location.table_sql()
        )
    else:
        (part,) = location.parts  # a list walk is one part: joining parts of different elements means nothing
        jsonpath = "$" + "".join(f"[{p}]" if p.isdigit() or p == "*" else f'."{p}"' for p in part.path)
        query = sql.SQL("SELECT v #>> '{{}}' FROM {}, jsonb_path_query({}::jsonb, {}) AS v").format(
            location.table_sql(), sql.Identifier(part.column), sql.Literal(jsonpath)
        )
    for (value,) in conn.execute(query):
        if value is not None:
            yield value


def _column_sql(part: Part) -> sql.Composable:
    """The column, or the composite field inside it."""
    value: sql.Composable = sql.Identifier(part.column)
    for field in part.fields:
        value = sql.SQL("({}).{}").format(value, sql.Identifier(field))
    return value


def _part_sql(part: Part) -> sql.Composable:
    if not part.path:
        # concat() prints with the type's output function (inet `::text` would add a /32); '' counts as no value
        return sql.SQL("NULLIF(concat({}), '')").format(_column_sql(part))
    return sql.SQL("{}::jsonb #>> {}").format(_column_sql(part), sql.Literal(list(part.path)))


def _ident(text: str, position: int) -> tuple[str, int]:
    match = _IDENT.match(text, position)
    if match is None:
        raise ValueError(f"{text!r}: expected an identifier at {position}")
    quoted, bare = match.groups()
    return (quoted.replace('""', '"') if quoted is not None else bare), match.end()


def _unquote(key: str) -> str:
    return key[1:-1].replace('""', '"') if key.startswith('"') else key


def _quote(name: str) -> str:
    return name if re.fullmatch(r"[a-z_][a-z0-9_]*", name) else '"' + name.replace('"', '""') + '"'


def _path_step(step: str) -> str:
    if step.isdigit() or step == "*":
        return f"[{step}]"
    return "." + (step if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", step) else '"' + step.replace('"', '""') + '"')


def _quote_always(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
