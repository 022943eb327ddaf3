"""The one output layer: data to stdout, messages to stderr, one exit path.

Commands compute a result and hand it here; nothing else prints. Every
failure leaves through `run`, which turns a MigrateError into one line and its
exit code and an unexpected exception into one line and exit 1 (a traceback
only with --debug).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn

import typer
from rich.console import Console

from migrate import report
from migrate.errors import MigrateError

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)

_debug = False


def set_debug(value: bool) -> None:
    global _debug
    _debug = value


def emit_json(data: Any) -> None:
    """One JSON document on stdout."""
    sys.stdout.write(report.dumps(data))
    sys.stdout.flush()


def message(text: str, style: str | None = None) -> None:
    stderr.print(text, style=style, markup=False)


def fail(error: MigrateError) -> NoReturn:
    stderr.print(f"error: {error}", style="bold red", markup=False)
    raise typer.Exit(error.exit_code)


def run(body: Callable[[], int | None]) -> NoReturn:
    """Run a command body and leave with its exit code."""
    try:
        code = body() or 0
    except MigrateError as error:
        fail(error)
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as error:  # noqa: BLE001 - the one place unexpected errors become one line
        if _debug:
            raise
        stderr.print(f"error: unexpected {type(error).__name__}: {error} (run with --debug for details)", style="bold red", markup=False)
        raise typer.Exit(1) from None
    raise typer.Exit(code)
