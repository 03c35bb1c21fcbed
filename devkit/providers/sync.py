"""`devkit providers sync`: the sandbox merchant payment configs of an environment's database, as the mock
registers them, so every seeded merchant's credentials work against it (not only merchant 1's fixtures)."""

from __future__ import annotations

from typing import Any

from devkit.errors import DataError

QUERY = """
SELECT p.code, c.provider_merchant_id, c.credentials
FROM merchant_payment_configs c JOIN payment_service_providers p ON p.id = c.provider_id
WHERE c.environment = 'sandbox' AND c.enabled
ORDER BY p.code, c.provider_merchant_id
"""
BATCH = 500  # configs per request: well under the service's 1 MB body limit


def sandbox_configs(dsn: str) -> list[dict[str, Any]]:
    import psycopg  # here: only this command needs it

    try:
        with psycopg.connect(dsn, connect_timeout=10) as conn:
            rows = conn.execute(QUERY).fetchall()
    except psycopg.errors.UndefinedTable:
        raise DataError("the database has no merchant_payment_configs", "seed it first: devkit seed dev") from None
    except psycopg.Error as exc:
        raise DataError(f"cannot read the merchant payment configs: {str(exc).strip().splitlines()[0]}") from None
    return [
        {"provider": code, "merchant_id": merchant_id, "credentials": credentials}
        for code, merchant_id, credentials in rows
    ]


def batches(configs: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [configs[start : start + BATCH] for start in range(0, len(configs), BATCH)]
