"""The snapshot pipeline: source COPY -> decode -> transform -> encode -> target COPY, per table range, in parallel.

One job a module:
- plan.py         TablePlan per data table, coverage, the dump-filter refusal, which columns the leak check scans;
- slots.py        what both row loops share: slots, record modes, the lazy source row, a chunk's result;
- rows.py         RowTransformer: the row loop, and its pure-Python reference;
- native_rows.py  the row loop's C bridge (anonymize/csrc/rows.c): slot specs, record-mode codes, memos;
- workers.py      where the CPU work runs: forked worker processes (or inline), their start and memory tuning;
- ranges.py       big tables split into key or ctid ranges, read under the one snapshot;
- copy.py         moving tables: source stream -> workers -> target COPY, `jobs` units (tables, ranges) at a time;
- run.py          a whole run (run_snapshot): phases, known values, verification, schema finish, publish;
- check.py        what `--check` checks without moving data: schema, coverage, privileges;
- progress.py     how a run reports progress (ProgressListener).
Import a name from the module that owns it; the run's entry points are re-exported here.
"""

from anonymize.pipeline.check import RunCheck, check_rules, check_run, read_schema
from anonymize.pipeline.progress import ProgressListener, SilentProgress
from anonymize.pipeline.run import VerificationError, run_snapshot

__all__ = [
    "ProgressListener",
    "RunCheck",
    "SilentProgress",
    "VerificationError",
    "check_rules",
    "check_run",
    "read_schema",
    "run_snapshot",
]
