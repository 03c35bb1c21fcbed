"""The engine's exception hierarchy. Each carries a one-line `message` naming the problem and a `hint` naming the
fix; the devkit CLI maps the classes to exit codes. Messages never carry a source value or the key."""

from __future__ import annotations


class AnonymizeError(Exception):
    """A failure the user can act on."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class RulesError(AnonymizeError):
    """The rules file is malformed: YAML syntax, unknown transform, bad params. `problems` lists every one found
    (each "file:line: what"), `message` names the first."""

    def __init__(self, message: str, hint: str | None = None, problems: list[str] | None = None) -> None:
        super().__init__(message, hint)
        self.problems = problems if problems is not None else [message]


class CoverageError(AnonymizeError):
    """The rules don't cover the source schema (fail closed): `problems` names every unruled column, stale rule
    and impossible transform."""

    def __init__(self, problems: list[str], hint: str | None = None) -> None:
        first = problems[0] if problems else "rules do not cover the schema"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(
            f"rules do not cover the source schema: {first}{more}",
            hint
            or "add a rule (an explicit `keep` included) for every column, and remove rules for columns that "
            "no longer exist",
        )
        self.problems = problems


class KeyMissingError(AnonymizeError):
    """No usable anonymization key: unset, empty, too short, or an unreadable key file."""


class TransformError(AnonymizeError):
    """A value could not be transformed (e.g. an unparseable date). Names table and column, never the value."""


class PrivilegeError(AnonymizeError):
    """A database role lacks privileges the command needs: `message` names every missing one (source and target,
    each kind of object), `hint` the statements that grant them. Raised before anything is read or created."""
