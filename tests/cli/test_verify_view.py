"""The live view of `verify --watch` as a terminal of a given size shows it (the tmux tests drive the real command)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

from rich.console import Console

from migrate.cli.watch_view import Screen, SetScreen, SetView, View, ending, layout, set_layout
from migrate.endpoint import Endpoint
from migrate.report import Check
from migrate.verify.batch import SetResult
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


# -- a set of domains ---------------------------------------------------------------------


def domain_round(domain: str, status: str, checks: list[Check] = (), eta: datetime | None = None) -> RoundResult:
    return RoundResult(domain=domain, started_at=NOW, finished_at=NOW, status=status, eta=eta, checks=list(checks),
                       evidence=None, observations=[], authoritative_ok=status != "failing", first_fully_seen=None,
                       safe_after=None, queries=2, carried=60)


def a_set() -> SetResult:
    results = [domain_round(f"ok{i:02d}.dk.", "verified") for i in range(30)]
    results += [domain_round(f"slow{i:02d}.dk.", "converging", eta=NOW + timedelta(minutes=i + 1)) for i in range(30)]
    results.append(domain_round("broken.dk.", "failing", [check("record.mismatch", "fail", "broken.dk. MX", "ns1 (192.0.2.8)"),
                                                           check("mail.spf", "unknown"), check("record.mismatch", "fail")]))
    return SetResult(tuple(results))


def set_lines(view: SetView, width: int = 80, height: int = 23, clock: float = 100.0, **counts) -> list[str]:
    return [line.plain for line in set_layout(view, width, height, clock=clock, now=NOW, **counts)]


def test_a_set_shows_its_counts_and_the_domains_not_verified_worst_first_as_many_as_fit():
    shown = set_lines(SetView(61, done=4, last=a_set(), wait_until=130.0))
    assert len(shown) == 23 and all(len(line) <= 80 for line in shown)
    assert shown[0] == "61 domains  FAILING  pass 4"
    assert shown[1] == "30 verified, 30 converging, 1 failing; 122 queries, 3660 answers reused"
    assert shown[2] == "FAIL broken.dk  3 checks failing or unknown: record.mismatch, mail.spf"
    assert shown[3] == "CONV slow00.dk  ETA 2027-01-15 06:01:00Z (in 1m)"
    assert shown[-2] == f"+{31 - 19} more not verified"
    assert not [line for line in shown if line.startswith(("CONV ok", "FAIL ok"))]
    assert shown[-1] == "next pass in 30s"


def test_the_set_screen_counts_the_running_pass_and_says_how_it_ended():
    running = SetView(61, done=1, last=a_set(), running_since=88.0)
    assert set_lines(running, finished=17, sent=1234)[-1] == "pass 2, 12s: 17 of 61 domains done, 1234 queries"
    assert set_lines(SetView(61, running_since=99.0)) == ["61 domains  first pass running", "pass 1, 1s: 0 of 61 domains done, 0 queries"]
    screen = SetScreen(3)
    screen.pass_started()
    screen.tally.note(domain_round("a.dk.", "verified"))
    console = Console(width=80, height=10, record=True, file=io.StringIO())
    console.print(screen)
    assert "1 of 3 domains done, 2 queries" in console.export_text()
    screen.pass_done(a_set())
    screen.end(ending(Outcome(a_set(), timed_out=True), 30, NOW, what="pass"))
    assert set_lines(screen.view)[-1] == "timed out after 30s: last pass FAILING"
    assert ending(Outcome(a_set(), timed_out=True, cut_short=True), 30, NOW, what="pass").endswith(
        "the pass in progress was cut short (its finished rounds are recorded)")
    assert ending(Outcome(a_set()), None, NOW, what="pass") == "verified: every check of every domain passes"
