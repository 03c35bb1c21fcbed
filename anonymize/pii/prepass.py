"""Before the data phase: read the personal columns (names, emails, phones) into the run's KnownValues.

Tables run in parallel and in forked workers, so free text in one table may be transformed before the column
that holds the same customer's name. Filling `hook.KNOWN` first — and forking the workers after — lets every
worker recognize those values in free text and give them the same fake as their column (the replacement is
f(key, domain, normalized value), and free text uses the natural domains).

Only columns whose fake is keyed on the value itself in the natural domain qualify: a name keyed on the row id
(`key_column`) or a reading column would get another fake in free text than in its column. Memory is bounded:
distinct values only, at most `limit` of them; the report says when the cap was hit.

Cost (strangers at --scale 1, 165,956 values from 17 columns: bench/snapshot/profile_known.py): each chunk is decoded
whole and its new fields added in one KnownValues.add_pairs; a live source's next tables are read ahead, in the one
exported snapshot. Of what is left (~1.3 CPU s), ~60% is decoding and adding, ~40% building the Aho-Corasick automaton
(pyahocorasick, which holds the GIL) and its gate: a live source's run gathers them while the target's database is
created and pre-data restored (anonymize/pipeline/run.py).
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from anonymize.copy_text import decode_field
from anonymize.pii.known import KnownValues
from anonymize.pii.spans import Kind
from anonymize.sources import TableStream
from anonymize.transformers.base import Transformer

DEFAULT_LIMIT = 500_000


@dataclass
class PrepassReport:
    columns: list[str]
    values: int = 0
    capped: bool = False

    def note(self, limit: int) -> str:
        line = f"known values: {self.values} distinct names/emails/phones from {len(self.columns)} column(s)"
        if self.capped:
            line += (
                f"; stopped at the cap of {limit}: free text may give a value met only after it a fake that "
                "differs from its column's (still anonymized)"
            )
        return line


def known_kind(transformer: Transformer) -> Kind | None:
    """The kind a column's values are remembered as, or None when free text could not reproduce its fake (the
    transformer says which: `remembered`, `known_kind`)."""
    kind = transformer.known_kind()
    return None if kind is None else Kind(kind)


def name_parts(transformers: Mapping[str, Transformer]) -> tuple[str, str] | None:
    """(given, family) columns of a table whose names are split in two (first_name, last_name): a full name in free
    text is the two together, in either order."""
    parts: dict[str, str] = {}
    for name, transformer in transformers.items():
        part = getattr(transformer.params, "part", None)
        written = getattr(transformer.params, "script", "kanji") in ("kanji", "romaji", "latin")  # not a reading
        if transformer.name == "person_name" and part in ("given", "family") and written:
            parts.setdefault(part, name)
    return (parts["given"], parts["family"]) if len(parts) == 2 else None


def full_names(given: str, family: str) -> tuple[str, ...]:
    """How a full name made of two columns is written in text: Taro Yamada / Yamada Taro, 山田太郎 / 山田 太郎."""
    given, family = given.strip(), family.strip()
    if not given or not family:
        return ()
    if given.isascii() and family.isascii():
        return (f"{given} {family}", f"{family} {given}")
    return (f"{family}{given}", f"{family} {given}")


@dataclass
class _Read:
    """One table's columns the pre-pass reads, and what each is remembered as."""

    plan: Any  # anonymize.pipeline.plan.TablePlan (not imported: the pipeline imports this module)
    columns: list[str]  # the columns streamed: `wanted`'s, then the name pair's not among them
    wanted: dict[str, Kind]
    pair: tuple[str, str] | None  # (given, family) columns remembered whole


def _reads(plans: Sequence[Any]) -> list[_Read]:
    reads = []
    for plan in plans:
        if plan.skip:
            continue
        wanted = {
            name: kind
            for name, transformer in plan.transformers.items()
            if (kind := known_kind(transformer)) is not None
        }
        pair = name_parts(plan.transformers)
        if wanted or pair is not None:
            columns = list(wanted) + [c for c in pair or () if c not in wanted]
            reads.append(_Read(plan, columns, wanted, pair))
    return reads


def fill_known(plans: Sequence[object], source: object, limit: int = DEFAULT_LIMIT, streams: int = 1) -> PrepassReport:
    """Stream the qualifying columns of every plan (anonymize.pipeline.plan.TablePlan) from `source` into KNOWN; a name
    split in given and family columns is remembered whole (free text names people by their full name).

    `streams`: tables read at once from a live source (the run's --jobs: no more COPYs than its data phase holds).
    The ones after the table being added run ahead, each its own psql in the run's exported snapshot, filling its
    pipe (1 MB, the whole column set of most tables); read in order, they are added in order: the values, the
    literals' first owners and the cap's cut are as read one table after another."""
    from anonymize.pii.hook import reset_known

    known = reset_known()
    report = PrepassReport(columns=[])
    reads = _reads(plans)
    ahead = max(0, streams - 1) if getattr(source, "live", False) else 0  # dump streams are read one by one
    seen: dict[Kind, set[str]] = {}  # fields already added, per kind (as COPY wrote them): skipped
    with contextlib.closing(_streams(source, reads, ahead)) as opened:
        for read, stream in zip(reads, opened, strict=False):
            table = read.plan.table
            report.columns += [f"{table.name}.{name}" for name in read.wanted]
            if read.pair is not None:
                report.columns.append(f"{table.name}.{read.pair[0]}+{read.pair[1]}")
            positions = [(stream.columns.index(name), kind) for name, kind in read.wanted.items()]
            parts = (stream.columns.index(read.pair[0]), stream.columns.index(read.pair[1])) if read.pair else None
            for chunk in stream.chunks:
                if report.capped:
                    continue  # dump streams must be read to their end before the next table
                report.capped = _add_chunk(known, chunk, positions, parts, seen, limit)
            if report.capped:
                break
    report.values = len(known)
    known.prepare()  # the run's workers fork after this: one automaton for all of them
    return report


def _streams(source: Any, reads: Sequence[_Read], ahead: int) -> Iterator[TableStream]:
    """Each read's stream, in order; the next `ahead` ones are opened before one is handed out. Close the generator
    when done: the streams opened ahead are closed with it."""
    opened: deque[tuple[contextlib.ExitStack, TableStream]] = deque()
    following = iter(reads)
    try:
        for _ in reads:
            while len(opened) <= ahead and (read := next(following, None)) is not None:
                table, where = read.plan.table, read.plan.where
                stack = contextlib.ExitStack()
                opened.append((stack, stack.enter_context(source.stream(table, read.columns, where))))
            stack, stream = opened.popleft()
            with stack:
                yield stream
    finally:
        for stack, _ in opened:
            stack.close()


def _add_chunk(
    known: KnownValues,
    chunk: bytes,
    positions: list[tuple[int, Kind]],
    parts: tuple[int, int] | None,
    seen: dict[Kind, set[str]],
    limit: int,
) -> bool:
    """Add a chunk's rows (as `_add_rows` does, in one batch when no row of it can reach the cap); True when the cap
    was reached."""
    rows = chunk.count(b"\n")
    if len(known) + rows * (len(positions) + 2 * (parts is not None)) < limit:
        try:
            text = chunk.decode()
        except UnicodeDecodeError:
            pass  # a column not read here may hold other bytes (a dump file of a SQL_ASCII database): field by field
        else:
            known.add_pairs(_pairs(text, positions, parts, seen, limit))
            return False
    return _add_rows(known, chunk.split(b"\n"), positions, parts, limit)


def _pairs(
    text: str,
    positions: list[tuple[int, Kind]],
    parts: tuple[int, int] | None,
    seen: dict[Kind, set[str]],
    limit: int,
) -> list[tuple[Kind, str]]:
    """The (kind, value) pairs `_add_rows` would add for a chunk's rows (`text`: the chunk decoded whole, which is
    what decode_field does to each field: COPY's escapes are ASCII, and only a field holding one needs more), in its
    order, less the fields met before (the same field adds nothing the second time: a fifth of strangers' repeat).
    `seen` holds at most `limit` fields per kind (beyond that, a repeat is only added again)."""
    pairs: list[tuple[Kind, str]] = []
    append = pairs.append
    met = [(position, kind, seen.setdefault(kind, set())) for position, kind in positions]
    both = seen.setdefault(Kind.PERSON, set())
    for line in text.split("\n"):
        if not line:
            continue
        fields = line.split("\t")
        for position, kind, fields_seen in met:
            field = fields[position]
            if field in fields_seen:
                continue
            if len(fields_seen) < limit:
                fields_seen.add(field)
            value = _unescaped(field) if "\\" in field else field
            if value and value.strip():
                append((kind, value))
        if parts is not None:
            given, family = fields[parts[0]], fields[parts[1]]
            whole = given + "\t" + family  # no field holds a raw tab (COPY escapes it): one key per pair
            if whole in both:
                continue
            if len(both) < limit:
                both.add(whole)
            if "\\" in whole:
                given, family = _unescaped(given) or "", _unescaped(family) or ""
            for full in full_names(given, family):
                append((Kind.PERSON, full))
    return pairs


def _unescaped(field: str) -> str | None:
    return decode_field(field.encode())


def _add_rows(
    known: KnownValues,
    lines: list[bytes],
    positions: list[tuple[int, Kind]],
    parts: tuple[int, int] | None,
    limit: int,
) -> bool:
    """Add `lines` row by row until the cap: True when it was reached (the row that reached it added whole)."""
    for line in lines:
        if not line:
            continue
        fields = line.split(b"\t")
        for position, kind in positions:
            value = decode_field(fields[position])
            if value and value.strip():
                known.add(kind, value)
        if parts is not None:
            given, family = decode_field(fields[parts[0]]), decode_field(fields[parts[1]])
            for full in full_names(given or "", family or ""):
                known.add(Kind.PERSON, full)
        if len(known) >= limit:
            return True
    return False
