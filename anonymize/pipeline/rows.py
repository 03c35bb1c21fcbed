"""The row loop: `RowTransformer` turns chunks of one table's COPY TEXT lines into transformed lines, the counts
of what changed, the keyed hashes of the personal source values met (the leak index's input) and the keys of the
output the leak check scans. `process` runs the loop in C when the extension is built (native_rows.py); the
Python loop here is its reference, and the one that runs without it (or with DEVKIT_PURE_PYTHON=1)."""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence
from dataclasses import replace

from anonymize.copy_text import NULL, TAB, decode_field, encode_field
from anonymize.errors import AnonymizeError, TransformError
from anonymize.leak_keys import MIN_KEY_LENGTH, NATIVE, output_hashes
from anonymize.leak_origins import Origin, origin_id, shipment
from anonymize.pipeline.native_rows import NativeLoop
from anonymize.pipeline.plan import TablePlan
from anonymize.pipeline.slots import (
    EMPTY_ROW,
    NOT_PERSONAL,
    WHOLE,
    WHOLE_IF_DIGIT,
    WHOLE_OR_NOTHING,
    ChunkResult,
    LazyRow,
    Slot,
    record_mode,
    transform_error,
    width_error,
)
from anonymize.verify import LeakHasher, LeakRecorder, ScanTarget, scan_lines


class RowTransformer:
    """Transforms chunks of COPY TEXT lines of one table. Kept columns are never decoded: their bytes pass
    through, and a line none of whose values changed is written back as the very bytes that came in."""

    def __init__(
        self,
        plan: TablePlan,
        stream_columns: Sequence[str],
        hasher: LeakHasher | None = None,
        native: bool = NATIVE is not None,
    ) -> None:
        self.table = plan.table.name
        self.native = native  # the row loop in C (anonymize/csrc/rows.c); the Python loop below is the reference
        self._native: NativeLoop | None = None  # made at the first chunk
        self.width = len(stream_columns)
        self.hasher = hasher
        self.scan: ScanTarget | None = None
        self.scan_at: tuple[int, ...] = ()  # stream positions of the columns scanned after the rows are made
        self.scan_json: tuple[bool, ...] = ()
        self.scan_inline: dict[int, int] = {}  # stream position -> scan column, for fakes scanned as they're made
        position = {name: i for i, name in enumerate(stream_columns)}
        missing = [name for name in plan.transformers if name not in position]
        if missing:
            raise TransformError(f"{self.table}: the source's rows lack column(s) {', '.join(sorted(missing))}")
        self.slots: list[Slot] = []
        needs_row = False
        for name, transformer in plan.transformers.items():
            column = plan.columns[name]
            self.slots.append(
                Slot(
                    position[name],
                    column.qualified,
                    transformer,
                    transformer.personal and hasher is not None,
                    transformer.identifying,
                    column.family == "json",
                    origin_id(Origin(column.qualified, None, transformer.name)) if hasher is not None else 0,
                )
            )
            needs_row = needs_row or bool(transformer.row_columns)
        self.row: LazyRow | None = LazyRow(position) if needs_row else None
        if plan.scan is not None and hasher is not None:
            self._plan_scan(plan.scan, stream_columns)

    def _plan_scan(self, scan: ScanTarget, stream_columns: Sequence[str]) -> None:
        """Which output columns the leak check scans, and how: a column whose every value is a fresh fake is
        scanned in the loop that makes it (the fake is at hand, decoded); the others once the lines are made."""
        target, at = scan.in_stream(stream_columns)
        transformed = {slot.position for slot in self.slots}
        inline = [(c, p) for c, p in zip(target.columns, at, strict=True) if c.name in scan.faked and p in transformed]
        rest = [(c, p) for c, p in zip(target.columns, at, strict=True) if (c, p) not in inline]
        self.scan = replace(target, columns=[c for c, _ in rest + inline])
        self.scan_at = tuple(p for _, p in rest)
        self.scan_json = tuple(c.family == "json" for c, _ in rest)
        self.scan_inline = {p: len(rest) + i for i, (_, p) in enumerate(inline)}

    def process(self, chunk: bytes) -> ChunkResult:
        """A chunk of whole lines in, the transformed lines (and what happened to them) out."""
        lines = chunk.split(b"\n")
        if lines[-1]:
            raise TransformError(f"{self.table}: a row was cut short (truncated COPY data)")
        lines.pop()
        if not self.slots:
            return ChunkResult(chunk, len(lines), [], scanned=self._scan(lines))
        if self.native:
            if self._native is None:  # what the C loop needs of the plan: the same for every chunk
                self._native = NativeLoop(self.table, self.width, self.slots, self.hasher, self.row, self.scan_inline)
            return self._native.process(lines, self._scan)
        return self._process_python(lines)

    def _process_python(self, lines: list[bytes]) -> ChunkResult:
        """The reference loop: NativeLoop does the same steps in the same order."""
        counts = [[0, 0, 0, 0] for _ in self.slots]
        recorder = LeakRecorder.new(self.hasher) if self.hasher is not None else None
        row = self.row
        row_arg: Mapping[str, str | None] = row if row is not None else EMPTY_ROW
        width = self.width
        scan_inline = self.scan_inline
        # Everything the loop needs per slot, bound once per chunk (attribute lookups cost per value).
        plan = [
            (
                slot.position,
                slot.transformer.transform,
                count,
                record_mode(slot) if recorder is not None else NOT_PERSONAL,
                slot.identifying,
                slot.is_json,
                slot.transformer.leak_items,
                slot.transformer.leak_values,
                scan_inline.get(slot.position),
                slot,
                slot.origin,
            )
            for slot, count in zip(self.slots, counts, strict=True)
        ]
        record_whole = recorder.record_whole if recorder is not None else None
        record_pieces = recorder.record if recorder is not None else None
        inline_hashes = array("q")
        inline_positions = array("h")
        inline_values = 0
        salt = self.hasher.salt if self.hasher is not None else ""
        for i, line in enumerate(lines):
            fields = line.split(TAB)
            if len(fields) != width:
                raise width_error(self.table, len(fields), width)
            if row is not None:
                row._fields = fields
            out: list[bytes] | None = None
            for (
                position,
                transform,
                count,
                mode,
                identifying,
                is_json,
                leak_items,
                leak_values,
                scan_index,
                slot,
                origin,
            ) in plan:
                raw = fields[position]
                if raw == NULL:
                    count[2] += 1
                    continue
                value = decode_field(raw) if b"\\" in raw else raw.decode()
                try:
                    new = transform(value, row_arg)
                except AnonymizeError:
                    raise
                except Exception as exc:
                    raise transform_error(slot, exc) from None
                count[0] += 1
                if new != value:
                    count[1] += 1
                    if out is None:
                        out = fields.copy()
                    out[position] = written = encode_field(new)
                else:
                    written = raw
                if scan_index is not None and new is not None and len(written) >= MIN_KEY_LENGTH:
                    inline_values += 1
                    for hashed in output_hashes(new, is_json, salt):
                        inline_hashes.append(hashed)
                        inline_positions.append(scan_index)
                if mode is NOT_PERSONAL:
                    continue
                if mode is WHOLE:
                    unchanged = record_whole(value, new, identifying, origin)  # type: ignore[misc]
                elif mode is WHOLE_IF_DIGIT:
                    found = tuple(leak_values(value))  # (value,) or (): no copy when it is a tuple
                    unchanged = bool(found) and record_whole(found[0], new, identifying, origin)  # type: ignore[misc]
                elif mode is WHOLE_OR_NOTHING:
                    items = list(leak_items(value))  # (value, identifying[, origin]) or nothing
                    unchanged = bool(items) and record_whole(  # type: ignore[misc]
                        items[0][0], new, items[0][1], items[0][2] if len(items[0]) > 2 else origin
                    )
                else:
                    unchanged = record_pieces(list(leak_items(value)), new, is_json, origin)  # type: ignore[misc]
                if unchanged:
                    count[3] += 1
            if out is not None:
                lines[i] = TAB.join(out)
        rows = len(lines)
        hashes, positions, values = self._scan(lines)
        scanned = (hashes + inline_hashes.tobytes(), positions + inline_positions.tobytes(), values + inline_values)
        lines.append(b"")
        if recorder is None:
            return ChunkResult(b"\n".join(lines), rows, counts)
        identifying, other = recorder.identifying.tobytes(), recorder.other.tobytes()
        origins = recorder.origins.tobytes()
        ids, id_origins = recorder.ids.tobytes(), recorder.id_origins.tobytes()
        return ChunkResult(
            b"\n".join(lines), rows, counts, identifying, other, scanned, origins, shipment(), ids, id_origins
        )

    def _scan(self, lines: list[bytes]) -> tuple[bytes, bytes, int]:
        """The output lines' keys for the leak check, while they are at hand."""
        if not self.scan_at:
            return (b"", b"", 0)
        assert self.hasher is not None
        return scan_lines(lines, self.scan_at, self.scan_json, self.hasher, self.native)
