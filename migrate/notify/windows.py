"""When each wave may be sent: its window, derived from the spec (pure rules on dates).

A notice sent at the wrong time tells users something false ("Microsoft 365
is closed" months before it is), so `--send` outside a wave's window is
refused unless forced, and a forced send is recorded in the ledger:

- announce: at least gate.notice_days before the cutover (the notice the
  gate requires);
- reminder: from the announcement's due time (notify.announce_days before
  the cutover) until the cutover;
- cutover: on the cutover's day, in the spec's time zone;
- data-deadline: before the end of the data deadline it names;
- after-cancel: once the gate has unlocked and the cancellation is recorded
  (`migrate attest SPEC cancelled --by NAME`), whichever came later.

Rendering is never refused: previews may be made at any time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from migrate import localtime
from migrate.notify import promise, waves
from migrate.spec import Spec


@dataclass(frozen=True)
class Window:
    wave: str
    rule: str  # the window in words, its times in the spec's zone
    tz: tzinfo
    opens: datetime | None = None
    closes: datetime | None = None  # the first moment outside it
    waiting: str | None = None  # what has to happen before it can open at all

    def refusal(self, now: datetime) -> str | None:
        """One line naming the window when `now` is outside it; None inside."""
        if self.waiting:
            why = self.waiting
        elif self.opens is not None and now < self.opens:
            why = f"it opens {localtime.format(self.opens, self.tz)}"
        elif self.closes is not None and now >= self.closes:
            why = f"it closed {localtime.format(self.closes, self.tz)}"
        else:
            return None
        return f"the {self.wave} wave goes out {self.rule}; {why}"


def window(spec: Spec, wave: str, *, unlocked_at: datetime | None = None, cancelled_at: datetime | None = None) -> Window:
    """The window of `wave`. For after-cancel: when the gate first unlocked and when the cancellation was recorded (None: not yet)."""
    waves.check(wave)
    facts = waves.facts(spec)
    tz = spec.tz

    def at(value: datetime) -> str:
        return localtime.format(value, tz)

    cutover = spec.cutover
    if wave == waves.ANNOUNCE:
        days = spec.gate.notice_days
        closes = cutover - timedelta(days=days)
        return Window(wave, f"at least {days} days before the cutover (gate.notice_days): until {at(closes)}", tz, closes=closes)
    if wave == waves.REMINDER:
        opens = facts.announce_due
        return Window(wave, f"between the announcement (due {at(opens)}, notify.announce_days) and the cutover ({at(cutover)})",
                      tz, opens=opens, closes=cutover)
    if wave == waves.CUTOVER:
        day = cutover.astimezone(tz).date()
        opens = datetime(day.year, day.month, day.day, tzinfo=tz)
        closes = promise.ends(day, tz)
        return Window(wave, f"on the cutover's day: from {at(opens)} until {at(closes)}", tz, opens=opens, closes=closes)
    if wave == waves.DATA_DEADLINE:
        if facts.data_deadline is None:
            return Window(wave, "before the data deadline it names", tz,
                          waiting="the spec names none (notify.data_deadline or notify.cancel_date)")
        closes = promise.ends(facts.data_deadline, tz)
        return Window(wave, f"before the data deadline it names: until {at(closes)}", tz, closes=closes)
    # after-cancel
    rule = "once the gate has unlocked and the cancellation is recorded (`migrate attest SPEC cancelled --by NAME`)"
    missing = [what for what, when in (("the gate has not unlocked", unlocked_at), ("no cancellation is recorded", cancelled_at)) if when is None]
    if missing:
        return Window(wave, rule, tz, waiting=" and ".join(missing))
    return Window(wave, rule, tz, opens=max(unlocked_at, cancelled_at))
