"""The redis kind's pure half: its URL and default health check. (redis-server on the host runs in
tests/stack/test_runtime_contract.py.)"""

from __future__ import annotations

import signal

from devkit.stack.kinds.redis import KIND
from devkit.stack.spec import HealthCheck, PortMapping, ServiceSpec


def test_url_and_health_check() -> None:
    service = ServiceSpec("cache", "redis", "redis:7", ports=(PortMapping(6379, 16379),))
    assert KIND.url(service) == "redis://127.0.0.1:16379/0"
    assert KIND.default_healthcheck(service) == HealthCheck(["CMD", "redis-cli", "ping"], 2.0, 5.0, 30, 60.0, 0.5)
    assert not KIND.database


def test_stop_lets_redis_save() -> None:
    first = KIND.stop_steps()[0]
    assert (first.signal, first.group) == (signal.SIGTERM, False)
