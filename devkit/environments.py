"""Which database an environment name means, and how its DSN may be shown.

Environments are data (devkit.toml + DEVKIT_* variables): `dev` falls back to the local stack's PostgreSQL,
every other environment needs an explicit DSN. Destructive commands go through `refuse_production`, so the
production guard is one function, not a check per command.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict

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


_KEYWORD_PASSWORD = re.compile(r"(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)")


def mask_dsn(dsn: str) -> str:
    """The DSN with its password replaced by ***, in URL (`postgresql://u:p@h/db`) or keyword (`password=p`) form."""
    if "://" not in dsn:
        return _KEYWORD_PASSWORD.sub(r"\1***", dsn)
    try:
        parts = urlsplit(dsn)
    except ValueError:
        return "<unparseable DSN>"
    if parts.password is None:
        masked_netloc = parts.netloc
    else:
        userinfo, _, hostinfo = parts.netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        masked_netloc = f"{user}:***@{hostinfo}"
    query = re.sub(r"(?i)(^|&)(password=)[^&]*", r"\1\2***", parts.query)
    return urlunsplit((parts.scheme, masked_netloc, parts.path, query, parts.fragment))


def scrub(message: str, dsn: str) -> str:
    """A driver message with the DSN's password removed, should the driver ever echo it."""
    try:
        password = conninfo_to_dict(dsn).get("password")
    except psycopg.ProgrammingError:
        password = None
    return message.replace(str(password), "***") if password else message


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
