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

from collections.abc import Sequence
from dataclasses import dataclass

from anonymize.copy_text import decode_field
from anonymize.pii.spans import Kind
from anonymize.transformers.base import Transformer

DEFAULT_LIMIT = 500_000
# Natural domain per kind: free text replaces spans with these transformers' default domains.
_KIND_OF = {"person_name": Kind.PERSON, "email": Kind.EMAIL, "phone": Kind.PHONE}


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
    """The kind a column's values are remembered as, or None when free text could not reproduce its fake."""
    kind = _KIND_OF.get(transformer.name)
    if kind is None or transformer.domain != transformer.default_domain:
        return None
    params = transformer.params
    if kind is Kind.PERSON and (
        getattr(params, "key_column", None) is not None
        or getattr(params, "part", "full") != "full"
        or getattr(params, "script", "kanji") not in ("kanji", "romaji", "latin")
    ):
        return None
    return kind


def fill_known(plans: Sequence[object], source: object, limit: int = DEFAULT_LIMIT) -> PrepassReport:
    """Stream the qualifying columns of every plan (anonymize.pipeline.TablePlan) from `source` into KNOWN."""
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
        if not wanted:
            continue
        table = plan.table  # type: ignore[attr-defined]
        report.columns += [f"{table.name}.{name}" for name in wanted]
        with source.stream(table, list(wanted), plan.where) as stream:  # type: ignore[attr-defined]
            positions = [(stream.columns.index(name), kind) for name, kind in wanted.items()]
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
                    if len(known) >= limit:
                        report.capped = True
                        break
        if report.capped:
            break
    report.values = len(known)
    return report
