"""Which database an environment name means, and how its DSN may be shown.

Environments are data (devkit.toml + DEVKIT_* variables): `dev` falls back to the local stack's PostgreSQL,
every other environment needs an explicit DSN. Destructive commands go through `refuse_production`, so the
production guard is one function, not a check per command.
"""

from __future__ import annotations

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
