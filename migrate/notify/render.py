"""Templates -> subject, plain text and HTML for one wave, one recipient.

Templates live in `templates/email/<lang>/`: `<wave>.subject.txt`,
`<wave>.txt` and `<wave>.html`, extending `base.txt` / `base.html`, and
`phrases.txt`, the sentences both bodies say (where to put saved files, how
to keep old mail on the recipient's plan), one block each, which see the
wave's facts and `plan` but not the recipient. A spec's
`notify.templates` folder with the same layout overrides them file by file.

The bodies branch on `recipient.plan` (`plans`: desktop apps, web only, or
unknown) and on `save_to`; a recipient with addresses on several of an
exit's domains (`people`) is told each address that moves (`context`).

Three safety rules are enforced here, not left to template authors:
- HTML templates are autoescaped (a name like `<script>` prints as text);
- StrictUndefined: a variable the context lacks fails the render instead of
  printing a blank into a message that goes to every user;
- the phrases are rendered as plain text and reach the HTML body as values,
  escaped there (a Jinja macro or include would carry text-mode output into
  the HTML unescaped).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path

import jinja2
from jinja2.loaders import split_template_path

from migrate import TEMPLATES, limits, names, text
from migrate.errors import BadInput
from migrate.notify import admincopy, dates
from migrate.notify.recipients import Recipient, Roster
from migrate.notify.waves import Facts

BUILTIN = TEMPLATES / "email"
LANGUAGES = ("da", "en")
PHRASES = "phrases.txt"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    language: str


def _upper_first(value: str) -> str:
    # Jinja's `capitalize` lower-cases the rest ("kl. 07.00 (cet)"): only touch the first letter.
    return value[:1].upper() + value[1:]


_AND = {"da": "og", "en": "and"}


def and_list(items, lang: str) -> str:
    """`a`, `a and b`, `a, b and c`, as `lang` writes a list."""
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {_AND[lang]} {items[-1]}"


def _filters(lang: str) -> dict:
    """The date and list filters in the template's language (`value | day` is `dates.day(value, lang)`)."""
    return {
        "day": partial(dates.day, lang=lang),
        "short_day": partial(dates.short_day, lang=lang),
        "time": partial(dates.time, lang=lang),
        "moment": partial(dates.moment, lang=lang),
        "and_list": partial(and_list, lang=lang),
        "upper_first": _upper_first,
    }


def _override(folder: Path) -> jinja2.BaseLoader:
    """The user's templates, each read as any input file is: a regular file, bounded in size.

    A name the folder lacks falls through to the built-in template.
    """

    def load(name: str) -> tuple[str, str, Callable[[], bool]] | None:
        path = folder.joinpath(*split_template_path(name))
        if not path.exists():
            return None
        try:
            text = limits.read_text(path, limits.TEMPLATE_BYTES, "template")
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"{path}: cannot read the template ({exc})") from None
        # One command renders with what it read at the start: no reloading mid-wave.
        return text, str(path), lambda: True

    return jinja2.FunctionLoader(load)


@lru_cache(maxsize=16)
def environment(lang: str, override: Path | None = None) -> jinja2.Environment:
    if lang not in LANGUAGES:
        raise BadInput(f"language {lang!r}: templates exist for {', '.join(LANGUAGES)}")
    loaders = [_override(override / lang)] if override else []
    loaders.append(jinja2.FileSystemLoader(str(BUILTIN / lang)))
    # The shared layout (layout.html) sits above the language folders.
    loaders.append(jinja2.FileSystemLoader(str(BUILTIN)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # One command renders with what it read at the start: a template is not looked at again on disk per message.
        auto_reload=False,
    )
    env.filters.update(_filters(lang))
    return env


# An exit's recipients are on a few domains: each is written in Unicode once.
_unicode = lru_cache(maxsize=64)(names.unicode)


def context(facts: Facts, recipient: Recipient, wave: str) -> dict:
    """The wave's facts and this recipient; `domain` is the recipient's own (theirs may be several of an exit's).

    `domains` are the domains of the recipient's addresses that move; only
    when there are several does `moving` name each address (on one domain
    the message says what it always said: the address it was sent to).
    """
    domains = tuple(dict.fromkeys(_unicode(a.rpartition("@")[2]) for a in recipient.addresses))
    several = len(domains) > 1
    return {**facts.context(), "recipient": recipient, "wave": wave, "domain": and_list(domains, recipient.language),
            "domains": domains, "addresses": recipient.addresses if several else (recipient.address,),
            "moving": and_list(recipient.addresses, recipient.language) if several else recipient.address}


def _template(env: jinja2.Environment, name: str) -> jinja2.Template:
    try:
        return env.get_template(name)
    except jinja2.TemplateNotFound:
        raise BadInput(f"template {name!r} not found for this language") from None
    except jinja2.TemplateSyntaxError as exc:
        raise BadInput(f"{exc.filename or exc.name}: line {exc.lineno}: {exc.message}") from None


def _render(env: jinja2.Environment, name: str, values: dict) -> str:
    template = _template(env, name)
    try:
        return template.render(values)
    except jinja2.UndefinedError as exc:
        raise BadInput(f"template {template.filename or name}: {exc.message}") from None


@lru_cache(maxsize=64)
def _phrases(env: jinja2.Environment, facts: Facts, plan: str) -> dict[str, str]:
    """Each block of phrases.txt as one paragraph of plain text: the same for every recipient of a plan.

    A phrase sees the wave's facts and `plan`, never the recipient, so a wave renders each once per plan.
    """
    template = _template(env, PHRASES)
    scope = template.new_context({**facts.context(), "plan": plan})
    try:
        return {name: " ".join("".join(block(scope)).split()) for name, block in template.blocks.items()}
    except jinja2.UndefinedError as exc:
        raise BadInput(f"template {template.filename or PHRASES}: {exc.message}") from None


def render(facts: Facts, recipient: Recipient, wave: str, override: Path | None = None) -> Rendered:
    lang = recipient.language
    env = environment(lang, override)
    values = context(facts, recipient, wave)
    values["phrases"] = _phrases(env, facts, recipient.plan)
    # A subject is one header line whatever the template or a spec value does: fold it to one line.
    subject = text.header(_render(env, f"{wave}.subject.txt", values))
    if not subject:
        raise BadInput(f"template {lang}/{wave}.subject.txt renders an empty subject")
    # The bodies may show the subject (the HTML <title>): as a value, so it is escaped there.
    values["subject"] = subject
    return Rendered(
        subject=subject,
        text=_render(env, f"{wave}.txt", values),
        html=_render(env, f"{wave}.html", values),
        language=lang,
    )


def admin_copy(facts: Facts, wave: str, roster: Roster, lang: str, override: Path | None = None) -> str:
    """The admin's copy of a wave (`admincopy`), in `lang`."""
    return _render(environment(lang, override), admincopy.NAME, admincopy.context(facts, wave, roster))
