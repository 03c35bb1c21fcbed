"""Find the host binaries the native runtime runs: PostgreSQL 15 (initdb, postgres) and redis-server.

PostgreSQL must be major 15: the Docker runtime runs postgres:15, and a data directory belongs to one major.
Order: the setting (DEVKIT_POSTGRES_BIN / DEVKIT_REDIS_SERVER), then PATH, then Debian's location.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from devkit.errors import EngineError

POSTGRES_MAJOR = 15
DEBIAN_POSTGRES_BINDIR = Path(f"/usr/lib/postgresql/{POSTGRES_MAJOR}/bin")
_INSTALL_POSTGRES = f"apt-get install postgresql-{POSTGRES_MAJOR}"
_INSTALL_REDIS = "apt-get install redis-server"


@dataclass(frozen=True)
class PostgresBinaries:
    bindir: Path
    version: str

    @property
    def initdb(self) -> Path:
        return self.bindir / "initdb"

    @property
    def postgres(self) -> Path:
        return self.bindir / "postgres"


@dataclass(frozen=True)
class RedisBinary:
    path: Path
    version: str | None


def parse_postgres_version(text: str) -> str | None:
    """`postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)` -> `15.18`."""
    match = re.search(r"\(PostgreSQL\)\s+(\d+(?:\.\d+)*)", text)
    return match.group(1) if match else None


def parse_redis_version(text: str) -> str | None:
    """`Redis server v=7.0.15 sha=...` -> `7.0.15`."""
    match = re.search(r"\bv=(\d+(?:\.\d+)*)", text)
    return match.group(1) if match else None


def major(version: str) -> int:
    return int(version.split(".", 1)[0])


def _has_postgres(bindir: Path) -> bool:
    return all(os.access(bindir / name, os.X_OK) for name in ("initdb", "postgres"))


def _version_output(binary: Path) -> str:
    try:
        done = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30)
    except OSError as exc:
        raise EngineError(f"cannot run {binary}: {exc.strerror}", "check the file and its permissions") from None
    return done.stdout + done.stderr


def _postgres_at(bindir: Path) -> PostgresBinaries:
    version = parse_postgres_version(_version_output(bindir / "postgres"))
    if version is None:
        raise EngineError(f"{bindir / 'postgres'} --version printed no PostgreSQL version", "check that binary")
    return PostgresBinaries(bindir, version)


def find_postgres(setting: Path | None) -> PostgresBinaries:
    """`setting` is a bin directory or the path of a binary in it (pg_ctl, initdb, postgres)."""
    if setting is not None:
        bindir = setting if setting.is_dir() else setting.parent
        if not _has_postgres(bindir):
            raise EngineError(
                f"no PostgreSQL binaries (initdb, postgres) at {setting} (DEVKIT_POSTGRES_BIN / [stack] postgres_bin)",
                f"point it at PostgreSQL {POSTGRES_MAJOR}'s bin directory, e.g. {DEBIAN_POSTGRES_BINDIR} "
                f"({_INSTALL_POSTGRES}), or unset it",
            )
        binaries = _postgres_at(bindir)
        if major(binaries.version) != POSTGRES_MAJOR:
            raise EngineError(
                f"{bindir} has PostgreSQL {binaries.version}; the stack runs PostgreSQL {POSTGRES_MAJOR}",
                f"point DEVKIT_POSTGRES_BIN at PostgreSQL {POSTGRES_MAJOR}'s bin directory ({_INSTALL_POSTGRES})",
            )
        return binaries

    candidates: list[Path] = []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)  # /usr/local/bin/initdb -> the real bin directory
    candidates.append(DEBIAN_POSTGRES_BINDIR)
    wrong: list[PostgresBinaries] = []
    for bindir in dict.fromkeys(candidates):
        if _has_postgres(bindir):
            binaries = _postgres_at(bindir)
            if major(binaries.version) == POSTGRES_MAJOR:
                return binaries
            wrong.append(binaries)
    if wrong:
        raise EngineError(
            f"found PostgreSQL {wrong[0].version} at {wrong[0].bindir}; the stack runs PostgreSQL {POSTGRES_MAJOR}",
            f"{_INSTALL_POSTGRES}, or set DEVKIT_POSTGRES_BIN to its bin directory",
        )
    raise EngineError(
        f"PostgreSQL {POSTGRES_MAJOR} (initdb, postgres) not found on PATH or in {DEBIAN_POSTGRES_BINDIR}",
        f"{_INSTALL_POSTGRES}, or set DEVKIT_POSTGRES_BIN to its bin directory",
    )


def find_redis(setting: Path | None) -> RedisBinary:
    """`setting` is the redis-server binary or the directory holding it."""
    if setting is not None:
        path = setting / "redis-server" if setting.is_dir() else setting
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise EngineError(
                f"redis-server not found at {setting} (DEVKIT_REDIS_SERVER / [stack] redis_server)",
                f"point it at a redis-server binary ({_INSTALL_REDIS}), or unset it",
            )
    else:
        found = shutil.which("redis-server")
        if not found:
            raise EngineError(
                "redis-server not found on PATH", f"{_INSTALL_REDIS}, or set DEVKIT_REDIS_SERVER to its path"
            )
        path = Path(found)
    return RedisBinary(path, parse_redis_version(_version_output(path)))
