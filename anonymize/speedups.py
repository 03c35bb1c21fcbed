"""The optional C extension `anonymize._speedups` (anonymize/csrc/, built by setup.py when a C compiler and the
Python headers are there): a snapshot's per-value hot paths -- the row loop, the leak check's keys and output
scan, the keyed permutation's rounds, the keyed digest. Each has a pure-Python reference in the package that gives
the same results (tests/anonymize/test_speedups.py) and runs when the extension is missing or DEVKIT_PURE_PYTHON=1
is set."""

from __future__ import annotations

import os
from types import ModuleType

from anonymize.native_interface import API  # the build this Python code was written against


def _load() -> ModuleType | None:
    if os.environ.get("DEVKIT_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        from anonymize import _speedups
    except ImportError:  # built without a C compiler
        return None
    # An older build left in place (an optional rebuild that failed) would run old semantics: not at all.
    return _speedups if getattr(_speedups, "API", None) == API else None


NATIVE = _load()
