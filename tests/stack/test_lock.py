"""The project lock: up/down alone, data commands side by side, waiters told whom they wait for."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from devkit.stack.lock import HOLDERS_DIR, Holder, describe_holders, project_lock, read_holders

HOLD = """
import sys, time
from pathlib import Path
from devkit.stack.lock import project_lock
with project_lock(Path(sys.argv[1]), sys.argv[2], shared=sys.argv[3] == "shared"):
    print("held", flush=True)
    time.sleep(float(sys.argv[4]))
    (Path(sys.argv[1]) / f"{sys.argv[2]} finished").touch()  # the last thing it does while holding the lock
"""


def _holder(state: Path, command: str, shared: bool, seconds: float) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(state), command, "shared" if shared else "alone", str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def test_describe_holders() -> None:
    holders = [Holder(20, "seed dev", 95.0), Holder(10, "up", 90.0)]
    assert describe_holders(holders, 100.0) == "`devkit up` (pid 10, for 10s), `devkit seed dev` (pid 20, for 5s)"
    assert describe_holders([], 100.0) == "another devkit run"


def test_a_second_up_waits_for_the_first_and_is_told_who_it_is(tmp_path: Path) -> None:
    first = _holder(tmp_path, "up", shared=False, seconds=1.0)
    heard: list[str] = []
    with project_lock(tmp_path, "down", on_wait=heard.append):
        assert (tmp_path / "up finished").exists()  # it really waited for the holder to let go
        assert [holder.command for holder in read_holders(tmp_path)] == ["down"]
    first.wait(timeout=10)
    assert len(heard) == 1 and heard[0].startswith(f"waiting for `devkit up` (pid {first.pid}, for ")
    assert read_holders(tmp_path) == []  # records go with their holders


def test_data_commands_share_it_and_keep_up_waiting(tmp_path: Path) -> None:
    seed = _holder(tmp_path, "seed dev", shared=True, seconds=1.0)
    heard: list[str] = []
    with project_lock(tmp_path, "cleanup dev", shared=True, on_wait=heard.append):
        assert heard == []  # shared beside shared: no wait
    with project_lock(tmp_path, "up", on_wait=heard.append):
        assert (tmp_path / "seed dev finished").exists()  # up runs only once the seed is done
    assert heard and "`devkit seed dev`" in heard[0]
    seed.wait(timeout=10)


def test_a_killed_holder_leaves_nothing_locked_and_its_record_is_ignored(tmp_path: Path) -> None:
    killed = _holder(tmp_path, "up", shared=False, seconds=60)
    killed.kill()
    killed.wait()
    assert json.loads((tmp_path / HOLDERS_DIR / str(killed.pid)).read_text())["command"] == "up"  # left behind
    assert read_holders(tmp_path) == []
    done = threading.Event()
    with project_lock(tmp_path, "up", on_wait=lambda _: done.set()):
        pass
    assert not done.is_set()  # the kernel released the dead holder's lock: no wait at all
