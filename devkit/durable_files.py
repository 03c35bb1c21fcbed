"""Making a file's existence durable: the rename that published it survives a crash only once its directory is
synced. Used where a later step relies on the file being there (an archive before its rows are deleted, a seed's
keys file after its commit)."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
