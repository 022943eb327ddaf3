from __future__ import annotations

import pytest

from migrate import names
from migrate.errors import BadInput


@pytest.mark.parametrize(
    ("text", "expected"),
    [("example.dk", "example.dk."), ("Example.DK.", "example.dk."), ("blåbær.dk", "xn--blbr-roah.dk."), ("xn--blbr-roah.dk", "xn--blbr-roah.dk.")],
)
def test_domains_become_absolute_a_labels(text, expected):
    assert names.domain(text) == expected


@pytest.mark.parametrize("text", ["", "dk", "exa mple.dk", "-bad.dk", "bad-.dk", "a..dk", "1.2.3.4", "ex_ample.dk", "@", "a" * 64 + ".dk"])
def test_invalid_domains_are_bad_input(text):
    with pytest.raises(BadInput):
        names.domain(text)


def test_owner_names_resolve_against_the_domain():
    assert names.owner("@", "example.dk.") == "example.dk."
    assert names.owner("www", "example.dk.") == "www.example.dk."
    assert names.owner("_sip._tls", "example.dk.") == "_sip._tls.example.dk."
    assert names.owner("WWW.example.dk.", "example.dk.") == "www.example.dk."
    assert names.owner("*", "example.dk.") == "*.example.dk."
    with pytest.raises(BadInput, match="outside the zone"):
        names.owner("www.example.com.", "example.dk.")
    with pytest.raises(BadInput):
        names.owner("bad name", "example.dk.")


def test_relative_and_unicode_forms():
    assert names.relative("example.dk.", "example.dk.") == "@"
    assert names.relative("www.example.dk.", "example.dk.") == "www"
    assert names.unicode("xn--blbr-roah.dk.") == "blåbær.dk"
