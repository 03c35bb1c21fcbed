"""Pick the runtime: Docker when an engine answers, else native; `--runtime` and settings can insist."""

from __future__ import annotations

from devkit.config import Settings
from devkit.errors import EngineError
from devkit.stack.runtime import Runtime, StackEvents
from devkit.stack.state import recorded_runtime


def choose_runtime(settings: Settings, requested: str | None, events: StackEvents, *, follow_record: bool) -> Runtime:
    """`follow_record`: down/status/logs address the runtime that ran `up` last, unless told otherwise.
    Each runtime is imported only when chosen: the native one pulls in psycopg, the Docker one docker-py, and a
    no-op `up` spends most of its time importing."""
    name = requested or (recorded_runtime(settings) if follow_record else None) or settings.stack.runtime
    if name == "native":
        return _native(settings)
    from devkit.stack.docker import DockerRuntime
    from devkit.stack.engine import find_engine

    try:
        engine = find_engine()
    except EngineError as exc:
        if name == "docker":
            raise
        events.notice(f"{exc.message}; using the native runtime")
        return _native(settings)
    return DockerRuntime(engine, settings)


def _native(settings: Settings) -> Runtime:
    from devkit.stack.native.runtime import NativeRuntime

    return NativeRuntime(settings)
