"""Host-port conflicts, found before anything starts: which port, who holds it, how to fix it."""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from devkit.config import env_key
from devkit.errors import PortConflictError
from devkit.stack.spec import PortMapping, ServiceSpec


@dataclass(frozen=True)
class Conflict:
    service: str
    mapping: PortMapping
    holder: str | None


def port_is_free(mapping: PortMapping) -> bool:
    family = socket.AF_INET6 if ":" in mapping.host_ip else socket.AF_INET
    kind = socket.SOCK_DGRAM if mapping.protocol == "udp" else socket.SOCK_STREAM
    with socket.socket(family, kind) as probe:
        # SO_REUSEADDR so a port in TIME_WAIT (a stack just stopped) does not count as taken.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((mapping.host_ip, mapping.host))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def find_conflicts(services: Iterable[ServiceSpec], container_holder: Callable[[int], str | None]) -> list[Conflict]:
    conflicts = []
    for service in services:
        for mapping in service.ports:
            if not port_is_free(mapping):
                holder = container_holder(mapping.host) or process_holding(mapping.host)
                conflicts.append(Conflict(service.name, mapping, holder))
    return conflicts


def raise_for_conflicts(conflicts: list[Conflict]) -> None:
    if not conflicts:
        return
    parts = [
        f"port {c.mapping.host} for {c.service} is in use" + (f" by {c.holder}" if c.holder else "") for c in conflicts
    ]
    first = conflicts[0]
    raise PortConflictError(
        "; ".join(parts),
        f"stop that process, or give {first.service} another host port with DEVKIT_PORT_{env_key(first.service)}=N "
        f"or [stack.ports] in devkit.toml",
    )


def process_holding(port: int) -> str | None:
    """The process listening on a TCP port, from /proc (Linux); None where that can't be told."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A = LISTEN
                inodes.add(inode)
    if not inodes:
        return None
    targets = {f"socket:[{inode}]" for inode in inodes}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") in targets:
                    name = Path(f"/proc/{pid}/comm").read_text().strip()
                    return f"{name} (pid {pid})"
        except OSError:
            continue
    return "another process"
