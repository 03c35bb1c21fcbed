"""`up` and `down` for either runtime: plan, check ports, prepare, start in dependency order, wait for health.

A run that fails leaves nothing half-started: every service it started (or replaced) is removed again, and the
error carries the last log lines of the service that did not become healthy.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from typing import Literal

from devkit.errors import DevkitError, HealthTimeoutError
from devkit.stack.ports import find_conflicts, raise_for_conflicts
from devkit.stack.runtime import Instance, Runtime, ServiceStatus, StackEvents
from devkit.stack.spec import ServiceSpec, StackSpec

Action = Literal["keep", "start", "recreate", "create"]
LOG_TAIL_LINES = 20
# Longest pause between two health reads: the Docker runtime reads the engine's verdict (a cheap inspect), which
# changes only on the engine's own check; a short pause keeps `up` from lagging it.
POLL_CAP = 0.25


@dataclass
class UpResult:
    runtime: str
    actions: dict[str, Action]
    statuses: list[ServiceStatus] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return any(action != "keep" for action in self.actions.values())


def plan_action(service: ServiceSpec, instance: Instance) -> Action:
    if not instance.exists:
        return "create"
    if instance.config_hash != service.config_hash:
        return "recreate"
    return "keep" if instance.running else "start"


def up(
    runtime: Runtime,
    stack: StackSpec,
    names: list[str] | None,
    timeout: float,
    events: StackEvents,
) -> UpResult:
    began = time.monotonic()
    services = [stack.services[name] for name in stack.select(names)]
    instances = {svc.name: runtime.inspect(stack, svc) for svc in services}
    actions = {svc.name: plan_action(svc, instances[svc.name]) for svc in services}
    to_start = [svc for svc in services if actions[svc.name] != "keep"]

    if to_start:
        # A running instance about to be replaced holds its own port; everything else must find its port free.
        raise_for_conflicts(find_conflicts([s for s in to_start if not instances[s.name].running], runtime.port_holder))
        runtime.prepare(stack, to_start, events)

    waiter = _HealthWaiter(runtime, stack, timeout, events)
    started: list[ServiceSpec] = []
    try:
        for service in services:
            for dependency, condition in service.depends_on.items():
                if condition != "service_started":
                    waiter.wait_for(dependency)
            action = actions[service.name]
            if action != "keep":
                events.service(service.name, {"create": "creating", "recreate": "recreating"}.get(action, "starting"))
                started.append(service)
                runtime.start(stack, service, events)
            waiter.watch(service, kept=action == "keep")
        for service in services:
            waiter.wait_for(service.name)
    except BaseException:
        waiter.cancel()
        for service in reversed(started):
            events.service(service.name, "removing", "rolling back")
            with contextlib.suppress(DevkitError):  # the original failure is the one worth reporting
                runtime.remove(stack, service)
        raise

    statuses = [runtime.status(stack, svc) for svc in services]
    return UpResult(runtime.name, actions, statuses, time.monotonic() - began)


class _HealthWaiter:
    """One thread per service probes until healthy; start order waits only where depends_on asks it to."""

    def __init__(self, runtime: Runtime, stack: StackSpec, timeout: float, events: StackEvents) -> None:
        self.runtime, self.stack, self.events = runtime, stack, events
        self.deadline = time.monotonic() + timeout
        self.timeout = timeout
        self.done: dict[str, threading.Event] = {}
        self.failures: dict[str, DevkitError] = {}
        self.cancelled = threading.Event()

    def watch(self, service: ServiceSpec, kept: bool) -> None:
        event = self.done[service.name] = threading.Event()
        thread = threading.Thread(target=self._run, args=(service, kept, event), daemon=True)
        thread.start()

    def wait_for(self, name: str) -> None:
        event = self.done.get(name)
        if event is None:
            return
        event.wait(max(0.0, self.deadline - time.monotonic()) + 5)
        if name in self.failures:
            raise self.failures[name]
        if not event.is_set():
            raise self._timeout(self.stack.services[name])

    def cancel(self) -> None:
        self.cancelled.set()

    def _run(self, service: ServiceSpec, kept: bool, event: threading.Event) -> None:
        try:
            self._wait_healthy(service, kept)
        except DevkitError as exc:
            self.failures[service.name] = exc
            self.events.service(service.name, "failed", exc.message)
        except Exception as exc:  # a thread must report, never die silently
            self.failures[service.name] = DevkitError(f"{service.name}: {exc}")
            self.events.service(service.name, "failed", str(exc))
        finally:
            event.set()

    def _wait_healthy(self, service: ServiceSpec, kept: bool) -> None:
        began = time.monotonic()
        if not kept:
            self.events.service(service.name, "waiting", "health check")
        delay = 0.1
        while not self.cancelled.is_set():
            healthy = self.runtime.probe(self.stack, service)
            if healthy or healthy is None:
                if healthy is None and not self.runtime.inspect(self.stack, service).running:
                    raise self._crashed(service)
                phase = "unchanged" if kept else "healthy"
                self.events.service(service.name, phase, f"{time.monotonic() - began:.1f}s")
                return
            if not self.runtime.inspect(self.stack, service).running:
                raise self._crashed(service)
            if time.monotonic() >= self.deadline:
                raise self._timeout(service)
            time.sleep(delay)
            delay = min(delay * 1.5, POLL_CAP)

    def _crashed(self, service: ServiceSpec) -> HealthTimeoutError:
        return HealthTimeoutError(
            f"{service.name} exited before it became healthy",
            f"see its last log lines below, or `devkit logs {service.name}`",
            self.runtime.log_tail(self.stack, service, LOG_TAIL_LINES),
        )

    def _timeout(self, service: ServiceSpec) -> HealthTimeoutError:
        return HealthTimeoutError(
            f"{service.name} did not become healthy within {self.timeout:g}s",
            f"raise --timeout, or see its last log lines below and `devkit logs {service.name}`",
            self.runtime.log_tail(self.stack, service, LOG_TAIL_LINES),
        )


def down(runtime: Runtime, stack: StackSpec, remove_volumes: bool, events: StackEvents) -> list[str]:
    """Remove every service's instance (reverse start order), then the network, and data when asked."""
    removed = []
    for name in reversed(stack.select(None)):
        service = stack.services[name]
        if runtime.inspect(stack, service).exists:
            events.service(name, "removing")
            runtime.remove(stack, service)
            events.service(name, "removed")
            removed.append(name)
    removed.extend(runtime.teardown(stack, remove_volumes))
    return removed
