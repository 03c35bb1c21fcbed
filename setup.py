"""The C part of the build (everything else is in pyproject.toml).

`anonymize._speedups` runs a snapshot's per-value hot paths (the row loop, the leak check's keys) in C. It is
optional: without a C compiler and Python headers the install still succeeds and the package's pure-Python
functions, which give the same results (tests/anonymize/test_speedups.py), run instead, slower.
"""

import os
from glob import glob

from setuptools import Extension, setup

# Warnings are shown to everyone; CI (.ci/run sets DEVKIT_STRICT_C=1) turns them into errors, and since the
# extension is optional, test_the_c_module_is_built then fails the run instead of a silent pure-Python fallback.
# Not -Werror by default: another compiler's new warnings must not break a user's install.
WARNINGS = ["-Wall", "-Wextra", "-Wno-unused-parameter"]
STRICT = ["-Werror"] if os.environ.get("DEVKIT_STRICT_C") == "1" else []

setup(
    ext_modules=[
        Extension(
            "anonymize._speedups",
            sorted(glob("anonymize/csrc/*.c")),
            depends=glob("anonymize/csrc/*.h"),
            optional=True,
            extra_compile_args=["-O3", *WARNINGS, *STRICT],
        )
    ]
)
