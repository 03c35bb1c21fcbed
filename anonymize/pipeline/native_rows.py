"""The C bridge of the row loop: `NativeLoop` runs RowTransformer.process's loop in anonymize/csrc/rows.c, the same
steps in the same order as the Python reference (rows.py), which tests/anonymize/test_speedups.py holds it to byte
for byte. Transformers stay Python, called per value (or their C common case, `native_transform`); what rows.c
needs to know of each slot is planned here, once per table: its record mode as rows.c numbers them, its callables,
and the memo it may read fakes from itself."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from anonymize.errors import AnonymizeError
from anonymize.leak_origins import shipment
from anonymize.native_interface import Failure, RecordMode, SlotSpec
from anonymize.pipeline.slots import (
    EMPTY_ROW,
    NOT_PERSONAL,
    PIECES,
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
from anonymize.speedups import NATIVE
from anonymize.verify import SEEN_LIMIT, LeakHasher

if NATIVE is not None:
    Mapping.register(NATIVE.Row)  # LazyRow's C twin: what transformers receive from the C row loop

# The record modes (slots.py) as rows.c numbers them. Whole if digit: the digit test (digits.whole_if_digit, which
# such a transformer declares as its leak_values) is made in C, without the call. Whole or nothing: the slot's
# leak_items is called and its first item recorded whole in C (it was a callback into Python per value, through
# LeakRecorder.record_whole). Pieces: the slot's leak_items is called, the recording is done in C.
_CODES = {
    NOT_PERSONAL: RecordMode.NOT_PERSONAL,
    WHOLE: RecordMode.WHOLE,
    WHOLE_OR_NOTHING: RecordMode.WHOLE_ITEM_OR_NOTHING,
    WHOLE_IF_DIGIT: RecordMode.WHOLE_IF_DIGIT,
    PIECES: RecordMode.PIECES,
}


class NativeLoop:
    """One table's row loop in C: the slot specs rows.c reads, planned at the first chunk and kept."""

    def __init__(
        self,
        table: str,
        width: int,
        slots: Sequence[Slot],
        hasher: LeakHasher | None,
        row: LazyRow | None,
        scan_inline: Mapping[int, int],
    ) -> None:
        assert NATIVE is not None
        self.table = table
        self.width = width
        self.slots = slots
        self.hasher = hasher
        self.specs = tuple(self._spec(slot, scan_inline) for slot in slots)
        self.row = NATIVE.Row(row._index) if row is not None else None

    def _spec(self, slot: Slot, scan_inline: Mapping[int, int]) -> SlotSpec:
        """What rows.c reads of a slot."""
        mode = record_mode(slot) if self.hasher is not None else NOT_PERSONAL
        transformer = slot.transformer
        native = transformer.native_transform()  # its common case in C: cheaper than any memo
        return SlotSpec(
            position=slot.position,
            transform=transformer.transform if native is None else native,
            mode=_CODES[mode],
            identifying=bool(slot.identifying),
            is_json=bool(slot.is_json),
            # leak_items in C when the transformer has it (addresses: no Python frame per value).
            leak_values=(transformer.native_leak_items() or transformer.leak_items)
            if mode in (PIECES, WHOLE_OR_NOTHING)
            else transformer.leak_values,
            scan_index=scan_inline.get(slot.position, -1),
            # Repeated emails, phones, IPs: the C loop reads the fake from the memo, no call into Python.
            memo=transformer.plain_memo() if native is None else None,
            origin=slot.origin,
        )

    def process(self, lines: list[bytes], scan: Callable[[list[bytes]], tuple[bytes, bytes, int]]) -> ChunkResult:
        """`lines` transformed in place; `scan` gives the output lines' keys for the leak check."""
        assert NATIVE is not None
        hasher = self.hasher
        failed = [0, 0]
        try:
            (
                counts,
                identifying,
                other,
                inline_hashes,
                inline_positions,
                inline_values,
                origins,
                ids,
                id_origins,
            ) = NATIVE.transform_lines(
                lines,
                self.width,
                self.specs,
                self.row if self.row is not None else EMPTY_ROW,
                self.row,
                hasher.salt if hasher is not None else None,
                hasher.seen[False] if hasher is not None else None,
                hasher.seen[True] if hasher is not None else None,
                SEEN_LIMIT,
                failed,
            )
        except AnonymizeError:
            raise
        except Exception as exc:
            if failed[0] == Failure.WIDTH:
                raise width_error(self.table, failed[1], self.width) from None
            if failed[0] == Failure.TRANSFORM:
                raise transform_error(self.slots[failed[1]], exc) from None
            raise
        rows = len(lines)
        hashes, positions, values = scan(lines)
        lines.append(b"")
        if hasher is None:
            return ChunkResult(b"\n".join(lines), rows, counts)
        scanned = (hashes + inline_hashes, positions + inline_positions, values + inline_values)
        return ChunkResult(
            b"\n".join(lines), rows, counts, identifying, other, scanned, origins, shipment(), ids, id_origins
        )
