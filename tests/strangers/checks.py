"""What the harness checks on a snapshot, one function per check, each returning its problems (empty = pass).

Problems name tables, columns, JSON paths, kinds and counts, never a source value: they go to CI logs. A problem
may carry an `example` (a fake, a schema line, or a value) that only the gap report prints, and only when asked.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import ahocorasick
import psycopg
from psycopg import sql

from testbed.strangers.common import luhn_valid
from testbed.strangers.locations import Location, parse, primary_key, read_by_key


@dataclass(frozen=True)
class Problem:
    text: str
    example: str | None = None  # may hold a personal value: shown by the gap report on request only

    def __str__(self) -> str:
        return self.text


# ---------------------------------------------------------------- finding planted values in text

_WORD = re.compile(r"[0-9a-z_]")


def searchable(needle: str) -> bool:
    """Long enough that finding it elsewhere means it leaked, not that a fake or another value happens to hold it:
    five characters in Latin script, three in Japanese (a full name)."""
    return len(needle) >= (5 if needle.isascii() else 3)


class Needles:
    """Planted values (lower-cased) found in text as whole tokens: `jsmith` is not found in `jsmiths`, nor
    `203.0.113.5` in `203.0.113.55`; a name is found inside Japanese text, which has no spaces."""

    def __init__(self, planted: Mapping[str, Iterable[str]], keep: Callable[[str], bool] = lambda _: True) -> None:
        self.owners: dict[str, set[str]] = defaultdict(set)  # needle -> the locations it was planted at
        for location, values in planted.items():
            for value in values:
                needle = value.strip().lower()
                if needle and keep(needle):
                    self.owners[needle].add(location)
        self._automaton = ahocorasick.Automaton()
        for needle in self.owners:
            self._automaton.add_word(needle, needle)
        if self.owners:
            self._automaton.make_automaton()

    def __bool__(self) -> bool:
        return bool(self.owners)

    def find(self, text: str) -> Iterator[tuple[int, str]]:
        """(start, needle) of every whole-token occurrence in lower-cased `text`."""
        if not self.owners:
            return
        for end, needle in self._automaton.iter(text):
            start = end - len(needle) + 1
            if _WORD.match(needle[0]) and start > 0 and _WORD.match(text[start - 1]):
                continue
            if _WORD.match(needle[-1]) and end + 1 < len(text) and _WORD.match(text[end + 1]):
                continue
            yield start, needle


@dataclass
class _Tally:
    needles: set[str]
    occurrences: int = 0


def _tally_problems(tallies: Mapping[str, _Tally], needles: Needles, what: str) -> list[Problem]:
    problems = []
    for found_at, tally in sorted(tallies.items()):
        planted = sorted({location for needle in tally.needles for location in needles.owners[needle]})
        problems.append(
            Problem(
                f"{what}{found_at}: {len(tally.needles)} planted value(s) of {', '.join(planted)}"
                f" ({tally.occurrences} occurrence(s))",
                example=sorted(tally.needles)[0],
            )
        )
    return problems


# ---------------------------------------------------------------- (b) leaks


def output_relations(conn: psycopg.Connection) -> list[tuple[str, str, list[str]]]:
    """(schema, relation, columns) of every table holding rows and every populated materialized view."""
    rows = conn.execute(
        "SELECT n.nspname, c.relname, array_agg(a.attname ORDER BY a.attnum)"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
        " WHERE (c.relkind = 'r' OR (c.relkind = 'm' AND c.relispopulated))"
        " AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'"
        " GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall()
    return [(schema, name, list(columns)) for schema, name, columns in rows]


def check_leaks(
    source: psycopg.Connection,
    target: psycopg.Connection,
    planted: Mapping[str, set[str]],
    in_place_only: set[str],
    coincidences: dict[str, set[str]] | None = None,
) -> list[Problem]:
    """Every planted value (but those only checked in place) searched in every text value of every table: a row's
    values are joined by spaces, so a full name kept in first_name + last_name is found too.

    A row is transformed on its own, so a real value can only survive in the row that held it: a planted value
    found in an output row whose source row (same primary key) does not hold it is a fake that happens to equal
    a real value elsewhere, not a leak. Those go to `coincidences` (table -> values), never to the problems.
    Without a primary key (a materialized view) every finding counts."""
    needles = Needles({k: v for k, v in planted.items() if k not in in_place_only}, searchable)
    leaks: dict[str, _Tally] = {}
    chance: dict[str, _Tally] = {}
    source_columns = {(schema, name): columns for schema, name, columns in output_relations(source)}
    for schema, relation, columns in output_relations(target):
        key = primary_key(target, schema, relation)
        hits = list(_hits(target, needles, schema, relation, key, columns))
        in_source = None
        if key and hits and (schema, relation) in source_columns:
            wanted = {pk for pk, _, _ in hits}
            in_source = _rows_text(source, schema, relation, key, source_columns[(schema, relation)], wanted)
        for pk, found_at, needle in hits:
            text = in_source.get(pk) if in_source is not None else None
            same_row = text is None or needle in text
            tally = (leaks if same_row else chance).setdefault(f"{_name(schema, relation)}.{found_at}", _Tally(set()))
            tally.needles.add(needle)
            tally.occurrences += 1
            if not same_row and coincidences is not None:
                coincidences.setdefault(_name(schema, relation), set()).add(needle)
    return _tally_problems(leaks, needles, "")


def _select_text(schema: str, relation: str, key: Sequence[str], columns: Sequence[str]) -> sql.Composable:
    """Primary key and every column as text ('' for NULL), output-function spelling (concat)."""
    return sql.SQL("SELECT {} FROM ONLY {}").format(
        sql.SQL(", ").join(sql.SQL("concat({})").format(sql.Identifier(c)) for c in [*key, *columns]),
        sql.Identifier(schema, relation),
    )


def _hits(
    conn: psycopg.Connection, needles: Needles, schema: str, relation: str, key: list[str], columns: list[str]
) -> Iterator[tuple[tuple, str, str]]:
    """(primary key, where in the row, needle) of every planted value in a relation."""
    with conn.cursor() as cur:
        for row in cur.execute(_select_text(schema, relation, key, columns)):
            for found_at, needle in _find_in_row(needles, row[len(key) :], columns):
                yield tuple(row[: len(key)]), found_at, needle


def _rows_text(
    conn: psycopg.Connection, schema: str, relation: str, key: list[str], columns: list[str], wanted: set[tuple]
) -> dict[tuple, str]:
    """primary key -> the row's values joined, lower-cased, for the `wanted` keys of a relation."""
    out = {}
    with conn.cursor() as cur:
        for row in cur.execute(_select_text(schema, relation, key, columns)):
            pk = tuple(row[: len(key)])
            if pk in wanted:
                out[pk] = " ".join(row[len(key) :]).lower()
    return out


def find_planted(conn: psycopg.Connection, needles: Needles) -> dict[str, _Tally]:
    """Where in a database's tables each needle is: "schema.table.column" (or "...colA+colB") -> its tally."""
    tallies: dict[str, _Tally] = {}
    for schema, relation, columns in output_relations(conn):
        for _, found_at, needle in _hits(conn, needles, schema, relation, [], columns):
            tally = tallies.setdefault(f"{_name(schema, relation)}.{found_at}", _Tally(set()))
            tally.needles.add(needle)
            tally.occurrences += 1
    return tallies


def _find_in_row(needles: Needles, row: Sequence[str], columns: Sequence[str]) -> Iterator[tuple[str, str]]:
    """(column or columns+joined, needle) of every planted value in a row."""
    starts, position = [], 0
    for value in row:
        starts.append(position)
        position += len(value) + 1
    text = " ".join(row).lower()
    for start, needle in needles.find(text):
        first = _column_at(starts, start)
        last = _column_at(starts, start + len(needle) - 1)
        yield "+".join(columns[first : last + 1]), needle


def _column_at(starts: list[int], position: int) -> int:
    return bisect.bisect_right(starts, position) - 1


_COPY_HEADER = re.compile(r"^COPY (\S+) \(")
_COPY_ESCAPE = re.compile(r"\\(.)")


def check_dump_leaks(
    dump_text: str,
    planted: Mapping[str, set[str]],
    in_place_only: set[str],
    coincidences: Mapping[str, set[str]] | None = None,
) -> list[Problem]:
    """The same search in `pg_dump --data-only` text of the output (COPY escapes decoded), per table; the
    values `check_leaks` found to be coincidences in a table are not counted again there."""
    needles = Needles({k: v for k, v in planted.items() if k not in in_place_only}, searchable)
    tallies: dict[str, _Tally] = {}
    table = "?"
    for line in dump_text.splitlines():
        if header := _COPY_HEADER.match(line):
            table = header.group(1)
            continue
        if not line or line.startswith(("--", "SET ", "SELECT ", "\\")):
            continue
        text = _COPY_ESCAPE.sub(lambda m: " " if m.group(1) in "bfnrtv" else m.group(1), line).lower()
        for _, needle in needles.find(text):
            if needle in (coincidences or {}).get(table, ()):
                continue
            tally = tallies.setdefault(table, _Tally(set()))
            tally.needles.add(needle)
            tally.occurrences += 1
    return _tally_problems(tallies, needles, "pg_dump --data-only, ")


def check_in_place(
    source: psycopg.Connection, target: psycopg.Connection, planted: Mapping[str, set[str]]
) -> list[Problem]:
    """Planted values still in their own row of the output (the same primary key), whatever their length: a kept
    column, a JSON key a path rule missed, a name free text left in place."""
    problems = []
    for text in sorted(planted):
        location = parse(text)
        if not location.readable_in_place:
            continue
        aligned = _aligned(source, target, location)
        if isinstance(aligned, Problem):
            problems.append(aligned)
            continue
        needles = Needles({text: planted[text]})
        survived = total = 0
        example = None
        for before, after in aligned:
            if before is None:
                continue
            found = {needle for _, needle in needles.find(before.lower())}
            if not found:
                continue
            total += 1
            kept = {needle for _, needle in needles.find(after.lower())} & found if after is not None else set()
            if kept:
                survived += 1
                example = example or sorted(kept)[0]
        if survived:
            problems.append(Problem(f"{text}: {survived} of {total} planted value(s) unchanged in their row", example))
    return problems


def _aligned(
    source: psycopg.Connection, target: psycopg.Connection, location: Location
) -> list[tuple[str | None, str | None]] | Problem:
    """(source value, output value) of each source row of a location, matched by primary key."""
    key = primary_key(source, location.schema, location.table)
    if not key:
        return Problem(f"{location}: {location.qualified_table} has no primary key; its rows can't be matched")
    try:
        after = dict(read_by_key(target, location, key))
    except psycopg.Error as error:
        target.rollback()
        return Problem(f"{location}: can't be read in the output: {str(error).splitlines()[0]}")
    return [(value, after.get(pk)) for pk, value in read_by_key(source, location, key)]


# ---------------------------------------------------------------- (c) row counts, foreign keys, sequences


def _leaf_counts(conn: psycopg.Connection) -> dict[str, int]:
    tables = conn.execute(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
        " AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1, 2"
    ).fetchall()
    return {
        _name(schema, name): conn.execute(
            sql.SQL("SELECT count(*) FROM ONLY {}").format(sql.Identifier(schema, name))
        ).fetchone()[0]
        for schema, name in tables
    }


def check_row_counts(source: psycopg.Connection, target: psycopg.Connection) -> list[Problem]:
    before, after = _leaf_counts(source), _leaf_counts(target)
    problems = []
    for table in sorted(before.keys() | after.keys()):
        if table not in after:
            problems.append(Problem(f"{table}: missing in the output ({before[table]} rows in the source)"))
        elif table not in before:
            problems.append(Problem(f"{table}: in the output but not in the source"))
        elif before[table] != after[table]:
            problems.append(Problem(f"{table}: {before[table]} rows in the source, {after[table]} in the output"))
    return problems


_FOREIGN_KEYS = """
SELECT c.conname, cn.nspname, cc.relname, pn.nspname, pc.relname,
       array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i),
       array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i)
FROM pg_constraint c
JOIN pg_class cc ON cc.oid = c.conrelid JOIN pg_namespace cn ON cn.oid = cc.relnamespace
JOIN pg_class pc ON pc.oid = c.confrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace
WHERE c.contype = 'f' AND c.conparentid = 0
ORDER BY 2, 3, 1
"""


def check_foreign_keys(source: psycopg.Connection, target: psycopg.Connection) -> list[Problem]:
    """Every foreign key of the source is in the output and no output row breaks it."""
    problems = []
    source_keys = {(r[1], r[2], r[0]) for r in source.execute(_FOREIGN_KEYS)}
    found = set()
    for name, schema, table, parent_schema, parent, columns, parent_columns in target.execute(_FOREIGN_KEYS):
        found.add((schema, table, name))
        child = sql.Identifier(schema, table)
        query = sql.SQL("SELECT count(*) FROM {} c WHERE {} AND NOT EXISTS (SELECT 1 FROM {} p WHERE {})").format(
            child,
            sql.SQL(" AND ").join(sql.SQL("c.{} IS NOT NULL").format(sql.Identifier(c)) for c in columns),
            sql.Identifier(parent_schema, parent),
            sql.SQL(" AND ").join(
                sql.SQL("p.{} = c.{}").format(sql.Identifier(p), sql.Identifier(c))
                for c, p in zip(columns, parent_columns, strict=True)
            ),
        )
        orphans = target.execute(query).fetchone()[0]
        if orphans:
            problems.append(Problem(f"{_name(schema, table)}.{name}: {orphans} row(s) reference no parent row"))
    for schema, table, name in sorted(source_keys - found):
        problems.append(Problem(f"{_name(schema, table)}.{name}: foreign key missing in the output"))
    return problems


_SEQUENCES = """
SELECT s.schemaname, s.sequencename, s.last_value, tn.nspname, t.relname, a.attname
FROM pg_sequences s
JOIN pg_class sc ON sc.relname = s.sequencename
JOIN pg_namespace sn ON sn.oid = sc.relnamespace AND sn.nspname = s.schemaname
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = sc.oid
     AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
LEFT JOIN pg_class t ON t.oid = d.refobjid LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
ORDER BY 1, 2
"""


def check_sequences(source: psycopg.Connection, target: psycopg.Connection) -> list[Problem]:
    """Each sequence of the output hands out a value above its column's rows, and stands where the source's does."""
    before = {(r[0], r[1]): r[2] for r in source.execute(_SEQUENCES)}
    problems = []
    seen = set()
    for schema, name, last_value, table_schema, table, column in target.execute(_SEQUENCES):
        seen.add((schema, name))
        label = _name(schema, name)
        if table is not None:
            top = target.execute(
                sql.SQL("SELECT max({}) FROM {}").format(sql.Identifier(column), sql.Identifier(table_schema, table))
            ).fetchone()[0]
            if top is not None and (last_value is None or last_value < top):
                problems.append(Problem(f"{label}: next value {last_value or 1} <= max({table}.{column}) = {top}"))
        if (schema, name) in before and before[(schema, name)] != last_value:
            problems.append(
                Problem(f"{label}: last value {last_value} in the output, {before[(schema, name)]} in the source")
            )
    for schema, name in sorted(before.keys() - seen):
        problems.append(Problem(f"{_name(schema, name)}: sequence missing in the output"))
    return problems


# ---------------------------------------------------------------- (d) schema parity, materialized views

_TOC = re.compile(r"^-- (?:Data for )?Name: (.*); Type: (.*); Schema: (.*); Owner: (.*)$")
_NOISE = ("SET ", "SELECT pg_catalog.set_config(", "\\restrict", "\\unrestrict", "--")


def dump_entries(schema_dump: str) -> dict[tuple[str, str, str], tuple[str, list[str]]]:
    """`pg_dump --schema-only` text -> (type, schema, name) -> (owner, statement lines), session settings and
    comments dropped."""
    entries: dict[tuple[str, str, str], tuple[str, list[str]]] = {}
    current: list[str] | None = None
    for line in schema_dump.splitlines():
        if header := _TOC.match(line):
            name, kind, schema, owner = header.groups()
            current = []
            entries[(kind, schema, name)] = (owner, current)
        elif current is not None and line.strip() and not line.startswith(_NOISE):
            current.append(line.rstrip())
    return entries


def check_schema(source_dump: str, target_dump: str) -> list[Problem]:
    """`pg_dump --schema-only` of source and output, entry by entry: missing, extra, other owner, other text
    (the rules change data only, so any difference is a loss)."""
    before, after = dump_entries(source_dump), dump_entries(target_dump)
    problems = []
    for key in sorted(before.keys() | after.keys()):
        kind, schema, name = key
        label = f"{kind} {schema}.{name}" if schema != "-" else f"{kind} {name}"
        if key not in after:
            problems.append(Problem(f"{label}: missing in the output", "\n".join(before[key][1])))
        elif key not in before:
            problems.append(Problem(f"{label}: in the output only", "\n".join(after[key][1])))
        else:
            (owner, lines), (owner_after, lines_after) = before[key], after[key]
            if owner != owner_after:
                problems.append(Problem(f"{label}: owner {owner_after} in the output, {owner} in the source"))
            if lines != lines_after:
                diff = next(((a, b) for a, b in zip(lines, lines_after, strict=False) if a != b), None)
                shown = f"source: {diff[0]}\noutput: {diff[1]}" if diff else f"{len(lines)} vs {len(lines_after)} lines"
                problems.append(Problem(f"{label}: differs", shown))
    return problems


def check_matviews(source: psycopg.Connection, target: psycopg.Connection) -> list[Problem]:
    """Every materialized view populated in the source is populated in the output, with as many rows."""
    query = "SELECT schemaname, matviewname, ispopulated FROM pg_matviews ORDER BY 1, 2"
    after = {(s, n): populated for s, n, populated in target.execute(query)}
    problems = []
    for schema, name, populated in source.execute(query):
        label = _name(schema, name)
        if (schema, name) not in after:
            problems.append(Problem(f"{label}: materialized view missing in the output"))
        elif populated and not after[(schema, name)]:
            problems.append(Problem(f"{label}: materialized view not populated in the output"))
        elif populated:
            count = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, name))
            rows, rows_after = source.execute(count).fetchone()[0], target.execute(count).fetchone()[0]
            if rows != rows_after:
                problems.append(Problem(f"{label}: {rows} rows in the source, {rows_after} in the output"))
    return problems


# ---------------------------------------------------------------- (e) identifiers


def check_ids(source: psycopg.Connection, target: psycopg.Connection, id_columns: Iterable[str]) -> list[Problem]:
    """Identifiers come out byte-identical, row by row; the shapes of those that didn't say why they were taken
    for personal data (19 digits that pass Luhn look like a card)."""
    problems = []
    for text in id_columns:
        location = parse(text)
        aligned = _aligned(source, target, location)
        if isinstance(aligned, Problem):
            problems.append(aligned)
            continue
        pairs = [(before, after) for before, after in aligned if before is not None]
        changed = [(before, after) for before, after in pairs if before != after]
        if changed:
            shapes = Counter(_shape(before) for before, _ in changed)
            shown = ", ".join(f"{shape} ×{n}" for shape, n in shapes.most_common())
            problems.append(Problem(f"{text}: {len(changed)} of {len(pairs)} ids changed ({shown})", changed[0][1]))
    return problems


def _shape(value: str) -> str:
    if value.isdigit():
        return f"{len(value)} digits" + (", Luhn-valid" if luhn_valid(value) else "")
    return re.sub(r"[0-9]+", "9", re.sub(r"[A-Za-z]+", "a", value))[:24]


# ---------------------------------------------------------------- (f) locale of the fakes


def _scripts(text: str) -> tuple[bool, bool]:
    """(has Latin letters, has Japanese characters)."""
    latin = any((c.isalpha() and c.isascii()) or "\u00c0" <= c <= "\u024f" for c in text)
    japanese = any("\u3040" <= c <= "\u30ff" or "\u3400" <= c <= "\u9fff" or c == "\u3005" for c in text)
    return latin, japanese


def _latin_only(text: str) -> bool:
    latin, japanese = _scripts(text)
    return latin and not japanese


def _japanese(text: str) -> bool:
    return _scripts(text)[1]


_UK_POSTCODE = re.compile(r"^(GIR 0AA|[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})$")

# kind -> does a value look like one. A fake must be of the kind of the value it replaces.
LOCALE_KINDS: dict[str, Callable[[str], bool]] = {
    "western_name": lambda v: _latin_only(v) and re.fullmatch(r"[^\W\d_]+(?:[ '.\-]+[^\W\d_]+)*\.?", v) is not None,
    "japanese_name": lambda v: _japanese(v) and not _scripts(v)[0],
    "latin_script": _latin_only,
    "japanese_script": _japanese,
    "us_zip": lambda v: re.fullmatch(r"\d{5}(-\d{4})?", v) is not None,
    "uk_postcode": lambda v: _UK_POSTCODE.match(v) is not None,
    "jp_postal": lambda v: re.fullmatch(r"〒?\d{3}-?\d{4}", v) is not None,
    # The shape of a NANP number, not its validity: unassigned exchanges (0XX, 555-01XX) are how fakes stay unreal.
    "us_phone": lambda v: re.fullmatch(r"(\+1[ -]?)?\(?\d{3}\)?[ .-]?\d{3}[.-]\d{4}", v) is not None,
    "10_digit_phone": lambda v: re.fullmatch(r"\d{10}", v) is not None,
    "uk_phone": lambda v: re.fullmatch(r"\+44[ \d]+", v) is not None and len(re.sub(r"\D", "", v)) == 12,
    "jp_mobile": lambda v: re.fullmatch(r"0[789]0-?\d{4}-?\d{4}", v) is not None,
    "login": lambda v: re.fullmatch(r"[a-z][a-z0-9._\-]{1,31}", v) is not None,
}


def classify(value: str, kinds: Sequence[str]) -> str | None:
    """The first of `kinds` the value is, or None."""
    return next((kind for kind in kinds if LOCALE_KINDS[kind](value)), None)


def check_locale(
    source: psycopg.Connection, target: psycopg.Connection, expectations: Mapping[str, Sequence[str]]
) -> list[Problem]:
    """Each fake is of the kind of the value it replaced (a Western name stays Latin, a UK postcode a postcode)."""
    problems = []
    for text, kinds in expectations.items():
        kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
        aligned = _aligned(source, target, parse(text))
        if isinstance(aligned, Problem):
            problems.append(aligned)
            continue
        total: Counter[str] = Counter()
        wrong: Counter[str] = Counter()
        examples: dict[str, str] = {}
        unclassified = 0
        for before, after in aligned:
            if before is None or after is None:
                continue  # nulled: nothing to look like
            kind = classify(before, kinds)
            if kind is None:
                unclassified += 1
                continue
            total[kind] += 1
            if not LOCALE_KINDS[kind](after):
                wrong[kind] += 1
                examples.setdefault(kind, after)
        for kind, n in wrong.most_common():
            problems.append(Problem(f"{text}: {n} of {total[kind]} {kind} values became another kind", examples[kind]))
        if unclassified:
            problems.append(Problem(f"{text}: {unclassified} source value(s) of none of {', '.join(kinds)}"))
    return problems


# ---------------------------------------------------------------- (g) scan


def check_scan(findings: Iterable[Mapping], expected: Mapping[tuple[str, str], str]) -> list[Problem]:
    """`devkit scan` named every (table, column) it had to; `expected` says why each had to be named."""
    named = {(f["table"], f["column"]) for f in findings}
    return [
        Problem(f"{table}.{column} ({why}): not named by devkit scan")
        for (table, column), why in sorted(expected.items())
        if (table, column) not in named
    ]


def _name(schema: str, name: str) -> str:
    return f"{schema}.{name}"
