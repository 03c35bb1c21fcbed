"""`devkit providers events`: the deliveries as a table, as JSON, and followed as they happen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import stripe

from tests.providers.conftest import CARD_KEY, REPO_ROOT, ProvidersProcess

DEVKIT = Path(sys.executable).parent / "devkit"


def charge(providers: ProvidersProcess, amount: int) -> str:
    cards = stripe.StripeClient(CARD_KEY, base_addresses={"api": f"{providers.url}/stripe"}, max_network_retries=0)
    params = {"amount": amount, "currency": "jpy", "payment_method": "pm_card_visa", "confirm": True}
    return cards.v1.payment_intents.create(params).id


def test_events_listed_and_followed(providers: ProvidersProcess, tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DEVKIT_")},
        "DEVKIT_COMPOSE_FILE": str(REPO_ROOT / "compose" / "docker-compose.yml"),
        "DEVKIT_PORT_PROVIDERS": str(providers.port),
        "DEVKIT_STATE_DIR": str(tmp_path / "state"),
        "NO_COLOR": "1",
        "COLUMNS": "250",
        "PYTHONUNBUFFERED": "1",
    }
    first = charge(providers, 1111)
    listed = subprocess.run([DEVKIT, "providers", "events", "--json"], env=env, capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    deliveries = json.loads(listed.stdout)["deliveries"]
    assert any(first in item["payload"] and item["event"] == "charge.completed" for item in deliveries)
    table = subprocess.run([DEVKIT, "providers", "events"], env=env, capture_output=True, text=True)
    assert "charge.completed" in table.stdout and "no_url" in table.stdout
    follower = subprocess.Popen(
        [DEVKIT, "providers", "events", "--follow"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert follower.stdout is not None
        printed = [follower.stdout.readline() for _ in deliveries]  # what exists is printed first, oldest first
        assert "charge.completed" in printed[-1]
        charge(providers, 2222)
        assert "charge.completed" in follower.stdout.readline()  # then each new delivery as it is recorded
    finally:
        follower.terminate()
        follower.wait(10)
