"""Which database an environment name means, and how its DSN may be shown.

Environments are data (devkit.toml + DEVKIT_* variables): `dev` falls back to the local stack's PostgreSQL,
every other environment needs an explicit DSN. Destructive commands go through `refuse_production`, so the
production guard is one function, not a check per command.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import psycopg

from anonymize.postgres import mask_dsn, scrub
from devkit.config import Settings, env_key
from devkit.errors import ConfigError, DataError, RefusedError


def resolve_dsn(settings: Settings, env_name: str) -> str:
    """The environment's DSN: DEVKIT_<ENV>_DSN / [environments.<env>] dsn, else (dev only) the stack's database."""
    environment = settings.environment(env_name)
    if environment.dsn:
        return environment.dsn
    if env_name == "dev":
        # Imported here: the stack spec reads the compose file, which only this fallback needs.
        from devkit.stack.endpoints import dev_dsn
        from devkit.stack.spec import load_stack

        dsn = dev_dsn(load_stack(settings))
        if dsn:
            return dsn
        raise ConfigError(
            "the compose file has no PostgreSQL service with a published port to derive the dev DSN from",
            "set DEVKIT_DEV_DSN",
        )
    raise ConfigError(f"no DSN for environment {env_name!r}", f"set DEVKIT_{env_key(env_name)}_DSN")


def uses_stack_database(settings: Settings, env_name: str) -> bool:
    """Is this environment the local stack's own PostgreSQL (dev with no DSN of its own)?"""
    return env_name == "dev" and not settings.environment(env_name).dsn


@contextlib.contextmanager
def stack_data_lock(settings: Settings, env_name: str, command: str, on_wait: Callable[[str], None]) -> Iterator[None]:
    """Writing into the stack's own database shares the project's lock: it waits for an `up` or `down` in
    progress and keeps one from recreating the database under it. Other environments' databases are not the
    stack's; writing into them takes no lock."""
    if not uses_stack_database(settings, env_name):
        yield
        return
    from devkit.stack.lock import project_lock
    from devkit.stack.state import state_dir

    with project_lock(state_dir(settings), command, shared=True, on_wait=on_wait):
        yield


def refuse_production(settings: Settings, env_name: str, action: str) -> None:
    if settings.environment(env_name).production:
        raise RefusedError(
            f"refusing to {action} environment {env_name!r}: it is marked production",
            "point the command at dev or staging",
        )


def connect(dsn: str, **kwargs: Any) -> psycopg.Connection:
    """Open the environment's database; failures name the (masked) target and the usual fix."""
    try:
        return psycopg.connect(dsn, **kwargs)
    except psycopg.OperationalError as exc:
        reason = scrub(str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__, dsn)
        raise DataError(
            f"cannot connect to {mask_dsn(dsn)}: {reason}", "check that the database is up (`devkit up` for dev)"
        ) from None
    except psycopg.ProgrammingError as exc:
        raise DataError(f"invalid DSN {mask_dsn(dsn)}: {scrub(str(exc), dsn)}", "fix the DSN") from None
