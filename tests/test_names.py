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


@pytest.mark.parametrize("text", ["xn--zz.dk", "xn--ls8h.dk", "XN--LS8H.dk", "www.xn--zz.dk"])
def test_a_domain_with_a_broken_or_disallowed_a_label_is_bad_input(text):
    # xn--zz is not punycode; xn--ls8h is an emoji, which IDNA 2008 forbids (as it forbids
    # the U-label form). Accepted, they crashed notify and gate when shown to people.
    with pytest.raises(BadInput, match="A-label"):
        names.domain(text)


def test_valid_a_labels_are_accepted():
    assert names.domain("xn--blbr-roah.dk") == "xn--blbr-roah.dk."
    assert names.unicode(names.domain("XN--BLBR-ROAH.DK")) == "blåbær.dk"


@pytest.mark.parametrize("text", ["192.0.2.1", "2001:db8::1", "", ".", "  "])
def test_a_host_name_is_not_an_address_nor_the_root(text):
    with pytest.raises(BadInput):
        names.host(text)


@pytest.mark.parametrize("name", ["a.*.b", "*.*", "www.*"])
def test_a_wildcard_label_only_leftmost(name):
    with pytest.raises(BadInput, match="wildcard"):
        names.owner(name, "example.dk.")
    assert names.owner("*.shop", "example.dk.") == "*.shop.example.dk."


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
