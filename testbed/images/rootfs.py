"""A Debian bookworm root filesystem for the suite's images, made with debootstrap from the machine's own apt mirror.

No image registry is reachable here, so the base image is a rootfs tarball imported into the engine. The tarball is
cached under CACHE_DIR: the first build on a machine pays for debootstrap (~45 s), every later one only imports it.
A build killed halfway leaves a `work-*` directory behind (possibly with /proc still mounted inside it); the next
run unmounts and removes it before starting over, and the tarball only appears, by rename, once it is complete.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tarfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

CACHE_DIR = Path(os.environ.get("DEVKIT_TEST_IMAGE_CACHE", "/var/cache/devkit-test"))
SUITE = "bookworm"
PACKAGES = (
    "postgresql-15",
    "postgresql-client-15",
    "redis-server",
    "redis-tools",
    "python3",
    "procps",
    "iproute2",
    "netbase",
    "ca-certificates",
)
APT_SOURCES = (Path("/etc/apt/sources.list.d/debian.sources"), Path("/etc/apt/sources.list"))
# Trimmed from the tarball: a third of its size, nothing a test needs.
_PRUNE = ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale", "var/cache/apt", "var/lib/apt/lists")


class RootfsError(RuntimeError):
    pass


@dataclass(frozen=True)
class Rootfs:
    tarball: Path
    recipe: str  # hash of suite + mirror-independent package list: a changed list makes a new tarball
    built_seconds: float | None  # None: taken from the cache


def recipe_hash() -> str:
    return hashlib.sha256(" ".join((SUITE, *PACKAGES)).encode()).hexdigest()[:16]


def debian_mirror(sources: dict[Path, str]) -> str:
    """The main Debian archive URI from apt's configuration (deb822 `.sources` or one-line `sources.list`)."""
    for path, text in sources.items():
        if path.suffix == ".sources":
            for stanza in re.split(r"\n\s*\n", text):
                fields = _deb822_fields(stanza)
                suites = fields.get("suites", "").split()
                if "deb" in fields.get("types", "").split() and any(s in (SUITE, "stable") for s in suites):
                    uris = fields.get("uris", "").split()
                    if uris:
                        return uris[0]
        else:
            for line in text.splitlines():
                parts = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
                if len(parts) >= 3 and parts[0] == "deb" and parts[2] in (SUITE, "stable"):
                    return parts[1]
    raise RootfsError(f"no 'deb ... {SUITE}' source in {', '.join(str(p) for p in sources) or 'apt configuration'}")


def _deb822_fields(stanza: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    key = None
    for line in stanza.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if line[0].isspace() and key:
            fields[key] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if sep:
            key = name.strip().lower()
            fields[key] = value.strip()
    return fields


def machine_mirror() -> str:
    sources = {path: path.read_text() for path in APT_SOURCES if path.is_file()}
    return debian_mirror(sources)


def ensure_rootfs(log: Callable[[str], None] = print) -> Rootfs:
    """The cached tarball, building it first when missing. Safe against concurrent and killed runs."""
    recipe = recipe_hash()
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tarball = CACHE_DIR / f"rootfs-{SUITE}-{recipe}.tar"
    with _locked(CACHE_DIR / "lock") as lock_fd:
        clear_stale_work(CACHE_DIR)
        if tarball.is_file():
            return Rootfs(tarball, recipe, None)
        began = time.monotonic()
        work = CACHE_DIR / f"work-{os.getpid()}"
        try:
            _debootstrap(work / "root", machine_mirror(), log, lock_fd)
            _prune(work / "root")
            partial = work / "rootfs.tar"
            log(f"packing {partial.name}")
            with tarfile.open(partial, "w") as archive:
                archive.add(work / "root", arcname=".")
            partial.rename(tarball)
        finally:
            _remove_work(work)
        return Rootfs(tarball, recipe, time.monotonic() - began)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[int]:
    """An exclusive lock; yields its fd so children can inherit it (see _debootstrap)."""
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield handle.fileno()


def _debootstrap(target: Path, mirror: str, log: Callable[[str], None], lock_fd: int) -> None:
    if shutil.which("debootstrap") is None:
        raise RootfsError("debootstrap is not installed (apt-get install debootstrap)")
    if os.geteuid() != 0:
        raise RootfsError("debootstrap needs root to build the test images")
    target.mkdir(parents=True)
    debs = CACHE_DIR / "debs"
    debs.mkdir(exist_ok=True)
    command = [
        "debootstrap",
        "--variant=minbase",
        f"--include={','.join(PACKAGES)}",
        f"--cache-dir={debs}",
        SUITE,
        str(target),
        mirror,
    ]
    log(f"$ {' '.join(command)}")
    # postgresql-common would create and start a "main" cluster on install; the image builds its own.
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"}
    # debootstrap inherits the lock: if this process is killed and debootstrap lives on, the next run waits for
    # it instead of deleting the directory it is writing into.
    result = subprocess.run(command, env=env, capture_output=True, text=True, pass_fds=(lock_fd,))
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-15:])
        log_file = target / "debootstrap" / "debootstrap.log"
        extra = "\n".join(log_file.read_text().splitlines()[-15:]) if log_file.is_file() else ""
        raise RootfsError(f"debootstrap failed ({result.returncode}):\n{tail}\n{extra}")


def _prune(root: Path) -> None:
    for relative in _PRUNE:
        path = root / relative
        if path.is_dir():
            for child in path.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
    # The distribution's cluster; the postgres image initialises PGDATA itself, as the official image does.
    for leftover in (root / "var/lib/postgresql/15", root / "etc/postgresql/15"):
        shutil.rmtree(leftover, ignore_errors=True)


def _mounts_under(path: Path) -> list[str]:
    prefix = str(path.resolve()) + "/"
    mounts = []
    for line in Path("/proc/mounts").read_text().splitlines():
        point = line.split()[1].replace("\\040", " ")
        if point.startswith(prefix):
            mounts.append(point)
    return sorted(mounts, key=len, reverse=True)  # innermost first


def _remove_work(work: Path) -> None:
    if not work.exists():
        return
    # A killed debootstrap leaves proc/sys mounted in the target: rm -rf through them would be a disaster.
    for point in _mounts_under(work):
        subprocess.run(["umount", "-l", point], check=False, capture_output=True)
    if _mounts_under(work):
        raise RootfsError(f"{work} still has mounts inside; unmount them and remove it")
    shutil.rmtree(work)


def clear_stale_work(cache: Path) -> None:
    """Remove what killed builds left behind (the lock is held, so no live build owns these)."""
    for stale in cache.glob("work-*"):
        _remove_work(stale)
