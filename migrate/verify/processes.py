"""A pass over a large set of domains, split between a process per CPU.

Reading DNS replies is Python work, one core per process: a thousand
domains are more than one core reads while the servers wait. A set of more
than `DOMAINS_PER_PROCESS` domains is dealt out to a process per CPU (at
most), each running `batch.verify_pass` on its share with its share of the
budget: every rate divided by the number of processes, so the caps hold
for the run as a whole. A smaller set, or a
machine with one CPU, is verified in this process.

The processes are forked, so the members (specs, plans) are theirs without
being pickled; each opens its own journals, writes its domains' rounds and
sends back their verdicts. Progress (domains done, queries sent) is kept in
counters shared with this process (`Tally`). A failure in a process is
raised here with its line and exit code; one that dies is an
EnvironmentProblem;
when the pass is cancelled (a watch's deadline), the processes are stopped.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from collections.abc import Sequence

from migrate.errors import EnvironmentProblem, MigrateError
from migrate.verify.batch import Member, SetResult, verify_pass
from migrate.verify.budget import Budget, Rates
from migrate.verify.query import Wire
from migrate.verify.round import RoundResult

DOMAINS_PER_PROCESS = 100
_FORK = multiprocessing.get_context("fork")


class Tally:
    """How far a pass has got, counted by whichever process verified the domain."""

    def __init__(self) -> None:
        self._finished = _FORK.Value("q", 0)
        self._sent = _FORK.Value("q", 0)

    def note(self, result: RoundResult) -> None:
        with self._finished.get_lock():
            self._finished.value += 1
        with self._sent.get_lock():
            self._sent.value += result.queries

    def reset(self) -> None:
        self._finished.value = self._sent.value = 0

    @property
    def finished(self) -> int:
        return self._finished.value

    @property
    def sent(self) -> int:
        return self._sent.value


def shares(count: int, cpus: int) -> int:
    """How many processes verify `count` domains on `cpus` CPUs."""
    return max(1, min(cpus, -(-count // DOMAINS_PER_PROCESS)))


def deal(members: Sequence[Member], parts: int) -> list[list[int]]:
    """The members' positions, dealt out like cards: each process gets every parts-th domain."""
    return [list(range(i, len(members), parts)) for i in range(parts)]


def wire(members: Sequence[Member], parts: int = 1) -> Wire:
    """One process's wire: its share of the politest rates, and the smallest bound on packets in flight (per process:
    it bounds the sockets and memory a process holds, while the rates are what the servers see)."""
    rates = Rates.politest(m.settings.rates for m in members).share(parts)
    return Wire(Budget(rates), min((m.settings.concurrency for m in members), default=64))


def _work(members: list[Member], parts: int, fresh: bool, tally: Tally, conn) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the processes
    try:
        outcome = asyncio.run(verify_pass(members, wire=wire(members, parts), fresh=fresh, on_round=tally.note))
        conn.send(("done", outcome.results))
    except MigrateError as exc:
        conn.send(("failed", (exc.exit_code, str(exc))))
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to be raised in the parent
        conn.send(("failed", (1, f"a verify process failed: unexpected {type(exc).__name__}: {exc}")))
    finally:
        conn.close()


def failure(exit_code: int, message: str) -> MigrateError:
    """A process's failure as this process raises it: its one line and its exit code (not every error pickles)."""
    error = MigrateError(message)
    error.exit_code = exit_code
    return error


async def verify_set(members: Sequence[Member], *, fresh: bool = False, tally: Tally | None = None,
                     cpus: int | None = None) -> SetResult:
    """One pass over every member, in this process or split between a process per CPU."""
    tally = tally or Tally()
    parts = shares(len(members), cpus or len(os.sched_getaffinity(0)))
    if parts == 1:
        return await verify_pass(members, wire=wire(members), fresh=fresh, on_round=tally.note)
    dealt = deal(members, parts)
    pipes = [_FORK.Pipe(duplex=False) for _ in dealt]
    workers = [_FORK.Process(target=_work, args=([members[i] for i in part], parts, fresh, tally, send), daemon=True)
               for part, (_, send) in zip(dealt, pipes)]
    for worker in workers:
        worker.start()
    for _, send in pipes:
        send.close()  # the child's end: a child that dies then reads as the end of its pipe
    loop = asyncio.get_running_loop()
    try:
        replies = await asyncio.gather(*(loop.run_in_executor(None, receive, conn) for conn, _ in pipes))
    except BaseException:
        for worker in workers:
            worker.terminate()  # cancelled (a watch's deadline, Ctrl-C): what they finished is in the journal
        raise
    finally:
        for worker in workers:
            worker.join()
        for conn, _ in pipes:
            conn.close()
    results: list[RoundResult | None] = [None] * len(members)
    for part, (kind, payload) in zip(dealt, replies):
        if kind == "failed":
            raise failure(*payload)
        for i, result in zip(part, payload):
            results[i] = result
    return SetResult(tuple(results))


def receive(conn) -> tuple[str, object]:
    try:
        return conn.recv()
    except (EOFError, OSError):
        return ("failed", (EnvironmentProblem.exit_code, "a verify process ended unexpectedly (out of memory?); "
                           "the rounds it finished are in the journal"))
