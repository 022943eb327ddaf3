"""A large outbox is rendered by a process per CPU: the same files, in roster order, failures raised here."""

from __future__ import annotations

import os
from email import message_from_bytes, policy

import pytest
from typer.testing import CliRunner

from migrate import spec as spec_module
from migrate.cli import app
from migrate.errors import BadInput, EnvironmentProblem
from migrate.notify import outbox, wave as wave_module, waves, workers
from tests.helpers.notify import ADDRESSES, write_spec

runner = CliRunner()
several_cpus = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one CPU: everything is done in this process")


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(workers, "CHUNK", 2)


def test_one_chunk_is_done_in_this_process():
    assert workers.run(lambda item: (os.getpid(), item), range(workers.CHUNK)) == [(os.getpid(), i) for i in range(workers.CHUNK)]


@several_cpus
def test_results_come_back_in_order_from_other_processes(small_chunks):
    # A closure: the processes are forked, so the job is never pickled.
    offset = 100
    results = workers.run(lambda item: (os.getpid(), item + offset), list(range(11)))
    assert [value for _, value in results] == [i + offset for i in range(11)]
    assert os.getpid() not in {pid for pid, _ in results}


@several_cpus
def test_a_failure_there_is_raised_here(small_chunks):
    def job(item):
        if item == 7:
            raise BadInput(f"item {item} is bad")
        return item

    with pytest.raises(BadInput, match="^item 7 is bad$"):
        workers.run(job, list(range(20)))


@several_cpus
def test_a_process_that_dies_is_an_environment_problem(small_chunks):
    def job(item):
        if item == 5:
            os._exit(1)
        return item

    with pytest.raises(EnvironmentProblem, match="a rendering process ended unexpectedly"):
        workers.run(job, list(range(20)))


@several_cpus
def test_a_wave_rendered_by_several_processes_is_the_wave_rendered_by_one(tmp_path, monkeypatch):
    loaded = wave_module.load(spec_module.load(write_spec(tmp_path)), waves.ANNOUNCE)
    alone = wave_module.write(loaded, tmp_path / "alone", owned=True)
    monkeypatch.setattr(workers, "CHUNK", 1)
    together = wave_module.write(loaded, tmp_path / "together", owned=True)
    assert [letter.path.name for letter in together] == [outbox.filename(i, a) for i, a in enumerate(ADDRESSES, 1)]
    assert [letter.recipient for letter in together] == [letter.recipient for letter in alone]
    for one, other in zip(alone, together, strict=True):
        a, b = (message_from_bytes(letter.path.read_bytes(), policy=policy.default) for letter in (one, other))
        del a["Date"], b["Date"]
        assert a.as_bytes() == b.as_bytes()


@several_cpus
def test_a_template_that_fails_for_one_recipient_fails_the_command_in_one_line(tmp_path, small_chunks):
    spec = write_spec(tmp_path, notify={"templates": "custom"})
    (tmp_path / "custom" / "da").mkdir(parents=True)
    (tmp_path / "custom" / "da" / "announce.txt").write_text(
        "{% if recipient.first_name == 'Jens' %}{{ boss_name }}{% endif %}Hej\n", encoding="utf-8")
    result = runner.invoke(app, ["notify", str(spec), "--wave", "announce", "--out", str(tmp_path / "box")])
    assert result.exit_code == 2, result.output
    (line,) = [line for line in result.output.splitlines() if line.startswith("error")]
    assert "boss_name" in line and "Traceback" not in result.output
