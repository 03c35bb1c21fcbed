"""Host processes that outlive the `devkit` command that started them: spawn, pid files, liveness, stop.

Each process runs in a session of its own (so neither the terminal's Ctrl-C nor `devkit` exiting touches it)
with its output appended to a log file. A pid file records the pid with the process's start time, so a pid
reused by an unrelated process after a reboot or a crash is never taken for ours (nor signalled).
Every process also carries a marker variable naming its stack, so `down` can find stragglers no pid file names.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from devkit.errors import DevkitError

MARKER_VARIABLE = "DEVKIT_NATIVE_STATE"

# Processes this devkit process started, so it reaps its own exited children (they would linger as zombies
# and look alive) without taking over waitpid for children it did not start.
_children: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class PidRecord:
    pid: int
    started: str | None  # /proc/<pid>/stat start time (clock ticks since boot); None where /proc is missing
    kind: str = "service"


@dataclass(frozen=True)
class StopStep:
    """Send `signal` (to the whole process group when `group`), then wait up to `grace` seconds."""

    signal: signal.Signals
    grace: float
    group: bool = False


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may itself hold spaces or parentheses: split after the last one.
    return text[text.rfind(")") + 2 :].split()


def process_start_time(pid: int) -> str | None:
    fields = _stat_fields(pid)
    return fields[19] if fields and len(fields) > 19 else None  # field 22 of stat, counted from `state` (3)


def inherited_environment() -> dict[str, str]:
    """What a native server or service inherits from devkit: our environment without devkit's own settings
    (DEVKIT_ANON_KEY, DSNs with passwords: none of a service's business). Its compose environment and the marker
    are added on top."""
    return {key: value for key, value in os.environ.items() if not key.startswith("DEVKIT_")}


def write_pid(path: Path, pid: int, kind: str) -> PidRecord:
    record = PidRecord(pid, process_start_time(pid), kind)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"pid": record.pid, "started": record.started, "kind": record.kind}) + "\n")
    temporary.replace(path)
    return record


def read_pid(path: Path) -> PidRecord | None:
    try:
        data = json.loads(path.read_text())
        return PidRecord(int(data["pid"]), data.get("started"), str(data.get("kind", "service")))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing or garbled: nothing we can safely signal


def is_alive(record: PidRecord) -> bool:
    child = _children.get(record.pid)
    if child is not None and child.poll() is not None:
        _children.pop(record.pid, None)  # health threads may get here at once
        return False
    try:
        os.kill(record.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    fields = _stat_fields(record.pid)
    if fields is None:
        return True  # no /proc: the signal check is all there is
    if fields[0] in ("Z", "X"):
        return False  # exited, not yet reaped by its parent
    return record.started is None or fields[19] == record.started


def spawn(
    argv: Sequence[str],
    *,
    log: Path,
    env: Mapping[str, str],
    cwd: Path,
    user: pwd.struct_passwd | None = None,
) -> int:
    """Start `argv` in a new session, stdout and stderr appended to `log`; as `user` when given (root only)."""
    identity: dict[str, object] = {}
    if user is not None:
        identity = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    with log.open("ab") as output:
        try:
            process = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                env=dict(env),
                cwd=cwd,
                start_new_session=True,
                **identity,  # type: ignore[arg-type]
            )
        except OSError as exc:
            raise DevkitError(
                f"cannot run {argv[0]}: {exc.strerror}", f"check that {argv[0]} exists and is executable"
            ) from None
    _children[process.pid] = process
    return process.pid


def _signal(record: PidRecord, sig: signal.Signals, group: bool) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        # start_new_session made the process its group's leader; only then is its pid also its group id.
        if group and os.getpgid(record.pid) == record.pid:
            os.killpg(record.pid, sig)
        else:
            os.kill(record.pid, sig)


def wait_gone(record: PidRecord, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    delay = 0.02
    while is_alive(record):
        if time.monotonic() >= deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 1.5, 0.2)
    return True


def stop(record: PidRecord, steps: Sequence[StopStep]) -> bool:
    """Escalate through `steps` until the process is gone; then kill what is left of its group (children
    a service forked and left behind). True when it is gone."""
    if not is_alive(record):
        return True
    leader = False
    with contextlib.suppress(ProcessLookupError, PermissionError):
        leader = os.getpgid(record.pid) == record.pid
    gone = False
    for step in steps:
        _signal(record, step.signal, step.group)
        if wait_gone(record, step.grace):
            gone = True
            break
    if leader:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(record.pid, signal.SIGKILL)
    return gone


# redis-server writes its process title over the memory its environment was in, so its marker can't be read
# back; it runs in its data dir under the state dir, which identifies it instead.
TITLE_REWRITERS = ("redis-server",)


def marked_processes(marker: str) -> list[int]:
    """Pids (other than ours) of the stack `marker` names: MARKER_VARIABLE=marker in their environment, or a
    title-rewriting server whose working directory is inside the state dir `marker`."""
    wanted = f"{MARKER_VARIABLE}={marker}".encode()
    state = Path(marker)
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = Path(entry.path, "environ").read_bytes()
            if wanted in environ.split(b"\0") or _title_rewriter_in(Path(entry.path), state):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _title_rewriter_in(proc: Path, state: Path) -> bool:
    if (proc / "comm").read_text().strip() not in TITLE_REWRITERS:
        return False
    return Path(os.readlink(proc / "cwd")).is_relative_to(state)


def stop_marked(marker: str, grace: float = 5.0) -> int:
    """SIGTERM every process carrying the marker, SIGKILL what is left after `grace`. Returns how many there were."""
    pids = marked_processes(marker)
    records = [PidRecord(pid, process_start_time(pid)) for pid in pids]
    for record in records:
        _signal(record, signal.SIGTERM, group=False)
    deadline = time.monotonic() + grace
    for record in records:
        if not wait_gone(record, max(0.0, deadline - time.monotonic())):
            _signal(record, signal.SIGKILL, group=False)
            wait_gone(record, 2.0)
    return len(records)
