"""The terminal view of a round: problems and notes in full, the rest of the passing matrix folded."""

from __future__ import annotations

from rich.console import Console

from migrate.cli.verify import render
from migrate.verify import checks as C
from migrate.verify.round import RoundResult
from tests.helpers.verify_evidence import NEW, NOW, evidence, server


def shown(result: RoundResult) -> str:
    console = Console(record=True, width=400)
    console.print(render(result))
    return console.export_text()


def test_a_serial_note_is_shown_while_other_passes_are_folded():
    ev = evidence()
    ev.servers[1] = server(NEW[1], "192.0.2.2", ev.desired, serial=2026010101)
    checks = C.all_checks(ev)
    status, eta = C.classify(checks)
    result = RoundResult(domain=ev.domain, started_at=NOW, finished_at=NOW, status=status, eta=eta, checks=checks,
                         evidence=ev, observations=[], authoritative_ok=True, first_fully_seen=NOW, safe_after=NOW)
    text = shown(result)
    (line,) = [line for line in text.splitlines() if "auth.soa-serial" in line]
    assert "note: the SOA serials differ" in line
    assert any("record.match" in line and "cells" in line for line in text.splitlines())
