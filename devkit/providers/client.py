"""The CLI's side of the providers service: its devkit endpoints (deliveries, the customer's pay/approve) over
HTTP on loopback. Pure helpers (which code is whose, which deliveries are news) are separate from the I/O."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from devkit.errors import ProvidersError

TIMEOUT = 10.0


def pay_path(code: str, decline: str | None) -> str:
    """A LINE Pay transaction id is all digits, a Rakuten Pay charge id starts rpay-; anything else is a PayPay
    codeId or merchantPaymentId."""
    if code.isdigit():
        action = "linepay/approve"
    elif code.startswith("rpay-"):
        action = "rakuten/authorize"
    else:
        action = "paypay/pay"
    return f"/_devkit/{action}/{code}" + (f"?decline={decline}" if decline else "")


def delivery_mark(delivery: dict[str, Any]) -> tuple[str, str, int]:
    """What makes a delivery worth printing again under --follow: a new attempt or a new state."""
    return delivery["id"], delivery["state"], len(delivery.get("attempts") or [])


def news(seen: set[tuple[str, str, int]], deliveries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The deliveries not printed yet in their current state, oldest first; `seen` is updated."""
    fresh = [item for item in reversed(deliveries) if delivery_mark(item) not in seen]
    seen.update(delivery_mark(item) for item in fresh)
    return fresh


class ProvidersClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never a proxy

    def _call(self, method: str, path: str, body: bytes | None = None) -> Any:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        request = urllib.request.Request(self.base_url + path, data=body, headers=headers, method=method)
        try:
            with self._opener.open(request, timeout=TIMEOUT) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            try:
                problem = json.loads(exc.read()).get("error") or exc.reason
            except ValueError:
                problem = exc.reason
            raise ProvidersError(f"the providers service refused {method} {path}: {problem}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ProvidersError(
                f"the providers service at {self.base_url} is not reachable: {reason}",
                "start it with `devkit up providers`",
            ) from None

    def deliveries(self, limit: int) -> list[dict[str, Any]]:
        return self._call("GET", f"/_devkit/events?limit={limit}")["deliveries"]

    def pay(self, code: str, decline: str | None) -> dict[str, Any]:
        return self._call("POST", pay_path(code, decline))

    def register_merchants(self, configs: list[dict[str, Any]]) -> int:
        return self._call("PUT", "/_devkit/merchants", json.dumps({"merchants": configs}).encode())["registered"]

    def set_webhook(self, provider: str, merchant_id: str, url: str, secret: str) -> dict[str, Any]:
        body = json.dumps({"url": url, "secret": secret}).encode()
        return self._call("PUT", f"/_devkit/webhooks/{provider}/{merchant_id}", body)
