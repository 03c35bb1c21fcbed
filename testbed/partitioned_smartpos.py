"""A variant of SmartPOS's schema for cleanup's tests and benchmark: webhook_events range-partitioned by JST day of
received_at (key (id, received_at), the same foreign keys), so `devkit cleanup` can drop old days whole."""

from __future__ import annotations

from datetime import date, timedelta

import psycopg


def partition_name(day: date) -> str:
    return f"webhook_events_{day:%Y%m%d}"


def partition_webhook_events(dsn: str, first_day: date, days: int) -> None:
    """webhook_events again, as a table partitioned by day: one partition a day from `first_day`, rows moved over."""
    with psycopg.connect(dsn) as conn:
        conn.execute("ALTER TABLE webhook_events RENAME TO webhook_events_plain")
        conn.execute(
            "CREATE TABLE webhook_events (LIKE webhook_events_plain INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            " PARTITION BY RANGE (received_at)"
        )
        conn.execute("ALTER TABLE webhook_events ADD PRIMARY KEY (id, received_at)")
        conn.execute("ALTER TABLE webhook_events ADD FOREIGN KEY (payment_id) REFERENCES payments (id)")
        conn.execute(
            "ALTER TABLE webhook_events ADD FOREIGN KEY (provider_id) REFERENCES payment_service_providers (id)"
        )
        conn.execute("CREATE INDEX ON webhook_events (payment_id)")
        for day in (first_day + timedelta(days=n) for n in range(days)):
            conn.execute(
                f"CREATE TABLE {partition_name(day)} PARTITION OF webhook_events"
                f" FOR VALUES FROM ('{day} 00:00+09') TO ('{day + timedelta(days=1)} 00:00+09')"
            )
        conn.execute("INSERT INTO webhook_events SELECT * FROM webhook_events_plain")
        conn.execute("DROP TABLE webhook_events_plain")
