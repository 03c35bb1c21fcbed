"""The load mix of issue 18 against the card processor mock (Stripe-compatible API): create 40%, status 30%,
confirm 20%, refund 10%. Each user keeps the intents it created, so confirm and refund act on real state.

BENCH_SCENARIO=baseline replaces the mix with GET /_devkit/health (one Redis PING, no provider logic): the
same server, client and pacing, for the ratio run.py reports.
"""

from __future__ import annotations

import os
import random

from locust import constant_throughput, task
from locust.contrib.fasthttp import FastHttpUser

KEY = "sk_test_mpac_0000000000000001"  # the seeded card processor key (seeds/fixtures.toml)
RATE_PER_USER = float(os.environ.get("BENCH_RATE_PER_USER", "10"))
HEADERS = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/x-www-form-urlencoded"}


class Checkout(FastHttpUser):
    wait_time = constant_throughput(RATE_PER_USER)

    def on_start(self) -> None:
        self.created: list[str] = []
        self.succeeded: list[str] = []

    def _create(self) -> None:
        body = f"amount={random.randint(100, 20000)}&currency=jpy&payment_method=pm_card_visa"
        with self.client.post("/stripe/v1/payment_intents", data=body, headers=HEADERS, name="create",
                              catch_response=True) as response:  # fmt: skip
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return
            self.created.append(response.json()["id"])

    if os.environ.get("BENCH_SCENARIO") == "baseline":

        @task
        def health(self) -> None:
            self.client.get("/_devkit/health", name="health")

    else:

        @task(4)
        def create(self) -> None:
            self._create()

        @task(3)
        def status(self) -> None:
            known = self.created + self.succeeded
            if not known:
                return self._create()
            self.client.get(f"/stripe/v1/payment_intents/{random.choice(known)}", headers=HEADERS, name="status")

        @task(2)
        def confirm(self) -> None:
            if not self.created:
                return self._create()
            ident = self.created.pop()
            self.client.post(f"/stripe/v1/payment_intents/{ident}/confirm", data="", headers=HEADERS, name="confirm")
            self.succeeded.append(ident)

        @task(1)
        def refund(self) -> None:
            if not self.succeeded:
                return self._create()
            ident = self.succeeded.pop()
            body = f"payment_intent={ident}"
            self.client.post("/stripe/v1/refunds", data=body, headers=HEADERS, name="refund")
