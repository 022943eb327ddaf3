"""The report of a real cutover in Debian's headless Chromium: no console message, and the journal's rows and transitions.

A lab run writes the journal (Knot and Unbound on loopback, verify's own
rounds): a round before the registrar change, one just after it while the
resolvers still cache the old MX (for 300 s, so only a flush makes them
forget it), and one after the flush and past the safe time (the clock
advanced, never slept). Then a gate decision and a sent wave, and `migrate
report` as a user runs it. The page is opened in the real browser, and
what it shows is read from the DOM its load built.
"""

from __future__ import annotations

import re

from migrate.gate import run as gate_run
from migrate.lab.scenario import m365_zone
from migrate.notify.ledger import Ledger
from migrate.state.codec import utc_text
from tests.helpers import chromium
from tests.helpers.state import migrate
from tests.helpers.verify_lab import DOMAIN, TTL, Clock, by_id, load, problems, run, write_spec

OLD_TTL = 300  # what the resolvers cache the old MX for
ROWS = """Array.from(document.querySelectorAll('#timeline tr.row')).map(tr => ({
  group: tr.dataset.group, name: tr.querySelector('th').textContent,
  transitions: Array.from(tr.querySelectorAll('li.transition')).map(li =>
    [li.dataset.before, li.dataset.after, li.querySelector('time').getAttribute('datetime')])}))"""


def address(name: str) -> str:
    """The address a row's name ends with ("ns1.newhost.net (127.53.0.8)"), or the name (a resolver's)."""
    found = re.search(r"\(([^()]+)\)$", name)
    return found.group(1) if found else name


def test_the_report_of_a_real_cutover_loads_cleanly_and_shows_the_journals_rows_and_transitions(tmp_path, lab_migration):
    spec_path = write_spec(tmp_path, old_zone=m365_zone(DOMAIN, OLD_TTL), extra={"gate": {"min_soak": "1h", "require": ["dns"]}})
    spec, current, desired = load(spec_path)
    world = lab_migration(DOMAIN, current, desired, ttl=TTL)
    clock, state = Clock(), tmp_path / "state"

    before = run(spec, desired, world, state, clock)
    assert before.status == "failing", problems(before)  # the parent still delegates to the old host
    for resolver in world.resolvers:
        assert world.query(resolver, DOMAIN, "MX").answer  # the old MX, now cached for OLD_TTL
    world.move_delegation()
    clock.advance(60)
    cached = run(spec, desired, world, state, clock)
    assert cached.status == "converging" and by_id(cached, "resolver.stale"), problems(cached)
    world.flush_resolvers()
    clock.advance(OLD_TTL + 60)
    after = run(spec, desired, world, state, clock)
    assert after.status == "verified", problems(after)
    assert gate_run.run(spec, state, now=clock()).verdict.status == "locked"  # the soak has an hour to go
    with Ledger.open(state) as ledger:
        ledger.begin("announce", data_deadline=None, forced=None)
        for user in ("anne", "bo"):
            assert ledger.claim("announce", f"{user}@example.dk", f"<{user}@m365-exit.test>")
            ledger.sent("announce", f"{user}@example.dk")

    page = tmp_path / "report.html"
    done = migrate("report", str(spec_path), "--state", str(state), "--out", str(page))
    assert done.returncode == 0, done.stderr
    loaded = chromium.load(page, ROWS)
    assert loaded.errors == []

    rows: dict[str, list[dict]] = {}
    for row in loaded.value:
        rows.setdefault(row["group"], []).append(row)
    expected = {"parent": world.tld_addresses, "new host": world.new_addresses, "old host": world.old_addresses,
                "resolver": world.resolver_addresses}
    assert {group: sorted(address(r["name"]) for r in found) for group, found in rows.items()} == \
        {group: sorted(addresses) for group, addresses in expected.items()}
    assert all(r["name"].endswith(")") and r["name"].split(" (")[0] for r in rows["old host"])  # named from the walk's answers
    second, third = (utc_text(r.finished_at, zulu=True) for r in (cached, after))
    changes = {group: {tuple(map(tuple, r["transitions"])) for r in found} for group, found in rows.items()}
    assert changes == {
        "parent": {(("old", "new", second),)},  # the registrar change, seen by the round after it
        "new host": {()},  # served the new zone from the start
        "old host": {()},  # still answering with the old zone
        "resolver": {(("waiting", "old", second), ("old", "new", third))},  # not asked, cached the old MX, flushed
    }
    counts = chromium.load(page, "[document.querySelectorAll('#decisions tr.decision').length, "
                                 "document.querySelectorAll('#waves tr.wave').length, getComputedStyle(document.body).backgroundColor]")
    assert counts.value == [1, 1, "rgb(242, 244, 247)"] and counts.errors == []  # the one sheet the policy allows applies


def test_the_browser_reports_what_the_policy_refuses(tmp_path):
    # The harness can fail: a load the data could smuggle in is refused, and said so on the console.
    page = tmp_path / "tampered.html"
    page.write_text("<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\">"
                    "<title>x</title></head><body><img src=\"http://192.0.2.9/x.png\"><p style=\"color:red\">x</p></body></html>",
                    encoding="utf-8")
    loaded = chromium.load(page, "document.querySelectorAll('p').length")
    assert loaded.value == 1
    assert any("Content Security Policy" in error and "192.0.2.9" in error for error in loaded.errors), loaded.errors
    assert any("inline style" in error for error in loaded.errors), loaded.errors
