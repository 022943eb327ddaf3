"""GitHub Actions' step files: a step's outputs and its part of the job summary.

A step talks back to the runner through files the runner names in the
environment: GITHUB_OUTPUT (`name=value` lines that become
`steps.<id>.outputs.<name>`) and GITHUB_STEP_SUMMARY (GitHub-flavoured
Markdown shown on the run's page). Their names come from the environment, so
they are outside input: each must name an existing regular file, opened to
append without following a link or waiting on a pipe, and what is written
stays within GitHub's limits (a step summary over 1 MiB is dropped whole).

Outside text reaches the summary inert: secrets scrubbed (`migrate.secrets`),
folded to one line (`migrate.text`), cut to a length, and every ASCII
punctuation character backslash-escaped. CommonMark allows the escape for
each of them, and with all of them escaped no HTML tag, entity, link, image,
emphasis, heading or table pipe is left. A block of text (the runbook) goes
in a fence longer than any run of backticks inside it, where nothing is
interpreted.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from migrate import secrets, text
from migrate.errors import BadInput

OUTPUT, SUMMARY = "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"
# GitHub drops a step summary over 1 MiB whole; what the file already holds counts.
SUMMARY_LIMIT = 1024 * 1024
# A few short values: far below GitHub's 1 MB of outputs a job, which other steps share.
VALUE_LIMIT = 2000
CELL_LIMIT = 500
CUT_NOTE = "\n*The summary stops here, at GitHub's 1 MiB limit: the step's log has everything.*\n"

_OUTPUT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_BACKTICKS = re.compile(r"`+")


def _clean(value: object) -> str:
    return text.line(secrets.scrub("" if value is None else str(value), *secrets.from_environment()))


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def inert(value: object, limit: int = CELL_LIMIT) -> str:
    """Outside text as Markdown that shows it as written, on one line."""
    return _PUNCTUATION.sub(r"\\\1", _cut(_clean(value), limit))


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A Markdown table as lines; the cells must already be inert."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def code_block(value: str) -> str:
    """Text of several lines, shown as written: scrubbed, cleaned, fenced beyond any backticks inside."""
    body = text.block(secrets.scrub(value, *secrets.from_environment())).rstrip("\n")
    longest = max((len(run) for run in _BACKTICKS.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{body}\n{fence}\n"


def _open(name: str, environ: Mapping[str, str]) -> int:
    path = environ.get(name, "")
    if not path:
        raise BadInput(f"--ci github: {name} is not set (it is set inside a GitHub Actions step)")
    try:
        # O_NONBLOCK: a pipe without a reader fails here instead of holding the step.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise BadInput(f"--ci github: {name} names {path}, which cannot be opened to append ({exc.strerror})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise BadInput(f"--ci github: {name} names {path}, which is not a regular file")
    return fd


class Step:
    """The step files of one GitHub Actions step, open to append."""

    def __init__(self, output: int, summary: int) -> None:
        self._output, self._summary = output, summary

    @classmethod
    @contextmanager
    def open(cls, environ: Mapping[str, str] = os.environ) -> Iterator[Step]:
        """Both files, checked before anything else runs, so a step set up wrong changes nothing."""
        output = _open(OUTPUT, environ)
        try:
            summary = _open(SUMMARY, environ)
        except BadInput:
            os.close(output)
            raise
        try:
            yield cls(output, summary)
        finally:
            os.close(output)
            os.close(summary)

    def set_outputs(self, values: Mapping[str, object]) -> None:
        """`name=value` lines: names are ours, values one line each, scrubbed and cut."""
        lines = []
        for name, value in values.items():
            if not _OUTPUT_NAME.match(name):
                raise ValueError(f"not an output name: {name!r}")
            lines.append(f"{name}={_cut(_clean(value), VALUE_LIMIT)}\n")
        _write(self._output, "".join(lines).encode())

    def add_summary(self, parts: Iterable[str]) -> None:
        """Markdown parts, each whole, while they fit in what is left of the 1 MiB; a note where they stop."""
        left = SUMMARY_LIMIT - os.fstat(self._summary).st_size - len(CUT_NOTE.encode())
        chunks = []
        for part in parts:
            data = part.encode()
            if len(data) > left:
                if left >= 0:
                    chunks.append(CUT_NOTE.encode())
                break
            chunks.append(data)
            left -= len(data)
        _write(self._summary, b"".join(chunks))


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
