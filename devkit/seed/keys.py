"""Device private keys of a seeded environment, written to a local file so device JWT authentication can be
exercised; never to a database (the devices table holds only public keys).

The keys are derived from the seed, so the file holds nothing a holder of the seed could not re-derive: it is a
convenience, kept private (folder 0700, file 0600 from creation) all the same.

The file and the database can't change in one transaction, so the file is written in two steps around the
seed's commit (`prepare_device_keys` before it, `PendingKeys.publish` after it; see `load_with_device_keys`
for what a kill at each point leaves), and `check_device_keys` tells whether the file matches the database.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from devkit.durable_files import fsync_directory
from devkit.environments import connect
from devkit.seed.checksum import SEED_OWNED_SQL
from devkit.seed.generate import World


def key_document(world: World, environment: str) -> dict:
    devices = [
        {
            "device_id": str(key.device_id),
            "device_uuid": str(key.device_uuid),
            "serial": key.serial,
            "store": key.store_key,
            "algorithm": "Ed25519",
            "private_key_pem": key.private_key_pem,
            "public_key_pem": key.public_key_pem,
        }
        for key in world.device_keys()
    ]
    return {"environment": environment, "profile": world.profile.name, "seed": world.seed, "devices": devices}


@dataclass
class PendingKeys:
    """A complete, fsync-ed keys file under a temporary name beside its final one, waiting for the commit."""

    path: Path
    temporary: Path
    devices: int

    def publish(self) -> int:
        """Put the file in place: one rename (atomic: readers see the old file or the new one, never a mix),
        then an fsync of the folder so the rename itself survives a crash."""
        os.replace(self.temporary, self.path)
        fsync_directory(self.path.parent)
        return self.devices

    def discard(self) -> None:
        self.temporary.unlink(missing_ok=True)


def _temporary_name(path: Path, pid: int) -> Path:
    # Named by environment and process: concurrent seeds never share one, and a dead process's is recognizable.
    return path.parent / f".{path.name}.{pid}.tmp"


def _remove_stale_temporaries(path: Path) -> None:
    """Remove this environment's temporary files left by seeds killed before their commit (their process is gone).
    They hold private keys, so they are not left to pile up."""
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.(\d+)\.tmp$")
    for candidate in path.parent.iterdir():
        match = pattern.match(candidate.name)
        if not match:
            continue
        pid = int(match.group(1))
        if pid != os.getpid() and _alive(pid):
            continue  # a seed running now: its file is its own
        candidate.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def prepare_device_keys(path: Path, world: World, environment: str) -> PendingKeys:
    """Write every seeded device's key pair to a temporary file (created 0600, fsync-ed) in the keys folder
    (0700); `publish()` puts it at `path`. All the slow work (deriving ~ms per hundred keys, writing, syncing)
    happens here, before the commit, so what is left after it is one rename."""
    document = key_document(world, environment)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)  # a folder made by an older devkit or by hand
    _remove_stale_temporaries(path)
    temporary = _temporary_name(path, os.getpid())
    temporary.unlink(missing_ok=True)  # a previous process with our pid, long gone
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(document, out, ensure_ascii=False, indent=1)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return PendingKeys(path, temporary, len(document["devices"]))


def write_device_keys(path: Path, world: World, environment: str) -> int:
    """Write (atomically, mode 0600) every seeded device's key pair; returns how many devices."""
    return prepare_device_keys(path, world, environment).publish()


# --- verification ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeysCheck:
    path: Path
    devices: int  # seeded devices in the database
    missing: int = 0  # seeded devices the file has no private key for
    mismatched: int = 0  # devices whose private key in the file doesn't give the database's public key
    unreadable: str | None = None  # why the file could not be used at all
    # No file on this machine: keys stay where the seed ran (a laptop verifying staging has none). Not a mismatch;
    # the CLI says the keys went unchecked.
    absent: bool = False

    @property
    def ok(self) -> bool:
        return self.unreadable is None and not self.missing and not self.mismatched

    def problem(self) -> str | None:
        """One line naming what is wrong, or None."""
        if self.unreadable:
            return f"device keys file {self.path} {self.unreadable}"
        if self.ok:
            return None
        return (
            f"device keys file {self.path} doesn't match the database: {self.mismatched} of {self.devices} devices' "
            f"private keys don't match the database's public keys, {self.missing} missing"
        )


def _raw(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _file_public_keys(path: Path) -> dict[str, bytes | None]:
    """device id -> the public key of the file's private key for it (None: not a usable Ed25519 key)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    found: dict[str, bytes | None] = {}
    for device in document["devices"]:
        pem = device["private_key_pem"]
        try:
            key = serialization.load_pem_private_key(pem.encode(), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            key = None
        found[str(device["device_id"])] = _raw(key) if isinstance(key, Ed25519PrivateKey) else None
    return found


def check_device_keys(dsn: str, path: Path) -> KeysCheck:
    """Does every seeded device's public key in the database come from the file's private key for it?"""
    with connect(dsn) as conn:
        conn.read_only = True
        if not conn.execute("SELECT to_regclass('devices') IS NOT NULL").fetchone()[0]:
            return KeysCheck(path, 0)
        rows = conn.execute(f"SELECT id::text, public_key FROM devices WHERE {SEED_OWNED_SQL}").fetchall()
    try:
        in_file = _file_public_keys(path)
    except FileNotFoundError:
        return KeysCheck(path, len(rows), absent=True)
    except OSError as exc:
        return KeysCheck(path, len(rows), missing=len(rows), unreadable=f"can't be read: {exc.strerror}")
    except (ValueError, KeyError, TypeError, AttributeError):  # JSON or structure (json errors are ValueErrors)
        return KeysCheck(path, len(rows), missing=len(rows), unreadable="is not a devkit device keys file")
    missing = mismatched = 0
    for device_id, public_pem in rows:
        if device_id not in in_file:
            missing += 1
        elif in_file[device_id] is None or in_file[device_id] != _database_key(public_pem):
            mismatched += 1
    return KeysCheck(path, len(rows), missing, mismatched)


def _database_key(pem: str) -> bytes | None:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, UnsupportedAlgorithm):
        return None
    return _raw(key) if isinstance(key, Ed25519PublicKey) else None
