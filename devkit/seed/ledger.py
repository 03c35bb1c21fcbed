"""The seed ledger: one row per seed that changed an environment (what was asked, what it produced).

It lives in its own metadata, not in the SmartPOS schema: it is devkit's bookkeeping, absent from production
and from snapshots, and the anonymization rules need not know it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date

import psycopg
from sqlalchemy import BigInteger, Column, Date, DateTime, Float, Identity, Integer, MetaData, Table, Text, text
from sqlalchemy.dialects.postgresql import JSONB

from devkit.seed.checksum import TableDigest

ledger_metadata = MetaData()

seed_ledger = Table(
    "devkit_seed_ledger",
    ledger_metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("seeded_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("environment", Text, nullable=False),
    Column("action", Text, nullable=False),  # loaded | converged
    Column("profile", Text, nullable=False),
    Column("profile_fingerprint", Text, nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("days", Integer, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("devkit_version", Text, nullable=False),
    Column("generator", Text, nullable=False),
    Column("row_counts", JSONB, nullable=False),
    Column("checksums", JSONB, nullable=False),
    Column("scale", Float, nullable=False, server_default=text("1")),
)

# Ledgers created before --scale lack the column; the seed's transaction adds it (1: those seeds were unscaled).
ADD_SCALE_SQL = "ALTER TABLE devkit_seed_ledger ADD COLUMN IF NOT EXISTS scale double precision NOT NULL DEFAULT 1"


@dataclass(frozen=True)
class SeedParams:
    """Everything the rows are a function of. Two environments with equal params and checksums hold the same
    seeded rows."""

    profile: str
    profile_fingerprint: str
    seed: int
    days: int
    as_of: date
    devkit_version: str
    generator: str  # generator version + Faker and NumPy versions: all shape the bytes
    scale: float = 1.0  # --scale applied to the profile


@dataclass
class Manifest:
    params: SeedParams
    tables: dict[str, TableDigest] = field(default_factory=dict)

    @property
    def row_counts(self) -> dict[str, int]:
        return {name: digest.count for name, digest in self.tables.items()}

    @property
    def checksums(self) -> dict[str, str]:
        return {name: digest.checksum for name, digest in self.tables.items()}

    @property
    def total_rows(self) -> int:
        return sum(self.row_counts.values())


@dataclass(frozen=True)
class LedgerEntry:
    id: int
    environment: str
    action: str
    params: SeedParams
    row_counts: dict[str, int]
    checksums: dict[str, str]


def ledger_exists(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT to_regclass('devkit_seed_ledger') IS NOT NULL").fetchone()[0]


def latest_entry(conn: psycopg.Connection) -> LedgerEntry | None:
    if not ledger_exists(conn):
        return None
    has_scale = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'devkit_seed_ledger'::regclass"
        " AND attname = 'scale' AND NOT attisdropped)"
    ).fetchone()[0]
    row = conn.execute(
        "SELECT id, environment, action, profile, profile_fingerprint, seed, days, as_of, devkit_version,"
        f" generator, row_counts, checksums, {'scale' if has_scale else '1'}"
        " FROM devkit_seed_ledger ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    params = SeedParams(row[3], row[4], int(row[5]), row[6], row[7], row[8], row[9], float(row[12]))
    return LedgerEntry(int(row[0]), row[1], row[2], params, dict(row[10]), dict(row[11]))


def record(conn: psycopg.Connection, environment: str, action: str, manifest: Manifest) -> int:
    p = manifest.params
    values = asdict(p) | {
        "environment": environment,
        "action": action,
        "row_counts": json.dumps(manifest.row_counts, sort_keys=True),
        "checksums": json.dumps(manifest.checksums, sort_keys=True),
    }
    return conn.execute(
        "INSERT INTO devkit_seed_ledger (environment, action, profile, profile_fingerprint, seed, days, as_of,"
        " devkit_version, generator, row_counts, checksums, scale) VALUES (%(environment)s, %(action)s,"
        " %(profile)s, %(profile_fingerprint)s, %(seed)s, %(days)s, %(as_of)s, %(devkit_version)s, %(generator)s,"
        " %(row_counts)s::jsonb, %(checksums)s::jsonb, %(scale)s) RETURNING id",
        values,
    ).fetchone()[0]
