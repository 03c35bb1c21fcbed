"""The CLI client's pure parts: which provider a code belongs to, which deliveries --follow prints."""

from __future__ import annotations

from devkit.providers.client import news, pay_path
from devkit.providers.faults import fault_for
from devkit.providers.webhooks import backoff


def test_pay_path_routes_each_providers_code() -> None:
    assert pay_path("2026123456789012345", None) == "/_devkit/linepay/approve/2026123456789012345"
    assert pay_path("rpay-abc", "LIMIT_EXCEEDED") == "/_devkit/rakuten/authorize/rpay-abc?decline=LIMIT_EXCEEDED"
    assert pay_path("04-abcdef", None) == "/_devkit/paypay/pay/04-abcdef"


def test_follow_prints_new_deliveries_and_changes_once() -> None:
    seen: set = set()
    first = {"id": "a", "state": "pending", "attempts": [{"status": 500}]}
    second = {"id": "b", "state": "pending", "attempts": []}
    assert news(seen, [second, first]) == [first, second]  # oldest first
    assert news(seen, [second, first]) == []
    retried = {**first, "state": "delivered", "attempts": [{"status": 500}, {"status": 200}]}
    assert news(seen, [second, retried]) == [retried]


def test_faults_and_backoff() -> None:
    assert fault_for(990402) is not None and fault_for(990402).kind == "decline"
    assert fault_for(1200) is None
    assert fault_for(1200, {"devkit_fault": "timeout"}).kind == "timeout"
    assert fault_for(1200, {"devkit_fault": "nonsense"}) is None
    assert [backoff(1.0, attempt) for attempt in (1, 2, 3)] == [1.0, 2.0, 4.0]
