"""bench/snapshot's `--dataset strangers`: a production-like database devkit was not tuned on, anonymized with the
rules `devkit rules init` drafts for it, exactly as drafted (issue 14).

Two stranger builders (testbed/strangers) in one database: the payments database (merchants, customers, card and QR
payments, refunds and disputes with free-text notes, and the providers' webhooks kept as JSONB: Stripe events of
~1.5 kB, PayPay and card-processor notifications) in schema `payments`, and the English-language marketplace
(customers with JSONB preferences, addresses, staff, stores, products, orders with JSONB shipping payloads, order
items, reviews naming people) in `public`. At --scale 1 about 470,000 rows (35,000 webhook payloads), the shape of
the production-like database of issue 14; JSON payloads and notes are well over 30% of the COPY bytes (printed).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

from testbed.servers import PostgresServer
from testbed.strangers import marketplace, payments

# Builder scales at --scale 1: payments 35 (~85k rows, ~36k webhooks), marketplace 95 (~385k rows).
PAYMENTS_SCALE = 35.0
MARKETPLACE_SCALE = 95.0
PAYMENTS_SCHEMA = "payments"
DEVKIT = Path(sys.executable).parent / "devkit"
KEY_NOTE = "drafted by the real `devkit rules init --source DSN` (sampling on), used as drafted"


def build(dsn: str, scale: float, seed: int = 1) -> None:
    """Fill the empty database `dsn`: payments in schema `payments`, then the marketplace in `public`."""
    payments.build(dsn, PAYMENTS_SCALE * scale, seed)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER SCHEMA public RENAME TO {}").format(sql.Identifier(PAYMENTS_SCHEMA)))
        conn.execute("CREATE SCHEMA public")
    marketplace.build(dsn, MARKETPLACE_SCALE * scale, seed)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("ANALYZE")


def add_roles(server: PostgresServer) -> None:
    """The roles the dataset's grants name, on another server (the target: a dev server has them too)."""
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        role = sql.Identifier(marketplace.READ_ONLY_ROLE)
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (marketplace.READ_ONLY_ROLE,)).fetchone():
            conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(role))


def tables(dsn: str) -> dict[str, int]:
    """Qualified table -> rows, every ordinary table of the database."""
    with psycopg.connect(dsn) as conn:
        found = conn.execute(
            "SELECT format('%%I.%%I', n.nspname, c.relname) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind = 'r' AND n.nspname IN ('public', %s) ORDER BY 1",
            (PAYMENTS_SCHEMA,),
        ).fetchall()
        return {name: conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for (name,) in found}


def copy_bytes(dsn: str, names: list[str]) -> dict[str, int]:
    """Qualified table -> its COPY TEXT bytes."""
    out = {}
    with psycopg.connect(dsn) as conn:
        for name in names:
            with conn.cursor().copy(f"COPY {name} TO STDOUT") as copy:
                out[name] = sum(len(chunk) for chunk in copy)
    return out


# The JSON payloads and free-text notes of the dataset: what issue 14 found slow.
PAYLOAD_AND_NOTES = {
    f"{PAYMENTS_SCHEMA}.webhook_events": ("payload",),
    f"{PAYMENTS_SCHEMA}.refunds": ("note",),
    f"{PAYMENTS_SCHEMA}.disputes": ("notes",),
    "public.orders": ("shipping", "gift_message"),
    "public.customers": ("preferences",),
    "public.reviews": ("title", "body"),
}


def payload_bytes(dsn: str) -> int:
    """The bytes of the JSON payloads and notes, as COPY TEXT writes them."""
    part = 0
    with psycopg.connect(dsn) as conn:
        for table, columns in PAYLOAD_AND_NOTES.items():
            for column in columns:
                query = f"COPY (SELECT {column} FROM {table} WHERE {column} IS NOT NULL) TO STDOUT"
                with conn.cursor().copy(query) as copy:
                    part += sum(len(chunk) for chunk in copy)
    return part


def draft(server: PostgresServer, dsn: str) -> str:
    """The rules `devkit rules init --source DSN` drafts (the real CLI, as a user runs it)."""
    with tempfile.TemporaryDirectory(prefix="devkit-bench-draft-") as work:
        Path(work, "devkit.toml").write_text('[stack]\nproject = "bench-strangers"\n')
        env = {k: v for k, v in os.environ.items() if not k.startswith("DEVKIT_")}
        env.update(DEVKIT_POSTGRES_BIN=str(server.bindir), DEVKIT_CONFIG=str(Path(work, "devkit.toml")), NO_COLOR="1")
        done = subprocess.run(
            [str(DEVKIT), "rules", "init", "--source", dsn], cwd=work, env=env, capture_output=True, text=True
        )
    if done.returncode:
        raise RuntimeError(f"devkit rules init failed: {done.stderr[-2000:]}")
    return done.stdout
