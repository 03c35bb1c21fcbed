"""Before the data phase: read the personal columns (names, emails, phones) into the run's KnownValues.

Tables run in parallel and in forked workers, so free text in one table may be transformed before the column
that holds the same customer's name. Filling `hook.KNOWN` first — and forking the workers after — lets every
worker recognize those values in free text and give them the same fake as their column (the replacement is
f(key, domain, normalized value), and free text uses the natural domains).

Only columns whose fake is keyed on the value itself in the natural domain qualify: a name keyed on the row id
(`key_column`) or a reading column would get another fake in free text than in its column. Memory is bounded:
distinct values only, at most `limit` of them; the report says when the cap was hit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from anonymize.copy_text import decode_field
from anonymize.pii.spans import Kind
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


def fill_known(plans: Sequence[object], source: object, limit: int = DEFAULT_LIMIT) -> PrepassReport:
    """Stream the qualifying columns of every plan (anonymize.pipeline.plan.TablePlan) from `source` into KNOWN; a name
    split in given and family columns is remembered whole (free text names people by their full name)."""
    from anonymize.pii.hook import reset_known

    known = reset_known()
    report = PrepassReport(columns=[])
    for plan in plans:
        if plan.skip:  # type: ignore[attr-defined]
            continue
        wanted = {
            name: kind
            for name, transformer in plan.transformers.items()  # type: ignore[attr-defined]
            if (kind := known_kind(transformer)) is not None
        }
        pair = name_parts(plan.transformers)  # type: ignore[attr-defined]
        if not wanted and pair is None:
            continue
        table = plan.table  # type: ignore[attr-defined]
        report.columns += [f"{table.name}.{name}" for name in wanted]
        columns = list(wanted) + [c for c in pair or () if c not in wanted]
        if pair is not None:
            report.columns.append(f"{table.name}.{pair[0]}+{pair[1]}")
        with source.stream(table, columns, plan.where) as stream:  # type: ignore[attr-defined]
            positions = [(stream.columns.index(name), kind) for name, kind in wanted.items()]
            parts = (stream.columns.index(pair[0]), stream.columns.index(pair[1])) if pair else None
            for chunk in stream.chunks:
                if report.capped:
                    continue  # dump streams must be read to their end before the next table
                for line in chunk.split(b"\n"):
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
                        report.capped = True
                        break
        if report.capped:
            break
    report.values = len(known)
    known.prepare()  # the run's workers fork after this: one automaton for all of them
    return report
