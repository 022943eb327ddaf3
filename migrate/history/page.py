"""The report as one self-contained HTML page: `templates/report.html`, rendered from a `Story`.

Everything on the page comes from the state, and the state holds outside
text (server names from DNS answers, check details, attesters' names and
notes, a decision's report): the template is autoescaped, and every value
is also made inert (`migrate.text.line`) on its way out, so no markup,
line break or bidi override from the data survives. The page's
Content-Security-Policy forbids every load and every script and allows
the one style sheet whose sha256 it names: it opens offline, and it would
refuse anything the data could add.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from migrate import __version__, duration, localtime, names, text
from migrate.history.story import Story
from migrate.history.timeline import GONE, NEW, NEW_HOST, OLD, OLD_HOST, PARENT, RESOLVER, STATES, UNKNOWN, WAITING, WRONG
from migrate.state.codec import utc_text, utc_time

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
TEMPLATE = "report.html"

GROUP_TITLES = {
    PARENT: "The parent zone's servers: the delegation resolvers follow",
    NEW_HOST: "The new host's servers",
    OLD_HOST: "The old host's servers",
    RESOLVER: "Resolvers: what users' mail servers are told",
}
MEANINGS = {
    NEW: "serves the new data",
    OLD: "serves the old data",
    WRONG: "serves neither (a record differs or is missing)",
    UNKNOWN: "no evidence (no reply)",
    WAITING: "not asked yet",
    GONE: "no longer serves the zone",
}


def _inert(value: Any) -> Any:
    """Every value printed: outside text folded to one inert line (the page's own markup passes)."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return text.line(value)


def csp_source(style: str) -> str:
    """The CSP source that allows exactly this style sheet (CSP Level 2: sha256 of its text, base64)."""
    return "sha256-" + base64.b64encode(hashlib.sha256(str(style).encode("utf-8")).digest()).decode("ascii")


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        finalize=_inert,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["csp_source"] = csp_source
    return env


def render(story: Story) -> str:
    tz = story.tz
    span = story.timeline.span
    long_span = span is not None and span.end - span.start > timedelta(days=1)

    def when(value: datetime | str | None) -> str:
        if value is None or value == "":
            return ""
        return localtime.format(utc_time(value) if isinstance(value, str) else value, tz, seconds=True)

    def when_short(value: datetime) -> str:
        local = value.astimezone(tz)
        return f"{local:%m-%d %H:%M}" if long_span else f"{local:%H:%M:%S}"

    def iso(value: datetime) -> str:
        return utc_text(value, zulu=True)

    def length(value: timedelta | int) -> str:
        return duration.format(value if isinstance(value, timedelta) else timedelta(seconds=value))

    zone = story.generated_at.astimezone(tz).tzname() or "UTC"
    return environment().get_template(TEMPLATE).render(
        story=story,
        records=story.records,
        domain=names.unicode(story.domain),
        state=story.state,
        zone=str(getattr(tz, "key", zone)),
        version=__version__,
        when=when,
        when_short=when_short,
        iso=iso,
        duration=length,
        states=STATES,
        state_meanings=MEANINGS,
        group_titles=GROUP_TITLES,
    )
