"""Faults on demand: magic amounts (any provider) or a `devkit_fault` metadata value (where the API has metadata).

Pure: the request's amount and metadata in, the fault out; app.py applies it. The amounts are our own
convention (no provider documents magic amounts for these); they are large and odd, so seeded traffic never
hits them by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["decline", "timeout", "server_error", "duplicate_webhook"]

MAGIC_AMOUNTS: dict[int, FaultKind] = {
    990402: "decline",  # the provider declines (its own decline code)
    990408: "timeout",  # the answer comes only after TIMEOUT_SECONDS
    990500: "server_error",  # HTTP 500 in the provider's error shape, nothing recorded
    990409: "duplicate_webhook",  # the payment's webhook is delivered twice (providers deliver at least once)
}
# Longer than the usual client deadlines (the SDKs' 30-60 s defaults are longer still: set your client's timeout
# below it, or PROVIDERS_TIMEOUT_SECONDS); our assumption.
DEFAULT_TIMEOUT_SECONDS = 35.0


@dataclass(frozen=True)
class Fault:
    kind: FaultKind


def fault_for(amount: int | None, metadata: dict | None = None) -> Fault | None:
    named = (metadata or {}).get("devkit_fault")
    if named in ("decline", "timeout", "server_error", "duplicate_webhook"):
        return Fault(named)
    if amount is not None and amount in MAGIC_AMOUNTS:
        return Fault(MAGIC_AMOUNTS[amount])
    return None
