"""The C part of the build (everything else is in pyproject.toml).

`anonymize._speedups` runs a snapshot's per-value hot paths (the row loop, the leak check's keys) in C. It is
optional: without a C compiler and Python headers the install still succeeds and the package's pure-Python
functions, which give the same results (tests/anonymize/test_speedups.py), run instead, slower.
"""

import os
import runpy
from glob import glob
from pathlib import Path

from setuptools import Extension, setup

# The constants Python and C share, from their one source (anonymize/native_interface.py), as a header the C
# includes; rewritten only when it changes, so an unchanged build stays up to date.
HEADER = Path("anonymize/csrc/interface.h")
_header = runpy.run_path("anonymize/native_interface.py")["c_header"]()
if not HEADER.exists() or HEADER.read_text() != _header:
    HEADER.write_text(_header)

# Warnings are shown to everyone; CI (.ci/run sets DEVKIT_STRICT_C=1) turns them into errors, and since the
# extension is optional, test_the_c_module_is_built then fails the run instead of a silent pure-Python fallback.
# Not -Werror by default: another compiler's new warnings must not break a user's install.
WARNINGS = ["-Wall", "-Wextra", "-Wno-unused-parameter"]
STRICT = ["-Werror"] if os.environ.get("DEVKIT_STRICT_C") == "1" else []
# DEVKIT_SANITIZE=1: AddressSanitizer and UBSan, every finding fatal (.ci/sanitizers builds a copy this way and runs
# the C-vs-Python tests on it). -O1 -g: readable reports, and the checks aren't optimised away. Not optional then:
# a sanitizer build that failed must fail, not fall back to Python.
SANITIZE = os.environ.get("DEVKIT_SANITIZE") == "1"
SANITIZERS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]


# The keyed digest's BLAKE2b (keyed_digest.c): the vendored RFC 7693 code, held byte for byte to hashlib.blake2b by
# the tests. DEVKIT_BLAKE2=libb2 builds on libb2 (Debian: libb2-dev) instead: measured slower here
# (bench/keyed_digest/run.py: 0.39-0.66x the digests a second, 1.24x the transformers' CPU a value, 1.03-1.04x a
# snapshot's CPU), and the vendored code would stay as the fallback of an install without libb2: not the default.
LIBB2 = os.environ.get("DEVKIT_BLAKE2", "vendored") == "libb2"

setup(
    ext_modules=[
        Extension(
            "anonymize._speedups",
            sorted(glob("anonymize/csrc/*.c")),
            depends=glob("anonymize/csrc/*.h"),
            optional=not SANITIZE and not LIBB2,
            define_macros=[("DEVKIT_LIBB2", "1")] if LIBB2 else [],
            libraries=["b2"] if LIBB2 else [],
            extra_compile_args=["-O3", *WARNINGS, *STRICT, *((*SANITIZERS, "-O1", "-g") if SANITIZE else ())],
            extra_link_args=SANITIZERS if SANITIZE else [],
        ),
        # The seed generators' hot paths: COPY text re-encoded as COPY binary (devkit/seed/copy_binary.py), ints as
        # text, line digests. Optional like the other: without it a seed sends text it formats and hashes in Python,
        # the same rows at more CPU.
        Extension(
            "devkit.seed._speedups",
            ["devkit/seed/csrc/speedups.c"],
            libraries=["m"],
            optional=not SANITIZE,
            extra_compile_args=["-O3", *WARNINGS, *STRICT, *((*SANITIZERS, "-O1", "-g") if SANITIZE else ())],
            extra_link_args=SANITIZERS if SANITIZE else [],
        ),
    ]
)
