"""The test-image builder's own logic: which apt mirror debootstrap uses, and that a killed build's leftovers
(with /proc-like mounts still inside) are cleaned up without deleting through the mount."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from testbed.images.rootfs import RootfsError, clear_stale_work, debian_mirror

DEB822 = """\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
"""


def test_mirror_from_deb822_sources() -> None:
    assert debian_mirror({Path("/etc/apt/sources.list.d/debian.sources"): DEB822}) == "http://deb.debian.org/debian"


def test_mirror_from_one_line_sources_list() -> None:
    text = (
        "# deb http://old.example/debian bookworm main\n"
        "deb-src http://src.example/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://mirror.example.jp/debian bookworm main contrib\n"
    )
    assert debian_mirror({Path("/etc/apt/sources.list"): text}) == "http://mirror.example.jp/debian"


def test_no_bookworm_source_is_an_error() -> None:
    with pytest.raises(RootfsError, match=r"no 'deb \.\.\. bookworm' source"):
        debian_mirror({Path("/etc/apt/sources.list"): "deb http://x/ubuntu jammy main\n"})


def test_stale_work_dir_with_a_mount_inside_is_unmounted_then_removed(tmp_path: Path) -> None:
    # Runs as root, like debootstrap and CI: a killed debootstrap leaves exactly such mounts.
    stale = tmp_path / "work-4242"
    mounted = stale / "root" / "proc"
    mounted.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(mounted)], check=True)
    (mounted / "must-survive-unmount").write_text("x")
    clear_stale_work(tmp_path)
    assert not stale.exists()
    assert str(mounted) not in Path("/proc/mounts").read_text()
