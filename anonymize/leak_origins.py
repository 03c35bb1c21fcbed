"""Where a personal source value recorded by the leak check came from: its column, the JSON path inside it, what it
is (the detected kind, or the rule that replaced it), and how it was found. When verification fails, each value
found in the output is reported by its origin and where it was found (never the value), with the rule to change.

Every recorded identifying hash carries an origin id, a small int. Ids are handed out per process (`origin_id`), in
the worker processes that record values; each chunk's result ships the origins its process met since its last
result (`shipment`), and the leak index maps every process's ids onto its own once every result is in.

Bounded: a column's origins are at most MAX_PATHS JSON paths (JSON objects used as maps, keyed by data, would
otherwise make a path per key); past that, the column's new paths share one origin without a path.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, replace

from anonymize.context import NUMBER_KINDS

_PLAIN_KEY = re.compile(r"[A-Za-z_][\w-]*", re.ASCII)


@dataclass(frozen=True, slots=True)
class Origin:
    column: str  # schema.table.column the value was read from
    path: str | None = None  # the JSON path inside it, as a rule spells it ($.data.object.id, $.items[*].name)
    kind: str = ""  # what it is: the detected kind (card, email, person ...) or the transform that replaced it
    detected: bool = False  # found by free-text detection inside the value (free_text, json other_strings)
    weak: bool = False  # a card number known only by a cue word near it: the source may hold it as an identifier

    def describe(self) -> str:
        """ "public.webhook_events.payload $.data.object.id (card, detected in free text)"."""
        where = self.column + (f" {self.path}" if self.path else "")
        if self.detected:
            how = "detected in free text" + (" by a cue word near it" if self.weak else "")
            return f"{where} ({self.kind}, {how})"
        if self.kind == IDENTIFIER:
            return where
        return f"{where} ({self.kind} rule)" if self.kind else where


def rule_path(trail: tuple[object, ...]) -> str:
    """A JSON path as a `json` rule spells it, from the keys and indexes down to a leaf: list indexes become [*]
    (one rule for every element), steps into JSON held in a string are left out (rule paths pass through them),
    keys that a dotted step can't spell are bracketed."""
    out = "$"
    for part in trail:
        if isinstance(part, bool) or not isinstance(part, (str, int)):
            continue  # the step into a JSON string
        if isinstance(part, int):
            out += "[*]"
        elif _PLAIN_KEY.fullmatch(part):
            out += f".{part}"
        else:
            escaped = part.replace("\\", "\\\\").replace("'", "\\'")
            out += f"['{escaped}']"
    return out


IDENTIFIER = "identifier"  # Origin.kind of a value the source keeps as its own identifier (a JSON id, kept)
# Origin.kind of no source value: a fake that a JSON path rule with realistic fakes (a name, an address) wrote into
# its column. Recorded like identifiers (asked about only for values found): a find of it there is that fake.
FAKE = "fake"
MAX_PATHS = 256  # JSON paths remembered per column
MAX_ID = (1 << 24) - 1  # ids fit 24 bits: the leak index packs a process number above them

# This process's origins: id -> origin (0: unknown), and back.
_ORIGINS: list[Origin | None] = [None]
_IDS: dict[Origin, int] = {}
_PATHS: dict[str, set[str]] = {}  # column -> its paths met so far
_SHIPPED = [os.getpid(), 1]  # (the process that shipped, the first id not shipped yet)
_LOCK = threading.Lock()  # tables run in threads when there are no worker processes

Shipment = tuple[int, int, tuple[Origin, ...]]


def origin_id(origin: Origin) -> int:
    """This process's id for `origin` (0 once MAX_ID origins are known: unknown)."""
    found = _IDS.get(origin)
    if found is not None:
        return found
    with _LOCK:
        if origin.path is not None:
            paths = _PATHS.setdefault(origin.column, set())
            if origin.path not in paths:
                if len(paths) >= MAX_PATHS:
                    origin = replace(origin, path=None)
                else:
                    paths.add(origin.path)
        found = _IDS.get(origin)
        if found is None:
            if len(_ORIGINS) > MAX_ID:
                return 0
            found = _IDS[origin] = len(_ORIGINS)
            _ORIGINS.append(origin)
        return found  # (a path past the cap isn't remembered: the lock is taken for it again, memory stays bounded)


def ship_all_again() -> None:
    """A new receiver (a run's leak index) knows none of this process's origins: the next shipment lists them all."""
    with _LOCK:
        _SHIPPED[:] = [os.getpid(), 1]


def shipment() -> Shipment:
    """(this process's id, the id of the first origin listed, the origins met since the last shipment). A process
    forked from another ships every origin it inherited too: the receiver knows ids by process."""
    pid = os.getpid()
    with _LOCK:
        if _SHIPPED[0] != pid:
            _SHIPPED[:] = [pid, 1]
        first = _SHIPPED[1]
        new = tuple(o for o in _ORIGINS[first:] if o is not None)
        _SHIPPED[1] = len(_ORIGINS)
    return pid, first, new


def fix_for(origin: Origin | None, found_in: str, found_rule: str) -> str:
    """Which rule to change when values of `origin` were found in `found_in` (ruled `found_rule`: "keep", or
    "transformed" for a column whose rule replaces pieces inside its values)."""
    if origin is None:
        return f"find the rule that should have replaced them before they reached {found_in}"
    kept = found_rule == "keep"
    if origin.detected:
        if origin.path is not None:
            settle = (
                f'rule the path keep in {origin.column}\'s json params (paths: {{"{origin.path}": keep}}) or add '
                f"ignore: [{origin.kind}] to its detector's params"
            )
        else:
            settle = f"add ignore: [{origin.kind}] to the detector's params of {origin.column}"
        if not kept:
            return f"if they are the source's identifiers, {settle}; else extend {found_in}'s rule to replace them"
        if origin.kind in NUMBER_KINDS:  # a number: most likely the source's own id that detection took for more
            return (
                f"if they are the source's identifiers, {settle}; if {found_in} holds personal data, give it a "
                "transform instead of keep"
            )
        return (
            f"give {found_in} a transform instead of keep (it holds the {origin.kind} values detected there); if "
            f"they are no personal data, {settle}"
        )
    if kept:
        return f"{found_in} is ruled keep but holds values of {origin.describe()}: give it a transform"
    return f"{found_in}'s rule leaves values of {origin.describe()} in place: add a path rule or other_strings for them"
