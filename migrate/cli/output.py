"""The one output layer: data to stdout, messages to stderr, one exit path.

Commands compute a result and hand it here; nothing else prints. Every
failure leaves through `run`, which turns a MigrateError into one line and its
exit code and an unexpected exception into one line and exit 1 (a traceback
only with --debug).

Text from outside (users export, spec, facts, Graph, DNS, a server's reply)
reaches the terminal inert (`migrate.text`): the consoles drop every control
character and escape sequence rich did not make itself, and `line`, `inert`,
`message` and `record` fold each part to one line, so no value can start a
line of its own (a forged "UNLOCKED"). `emit_json` is the one path for exact
text: JSON escapes control characters itself.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.text import Text

from migrate import report, text
from migrate.errors import BadInput, MigrateError


class _InertConsole(Console):
    """A console that writes no control character or escape sequence it did not make itself."""

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            # Control segments are rich's own cursor moves (a Live display); all other text is cleaned.
            yield segment if segment.control else segment._replace(text=text.block(segment.text))


# No markup or emoji codes either: "[link=...]" or ":x:" in a value prints as written.
stdout = _InertConsole(highlight=False, soft_wrap=True, markup=False, emoji=False)
stderr = _InertConsole(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)

_debug = False


def set_debug(value: bool) -> None:
    global _debug
    _debug = value


def emit_json(data: Any, indent: int | None = 2) -> None:
    """One JSON document on stdout (`indent=None`: on one line)."""
    sys.stdout.write(report.dumps(data, indent))
    sys.stdout.flush()


def inert(value: str, style: str = "") -> Text:
    """Outside text as one line of terminal text: a table cell, a part of a line."""
    return Text(text.line(value), style)


def line(*parts: str | tuple[str, str], console: Console = stdout) -> None:
    """Print one line made of parts (text, or (text, style)), each folded to one line."""
    console.print(Text.assemble(*(inert(*part) if isinstance(part, tuple) else inert(part) for part in parts)))


def record(*fields: str) -> None:
    """One tab-separated line of data on stdout, for scripts: each field one line, without tabs of its own."""
    sys.stdout.write("\t".join(text.line(field) for field in fields) + "\n")
    sys.stdout.flush()


def document(value: str) -> None:
    """A document (a zone file) on stdout as it is written to a file: lines and tabs kept, nothing else."""
    sys.stdout.write(text.block(value))
    sys.stdout.flush()


def write_file(path: Path, value: str, *, replace: bool, example: str) -> None:
    """A document written to `--out` atomically (whole or not at all); an existing file only when `replace`, never a folder."""
    if path.is_dir():
        raise BadInput(f"--out {path}: is a folder; give a file name, e.g. {path / example}")
    if path.exists() and not replace:
        raise BadInput(f"{path} exists; pass --force to replace it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as exc:
        raise BadInput(f"--out {path}: cannot write there ({exc.strerror})") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(value)
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise BadInput(f"--out {path}: cannot write there ({exc.strerror})") from None


def message(value: str, style: str | None = None) -> None:
    line((value, style or ""), console=stderr)


def fail(error: MigrateError) -> NoReturn:
    message(f"error: {error}", "bold red")
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
        message(f"error: unexpected {type(error).__name__}: {error} (run with --debug for details)", "bold red")
        raise typer.Exit(1) from None
    raise typer.Exit(code)
