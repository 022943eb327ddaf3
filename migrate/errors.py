"""The exceptions that end a command, each carrying its documented exit code.

Everything a user can get wrong raises one of these with a one-line message
that names the culprit (file, key, record, server); the command line prints
the message and exits with the code, never a traceback.
"""

from __future__ import annotations


class MigrateError(Exception):
    """A failure the user should see as one line, with a fixed exit code."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class BadInput(MigrateError):
    """A spec, file, name or argument that cannot be used (exit 2)."""

    exit_code = 2


class EnvironmentProblem(MigrateError):
    """Something outside the input is missing: a server, a binary, privileges."""

    exit_code = 1


class BrokenChain(MigrateError):
    """A store's hash chain does not verify: its evidence was altered, trimmed or reordered (exit 2).

    `store` names the store for the gate's check id (`state.<store>`).
    """

    exit_code = 2

    def __init__(self, message: str, store: str) -> None:
        super().__init__(message)
        self.store = store
