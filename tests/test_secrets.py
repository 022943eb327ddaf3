"""The scrubber removes a secret in every form a server may echo it in, and nothing else."""

from __future__ import annotations

import base64

import pytest

from migrate.secrets import MASK, from_environment, scrub
from tests.helpers.secret_forms import SECRET, encodings

FORMS = encodings(SECRET)


def test_the_test_secret_differs_in_every_form():
    assert len(set(FORMS.values())) == len(FORMS)
    assert all(c in base64.b64encode(SECRET.encode()).decode() for c in "+/=")


@pytest.mark.parametrize("form", FORMS)
def test_each_form_is_removed(form):
    text = f'AADSTS7000215: posted client_id=abc&client_secret={FORMS[form]}&scope=x "{FORMS[form]}".'
    cleaned = scrub(text, SECRET)
    for value in FORMS.values():
        assert value not in cleaned
    assert cleaned == f'AADSTS7000215: posted client_id=abc&client_secret={MASK}&scope=x "{MASK}".'


def test_other_text_and_other_secrets_are_left_alone():
    text = "HTTP 401 invalid_client for app 0a1b2c3d: Zq8%7E is not it"
    assert scrub(text, SECRET, None, "") == text


def test_a_longer_secret_containing_another_is_masked_whole():
    assert scrub("token=abcdef-123456", "abcdef", "abcdef-123456") == f"token={MASK}"


def test_secrets_come_from_the_documented_variables(monkeypatch):
    for name in ("GRAPH_CLIENT_SECRET", "SMTP_PASSWORD", "M365_EXIT_TSIG_SECRET", "CLOUDFLARE_API_TOKEN", "MY_TSIG"):
        monkeypatch.setenv(name, f"value-of-{name}")
    monkeypatch.setenv("SMTP_USERNAME", "not-a-secret")
    values = from_environment("MY_TSIG")
    assert sorted(values) == sorted(f"value-of-{n}" for n in ("GRAPH_CLIENT_SECRET", "SMTP_PASSWORD", "M365_EXIT_TSIG_SECRET", "CLOUDFLARE_API_TOKEN", "MY_TSIG"))
