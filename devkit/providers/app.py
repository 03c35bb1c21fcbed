"""Routing: each provider under its own path prefix on one port, plus devkit's own endpoints under /_devkit
(health, the customer's "pay", webhook settings, deliveries) and the web page at /."""

from __future__ import annotations

from devkit.providers import cards, linepay, page, paypay, rakuten
from devkit.providers.http import Request, Response
from devkit.providers.merchants import normalize
from devkit.providers.resp import RedisError
from devkit.providers.service import Service

# Path prefix -> provider module; `devkit status` shows these as the providers' base URLs.
PREFIXES = {"/paypay": paypay, "/linepay": linepay, "/rakuten": rakuten, "/stripe": cards}
BASE_PATHS = {"paypay": "/paypay", "line_pay": "/linepay", "rakuten_pay": "/rakuten", "card_processor": "/stripe"}
# The customer's side, under /_devkit/<provider>/<step>/<code>[?decline=...]: (decline codes, step, what a code is)
CUSTOMER_STEPS = {
    ("paypay", "pay"): (paypay.DECLINE_CODES, paypay.pay, "PayPay code or payment"),
    ("linepay", "approve"): (linepay.DECLINE_CODES, linepay.approve, "LINE Pay transaction"),
    ("rakuten", "authorize"): (rakuten.DECLINE_CODES, rakuten.authorize, "Rakuten Pay charge"),
}


class App:
    def __init__(self, service: Service) -> None:
        self.service = service

    async def __call__(self, request: Request) -> Response:
        try:
            return await self._dispatch(request)
        except RedisError as exc:
            return Response.json(503, {"error": f"state store unavailable: {exc}"})

    async def _dispatch(self, request: Request) -> Response:
        path = request.path
        for prefix, module in PREFIXES.items():
            if path == prefix or path.startswith(prefix + "/"):
                rest = path[len(prefix) :] or "/"
                if prefix == "/paypay" and rest.startswith("/qr/"):
                    return await self._customer_page(
                        "paypay_code", "paypay_payment", rest.removeprefix("/qr/"), page.qr
                    )
                if prefix == "/linepay" and rest.startswith("/approve/"):
                    return await self._customer_page(
                        "linepay_tx", "linepay_payment", rest.removeprefix("/approve/"), page.approve
                    )
                return await module.handle(self.service, request, rest)
        if path.startswith("/_devkit/"):
            return await self._devkit(request, path.removeprefix("/_devkit/").strip("/").split("/"))
        if path == "/" and request.method == "GET":
            return await self._page()
        return Response.json(404, {"error": f"no route for {request.method} {path}"})

    async def _devkit(self, request: Request, parts: list[str]) -> Response:
        store = self.service.store
        if parts == ["health"]:
            await store.redis.execute("PING")
            return Response.json(200, {"status": "ok", "providers": sorted(BASE_PATHS)})
        step = CUSTOMER_STEPS.get(tuple(parts[:2])) if len(parts) == 3 and request.method == "POST" else None
        if step is not None:
            decline_codes, act, what = step
            decline = request.query_params().get("decline") or None
            if decline is not None and decline not in decline_codes:
                return Response.json(400, {"error": f"decline must be one of {', '.join(decline_codes)}"})
            found = await act(self.service, parts[2], decline)
            if found is None:
                return Response.json(404, {"error": f"no {what} {parts[2]!r}"})
            return Response.json(200, found)
        if parts[0] == "webhooks" and len(parts) == 3 and request.method == "PUT":
            try:
                setting = request.json()
            except ValueError:
                return Response.json(400, {"error": 'body must be JSON: {"url": ..., "secret": ...}'})
            if not isinstance(setting, dict) or not str(setting.get("url", "")).startswith("http://"):
                return Response.json(400, {"error": "url must be an http:// URL"})
            await store.set_webhook(
                parts[1], parts[2], {"url": setting["url"], "secret": str(setting.get("secret", ""))}
            )
            return Response.json(200, {"provider": parts[1], "merchant_id": parts[2], "url": setting["url"]})
        if parts == ["merchants"] and request.method == "PUT":
            try:
                rows = request.json()["merchants"]
                merchants = [normalize(str(r["provider"]), str(r["merchant_id"]), dict(r["credentials"])) for r in rows]
            except (ValueError, KeyError, TypeError):
                return Response.json(
                    400, {"error": 'body must be {"merchants": [{provider, merchant_id, credentials}]}'}
                )
            await store.register_merchants(merchants)
            return Response.json(200, {"registered": len(merchants)})
        if parts == ["events"] and request.method == "GET":
            limit = int(request.query_params().get("limit") or 100)
            deliveries = [{k: v for k, v in item.items() if k != "secret"} for item in await store.deliveries(limit)]
            return Response.json(200, {"deliveries": deliveries})
        if parts == ["payments"] and request.method == "GET":
            recent = await store.recent(int(request.query_params().get("limit") or 100))
            return Response.json(200, {"objects": [page.summary(kind, obj) for kind, obj in recent]})
        return Response.json(404, {"error": f"no devkit route {'/'.join(parts)}"})

    async def _page(self) -> Response:
        recent = await self.service.store.recent(50)
        deliveries = await self.service.store.deliveries(50)
        html = page.render([page.summary(kind, obj) for kind, obj in recent], deliveries)
        return Response(200, html.encode(), content_type="text/html; charset=utf-8")

    async def _customer_page(self, alias_kind: str, kind: str, code: str, render: page.CustomerPage) -> Response:
        """What the customer sees on following the payment's URL (a PayPay code, a LINE Pay payment URL)."""
        ident = await self.service.store.resolve(alias_kind, code)
        record = await self.service.store.get(kind, ident) if ident else None
        if record is None:
            return Response(404, b"no such payment", content_type="text/plain")
        return Response(200, render(code, record).encode(), content_type="text/html; charset=utf-8")
