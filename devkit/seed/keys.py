"""Device private keys of a seeded environment, written to a local file so device JWT authentication can be
exercised; never to a database (the devices table holds only public keys).

The keys are derived from the seed, so the file holds nothing a holder of the seed could not re-derive: it is a
convenience, kept private (0600) all the same.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from devkit.seed.generate import World


def write_device_keys(path: Path, world: World, environment: str) -> int:
    """Write (atomically, mode 0600) every seeded device's key pair; returns how many devices."""
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
    document = {
        "environment": environment,
        "profile": world.profile.name,
        "seed": world.seed,
        "devices": devices,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    handle, temporary = tempfile.mkstemp(prefix=".keys-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:  # mkstemp creates it 0600
            json.dump(document, out, ensure_ascii=False, indent=1)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return len(devices)
