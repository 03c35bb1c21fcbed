"""The suite's own images, built locally because no registry is reachable:

    devkit-test/base:bookworm   a debootstrap rootfs (testbed/images/rootfs.py) imported into the engine
    devkit-test/postgres:15     testbed/images/postgres: the official image's env contract (POSTGRES_DB/USER/PASSWORD)
    devkit-test/redis:7         testbed/images/redis: the official image's contract (/data, redis-server args)

The stack tests point devkit at them with DEVKIT_IMAGE_<SERVICE>, the setting a user with a registry mirror uses.
Each image carries a label with the hash of its recipe; an image whose recipe is unchanged is never rebuilt.

    .venv/bin/python -m testbed.images.build [--force]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import docker
import docker.errors

from testbed.images.rootfs import SUITE, ensure_rootfs, recipe_hash

HERE = Path(__file__).resolve().parent
BASE_IMAGE = "devkit-test/base:bookworm"
POSTGRES_IMAGE = "devkit-test/postgres:15"
REDIS_IMAGE = "devkit-test/redis:7"
RECIPE_LABEL = "org.devkit-test.recipe"
BUILT_FROM = {POSTGRES_IMAGE: HERE / "postgres", REDIS_IMAGE: HERE / "redis"}
# Slow engine work (import, build) must not hit docker-py's default 60 s read timeout.
CLIENT_TIMEOUT = 900

Log = Callable[[str], None]


class ImageBuildError(RuntimeError):
    pass


@dataclass
class BuildReport:
    seconds: dict[str, float] = field(default_factory=dict)  # what was built, and how long it took
    kept: list[str] = field(default_factory=list)  # already in the engine with the same recipe
    rootfs_seconds: float | None = None  # None: the cached tarball was used


def directory_hash(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(directory)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
        digest.update(str(path.stat().st_mode & 0o111).encode())
    return digest.hexdigest()[:16]


def recipes() -> dict[str, str]:
    base = f"{SUITE}-{recipe_hash()}"
    result = {BASE_IMAGE: base}
    for image, directory in BUILT_FROM.items():
        result[image] = hashlib.sha256(f"{base}:{directory_hash(directory)}".encode()).hexdigest()[:16]
    return result


def current_recipe(client: docker.DockerClient, image: str) -> str | None:
    try:
        labels = client.images.get(image).labels or {}
    except docker.errors.ImageNotFound:
        return None
    return labels.get(RECIPE_LABEL)


def ensure_test_images(client: docker.DockerClient, force: bool = False, log: Log = print) -> BuildReport:
    report = BuildReport()
    wanted = recipes()
    base_rebuilt = False
    if force or current_recipe(client, BASE_IMAGE) != wanted[BASE_IMAGE]:
        began = time.monotonic()
        rootfs = ensure_rootfs(log)
        report.rootfs_seconds = rootfs.built_seconds
        log(f"importing {rootfs.tarball} as {BASE_IMAGE}")
        repository, tag = BASE_IMAGE.rsplit(":", 1)
        changes = [
            'CMD ["/bin/bash"]',
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "ENV LANG=C.UTF-8",
            f"LABEL {RECIPE_LABEL}={wanted[BASE_IMAGE]}",
        ]
        client.api.import_image(src=str(rootfs.tarball), repository=repository, tag=tag, changes=changes)
        report.seconds[BASE_IMAGE] = time.monotonic() - began
        base_rebuilt = True
    else:
        report.kept.append(BASE_IMAGE)
    for image, directory in BUILT_FROM.items():
        if force or base_rebuilt or current_recipe(client, image) != wanted[image]:
            began = time.monotonic()
            _build(client, directory, image, wanted[image], log)
            report.seconds[image] = time.monotonic() - began
        else:
            report.kept.append(image)
    return report


def _build(client: docker.DockerClient, directory: Path, tag: str, recipe: str, log: Log) -> None:
    log(f"building {tag} from {directory.relative_to(HERE.parent.parent)}")
    stream = client.api.build(
        path=str(directory),
        tag=tag,
        buildargs={"BASE_IMAGE": BASE_IMAGE},
        labels={RECIPE_LABEL: recipe},
        rm=True,
        forcerm=True,
        decode=True,
    )
    tail: list[str] = []
    for chunk in stream:
        if "error" in chunk:
            raise ImageBuildError(f"building {tag} failed: {chunk['error'].strip()}\n" + "".join(tail[-10:]))
        text = chunk.get("stream")
        if text:
            tail.append(text)
    client.images.get(tag)  # the build reported no error; make sure the tag really exists


def connect() -> docker.DockerClient:
    """The engine the image builder runs against: DOCKER_HOST, else the default socket."""
    try:
        client = docker.from_env(timeout=CLIENT_TIMEOUT)
        client.ping()
    except docker.errors.DockerException as exc:
        raise ImageBuildError(
            f"no Docker engine answered ({exc}); start one (as root: python -m tests.engine) or set DOCKER_HOST"
        ) from None
    return client


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the test suite's local images.")
    parser.add_argument("--force", action="store_true", help="rebuild even when the recipe is unchanged")
    args = parser.parse_args(argv)
    began = time.monotonic()
    report = ensure_test_images(connect(), force=args.force)
    for image in report.kept:
        print(f"  {image:<28} up to date")
    for image, seconds in report.seconds.items():
        print(f"  {image:<28} built in {seconds:.1f}s")
    if report.rootfs_seconds is not None:
        print(f"  (debootstrap rootfs built in {report.rootfs_seconds:.1f}s)")
    print(f"total {time.monotonic() - began:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
