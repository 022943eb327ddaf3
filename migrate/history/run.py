"""One report: read the state, compose the story, render the page. What `migrate report` does."""

from __future__ import annotations

from datetime import datetime, timezone

from migrate.history import page, records, story
from migrate.spec import Spec
from migrate.state.location import Location


def report(spec: Spec, where: Location, now: datetime | None = None) -> str:
    """The page for the spec's domain from the state at `where`; `BrokenChain` when a store does not verify."""
    now = now or datetime.now(timezone.utc)
    return page.render(story.build_story(spec, records.read(spec, where, now), now))
