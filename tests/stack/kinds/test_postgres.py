"""The postgres kind's pure half: the official image's credentials, its DSN, and the default health check.
(Its native half, initdb/postgres on the host, runs in tests/stack/test_runtime_contract.py.)"""

from __future__ import annotations

import signal

from devkit.stack.kinds.postgres import KIND, credentials
from devkit.stack.spec import HealthCheck, PortMapping, ServiceSpec


def test_credentials_as_the_official_image_derives_them() -> None:
    assert credentials(ServiceSpec("db", "postgres", "postgres:15")) == ("postgres", "", "postgres")
    env = {"POSTGRES_USER": "dev", "POSTGRES_PASSWORD": "p@ss", "POSTGRES_DB": "mpac_dev"}
    assert credentials(ServiceSpec("db", "postgres", "postgres:15", environment=env)) == ("dev", "p@ss", "mpac_dev")
    assert credentials(ServiceSpec("db", "postgres", "postgres:15", environment={"POSTGRES_USER": "x"}))[2] == "x"


def test_dsn_prefers_the_port_that_publishes_5432() -> None:
    env = {"POSTGRES_USER": "dev", "POSTGRES_PASSWORD": "p@ss", "POSTGRES_DB": "mpac dev"}
    ports = (PortMapping(9187, 19187), PortMapping(5432, 15432, "127.0.0.1"))
    service = ServiceSpec("db", "postgres", "postgres:15", ports=ports, environment=env)
    assert KIND.url(service) == "postgresql://dev:p%40ss@127.0.0.1:15432/mpac%20dev"
    no_password = ServiceSpec("db", "postgres", "postgres:15", ports=(PortMapping(6000, 16000),))
    assert KIND.url(no_password) == "postgresql://postgres@127.0.0.1:16000/postgres"
    assert KIND.urls(service) == {} and KIND.database


def test_default_health_check() -> None:
    service = ServiceSpec("db", "postgres", "postgres:15", environment={"POSTGRES_USER": "dev", "POSTGRES_DB": "m"})
    check = KIND.default_healthcheck(service)
    # pg_isready over TCP (the entrypoint's init phase listens on the socket only); `up` waits for the engine's
    # verdict: a short interval (and start_interval on newer engines) keeps it quick.
    assert check == HealthCheck(["CMD-SHELL", "pg_isready -U dev -d m -h 127.0.0.1"], 2.0, 5.0, 30, 60.0, 0.5)


def test_stops_fast_then_immediate() -> None:
    assert [step.signal for step in KIND.stop_steps()] == [signal.SIGINT, signal.SIGQUIT, signal.SIGKILL]
