"""Compare an environment's seeded rows with the manifest the generators produce: proof that two environments
seeded with the same params hold the same data, or a list of the tables where they differ."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from devkit.environments import connect
from devkit.errors import DataError
from devkit.seed.generate import World
from devkit.seed.keys import KeysCheck, check_device_keys
from devkit.seed.ledger import LedgerEntry, latest_entry
from devkit.seed.load import SeedEvents, database_checksums, expected_manifest, schema_present


@dataclass(frozen=True)
class TableCheck:
    table: str
    expected_rows: int
    actual_rows: int
    expected_checksum: str
    actual_checksum: str

    @property
    def ok(self) -> bool:
        return self.expected_checksum == self.actual_checksum


def read_ledger(dsn: str) -> LedgerEntry | None:
    with connect(dsn) as conn:
        return latest_entry(conn)


def verify(dsn: str, world: World, events: SeedEvents | None = None, workers: int | None = None) -> list[TableCheck]:
    expected = expected_manifest(world, events, workers)
    with connect(dsn) as conn:
        conn.read_only = True
        actual = database_checksums(conn) if schema_present(conn) else {}
    checks = []
    for name, digest in expected.tables.items():
        found = actual.get(name)
        checks.append(
            TableCheck(
                name,
                digest.count,
                found.count if found else 0,
                digest.checksum,
                found.checksum if found else "-",
            )
        )
    return checks


def verification_failure(environment: str, checks: list[TableCheck], keys: KeysCheck) -> DataError | None:
    """One error naming everything `--verify` found wrong (tables and the keys file), with the one fix for all of
    it (a seed converges the tables and rewrites the keys file); None when everything matches."""
    bad = [check.table for check in checks if not check.ok]
    if bad:
        also = f"; and the {keys.problem()}" if not keys.ok else ""
        return DataError(
            f"{environment} differs from the manifest in {', '.join(bad)}{also}", f"re-run `devkit seed {environment}`"
        )
    if not keys.ok:
        return DataError(str(keys.problem()), f"re-run `devkit seed {environment}` to rewrite the keys file")
    return None


@dataclass(frozen=True)
class Verification:
    """What `--verify` found: every table's rows and checksum, the device keys file, and the one error for all that
    differs (None: the environment matches)."""

    checks: list[TableCheck]
    keys: KeysCheck
    failure: DataError | None


def verify_environment(
    environment: str,
    dsn: str,
    world: World,
    keys_path: Path,
    events: SeedEvents | None = None,
    workers: int | None = None,
) -> Verification:
    """The environment's seeded rows against `world`'s manifest, and its devices' keys against `keys_path`."""
    checks = verify(dsn, world, events, workers)
    keys = check_device_keys(dsn, keys_path)
    return Verification(checks, keys, verification_failure(environment, checks, keys))
