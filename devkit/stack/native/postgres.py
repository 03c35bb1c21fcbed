"""A PostgreSQL cluster for the native runtime: where its data lives, which OS user owns it, initdb once.

PostgreSQL refuses to run as root. As root, the server runs as the `postgres` OS user, which must be able to
reach its data directory; a project under a 0700 home cannot give it that without loosening the home, so
then the data lives under /var/lib/devkit/<project>-<hash of the state dir>/<service> instead, and a pointer
file in the service's state dir says so. As any other user, everything runs as that user, in the state dir.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shlex
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from devkit.errors import ConfigError, EngineError
from devkit.stack.kinds.postgres import credentials as postgres_credentials
from devkit.stack.native.binaries import POSTGRES_MAJOR, PostgresBinaries
from devkit.stack.native.logs import tail_lines
from devkit.stack.native.process import inherited_environment
from devkit.stack.native.translate import quote_ident
from devkit.stack.spec import ServiceSpec

EXTERNAL_ROOT = Path("/var/lib/devkit")
POINTER_NAME = "data-location"


@dataclass(frozen=True)
class Cluster:
    home: Path  # owned by the server's OS user: pgdata/ and run/ (its unix socket)
    owner: pwd.struct_passwd | None  # None: the current user
    external: bool = False

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def sockets(self) -> Path:
        return self.home / "run"

    @property
    def initialized(self) -> bool:
        return (self.pgdata / "PG_VERSION").is_file()


def server_account() -> pwd.struct_passwd | None:
    """The OS user PostgreSQL runs as: `postgres` when we are root, else ourselves (None)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise EngineError(
            "PostgreSQL refuses to run as root, and there is no 'postgres' OS user to run it as",
            "create one (useradd --system --home-dir /var/lib/postgresql postgres) or run devkit as a regular user",
        ) from None


def traversable_by(path: Path, account: pwd.struct_passwd) -> bool:
    """Whether `account` can reach `path`: execute permission on it and on every parent."""
    groups = set(os.getgrouplist(account.pw_name, account.pw_gid))
    for directory in (path, *path.parents):
        info = directory.stat()
        if info.st_uid == account.pw_uid:
            bit = stat.S_IXUSR
        elif info.st_gid in groups:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not info.st_mode & bit:
            return False
    return True


def external_base(state_dir: Path, project: str) -> Path:
    """Where a root-run project keeps PostgreSQL data the postgres user could not reach in its state dir;
    the hash keeps two worktrees of one project apart."""
    digest = hashlib.sha256(str(state_dir.resolve()).encode()).hexdigest()[:8]
    return EXTERNAL_ROOT / f"{project}-{digest}"


def locate(service_dir: Path, state_dir: Path, project: str, service: str) -> Cluster:
    """Decide (once, then remembered) where this service's cluster lives; creates the service dir."""
    owner = server_account()
    service_dir.mkdir(parents=True, exist_ok=True)
    pointer = service_dir / POINTER_NAME
    if pointer.is_file():
        return Cluster(Path(pointer.read_text().strip()), owner, external=True)
    outside = external_base(state_dir, project) / service
    if owner is not None and ((outside / "pgdata").is_dir() or not traversable_by(service_dir, owner)):
        pointer.write_text(f"{outside}\n")
        return Cluster(outside, owner, external=True)
    return Cluster(service_dir / "data", owner)


def _owned_dir(path: Path, owner: pwd.struct_passwd | None, mode: int = 0o700) -> None:
    for parent in reversed(path.parents):
        if not parent.exists():
            parent.mkdir()
            os.chmod(parent, 0o755)  # only directories we create: reachable, like /var/lib itself
    path.mkdir(exist_ok=True)
    os.chmod(path, mode)
    if owner is not None:
        os.chown(path, owner.pw_uid, owner.pw_gid)


def server_environment(owner: pwd.struct_passwd | None) -> dict[str, str]:
    """Our environment without PG* variables (PGDATA, PGPORT... would quietly override nothing we pass, but
    confuse anyone reading the server's environment) and with the server user's HOME."""
    environment = {key: value for key, value in inherited_environment().items() if not key.startswith("PG")}
    if owner is not None:
        environment.update(HOME=owner.pw_dir, USER=owner.pw_name, LOGNAME=owner.pw_name)
    return environment


def _run(argv: list[str], cluster: Cluster, log: Path, what: str, service: str, stdin: str | None = None) -> None:
    identity: dict[str, object] = {}
    if cluster.owner is not None:
        identity = {"user": cluster.owner.pw_uid, "group": cluster.owner.pw_gid, "extra_groups": []}
    with log.open("ab") as output:
        try:
            done = subprocess.run(
                argv,
                input=(stdin or "").encode(),
                stdout=output,
                stderr=subprocess.STDOUT,
                env=server_environment(cluster.owner),
                cwd=cluster.home,  # the server user may not be able to read our working directory
                timeout=300,
                **identity,  # type: ignore[arg-type]
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise EngineError(f"{service}: {what} could not run: {exc}", f"see {log}") from None
    if done.returncode != 0:
        last = next((line for line in reversed(tail_lines(log, 20)) if line.strip()), "no output")
        raise EngineError(f"{service}: {what} failed: {last.strip()}", f"see {log}")


def initialize(cluster: Cluster, binaries: PostgresBinaries, service: ServiceSpec, log: Path) -> None:
    """initdb with the compose environment's superuser and password, then create its database: what the
    official image's entrypoint does on an empty volume. Built aside and renamed into place, so an
    interrupted run never leaves a half-made cluster that a later `up` would take as ready."""
    user, password, database = postgres_credentials(service)
    auth = service.environment.get("POSTGRES_HOST_AUTH_METHOD") or "scram-sha-256"
    if not password and auth != "trust":
        raise ConfigError(
            f"service {service.name!r}: POSTGRES_PASSWORD is empty",
            "set POSTGRES_PASSWORD in its environment (or POSTGRES_HOST_AUTH_METHOD: trust)",
        )
    _owned_dir(cluster.home, cluster.owner)
    staging = cluster.home / "pgdata.init"
    shutil.rmtree(staging, ignore_errors=True)
    argv = [str(binaries.initdb), "-D", str(staging), "-U", user, "-E", "UTF8", "--locale=C.UTF-8"]
    argv += ["--auth-local=trust", f"--auth-host={auth}"]
    argv += shlex.split(service.environment.get("POSTGRES_INITDB_ARGS", ""))
    pwfile = cluster.home / "pwfile"
    try:
        if password:
            pwfile.touch(mode=0o600)
            pwfile.write_text(password + "\n")
            if cluster.owner is not None:
                os.chown(pwfile, cluster.owner.pw_uid, cluster.owner.pw_gid)
            argv.append(f"--pwfile={pwfile}")
        _run(argv, cluster, log, "initdb", service.name)
    finally:
        pwfile.unlink(missing_ok=True)  # the password lives in the compose file, not in a stray copy
    with (staging / "pg_hba.conf").open("a") as hba:
        # As the official image does: password logins from any address the server listens on.
        hba.write(f"\n# devkit\nhost all all all {auth}\n")
    if database != "postgres":
        statement = f"CREATE DATABASE {quote_ident(database)} OWNER {quote_ident(user)};\n"
        single = [str(binaries.postgres), "--single", "-D", str(staging), "-c", "exit_on_error=true", "postgres"]
        _run(single, cluster, log, f"creating database {database!r}", service.name, stdin=statement)
    staging.rename(cluster.pgdata)


def prepare_run(cluster: Cluster, service: ServiceSpec) -> None:
    """Before each start: the data is ours to run (right major) and the socket directory exists."""
    version = (cluster.pgdata / "PG_VERSION").read_text().strip()
    if version != str(POSTGRES_MAJOR):
        raise EngineError(
            f"{service.name}: the data in {cluster.pgdata} is from PostgreSQL {version}; "
            f"this runs PostgreSQL {POSTGRES_MAJOR}",
            "delete it with `devkit down --volumes` (its data goes) or run that PostgreSQL version",
        )
    _owned_dir(cluster.sockets, cluster.owner)
