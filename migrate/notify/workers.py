"""A job done for many items by a process per CPU: how a wave's outbox is rendered when it is large.

Rendering is CPU work in Python, one core per process, and a hundred
thousand recipients are more than one core renders in a minute. `run` hands
the items out in chunks of CHUNK to a process per CPU (at most) and returns
the results in the items' order, whichever process made them; a roster of
one chunk or a machine of one CPU is done in this process.

The processes are forked, so the job (a wave's spec, its facts, the
templates as this process read them) is theirs without being pickled or
read again. The first failure is raised here as it was raised there, and
the chunks not started yet are dropped; a process that dies is an
EnvironmentProblem. Ctrl-C reaches only this process, which stops them.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from migrate.errors import EnvironmentProblem

Item = TypeVar("Item")
Result = TypeVar("Result")

# Items a process takes at a time: large enough that handing them over costs
# nothing next to rendering them, small enough that the processes finish together.
CHUNK = 250

_job: Callable | None = None


def _start(job: Callable) -> None:
    global _job
    _job = job
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _call(item):
    return _job(item)


def run(job: Callable[[Item], Result], items: Sequence[Item]) -> list[Result]:
    """`[job(item) for item in items]`, over a process per CPU when there is more than one chunk."""
    processes = min(len(os.sched_getaffinity(0)), -(-len(items) // CHUNK))
    if processes < 2:
        return [job(item) for item in items]
    # What this process holds (the roster) stays out of the processes' garbage
    # collections, which would otherwise touch, and so copy, every page of it.
    gc.freeze()
    pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"), initializer=_start, initargs=(job,))
    try:
        return list(pool.map(_call, items, chunksize=CHUNK))
    except BrokenProcessPool:
        raise EnvironmentProblem("a rendering process ended unexpectedly (out of memory?); the outbox is incomplete") from None
    finally:
        pool.shutdown(cancel_futures=True)
        gc.unfreeze()
