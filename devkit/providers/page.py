"""The service's web page: recent payments and webhook deliveries, and the customer's side of a PayPay code.
Plain HTML, no script: it is read, not used, except the "pay" buttons."""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from typing import Any

CustomerPage = Callable[[str, dict[str, Any]], str]  # (code, payment record) -> HTML


def summary(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    """One row of the payments table, whatever the provider."""
    if kind == "paypay_payment":
        code = obj["code"]
        return {
            "provider": "paypay",
            "id": code["merchantPaymentId"],
            "ref": code["codeId"],
            "amount": code["amount"]["amount"],
            "status": obj["status"],
            "merchant_id": obj["merchant_id"],
        }
    if kind == "linepay_payment":
        return {
            "provider": "line_pay",
            "id": obj["orderId"],
            "ref": str(obj["transactionId"]),
            "amount": obj["amount"],
            "status": obj["status"],
            "merchant_id": obj["merchant_id"],
        }
    if kind == "rakuten_charge":
        return {
            "provider": "rakuten_pay",
            "id": obj["cart_id"],
            "ref": obj["id"],
            "amount": obj["amount"],
            "status": obj["status"] + (" captured" if obj["captured"] else ""),
            "merchant_id": obj["_merchant"],
        }
    if kind == "pi":
        return {
            "provider": "card_processor",
            "id": obj["id"],
            "ref": obj.get("latest_charge") or "",
            "amount": obj["amount"],
            "status": obj["status"],
            "merchant_id": obj["_merchant"],
        }
    return {
        "provider": obj.get("provider", kind),
        "id": obj.get("id", ""),
        "ref": obj.get("ref", ""),
        "amount": obj.get("amount", ""),
        "status": obj.get("status", ""),
        "merchant_id": obj.get("_merchant") or obj.get("merchant_id", ""),
    }


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body or '<tr><td colspan=9>none yet</td></tr>'}</table>"


def _when(epoch: float | None) -> str:
    return time.strftime("%H:%M:%S", time.localtime(epoch)) if epoch else ""


def render(payments: list[dict[str, Any]], deliveries: list[dict[str, Any]]) -> str:
    payment_rows = []
    for item in payments:
        action = ""
        if item["provider"] == "paypay" and item["status"] == "CREATED":
            action = (
                f"<form method=post action='/_devkit/paypay/pay/{html.escape(item['ref'])}'><button>pay</button></form>"
            )
        if item["provider"] == "line_pay" and item["status"] == "REQUESTED":
            action = (
                f"<form method=post action='/_devkit/linepay/approve/{html.escape(item['ref'])}'>"
                "<button>approve</button></form>"
            )
        payment_rows.append(
            [html.escape(str(item[key])) for key in ("provider", "merchant_id", "id", "amount", "status")] + [action]
        )
    delivery_rows = []
    for item in deliveries:
        attempts = item.get("attempts") or []
        last = attempts[-1] if attempts else {}
        outcome = str(last.get("status") or last.get("error") or "")
        delivery_rows.append(
            [
                _when(item.get("created")),
                html.escape(item["provider"]),
                html.escape(item["event"]),
                html.escape(item.get("url") or "(no URL)"),
                html.escape(item["state"]),
                str(len(attempts)),
                html.escape(outcome),
            ]
        )
    return (
        "<!doctype html><html><head><meta charset=utf-8><meta http-equiv=refresh content=5>"
        "<title>devkit providers</title><style>body{font-family:sans-serif;margin:2em}"
        "table{border-collapse:collapse;margin-bottom:2em}td,th{border:1px solid #ccc;padding:4px 8px;"
        "text-align:left}</style></head><body><h1>Mock payment providers</h1><h2>Payments</h2>"
        + _table(["provider", "merchant", "id", "amount", "status", ""], payment_rows)
        + "<h2>Webhook deliveries</h2>"
        + _table(["created", "provider", "event", "url", "state", "attempts", "last outcome"], delivery_rows)
        + "</body></html>"
    )


def qr(code_id: str, record: dict[str, Any]) -> str:
    """What the customer's PayPay app would show after scanning the code."""
    code = record["code"]
    button = ""
    if record["status"] == "CREATED":
        button = f"<form method=post action='/_devkit/paypay/pay/{html.escape(code_id)}'><button>pay</button></form>"
    return (
        "<!doctype html><html><head><meta charset=utf-8><title>PayPay (mock)</title></head><body>"
        f"<h1>PayPay (mock)</h1><p>{html.escape(str(code.get('orderDescription') or ''))}</p>"
        f"<p>¥{code['amount']['amount']:,} — {html.escape(record['status'])}</p>{button}</body></html>"
    )


def approve(transaction_id: str, record: dict[str, Any]) -> str:
    """What the customer sees in LINE after following the payment URL."""
    button = ""
    if record["status"] == "REQUESTED":
        button = (
            f"<form method=post action='/_devkit/linepay/approve/{html.escape(transaction_id)}'>"
            "<button>approve</button></form>"
        )
    return (
        "<!doctype html><html><head><meta charset=utf-8><title>LINE Pay (mock)</title></head><body>"
        f"<h1>LINE Pay (mock)</h1><p>{html.escape(str(record.get('productName') or ''))}</p>"
        f"<p>¥{record['amount']:,} — {html.escape(record['status'])}</p>{button}</body></html>"
    )
