"""The anonymization engine: rules, keyed transformers, PII detection and the streaming pipeline.

A library: no CLI, no Docker, no imports from `devkit`. The devkit CLI maps `anonymize.errors` to exit codes.
"""

import os

# numpy (sorting the leak index, building permutation tables) never multiplies matrices here, yet OpenBLAS starts a
# thread per core at import whose spinning took ~7% of a snapshot's main-process CPU (measured with perf): one
# thread, unless the user chose otherwise. Set before anything imports numpy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
