"""The C part of the build (everything else is in pyproject.toml).

`anonymize._speedups` runs a snapshot's per-value hot paths (the row loop, the leak check's keys) in C. It is
optional: without a C compiler and Python headers the install still succeeds and the package's pure-Python
functions, which give the same results (tests/anonymize/test_speedups.py), run instead, slower.
"""

from glob import glob

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "anonymize._speedups",
            sorted(glob("anonymize/csrc/*.c")),
            depends=glob("anonymize/csrc/*.h"),
            optional=True,
            extra_compile_args=["-O3"],
        )
    ]
)
