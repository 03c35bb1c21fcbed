"""Proof after every load, before the snapshot is published: row counts, foreign keys, sequences, and a leak check.

The leak check has two halves. While the pipeline streams, every source value of a personal column (and every
personal piece inside JSON and free text) is hashed into a `LeakIndex`, and a value that comes out unchanged in
its own row is counted. As the rows are written, `scan_lines` hashes every text and JSON value going into the new
database, and the tokens inside them, the same way (a `ScanSpill` holds them on disk); once every source value is
indexed, the index looks them up: an identifying value (email, phone, card,
account, address, IP...) found anywhere is a leak; a non-identifying one (a common name that a fake shares with
another real row; a unit such as "Suite 870" or a one-name login, anonymize.specificity) is counted apart. A fake
equal to another row's real value fails where fakes come from reserved space (phones, cards...) and is a counted
note where they must look real (names, addresses, logins): in a column whose transform wrote it, or at the JSON path
rule that did (recorded as FAKE origins). Reports name tables and columns, never values.

The hashes are 64-bit, keyed: SipHash (Python's str hash, seeded per process with a random key) over a salt
derived from the anonymization key for this purpose only. The index never leaves the process's memory; it is a
sorted numpy array, 8 bytes per distinct key, the one structure of a run that grows with the data.

Every identifying hash is recorded with its origin (anonymize.leak_origins: column, JSON path, kind, how it was
found), a small int. The pairs wait on disk (12 bytes each, like the output's keys) and are read only for the
hashes found in the output, so a failure names where each value came from, where it was found and which rule to
change, while lookups stay on the bare sorted hashes. The origins also settle one case: a card number that free-text
detection knew only by a cue word near it, which the source keeps as it is -- found in the output in a column the
rules keep, or recorded as a card-shaped id under a JSON id key (such ids go to the same file, not to the index) --
is the source's own identifier, not a leak; it is reported apart (`shared_identifiers`). That is decided exactly,
from the hashes found, with no set of kept values held in memory or read beforehand.
"""

from __future__ import annotations

import struct
import tempfile
import threading
import time
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg

from anonymize.catalog import CatalogTable, SequenceValue, foreign_keys
from anonymize.columns import ColumnInfo
from anonymize.copy_text import NULL, TAB, decode_field, split_lines
from anonymize.keys import Keyring
from anonymize.leak_keys import (
    MIN_KEY_LENGTH,
    NATIVE,
    TOKEN_SPLIT,
    fast_hashed_keys,
    fast_leak_key,
    fast_leak_keys,
    fast_text_output_keys,
    leak_keys,
    output_keys,
)
from anonymize.leak_origins import FAKE, IDENTIFIER, Origin, Shipment, fix_for, ship_all_again
from anonymize.postgres import quote_ident
from anonymize.report import LeakSource, VerifyReport

LEAK_DOMAIN = "leak-check"
SCAN_FAMILIES = frozenset({"text", "json"})
_UNSEEN = object()
_COMPACT_AT = 1 << 20  # pending hashes (8 MB) before they are merged into the sorted index


SEEN_LIMIT = 1 << 16  # whole source values remembered per process (and per flag) before the memory is reset


class LeakHasher:
    """Keys -> keyed 64-bit hashes. Picklable, and equal in forked worker processes (same SipHash seed).

    `seen` remembers, per process, whole source values already hashed (value -> its first key, or None when it
    has none): a value repeated across rows (orders.customer_email) is normalized and sent to the index once."""

    __slots__ = ("salt", "seen")

    def __init__(self, keyring: Keyring | None = None, salt: str | None = None) -> None:
        if salt is None:
            assert keyring is not None
            salt = keyring.subkey(LEAK_DOMAIN).hex()[:8]  # short: it is hashed with every key
        self.salt = salt
        self.seen: dict[bool, dict[str, str | None]] = {True: {}, False: {}}

    def __call__(self, key: str) -> int:
        return hash(self.salt + key)

    def __reduce__(self) -> tuple[object, tuple[None, str]]:
        return (LeakHasher, (None, self.salt))  # the memory of seen values stays in its process


class LeakIndex:
    """Keyed hashes of personal source values: identifying ones (a find anywhere is a leak) and the others."""

    def __init__(self, keyring: Keyring) -> None:
        self.hasher = LeakHasher(keyring)
        self._sorted = {True: np.empty(0, np.int64), False: np.empty(0, np.int64)}
        self._pending: dict[bool, list[np.ndarray]] = {True: [], False: []}
        self._pending_size = 0
        self._prefilter: _Prefilter | None = None  # built at the first lookup after the last change
        self.unchanged: dict[str, int] = {}  # column -> personal values left as they were, in their own row
        self._lock = threading.Lock()
        self._origins: _OriginSpill | None = None  # (identifying hash, origin) pairs, on disk until looked up
        self._processes: dict[int, int] = {}  # recording process id -> its number (1..255) in the origin words
        self._shipped: dict[int, dict[int, Origin]] = {}  # process number -> its origin ids -> origins
        ship_all_again()  # this process's origins met before (an earlier run) are news to this index

    def add_unchanged(self, counts: Mapping[str, int]) -> None:
        with self._lock:
            for column, n in counts.items():
                self.unchanged[column] = self.unchanged.get(column, 0) + n

    def add(
        self,
        identifying: bytes,
        other: bytes,
        origins: bytes = b"",
        shipment: Shipment | None = None,
        ids: bytes = b"",
        id_origins: bytes = b"",
    ) -> None:
        """Hashes as the raw bytes of array('q') (what worker processes send back); `origins`: the origin id of each
        identifying hash (array('I') bytes), ids of the process that `shipment` (leak_origins.shipment) names, with
        the origins it met since its last shipment; `ids`, `id_origins`: identifiers the source keeps, which are
        not indexed (only asked about for values found). Thread-safe."""
        with self._lock:
            self._add(identifying, other)
            process = self._learn(shipment) if shipment is not None else 0
            for hashes, words in ((identifying, origins), (ids, id_origins)):
                if hashes and words and len(words) * 2 == len(hashes):
                    if self._origins is None:
                        self._origins = _OriginSpill()
                    tagged = np.frombuffer(words, dtype=np.uint32) | np.uint32(process << _PROCESS_SHIFT)
                    self._origins.add(hashes, tagged.tobytes())

    def _learn(self, shipment: Shipment) -> int:
        pid, first, new = shipment
        process = self._processes.get(pid)
        if process is None:
            process = len(self._processes) + 1
            if process > _MAX_PROCESSES:
                return 0  # origins unknown (a run with more processes than this is not expected)
            self._processes[pid] = process
        known = self._shipped.setdefault(process, {})
        for i, origin in enumerate(new):
            known[first + i] = origin
        return process

    def origins_of(
        self, found: np.ndarray, fakes: dict[tuple[int, Origin], int] | None = None
    ) -> dict[int, set[Origin]]:
        """Hash -> every origin it was recorded with, for `found` (sorted unique hashes, the few found in the
        output): one pass over the pairs on disk. `fakes`, if given, gets how many times each (hash, FAKE origin)
        was recorded: the realistic fakes a JSON path rule wrote, each time it wrote one."""
        with self._lock:
            if self._origins is None or not len(found):
                return {}
            out: dict[int, set[Origin]] = {}
            for hashes, words in self._origins.batches():
                hit = _member(found, hashes)
                if not hit.any():
                    continue
                for hashed, word in zip(hashes[hit].tolist(), words[hit].tolist(), strict=True):
                    origin = self._shipped.get(word >> _PROCESS_SHIFT, {}).get(word & _LOCAL_MASK)
                    if origin is not None:
                        out.setdefault(hashed, set()).add(origin)
                        if fakes is not None and origin.kind == FAKE:
                            fakes[hashed, origin] = fakes.get((hashed, origin), 0) + 1
            return out

    def close(self) -> None:
        with self._lock:
            if self._origins is not None:
                self._origins.close()

    def _add(self, identifying: bytes, other: bytes) -> None:
        for flag, data in ((True, identifying), (False, other)):
            if data:
                hashes = np.frombuffer(data, dtype=np.int64)
                self._pending[flag].append(hashes)
                self._pending_size += len(hashes)
        if self._pending_size >= _COMPACT_AT:
            self._compact()

    def _compact(self) -> None:
        for flag in (True, False):
            if self._pending[flag]:
                self._sorted[flag] = _merge(self._sorted[flag], _sorted_unique(np.concatenate(self._pending[flag])))
                self._pending[flag] = []
                self._prefilter = None
        self._pending_size = 0

    @property
    def size(self) -> int:
        with self._lock:
            self._compact()
        return int(len(self._sorted[True]) + len(self._sorted[False]))

    def lookup(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found among identifying, found among the others) for each hash."""
        with self._lock:
            self._compact()
            if self._prefilter is None:
                self._prefilter = _Prefilter((self._sorted[True], self._sorted[False]))
            prefilter = self._prefilter
        identifying, other = self._sorted[True], self._sorted[False]
        if len(hashes) <= _PREFILTER_FROM:
            return _member(identifying, hashes), _member(other, hashes)
        # Most output hashes (fresh fakes, kept values nobody's) are in neither array: the bitmap rules them out,
        # and only its few hits (true ones, ~12% false ones) are searched for.
        candidates = prefilter.candidates(hashes)
        # Searched in ascending order, the binary searches walk the index's cache lines in order: ~3x cheaper than
        # in the output's order (measured, 0.7M queries into 1.1M), the sort included.
        queries = hashes[candidates]
        order = np.argsort(queries)
        candidates, queries = candidates[order], queries[order]
        found_identifying = np.zeros(len(hashes), dtype=bool)
        found_other = np.zeros(len(hashes), dtype=bool)
        found_identifying[candidates] = _member(identifying, queries)
        found_other[candidates] = _member(other, queries)
        return found_identifying, found_other


_PROCESS_SHIFT = 24  # an origin word: the recording process's number above its 24-bit origin id
_LOCAL_MASK = (1 << _PROCESS_SHIFT) - 1
_MAX_PROCESSES = 255


class _OriginSpill:
    """(identifying hash, origin word) pairs on disk, 12 bytes each: read back only for hashes found in the output."""

    _BATCH = 1 << 20

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="devkit-origins-")  # noqa: SIM115 - closed by close()

    def add(self, hashes: bytes, words: bytes) -> None:
        self._file.write(struct.pack("<q", len(hashes) // 8))
        self._file.write(hashes)
        self._file.write(words)

    def batches(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        self._file.seek(0)
        hashes: list[bytes] = []
        words: list[bytes] = []
        held = 0
        while header := self._file.read(8):
            (count,) = struct.unpack("<q", header)
            hashes.append(self._file.read(8 * count))
            words.append(self._file.read(4 * count))
            held += count
            if held >= self._BATCH:
                yield np.frombuffer(b"".join(hashes), np.int64), np.frombuffer(b"".join(words), np.uint32)
                hashes, words, held = [], [], 0
        if held:
            yield np.frombuffer(b"".join(hashes), np.int64), np.frombuffer(b"".join(words), np.uint32)
        self._file.seek(0, 2)  # more pairs may follow (a lookup before the last table is in, in tests)

    def close(self) -> None:
        self._file.close()


class _Prefilter:
    """One bit per slot of a power-of-two table, set for every indexed hash (by its low bits), 8 bits per indexed
    hash up to 8 MB. A lookup in it is one byte read; a binary search in the sorted arrays misses the CPU cache at
    every step (measured, 4M lookups into 1.3M: 0.74 s sorted-then-searched, 0.14 s through the bitmap)."""

    _MIN_BITS, _MAX_BITS = 1 << 20, 1 << 26
    _STEP = 1 << 20  # hashes handled at once: the temporaries stay ~20 MB whatever the index's size

    def __init__(self, arrays: Sequence[np.ndarray]) -> None:
        total = sum(len(a) for a in arrays)
        bits = min(max(self._MIN_BITS, 1 << (8 * total - 1).bit_length()), self._MAX_BITS)
        self._mask = np.int64(bits - 1)
        self._bitmap = np.zeros(bits >> 3, dtype=np.uint8)
        for hashes in arrays:
            for start in range(0, len(hashes), self._STEP):
                slots = hashes[start : start + self._STEP] & self._mask
                np.bitwise_or.at(self._bitmap, slots >> 3, np.left_shift(1, slots & 7).astype(np.uint8))

    def candidates(self, hashes: np.ndarray) -> np.ndarray:
        """Positions of the hashes that may be indexed (all that are, and a few that aren't)."""
        found = []
        for start in range(0, len(hashes), self._STEP):
            slots = hashes[start : start + self._STEP] & self._mask
            bits = (slots & 7).astype(np.uint8)
            np.right_shift(slots, 3, out=slots)
            hit = self._bitmap[slots]
            hit >>= bits
            hit &= 1
            found.append(np.flatnonzero(hit) + start)
        return np.concatenate(found) if found else np.empty(0, dtype=np.intp)


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique(values) for int64, ~10x faster than numpy 2.4's (measured on 1.3M: 0.07 s vs 0.93 s)."""
    values = np.sort(values)
    if len(values) < 2:
        return values
    first = np.empty(len(values), dtype=bool)
    first[0] = True
    np.not_equal(values[1:], values[:-1], out=first[1:])
    return values[first]


def _merge(sorted_values: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Sorted unique union, inserting only the new values: peak memory ~ old + result, not a re-sort of both."""
    if not len(sorted_values):
        return new
    absent = ~_member(sorted_values, new)
    return np.insert(sorted_values, np.searchsorted(sorted_values, new[absent]), new[absent])


def _member(sorted_values: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    if not len(sorted_values) or not len(hashes):
        return np.zeros(len(hashes), dtype=bool)
    where = np.searchsorted(sorted_values, hashes)
    where[where == len(sorted_values)] = 0
    return sorted_values[where] == hashes


_PREFILTER_FROM = 1 << 12  # fewer queries than this: searched directly


@dataclass
class LeakRecorder:
    """Collects one chunk's personal source values for one table (runs where the transform runs)."""

    hasher: LeakHasher
    identifying: array
    other: array
    origins: array  # array('I'): the origin id of each identifying hash (anonymize.leak_origins)
    ids: array  # array('q'): hashes of identifiers the source keeps (pieces flagged None), not indexed ...
    id_origins: array  # ... and their origin ids

    @classmethod
    def new(cls, hasher: LeakHasher) -> LeakRecorder:
        return cls(hasher, array("q"), array("q"), array("I"), array("q"), array("I"))

    def record(self, pieces: Sequence[tuple], new: str | None, is_json: bool, origin: int = 0) -> bool:
        """Hash the pieces, (piece, identifying) or (piece, identifying, origin id) (else `origin`); True if one of
        them is still in `new` (left unchanged in its own row). A piece flagged None instead of identifying is an
        identifier the source keeps as it is (a card-shaped id under a JSON id key): hashed apart, not indexed."""
        hasher = self.hasher
        unchanged = False
        out: set[str] | None = None
        for item in pieces:
            piece, identifying = item[0], item[1]
            if identifying is None:
                piece_origin = item[2] if len(item) > 2 else origin
                for key in fast_leak_keys(piece):
                    self.ids.append(hasher(key))
                    self.id_origins.append(piece_origin)
                continue
            target = self.identifying if identifying else self.other
            for key in fast_leak_keys(piece):
                target.append(hasher(key))
                if identifying:
                    self.origins.append(item[2] if len(item) > 2 else origin)
                if new is not None and not unchanged:
                    if out is None:
                        out = set(output_keys(new, True) if is_json else fast_text_output_keys(new))
                    unchanged = key in out
        return unchanged

    def record_whole(self, value: str, new: str | None, identifying: bool, origin: int = 0) -> bool:
        """The common case, kept cheap: the whole value is the personal piece. A value this process already
        sent (under the same flag) isn't hashed again: the index holds it once anyway (with its first origin)."""
        seen = self.hasher.seen[identifying]
        first = seen.get(value, _UNSEEN)
        if first is _UNSEEN:
            found = fast_hashed_keys(value, self.hasher.salt)  # (first key, hash...) or ()
            if found:
                first = found[0]
                if identifying:
                    self.identifying.extend(found[1:])
                    self.origins.extend([origin] * (len(found) - 1))
                else:
                    self.other.extend(found[1:])
            else:
                first = None
            if len(seen) >= SEEN_LIMIT:
                seen.clear()
            seen[value] = first
        if first is None or new is None:
            return False
        return new == value or (len(new) == len(value) and fast_leak_key(new) == first)


# ---------------------------------------------------------------- scanning the output


# Per process, per salt: (text, JSON) raw value -> its keys' hashes. The columns scanned here are kept columns and
# JSON/free text (fresh fakes are scanned where they are made), and those repeat (statuses, SKUs, payload shapes).
# The C scan keeps its own pair, of raw value -> the hashes packed as array('q') bytes (copied out whole, where a list
# of 64-bit ints cost more to unbox than the rest of a cache hit).
_SCAN_CACHES: dict[str, tuple[dict[bytes, Any], dict[bytes, Any], dict[bytes, Any], dict[bytes, Any]]] = {}
_SCAN_CACHE_LIMIT = 1 << 15


def scan_chunk(chunk: bytes, is_json: Sequence[bool], hasher: LeakHasher) -> tuple[bytes, bytes, int]:
    """Hash every value of a chunk of output lines and the tokens inside: (hashes, the column position of
    each, as raw array bytes; number of values). Pure: runs in worker processes."""
    return scan_lines(split_lines(chunk), None, is_json, hasher)


def scan_lines(
    lines: Sequence[bytes],
    wanted: Sequence[int] | None,
    is_json: Sequence[bool],
    hasher: LeakHasher,
    native: bool = True,
) -> tuple[bytes, bytes, int]:
    """`scan_chunk` over lines already split, looking only at the fields at `wanted` (None: every field); the
    positions returned index `wanted` (and `is_json`). A value met before is looked up, not hashed again.
    `native=False`: the Python loop below, the reference of anonymize/csrc/scan.c."""
    hashes = array("q")
    positions = array("h")
    add_hash = hashes.append
    add_position = positions.append
    salt = hasher.salt
    values = 0
    caches = _SCAN_CACHES.get(salt)
    if caches is None:  # a new run (another key): the last run's values are no use
        _SCAN_CACHES.clear()
        caches = _SCAN_CACHES[salt] = ({}, {}, {}, {})
    if native and NATIVE is not None:  # the same loop in C (anonymize/csrc/scan.c)
        lines = lines if isinstance(lines, list) else list(lines)
        wanted = None if wanted is None else tuple(wanted)
        return NATIVE.scan_lines(lines, wanted, tuple(is_json), salt, caches[2], caches[3], _SCAN_CACHE_LIMIT)
    for line in lines:
        position = -1
        fields = line.split(TAB)
        if wanted is not None:
            fields = [fields[i] for i in wanted]
        for raw in fields:
            position += 1
            if len(raw) < MIN_KEY_LENGTH or raw == NULL:
                continue
            values += 1
            cache = caches[is_json[position]]
            found = cache.get(raw)
            if found is None:
                found = _raw_keys(raw, is_json[position], salt)
                if len(cache) >= _SCAN_CACHE_LIMIT:
                    cache.clear()
                cache[raw] = found
            for h in found:
                add_hash(h)
                add_position(position)
    return hashes.tobytes(), positions.tobytes(), values


def _raw_keys(raw: bytes, is_json: bool, salt: str) -> list[int]:
    """The hashed keys of one output field as COPY sends it: `output_keys` of its value."""
    if is_json:
        value = decode_field(raw)
        assert value is not None
        return [hash(salt + key) for key in output_keys(value, True)]
    if not raw.isascii() or b"\\" in raw:
        value = decode_field(raw)
        assert value is not None
        return [hash(salt + key) for key in output_keys(value)]
    # Plain ASCII without escapes (most of any database), pure Python: an inlined path that gives the same keys.
    text = raw.decode("ascii").lower()
    whole = text.strip()
    if whole == text and len(whole) >= 10 and whole.isdigit():
        # A bare number (card, account, phone without separators): output_keys gives it and its digits.
        return [hash(salt + whole), hash(salt + "#" + whole)]
    if whole != text or "  " in whole or (len(whole) >= 10 and (whole[0].isdigit() or whole[0] == "+")):
        return [hash(salt + key) for key in output_keys(text)]  # rare shapes: let the general path decide
    found = [hash(salt + whole)]
    if TOKEN_SPLIT.search(whole):
        for token in TOKEN_SPLIT.split(whole):
            if len(token) < MIN_KEY_LENGTH or token == whole:
                continue
            if len(token) >= 10 and (token[0].isdigit() or token[0] == "+"):
                found += [hash(salt + key) for key in leak_keys(token)]
            else:
                found.append(hash(salt + token))
    return found


class ScanSpill:
    """One table's output hashes, kept on disk (8 + 2 bytes a key) until the leak index is complete: the output is
    scanned as it is written, by the process that wrote it, instead of read back from the loaded database."""

    _BATCH = 1 << 20  # keys looked up at once: ~40 MB of working arrays (sorting included)

    def __init__(self, target: ScanTarget) -> None:
        self.target = target
        self.values = 0
        self._file = tempfile.TemporaryFile(prefix="devkit-scan-")  # noqa: SIM115 - closed by tally() or close()
        self._lock = threading.Lock()

    def add(self, hashes: bytes, positions: bytes, values: int) -> None:
        with self._lock:
            self.values += values
            if hashes:
                self._file.write(struct.pack("<q", len(hashes) // 8))
                self._file.write(hashes)
                self._file.write(positions)

    def _batches(self) -> Iterator[tuple[bytes, bytes]]:
        self._file.seek(0)
        hashes: list[bytes] = []
        positions: list[bytes] = []
        held = 0
        while header := self._file.read(8):
            (count,) = struct.unpack("<q", header)
            hashes.append(self._file.read(8 * count))
            positions.append(self._file.read(2 * count))
            held += count
            if held >= self._BATCH:
                yield b"".join(hashes), b"".join(positions)
                hashes, positions, held = [], [], 0
        if held:
            yield b"".join(hashes), b"".join(positions)

    def tally(self, index: LeakIndex, report: VerifyReport, finds: LeakFinds | None = None) -> None:
        """Look every key up in the (now complete) index; the file is closed (and gone) afterwards. Identifying
        values found wait in `finds` (settled by the caller), or are counted into `report` at the end."""
        with self._lock:
            try:
                report.output_values_checked += self.values
                own = finds is None
                finds = LeakFinds() if finds is None else finds
                for hashes, positions in self._batches():
                    tally(self.target, index, hashes, positions, 0, report, finds)
                if own:
                    finds.settle(index, report)
            finally:
                self.close()

    def close(self) -> None:
        self._file.close()


@dataclass
class ScanTarget:
    table: CatalogTable
    columns: list[ColumnInfo]
    faked: frozenset[str] = frozenset()  # columns whose every value is a transformer's fake (whole-value rules)
    kept: frozenset[str] = frozenset()  # columns the rules keep as they are (the source's own values)
    realistic: frozenset[str] = frozenset()  # faked columns whose fakes look real (names, addresses, logins)

    @property
    def query(self) -> str:
        column_sql = ", ".join(quote_ident(c.name) for c in self.columns)
        return f"COPY (SELECT {column_sql} FROM ONLY {self.table.sql}) TO STDOUT"

    @property
    def is_json(self) -> list[bool]:
        return [c.family == "json" for c in self.columns]

    def in_stream(self, columns: Sequence[str]) -> tuple[ScanTarget, tuple[int, ...]]:
        """This target narrowed to the columns a stream carries, and where each of them sits in its lines."""
        position = {name: i for i, name in enumerate(columns)}
        present = [c for c in self.columns if c.name in position]
        narrowed = ScanTarget(self.table, present, self.faked, self.kept, self.realistic)
        return narrowed, tuple(position[c.name] for c in present)

    @property
    def names(self) -> list[str]:
        return [f"{self.table.name}.{c.name}" for c in self.columns]


def scan_targets(
    tables: Sequence[CatalogTable],
    schema: Mapping[str, list[ColumnInfo]],
    faked: Mapping[str, frozenset[str]] | None = None,
    kept: Mapping[str, frozenset[str]] | None = None,
    realistic: Mapping[str, frozenset[str]] | None = None,
) -> list[ScanTarget]:
    """Every table's text and JSON columns (and arrays of text): where a leaked value could sit. `faked`: rule
    table -> the columns a whole-value transform fills with fakes (a match there is a fake colliding with a real
    value, not a leak); `kept`: rule table -> the columns its rules keep (a name there is the source's own);
    `realistic`: rule table -> the faked columns whose fakes look real (a collision there is a note)."""
    targets = []
    for table in tables:
        by_name = {c.name: c for c in schema.get(table.rule_table, [])}
        columns = [by_name[c] for c in table.columns if c in by_name and _scanned(by_name[c])]
        if columns:
            targets.append(
                ScanTarget(
                    table,
                    columns,
                    (faked or {}).get(table.rule_table, frozenset()),
                    (kept or {}).get(table.rule_table, frozenset()),
                    (realistic or {}).get(table.rule_table, frozenset()),
                )
            )
    return targets


def _scanned(column: ColumnInfo) -> bool:
    if column.family in SCAN_FAMILIES:
        return True
    from anonymize.transformers.arrays import element_column

    element = element_column(column)
    return element is not None and element.family == "text"


def tally(
    target: ScanTarget,
    index: LeakIndex,
    hashes: bytes,
    positions: bytes,
    values: int,
    report: VerifyReport,
    finds: LeakFinds | None = None,
) -> None:
    """Look a scanned chunk up in the index: coincidences are counted per column at once; identifying values found
    wait in `finds` until every chunk is looked up (their origins are read once, for all), or, without `finds`,
    are counted now."""
    report.output_values_checked += values
    if not hashes:
        return
    looked_up = np.frombuffer(hashes, dtype=np.int64)
    found_identifying, found_other = index.lookup(looked_up)
    columns = np.frombuffer(positions, dtype=np.int16)
    names = target.names
    coincidences = found_other & ~found_identifying
    if coincidences.any():
        for position, n in enumerate(np.bincount(columns[coincidences], minlength=len(names))):
            if n:
                # A name in a column the rules keep is the source's own value: a finding (a login, a handle, a
                # name the draft missed), not a fake that happens to equal somebody's name.
                kept = target.columns[position].name in target.kept
                counts = report.names_in_kept if kept else report.coincidences
                counts[names[position]] = counts.get(names[position], 0) + int(n)
    if found_identifying.any():
        own = finds is None
        finds = LeakFinds() if finds is None else finds
        finds.add(target, looked_up[found_identifying], columns[found_identifying])
        if own:
            finds.settle(index, report)


class LeakFinds:
    """Identifying source values found in the output (their hashes and where), held until every output key is
    looked up; `settle` then reads their origins once and counts them into the report: fake collisions in faked
    columns; values only a cue word made cards, which the source also keeps as they are (in a kept column where they
    are found, or under an id key of its JSON), are the source's identifiers, not leaks; the rest are leaks, each
    counted by origin with the rule to change."""

    def __init__(self) -> None:
        self._found: list[tuple[ScanTarget, np.ndarray, np.ndarray]] = []

    def add(self, target: ScanTarget, hashes: np.ndarray, positions: np.ndarray) -> None:
        self._found.append((target, np.array(hashes, dtype=np.int64), np.array(positions, dtype=np.int16)))

    def settle(self, index: LeakIndex, report: VerifyReport) -> None:
        found, self._found = self._found, []
        if not found:
            return
        fakes: dict[tuple[int, Origin], int] = {}  # (hash, FAKE origin) -> fakes written, used up as finds match
        origins = index.origins_of(_sorted_unique(np.concatenate([hashes for _, hashes, _ in found])), fakes)
        sources: dict[tuple[str, str, str, Origin | None, str | None], int] = {}
        for target, hashes, positions in found:
            for position in np.unique(positions).tolist():
                name, column = target.names[position], target.columns[position].name
                here = hashes[positions == position]
                if column in target.faked:
                    # A fake equal to another row's real value: unavoidable where fakes must look real (a note),
                    # a broken transform where they come from reserved space (a failure).
                    counts = report.realistic_collisions if column in target.realistic else report.fake_collisions
                    counts[name] = counts.get(name, 0) + len(here)
                    continue
                qualified = {f"{target.table.name}.{column}", f"{target.table.rule_table}.{column}"}
                kept = column in target.kept
                rule = "keep" if kept else "transformed"
                values, counts = np.unique(here, return_counts=True)
                for hashed, n in zip(values.tolist(), counts.tolist(), strict=True):
                    every = origins.get(hashed, set())
                    # As many finds as the realistic fakes this column's own path rules wrote with this value (a
                    # name, an address line equal to another row's real one): the same collision as in a faked
                    # column, a note. Finds beyond them are source values.
                    for made in (o for o in every if o.kind == FAKE and o.column in qualified):
                        explained = min(n, fakes.get((hashed, made), 0))
                        if explained:
                            fakes[hashed, made] -= explained
                            report.realistic_collisions[name] = report.realistic_collisions.get(name, 0) + explained
                            n -= explained
                    if not n:
                        continue
                    known = {o for o in every if o.kind not in (IDENTIFIER, FAKE)}
                    ids = {o for o in every if o.kind == IDENTIFIER}
                    # Only a cue word made it a card, and the source keeps it as it is (in this kept column, or under
                    # an id key of its JSON): the source's identifier.
                    shared = bool(known) and all(o.weak for o in known) and (kept or bool(ids))
                    counted = report.shared_identifiers if shared else report.leaks
                    counted[name] = counted.get(name, 0) + n
                    kept_as = None
                    if shared:
                        identifiers = sorted(o.describe() for o in ids)
                        kept_as = f"kept column {name}" if kept else f"as {identifiers[0]}"
                    key = ("shared" if shared else "leak", name, rule, _representative(known), kept_as)
                    sources[key] = sources.get(key, 0) + n

        def order(item: tuple[tuple[str, str, str, Origin | None, str | None], int]) -> tuple:
            (_, name, _, origin, kept_as), n = item
            return name, -n, origin.describe() if origin is not None else "", kept_as or ""

        for (what, name, rule, origin, kept_as), n in sorted(sources.items(), key=order):
            source = LeakSource(
                found_in=name,
                found_in_rule=rule,
                origin=origin.describe() if origin is not None else "unknown origin",
                column=origin.column if origin is not None else None,
                path=origin.path if origin is not None else None,
                kind=origin.kind if origin is not None else None,
                detected=origin.detected if origin is not None else False,
                values=n,
                fix=fix_for(origin, name, rule),
                kept_as=kept_as,
            )
            (report.shared_sources if what == "shared" else report.leak_sources).append(source)


def _representative(origins: set[Origin]) -> Origin | None:
    """The origin to name for a value recorded from several: one that isn't weak first, then in a stable order."""
    if not origins:
        return None
    return min(origins, key=lambda o: (o.weak, o.describe()))


# ---------------------------------------------------------------- structural checks


def check_row_counts(
    conn: psycopg.Connection, expected: Mapping[str, tuple[CatalogTable, int]], report: VerifyReport
) -> None:
    for name, (table, rows) in sorted(expected.items()):
        actual = conn.execute(f"SELECT count(*) FROM ONLY {table.sql}").fetchone()[0]
        report.tables_checked += 1
        if actual != rows:
            report.row_count_mismatches.append(f"{name}: {actual} rows loaded, {rows} read from the source")


def check_foreign_keys(conn: psycopg.Connection, report: VerifyReport) -> None:
    """Constraints PostgreSQL validated while post-data added them hold by construction; NOT VALID ones (as in
    the source) are checked with an anti-join, MATCH SIMPLE: a row with a NULL key column references nothing."""
    for fk in foreign_keys(conn):
        report.foreign_keys += 1
        if fk.validated:
            report.foreign_keys_validated_by_postgres += 1
            continue
        report.foreign_keys_checked_by_query += 1
        not_null = " AND ".join(f"c.{quote_ident(col)} IS NOT NULL" for col in fk.columns)
        pairs = zip(fk.columns, fk.referenced_columns, strict=True)
        join = " AND ".join(f"p.{quote_ident(rc)} = c.{quote_ident(col)}" for col, rc in pairs)
        query = (
            f"SELECT count(*) FROM {fk.table} c WHERE {not_null} "
            f"AND NOT EXISTS (SELECT 1 FROM {fk.references} p WHERE {join})"
        )
        violations = conn.execute(query).fetchone()[0]
        if violations:
            report.foreign_key_violations.append(
                f"{fk.table}: {violations} row(s) break foreign key {fk.name} (-> {fk.references})"
            )


def check_sequences(conn: psycopg.Connection, expected: Sequence[SequenceValue], report: VerifyReport) -> None:
    for sequence in expected:
        row = conn.execute(f"SELECT last_value, is_called FROM {sequence.name}").fetchone()
        report.sequences_checked += 1
        if (int(row[0]), bool(row[1])) != (sequence.value, sequence.is_called):
            report.sequence_mismatches.append(f"sequence {sequence.name} does not stand where the source's does")


def check_structure(
    dsn: str,
    expected_rows: Mapping[str, tuple[CatalogTable, int]],
    sequences: Sequence[SequenceValue],
    report: VerifyReport,
) -> None:
    began = time.monotonic()
    with psycopg.connect(dsn, autocommit=True) as conn:
        check_row_counts(conn, expected_rows, report)
        check_foreign_keys(conn, report)
        check_sequences(conn, sequences, report)
    report.seconds += time.monotonic() - began
