"""The leak check's keys: the comparable form of a value (NFKC, trimmed, case-folded), the bare digits of a
phone/card/account-shaped number, the keys inside JSON and free text, and their keyed hashes.

The functions here are the reference. The C extension (anonymize/speedups.py, anonymize/csrc/leak_keys.c) computes
the same for plain text and is what the pipeline calls per value when it is built: the interpreter's per-call cost
was most of the leak check's time. Without it these run.
"""

from __future__ import annotations

import contextlib
import json
import re
import unicodedata
from collections.abc import Callable

from anonymize.speedups import NATIVE

MIN_KEY_LENGTH = 2  # a single character identifies nobody
TOKEN_SPLIT = re.compile(r"[\s,;:()\[\]{}<>\"'`|/\\、。，．・「」『』（）【】！？!?]+")
_PHONE_LIKE = re.compile(r"^\+?[\d\s\-().]+$")
_NON_DIGIT = re.compile(r"\D+")


def leak_key(value: str) -> str:
    """The comparable form of a value: NFKC, trimmed, case-folded, whitespace runs collapsed."""
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value)
    value = value.strip().casefold()
    if "  " in value or "\t" in value or "\n" in value or "\r" in value:
        value = " ".join(value.split())
    return value


def leak_keys(value: str) -> list[str]:
    """The value's key, plus its bare digits when it is a phone/card/account-shaped number (10+ digits), so
    `090-1234-5678`, `09012345678` and `+81 90 1234 5678` are one value."""
    # leak_key's body, inlined: this runs for every personal value and every output value.
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value)
    key = value.strip().casefold()
    if "  " in key or "\t" in key or "\n" in key or "\r" in key:
        key = " ".join(key.split())
    if len(key) < MIN_KEY_LENGTH:
        return []
    first = key[0]
    if (first.isdigit() or first == "+") and _PHONE_LIKE.match(key):
        digits = _NON_DIGIT.sub("", key)
        if key.startswith("+81"):
            digits = "0" + digits[2:]
        if len(digits) >= 10:
            return [key, "#" + digits]
    return [key]


def _json_strings(node: object) -> list[str]:
    """The string leaves of a parsed JSON value, in document order."""
    if isinstance(node, str):
        return [node]
    out: list[str] = []
    if isinstance(node, (dict, list)):
        _add_strings(node, out)
    return out


def _add_strings(node: dict | list, out: list[str]) -> None:
    # A call per container, not per leaf (payloads have dozens of leaves).
    for item in node.values() if isinstance(node, dict) else node:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, (dict, list)):
            _add_strings(item, out)


# _json_strings in C (anonymize/csrc/json_walk.c), when the extension has it.
_JSON_STRINGS: Callable[[object], list[str]] = getattr(NATIVE, "json_strings", None) or _json_strings


# The last JSON output a transform encoded, with its document (note_json_output): the leak check asks for that
# output's keys right after the transform, twice (a piece's unchanged test, the output scan), and parsing the
# output again gives back the document's own strings. One entry, matched by identity (the very str object the
# transform returned, which the entry holds alive, so no other object can share its id); then its keys.
_NOTED: tuple[str | None, object, list[str] | None] = (None, None, None)


# The keys of noted outputs once asked (_remember_keys), for the output scan's question: it asks after the whole chunk
# is made, about a str decoded from the COPY line (equal to the output, not the object), when other outputs have been
# noted since; without these it parsed every JSON output again (json.loads was ~7% of a payload table's row loop).
# Each entry answers one question (popped), so the entries are about one chunk's outputs; bounded all the same.
_RECENT: dict[str, list[str]] = {}
RECENT_MAX = 4096


def note_json_output(text: str, document: object) -> None:
    """`text` is `json.dumps(document)` (the document no one changes any more): `output_keys(text, True)` reads the
    document's strings instead of parsing `text`. The strings are the same: json.loads(json.dumps(d)) has d's string
    leaves, in the same order, for a document json.loads made (string keys, no duplicates) with JSON scalars put in."""
    global _NOTED
    _NOTED = (text, document, None)


def output_keys(value: str, is_json: bool = False) -> list[str]:
    """Every key a leak could hide under in one output value: the whole value, the string leaves of JSON, and the
    tokens of free text (split on whitespace and punctuation). Japanese text without separators stays whole."""
    if is_json:
        noted = _NOTED  # one read: threads may note another output meanwhile
        if noted[0] is value:
            if noted[2] is not None:
                return list(noted[2])  # the caller's own list, as a parse would give
            keys = _JSON_OUTPUT_KEYS(noted[1])
            _remember_keys(noted, keys)
            return list(keys)
        recent = _RECENT.pop(value, None) if _RECENT else None
        if recent is not None:
            return recent  # an equal output's keys (popped: the caller's own list)
        try:
            document = json.loads(value)
        except ValueError:
            return _json_output_keys([value])
        return _JSON_OUTPUT_KEYS(document)
    return _text_keys([value])


def _remember_keys(noted: tuple[str | None, object, list[str] | None], keys: list[str]) -> None:
    """The keys of the noted output, for its second question; only if it is still the one noted (no other
    thread's since)."""
    global _NOTED
    if _NOTED is noted:
        _NOTED = (noted[0], None, keys)
    text = noted[0]
    if text is not None:
        if len(_RECENT) >= RECENT_MAX:
            # The oldest entry (another thread may take it first: then nothing to do).
            with contextlib.suppress(KeyError, StopIteration, RuntimeError):
                del _RECENT[next(iter(_RECENT))]
        _RECENT[text] = list(keys)


def _json_output_keys(pieces: list[str]) -> list[str]:
    if NATIVE is not None:  # each piece is plain text: its keys in C (leak_keys.c, held to `_text_keys`)
        return [key for piece in pieces for key in NATIVE.text_output_keys(piece)]
    return _text_keys(pieces)


def _document_output_keys(document: object) -> list[str]:
    """The keys of a JSON output read from its parsed document: those of its string leaves, in document order."""
    return _json_output_keys(_JSON_STRINGS(document))


# _document_output_keys in C (anonymize/csrc/json_walk.c: one list, filled as the leaves are met), when built.
_JSON_OUTPUT_KEYS: Callable[[object], list[str]] = getattr(NATIVE, "json_output_keys", None) or _document_output_keys


def _text_keys(pieces: list[str]) -> list[str]:
    keys: list[str] = []
    for piece in pieces:
        keys += leak_keys(piece)
        if TOKEN_SPLIT.search(piece):
            for token in TOKEN_SPLIT.split(piece):
                if token and token != piece:
                    keys += leak_keys(token)
    return keys


def hashed_keys(value: str, salt: str) -> tuple:
    """() when the value has no key, else (its first key, hash(salt + key) for each of its keys...)."""
    keys = leak_keys(value)
    return (keys[0], *(hash(salt + key) for key in keys)) if keys else ()


def text_output_hashes(value: str, salt: str) -> list[int]:
    """`output_keys` of a plain-text value hashed as the index hashes them."""
    if TOKEN_SPLIT.search(value):
        return [hash(salt + key) for key in output_keys(value)]
    return [hash(salt + key) for key in leak_keys(value)]


def output_hashes(value: str, is_json: bool, salt: str) -> list[int]:
    if is_json:
        return [hash(salt + key) for key in output_keys(value, True)]
    return fast_text_output_hashes(value, salt)


# What the hot paths call: the C functions when built.
fast_leak_key: Callable[[str], str] = NATIVE.leak_key if NATIVE else leak_key
fast_leak_keys: Callable[[str], list[str]] = NATIVE.leak_keys if NATIVE else leak_keys
fast_hashed_keys: Callable[[str, str], tuple] = NATIVE.hashed_keys if NATIVE else hashed_keys
fast_text_output_hashes: Callable[[str, str], list[int]] = NATIVE.text_output_hashes if NATIVE else text_output_hashes
fast_text_output_keys: Callable[[str], list[str]] = NATIVE.text_output_keys if NATIVE else output_keys
