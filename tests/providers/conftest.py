"""The mock providers service as the stack runs it natively (`python3 -m devkit.providers`), on a free loopback
port, with its state in the suite's real Redis; a webhook receiver the tests start themselves."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from testbed.servers import RedisServer, free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
REDIS_DB = 3  # the providers tests' own database on the shared test Redis
# The seeded sandbox credentials (seeds/fixtures.toml, merchant 1): what a seeded dev database holds.
PAYPAY = {"api_key": "a_sandbox_paypay_key_0001", "api_secret": "sandbox-paypay-secret-0001"}
PAYPAY_MERCHANT = "sandbox-merchant-0001"
LINE_CHANNEL = ("1600000001", "sandbox-linepay-secret-0001")
CARD_KEY = "sk_test_mpac_0000000000000001"
CARD_MERCHANT = "TEST-MERCHANT-0001"


@dataclass
class ProvidersProcess:
    port: int
    redis_url: str
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **os.environ,
            "PORT": str(self.port),
            "REDIS_URL": self.redis_url,
            "PROVIDERS_WEBHOOK_BACKOFF": "0.05",
            "NO_PROXY": "127.0.0.1",
            **self.extra_env,
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devkit.providers"],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        # The server prints its "listening" line only once the socket is bound: no polling, no race.
        line = self.process.stdout.readline() if self.process.stdout else ""
        if "listening" not in line:
            self.process.kill()
            rest = self.process.stdout.read() if self.process.stdout else ""
            raise RuntimeError(f"providers did not start: {line}{rest}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


def flush_db(redis: RedisServer, db: int) -> None:
    with socket.create_connection(("127.0.0.1", redis.port), timeout=5) as sock:
        sock.sendall(f"SELECT {db}\r\nFLUSHDB\r\n".encode())
        reply = b""
        while reply.count(b"\r\n") < 2:
            reply += sock.recv(64)
    assert reply == b"+OK\r\n+OK\r\n", reply


@pytest.fixture(scope="module")
def providers(redis_server: RedisServer) -> Iterator[ProvidersProcess]:
    flush_db(redis_server, REDIS_DB)
    service = ProvidersProcess(
        free_port(), f"redis://127.0.0.1:{redis_server.port}/{REDIS_DB}", {"PROVIDERS_TIMEOUT_SECONDS": "3"}
    )
    service.start()
    yield service
    service.stop()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A webhook endpoint: records every request; answers `fail_first` of them with 500, then 200."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.requests: list[Received] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.arrived:
                    receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
                    status = 500 if len(receiver.requests) <= receiver.fail_first else 200
                    receiver.arrived.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        """Block until `count` requests arrived (the deadline only bounds a failing test)."""
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.requests) >= count, timeout), (
                f"{len(self.requests)} of {count} webhook requests arrived"
            )
            return list(self.requests)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def json(self, index: int) -> dict:
        return json.loads(self.requests[index].body)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


def customer_step(providers: ProvidersProcess, step: str, code: object, decline: str | None = None) -> dict:
    """The customer's app acting on a payment: step is paypay/pay, linepay/approve or rakuten/authorize."""
    query = f"?decline={decline}" if decline else ""
    answer = requests.post(f"{providers.url}/_devkit/{step}/{code}{query}", timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()
