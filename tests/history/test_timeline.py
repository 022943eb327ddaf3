"""The propagation timeline from rounds' checks and the old host's answers: rows, states, transitions, segments, span."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from migrate.history import timeline as T

T0 = datetime(2027, 1, 15, 7, 0, tzinfo=timezone.utc)
OLD_NS = ["ns1.bdm.microsoftonline.com", "ns2.bdm.microsoftonline.com"]
PARENT = "a.nic.dk (192.0.2.53)"
NS1 = "ns1.newhost.net (192.0.2.8)"
RESOLVER = "198.51.100.1"


def check(check_id: str, status: str, server: str | None, subject: str = "example.dk. MX", **extra) -> dict:
    return {"id": check_id, "status": status, "subject": subject, "server": server, "detail": extra.pop("detail", ""), **extra}


def parent(names: list[str]) -> dict:
    status = "pass" if names == ["ns1.newhost.net.", "ns2.newhost.net."] else "fail"
    return check("delegation.parent-ns", status, PARENT, "example.dk.", observed=names, expected=["ns1.newhost.net.", "ns2.newhost.net."])


def answer(server: str, outcome: str, aa: bool = True) -> dict:
    return {"role": "old", "server": server, "qname": "example.dk.", "qtype": "MX", "outcome": outcome, "aa": aa}


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def the_move() -> list[T.Round]:
    """Before the registrar change, just after it (resolvers still cache the old MX), once caches expired."""
    bdm = [n + "." for n in OLD_NS]
    return [
        T.Round(1, at(0), "failing", [parent(bdm), check("record.match", "pass", NS1),
                                      check("delegation.child-ns", "fail", NS1, "example.dk.", observed=["a."], expected=["a."]),
                                      check("resolver.deferred", "pending", RESOLVER)],
                [answer("192.0.2.4", "answer")]),
        T.Round(2, at(60), "converging", [parent(["ns1.newhost.net.", "ns2.newhost.net."]), check("record.match", "pass", NS1),
                                          check("resolver.stale", "pending", RESOLVER, detail="still serves the old answer for 240s more"),
                                          check("resolver.fresh", "pass", RESOLVER, "example.dk. TXT")],
                [answer("192.0.2.4", "answer")]),
        T.Round(3, at(120), "verified", [parent(["ns1.newhost.net.", "ns2.newhost.net."]), check("record.match", "pass", NS1),
                                         check("resolver.fresh", "pass", RESOLVER)],
                [answer("192.0.2.4", "refused", aa=False)]),
    ]


def test_each_server_is_one_row_in_its_group_with_the_states_verify_judged():
    rows = T.rows(the_move(), OLD_NS, {"192.0.2.4": "ns1.bdm.microsoftonline.com"})
    assert [(r.group, r.name) for r in rows] == [
        (T.PARENT, PARENT), (T.NEW_HOST, NS1), (T.OLD_HOST, "ns1.bdm.microsoftonline.com (192.0.2.4)"), (T.RESOLVER, RESOLVER)]
    states = {r.group: [s.state for s in r.samples] for r in rows}
    assert states == {
        T.PARENT: [T.OLD, T.NEW, T.NEW],  # delegating to exactly the old name servers is the old data
        T.NEW_HOST: [T.NEW, T.NEW, T.NEW],  # its own NS set was right while the parent still pointed elsewhere
        T.OLD_HOST: [T.OLD, T.OLD, T.GONE],  # answering with authority, then refusing the zone
        T.RESOLVER: [T.WAITING, T.OLD, T.NEW],  # one stale record makes the whole resolver old
    }


def test_transitions_are_the_changes_between_a_rows_rounds_with_when_and_why():
    rows = {r.group: r for r in T.rows(the_move(), OLD_NS)}
    resolver = rows[T.RESOLVER]
    assert [(t.round, t.at, t.before, t.after) for t in resolver.transitions] == [(2, at(60), T.WAITING, T.OLD), (3, at(120), T.OLD, T.NEW)]
    assert resolver.samples[1].why == "example.dk. MX: still serves the old answer for 240s more"
    assert resolver.first(T.NEW) == at(120) and resolver.first(T.OLD) is None
    assert rows[T.NEW_HOST].transitions == [] and rows[T.NEW_HOST].first(T.NEW) == at(0)
    assert rows[T.OLD_HOST].samples[-1].why == "no longer serves the zone: refused"


def test_a_parent_that_delegates_elsewhere_is_wrong_not_old():
    rows = T.rows([T.Round(1, T0, "failing", [parent(["ns9.elsewhere.net."])])], OLD_NS)
    assert rows[0].state == T.WRONG


def test_microsoft_365_records_left_at_the_new_host_are_old_data_and_worse_than_a_mismatch():
    checks = [check("record.mismatch", "fail", NS1), check("m365.residue", "fail", NS1, "autodiscover.example.dk. CNAME",
                                                            detail="Outlook autodiscover"), check("record.unknown", "unknown", NS1)]
    (row,) = T.rows([T.Round(1, T0, "failing", checks)], OLD_NS)
    assert (row.state, row.samples[0].why) == (T.OLD, "autodiscover.example.dk. CNAME: Outlook autodiscover")
    (row,) = T.rows([T.Round(1, T0, "failing", checks[::2])], OLD_NS)
    assert row.state == T.WRONG


def test_an_old_server_that_does_not_reply_is_unknown_and_checks_without_a_server_are_no_row():
    rounds = [T.Round(1, T0, "unknown", [check("auth.soa-serial", "pass", None), check("mail.spf", "fail", None)],
                      [answer("192.0.2.5", "timeout", aa=False)])]
    (row,) = T.rows(rounds, OLD_NS)
    assert (row.group, row.name, row.state) == (T.OLD_HOST, "192.0.2.5", T.UNKNOWN)


def test_addresses_are_named_by_the_a_records_the_answers_carried():
    answers = [{"answer": [{"name": "ns1.bdm.microsoftonline.com.", "type": "A", "values": ["192.0.2.4"]}],
                "additional": [{"name": "ns2.bdm.microsoftonline.com.", "type": "AAAA", "values": ["2001:db8::5"]},
                               {"name": "x.example.", "type": "TXT", "values": ["192.0.2.9"]}]}]
    assert T.addresses_named(answers) == {"192.0.2.4": "ns1.bdm.microsoftonline.com", "2001:db8::5": "ns2.bdm.microsoftonline.com"}


def test_a_state_lasts_until_the_next_round_and_at_most_max_age_then_nothing_is_drawn():
    rounds = [at(0), at(60), at(600)]  # a gap of nine hours after the second round
    row = T.Row(T.RESOLVER, RESOLVER, (T.Sample(1, at(0), T.OLD, "stale"), T.Sample(2, at(60), T.NEW), T.Sample(3, at(600), T.NEW)))
    segments = T.segments(row, rounds, at(660), timedelta(hours=6))
    assert [(s.start, s.end, s.state) for s in segments] == [
        (at(0), at(60), T.OLD), (at(60), at(60) + timedelta(hours=6), T.NEW), (at(600), at(660), T.NEW)]


def test_consecutive_rounds_in_one_state_are_one_segment():
    row = T.Row(T.PARENT, PARENT, tuple(T.Sample(i, at(i), T.NEW) for i in range(4)))
    (segment,) = T.segments(row, [at(i) for i in range(4)], at(4), timedelta(hours=6))
    assert (segment.start, segment.end) == (at(0), at(4))


def test_the_drawing_covers_the_watched_time_and_one_usual_step_after_the_last_round():
    rounds = the_move() + [T.Round(4, at(180), "verified", [])]
    markers = [T.Marker(at(-60 * 24 * 15), "wave", "announce"), T.Marker(at(90), "decision", "gate #1: locked", "locked")]
    drawn = T.build(rounds, old_names=OLD_NS, named=None, markers=markers, soak_window=None, max_age=timedelta(hours=6))
    assert (drawn.span.start, drawn.span.end) == (at(0), at(240))  # the median gap is an hour
    assert drawn.drawn() == [markers[1]] and drawn.markers == markers  # the wave, 15 days before, is listed only
    assert drawn.transitions == 1 + 2 + 1  # parent, resolver, old host
    assert T.step([at(0)], timedelta(hours=6)) == timedelta(minutes=1)
    assert T.step([at(0), at(600)], timedelta(hours=6)) == timedelta(hours=6)
    nothing = T.build([], old_names=OLD_NS, named=None, markers=markers, soak_window=None, max_age=timedelta(hours=6))
    assert nothing.span is None and nothing.rows == []


def test_the_span_places_moments_in_percent_and_shows_a_moment_at_least_as_a_sliver():
    span = T.Span(at(0), at(100))
    assert (span.x(at(25)), span.x(at(-5)), span.x(at(500))) == (25.0, 0.0, 100.0)
    assert span.width(at(10), at(10)) == 0.4 and span.width(at(10), at(60)) == 50.0
    assert span.ticks(3) == [at(0), at(50), at(100)]
    assert T.Span.covering([at(5), None, at(5)]) == T.Span(at(5), at(5) + timedelta(seconds=1))


def test_the_soak_starts_at_the_safe_time_moved_with_continuity_as_the_gate_counts_it():
    assert T.soak(at(0), at(0), at(5), timedelta(hours=48)) == T.Soak(at(5), at(5) + timedelta(hours=48))
    # rounds more than gate.max_age apart: continuity, and so the soak, starts after the gap
    assert T.soak(at(0), at(600), at(5), timedelta(hours=1)) == T.Soak(at(605), at(665))
    assert T.soak(None, None, None, timedelta(hours=1)) is None
    assert T.soak(at(10), at(10), at(5), timedelta(hours=1)) is None  # a safe time before its run is no soak
