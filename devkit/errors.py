"""Our exception hierarchy. Every user-facing failure is one of these; the CLI maps them to exit codes
in one place (`exit_code_for`) so no command prints a traceback for a user error."""

from __future__ import annotations


class DevkitError(Exception):
    """A failure the user can act on. `message` names the problem, `hint` the fix."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class UsageError(DevkitError):
    """Bad arguments or input on the command line."""

    exit_code = 2


class ConfigError(DevkitError):
    """devkit.toml, DEVKIT_* variables or the compose file are malformed."""

    exit_code = 3


class EngineError(DevkitError):
    """No runtime can run the stack: no Docker engine, missing binaries."""

    exit_code = 4


class ImageError(DevkitError):
    """An image can't be pulled or built."""

    exit_code = 4


class PortConflictError(DevkitError):
    """A host port the stack needs is already taken."""

    exit_code = 5


class HealthTimeoutError(DevkitError):
    """A service did not become healthy in time."""

    exit_code = 6

    def __init__(self, message: str, hint: str | None = None, log_tail: list[str] | None = None) -> None:
        super().__init__(message, hint)
        self.log_tail = log_tail or []


class RefusedError(DevkitError):
    """A destructive command was pointed at a protected target, or the user declined."""

    exit_code = 7


class DataError(DevkitError):
    """Database-side failures: unreachable server, bad credentials, failed load."""

    exit_code = 8


class ProvidersError(DevkitError):
    """The mock providers service is not reachable, or refused the request."""

    exit_code = 9


def exit_code_for(error: BaseException) -> int:
    if isinstance(error, DevkitError):
        return error.exit_code
    if isinstance(error, KeyboardInterrupt):
        return 130
    return 70  # EX_SOFTWARE: a bug in devkit, not the user's fault
