"""What the two row loops share (the Python reference in rows.py, the C one behind native_rows.py): a slot per
transformed column, how its source values feed the leak check (its record mode), the source row as a mapping for
transformers keyed on another column, a chunk's result, and the errors either loop raises, worded alike."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from anonymize.copy_text import decode_field
from anonymize.errors import TransformError
from anonymize.leak_origins import Shipment
from anonymize.transformers.base import Transformer

EMPTY_ROW: Mapping[str, str | None] = MappingProxyType({})


class LazyRow(Mapping[str, str | None]):
    """The source row as a mapping, decoding a field only when a transformer asks for it."""

    __slots__ = ("_fields", "_index")

    def __init__(self, index: dict[str, int]) -> None:
        self._index = index
        self._fields: list[bytes] = []

    def __getitem__(self, name: str) -> str | None:
        return decode_field(self._fields[self._index[name]])

    def get(self, name: str, default: Any = None) -> Any:  # Mapping.get goes through __getitem__ and KeyError
        position = self._index.get(name)
        return default if position is None else decode_field(self._fields[position])

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


@dataclass
class Slot:
    position: int
    column: str
    transformer: Transformer
    personal: bool  # its source values feed the leak index (a personal column, and a run that keeps one)
    identifying: bool
    is_json: bool
    origin: int = 0  # the leak check's origin id of the column's whole values (pieces carry their own)


# How a slot's source values feed the leak index: not at all, or as its transformer declares (Capabilities.leak).
# The loops compare modes by identity: these objects, never strings equal to them.
NOT_PERSONAL = "not personal"
WHOLE = "whole"  # the value itself
WHOLE_IF_DIGIT = "whole if digit"  # the value if leak_values finds a digit in it (phone "なし": nothing to find)
WHOLE_OR_NOTHING = "whole or nothing"  # leak_items: the value with its own flag, or nothing (bank accounts)
PIECES = "pieces"  # leak_items: the pieces inside (JSON paths, free text, arrays)
_BY_LEAK = {"whole": WHOLE, "whole_if_digit": WHOLE_IF_DIGIT, "whole_or_nothing": WHOLE_OR_NOTHING, "pieces": PIECES}


def record_mode(slot: Slot) -> str:
    """How a slot's source values feed the leak index."""
    if not slot.personal:
        return NOT_PERSONAL
    return _BY_LEAK[slot.transformer.capabilities.leak]


@dataclass
class ChunkResult:
    """What transforming one chunk produced; small and picklable (it crosses from worker processes)."""

    data: bytes
    rows: int
    counts: list[list[int]]  # per slot: [values, changed, nulls, unchanged personal values]
    identifying: bytes = b""  # leak hashes, raw array('q') bytes
    other: bytes = b""
    scanned: tuple[bytes, bytes, int] = (b"", b"", 0)  # the output's keys: scan_lines' (hashes, positions, values)
    origins: bytes = b""  # the origin id of each identifying hash, raw array('I') bytes (anonymize.leak_origins)
    shipment: Shipment | None = None  # the origins the process met since its last result
    ids: bytes = b""  # identifiers the source keeps (card-shaped JSON ids): hashes, array('q') bytes ...
    id_origins: bytes = b""  # ... and their origin ids, array('I') bytes


def width_error(table: str, fields: int, width: int) -> TransformError:
    return TransformError(f"{table}: a row has {fields} fields where {width} columns were expected")


def transform_error(slot: Slot, exc: Exception) -> TransformError:
    # The message of an unexpected error may quote the value: name the column, never the value.
    return TransformError(
        f"{slot.column}: {slot.transformer.name} failed on a value ({type(exc).__name__})",
        "report this as a devkit bug, naming the transform and the column type",
    )
