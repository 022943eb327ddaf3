"""The live view of `verify --watch` as a terminal of a given size shows it (the tmux tests drive the real command)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from rich.console import Console

from migrate.cli.watch_view import Screen, View, ending, layout
from migrate.endpoint import Endpoint
from migrate.report import Check
from migrate.verify.query import Progress
from migrate.verify.round import RoundResult
from migrate.verify.watch import Outcome

NOW = datetime(2027, 1, 15, 6, 0, tzinfo=timezone.utc)
DOMAIN = "example.dk."


def check(check_id: str, status: str, subject: str = DOMAIN, server: str | None = None, detail: str = "") -> Check:
    return Check(id=check_id, status=status, subject=subject, server=server, detail=detail)


def a_round(checks: list[Check], status: str = "failing", eta: datetime | None = None) -> RoundResult:
    return RoundResult(domain=DOMAIN, started_at=NOW, finished_at=NOW, status=status, eta=eta, checks=checks, evidence=None,
                       observations=[], authoritative_ok=False, first_fully_seen=None, safe_after=None, queries=412)


def many_failing() -> RoundResult:
    server = "ns1.newhost.net (192.0.2.8)"
    checks = [check("record.missing", "fail", f"r{i:02d}.{DOMAIN} TXT", server, "the name does not exist at this server")
              for i in range(40)]
    checks.append(check("mail.spf", "unknown", detail="could not read the SPF of _spf.example.dk."))
    checks.append(check("delegation.parent-ns", "fail", server="a.nic.dk (192.0.2.3)",
                        detail="the parent still delegates to the old host: change the name servers at the registrar"))
    checks += [check("resolver.deferred", "pending", f"{DOMAIN} MX", f"192.0.2.{i}") for i in range(8)]
    checks += [check(f"kind.{i:02d}", "pass") for i in range(30) for _ in range(1 + i % 3)]
    return a_round(checks)


def lines(view: View, width: int = 80, height: int = 23, clock: float = 100.0) -> list[str]:
    return [line.plain for line in layout(view, width, height, clock=clock, now=NOW)]


def test_many_failing_checks_fit_80_by_24_most_important_first_the_rest_counted():
    shown = lines(View(DOMAIN, done=3, last=many_failing(), wait_until=112.0))
    assert len(shown) <= 23 and all(len(line) <= 80 for line in shown)
    assert shown[0].startswith("example.dk  FAILING  round 3")
    assert shown[1].startswith("41 failing, 1 unknown, 8 pending, 60 passing")
    rows = [line for line in shown if line.startswith(("FAIL ", "UNKN "))]
    assert rows[0].startswith("FAIL delegation.parent-ns  a.nic.dk (192.0.2.3)  the parent still delegates")
    assert rows[1].startswith("FAIL record.missing  r00 TXT ns1.newhost.net")
    more = [line for line in shown if line.endswith("more failing")]
    assert more == [f"+{42 - len(rows)} more failing"]  # the unknown one, last in importance, is among them
    # the rest folded into counts per check id, after the failing ones
    pending = shown.index("pending 8: resolver.deferred 8")
    assert shown.index(more[0]) < pending and shown[pending + 1].startswith("passing 60: kind.02 3, kind.05 3")
    assert shown[-1] == "next round in 12s"


def test_the_view_adapts_to_the_terminal():
    view = View(DOMAIN, done=3, last=many_failing(), wait_until=112.0)
    big = lines(view, 160, 59)
    small = lines(view, 40, 11)
    assert len(big) <= 59 and all(len(line) <= 160 for line in big)
    assert len(small) <= 11 and all(len(line) <= 40 for line in small)
    rows = lambda shown: sum(line.startswith(("FAIL ", "UNKN ")) for line in shown)  # noqa: E731
    assert rows(small) < rows(lines(view)) < rows(big) == 42  # every failing check, once there is room
    assert not any(line.endswith("more failing") for line in big)
    assert small[-1] == "next round in 12s"


def test_the_screen_lays_itself_out_at_the_consoles_size_leaving_a_line_for_the_prompt():
    screen = Screen(DOMAIN)
    screen.round_done(many_failing())
    screen.waiting(many_failing(), 30, True)
    console = Console(width=80, height=24, record=True, force_terminal=True)
    console.print(screen)
    shown = console.export_text().splitlines()
    assert len(shown) == 23 and all(len(line) <= 80 for line in shown)
    assert shown[-1] in ("next round in 30s", "next round in 29s")


def test_the_bottom_line_counts_down_shows_progress_and_the_end():
    last = a_round([check("timing.old-ttls", "pending")], "converging", NOW + timedelta(minutes=9))
    waiting = View(DOMAIN, done=1, last=last, wait_until=112.0)
    assert lines(waiting, clock=100.0)[-1] == "next round in 12s"
    assert lines(waiting, clock=100.9)[-1] == "next round in 12s"  # rounded up: 0s only when it is over
    assert lines(waiting, clock=101.0)[-1] == "next round in 11s"
    assert lines(waiting, clock=100.0)[0] == "example.dk  CONVERGING  round 1  ETA 2027-01-15 06:09:00Z (in 9m)"
    deadline = View(DOMAIN, done=1, last=last, wait_until=105.0, next_round=False)
    assert lines(deadline)[-1] == "timeout in 5s (the next round would start after it)"

    progress = Progress(asked=120, answered=41, outstanding=76, waiting_on=Endpoint("198.41.0.4", 53), waiting_since=94.0,
                        waiting_name="a.root-servers.net")
    running = View(DOMAIN, done=2, last=last, running_since=88.0, progress=progress)
    assert lines(running, 120)[-1] == "round 3, 12s: waiting 6s on 198.41.0.4 (a.root-servers.net); 41 of 120 answered, 3 without reply"
    assert lines(running)[-1] == "round 3, 12s: waiting 6s on 198.41.0.4 (a.root-servers.net); 41 of 120 answered…"
    assert lines(running)[0].startswith("example.dk  CONVERGING  round 2")
    first = View(DOMAIN, running_since=99.0)
    assert lines(first) == ["example.dk  first round running", "round 1, 1s: starting"]
    ended = View(DOMAIN, done=2, last=last, ended="timed out after 30s: last round CONVERGING")
    assert lines(ended)[-1] == "timed out after 30s: last round CONVERGING"


def test_how_a_watch_ended_in_one_line():
    converging = a_round([], "converging", NOW + timedelta(minutes=9))
    assert ending(Outcome(converging, timed_out=True), 30, NOW) == \
        "timed out after 30s: last round CONVERGING, ETA 2027-01-15 06:09:00Z (in 9m)"
    assert ending(Outcome(a_round([], "failing"), timed_out=True, cut_short=True), 600, NOW) == \
        "timed out after 10m: last round FAILING; the round in progress was cut short (not recorded)"
    assert ending(Outcome(None, timed_out=True, cut_short=True), 10, NOW) == "timed out after 10s: no round completed"
    assert ending(Outcome(a_round([], "verified")), None, NOW) == "verified: every check passes"
