"""Settings: devkit.toml (found by walking up from the current directory) overridden by DEVKIT_* variables.

Environments are data: dev, staging and production differ only by these settings. Staging and production
DSNs carry credentials, so they come from the environment (DEVKIT_<ENV>_DSN) and never from the committed file.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from devkit.errors import ConfigError

CONFIG_NAME = "devkit.toml"
RuntimeName = Literal["auto", "docker", "native"]
_ENV_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_M = TypeVar("_M", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EnvironmentSettings(_Strict):
    dsn: str | None = None
    production: bool = False


class StackSettings(_Strict):
    project: str = "mpac"
    compose_file: Path = Path("compose/docker-compose.yml")
    runtime: RuntimeName = "auto"
    timeout: float = Field(default=120.0, gt=0)
    state_dir: Path | None = None
    monorepo: Path | None = None
    image_prefix: str = ""
    images: dict[str, str] = Field(default_factory=dict)
    ports: dict[str, int] = Field(default_factory=dict)
    # Native runtime binaries; default: PATH, then /usr/lib/postgresql/15/bin and the usual places.
    postgres_bin: Path | None = None
    redis_server: Path | None = None

    @field_validator("project")
    @classmethod
    def _project_name(cls, value: str) -> str:
        # Compose's own rule, so `docker compose -p` accepts the same names.
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", value):
            raise ValueError("must be lowercase letters, digits, '-' or '_', starting with a letter or digit")
        return value

    @field_validator("ports")
    @classmethod
    def _port_range(cls, value: dict[str, int]) -> dict[str, int]:
        for service, port in value.items():
            if not 1 <= port <= 65535:
                raise ValueError(f"port for {service!r} must be 1-65535, got {port}")
        return value


PROVIDER_CODES = ("paypay", "line_pay", "rakuten_pay", "card_processor")  # seeds/providers.toml


class ProvidersSettings(_Strict):
    """The mock payment providers' webhook receivers: `devkit providers sync` hands them to the service."""

    # "<provider>" (all its merchants) or "<provider>:<provider_merchant_id>" -> http:// URL
    webhooks: dict[str, str] = Field(default_factory=dict)

    @field_validator("webhooks")
    @classmethod
    def _webhook_targets(cls, value: dict[str, str]) -> dict[str, str]:
        for target, url in value.items():
            provider = target.partition(":")[0]
            if provider not in PROVIDER_CODES:
                raise ValueError(f"{target!r}: provider must be one of {', '.join(PROVIDER_CODES)}")
            if not url.startswith("http://"):
                raise ValueError(f"{target!r}: {url!r} is not an http:// URL")
        return value


def _default_environments() -> dict[str, EnvironmentSettings]:
    return {
        "dev": EnvironmentSettings(),
        "staging": EnvironmentSettings(),
        "production": EnvironmentSettings(production=True),
    }


class Settings(_Strict):
    root: Path
    config_file: Path | None = None
    stack: StackSettings = Field(default_factory=StackSettings)
    environments: dict[str, EnvironmentSettings] = Field(default_factory=_default_environments)
    providers: ProvidersSettings = Field(default_factory=ProvidersSettings)

    def path(self, value: Path) -> Path:
        """A settings path, relative to the project root unless absolute."""
        return value if value.is_absolute() else self.root / value

    @property
    def compose_path(self) -> Path:
        return self.path(self.stack.compose_file)

    def environment(self, name: str) -> EnvironmentSettings:
        try:
            return self.environments[name]
        except KeyError:
            known = ", ".join(sorted(self.environments))
            raise ConfigError(
                f"unknown environment {name!r}", f"use one of: {known} (or add [environments.{name}])"
            ) from None


def env_key(name: str) -> str:
    """The DEVKIT_* spelling of a service or environment name: `svc-portal` -> `SVC_PORTAL`."""
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def find_config(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_settings(cwd: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    cwd = (cwd or Path.cwd()).resolve()
    explicit = environ.get("DEVKIT_CONFIG")
    if explicit:
        config_file: Path | None = Path(explicit).resolve()
        if not config_file.is_file():
            raise ConfigError(f"DEVKIT_CONFIG points at {config_file}, which does not exist", "fix or unset it")
    else:
        config_file = find_config(cwd)
    root = config_file.parent if config_file else cwd
    raw = _read_toml(config_file) if config_file else {}
    _reject_committed_secrets(raw, config_file)
    raw = _merge_environ(raw, environ)
    try:
        stack = _validate(StackSettings, raw.get("stack", {}), "stack", config_file)
        environments = _default_environments()
        for name, values in raw.get("environments", {}).items():
            if not _ENV_NAME.match(name):
                raise ConfigError(f"{config_file}: environment name {name!r} is invalid", "use [a-z0-9_]")
            base = environments.get(name, EnvironmentSettings()).model_dump()
            environments[name] = _validate(EnvironmentSettings, {**base, **values}, f"environments.{name}", config_file)
        providers = _validate(ProvidersSettings, raw.get("providers", {}), "providers", config_file)
        unknown = set(raw) - {"stack", "environments", "providers"}
        if unknown:
            raise ConfigError(
                f"{config_file}: unknown section(s) {', '.join(sorted(unknown))}",
                "expected [stack], [environments.<name>] and [providers]",
            )
    except ValidationError as exc:
        hint = "fix the value or the DEVKIT_* variable"
        raise ConfigError(_describe_validation(exc, config_file, ""), hint) from None
    return Settings(root=root, config_file=config_file, stack=stack, environments=environments, providers=providers)


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}", "fix the syntax") from None


def _reject_committed_secrets(raw: dict, config_file: Path | None) -> None:
    for name, values in raw.get("environments", {}).items():
        if isinstance(values, dict) and values.get("dsn") and name != "dev":
            raise ConfigError(
                f"{config_file}: environments.{name}.dsn is set in the committed file",
                f"remove it and set DEVKIT_{env_key(name)}_DSN in the environment instead",
            )


_STACK_SCALARS = {
    "DEVKIT_PROJECT": "project",
    "DEVKIT_COMPOSE_FILE": "compose_file",
    "DEVKIT_RUNTIME": "runtime",
    "DEVKIT_TIMEOUT": "timeout",
    "DEVKIT_STATE_DIR": "state_dir",
    "DEVKIT_MONOREPO": "monorepo",
    "DEVKIT_IMAGE_PREFIX": "image_prefix",
    "DEVKIT_POSTGRES_BIN": "postgres_bin",
    "DEVKIT_REDIS_SERVER": "redis_server",
}


def _merge_environ(raw: dict, environ: Mapping[str, str]) -> dict:
    stack = dict(raw.get("stack", {}))
    images = dict(stack.get("images", {}))
    ports = dict(stack.get("ports", {}))
    environments = {name: dict(values) for name, values in raw.get("environments", {}).items()}
    for variable, field in _STACK_SCALARS.items():
        if variable in environ:
            stack[field] = environ[variable]
    for variable, value in environ.items():
        if variable.startswith("DEVKIT_IMAGE_") and variable != "DEVKIT_IMAGE_PREFIX":
            images[_service_from_key(variable.removeprefix("DEVKIT_IMAGE_"), images)] = value
        elif variable.startswith("DEVKIT_PORT_"):
            service = _service_from_key(variable.removeprefix("DEVKIT_PORT_"), ports)
            try:
                ports[service] = int(value)
            except ValueError:
                raise ConfigError(f"{variable}={value!r} is not a port number", "set it to 1-65535") from None
        elif variable.endswith("_DSN") and variable.startswith("DEVKIT_"):
            name = variable.removeprefix("DEVKIT_").removesuffix("_DSN").lower()
            if name:
                environments.setdefault(name, {})["dsn"] = value
        elif variable.endswith("_PRODUCTION") and variable.startswith("DEVKIT_"):
            name = variable.removeprefix("DEVKIT_").removesuffix("_PRODUCTION").lower()
            environments.setdefault(name, {})["production"] = value.strip().lower() in {"1", "true", "yes"}
    stack["images"], stack["ports"] = images, ports
    return {**raw, "stack": stack, "environments": environments}


def _service_from_key(key: str, existing: Mapping[str, object]) -> str:
    """Map `SVC_PORTAL` back to `svc-portal` when the file already names it; otherwise keep the key
    lowercased (matching against compose service names happens in the stack spec)."""
    for name in existing:
        if env_key(name) == key:
            return name
    return key.lower()


def _validate(model: type[_M], values: object, section: str, config_file: Path | None) -> _M:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(
            _describe_validation(exc, config_file, section), "fix the value in devkit.toml or the DEVKIT_* variable"
        ) from None


def _describe_validation(exc: ValidationError, config_file: Path | None, section: str) -> str:
    where = str(config_file) if config_file else "settings"
    parts = []
    for error in exc.errors():
        location = ".".join(str(item) for item in ((section,) if section else ()) + tuple(error["loc"]))
        parts.append(f"{location}: {error['msg']}")
    return f"{where}: " + "; ".join(parts)
