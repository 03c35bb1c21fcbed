"""anonymize.feeders: the programs feeding a source's streams, stopped at once for an interrupted run."""

from __future__ import annotations

import subprocess

from anonymize.feeders import Feeders


def _sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen(["sleep", "600"], stdout=subprocess.PIPE)


def test_stop_kills_the_programs_feeding_and_each_started_after() -> None:
    feeders = Feeders()
    running, later = _sleeper(), _sleeper()
    try:
        with feeders.feeding(running):
            feeders.stop()
            assert running.wait(10) == -9
            assert running.stdout is not None and running.stdout.read() == b""  # its reader sees the end
        with feeders.feeding(later):
            assert later.wait(10) == -9
    finally:
        for process in (running, later):
            process.kill()
            process.wait()
            assert process.stdout is not None
            process.stdout.close()


def test_a_program_done_feeding_is_left_alone() -> None:
    feeders = Feeders()
    done = _sleeper()
    try:
        with feeders.feeding(done):
            pass
        feeders.stop()
        assert done.poll() is None
    finally:
        done.kill()
        done.wait()
        assert done.stdout is not None
        done.stdout.close()
