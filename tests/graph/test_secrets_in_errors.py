"""GRAPH_CLIENT_SECRET and the bearer token never reach output or state, in any form a server echoes them in.

The loopback Graph refuses the sign-in (or every call) with an error that
repeats the secret (or the token) raw, URL-encoded, base64 or JSON-escaped;
`migrate gate` and `migrate m365 remove-domain` run as a user runs them, and
neither their output nor any byte under the state folder holds any form.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from typer.testing import CliRunner

from migrate.cli import app
from tests.helpers.gate import write_spec
from tests.helpers.secret_forms import SECRET, encodings

runner = CliRunner()
FORMS = list(encodings(SECRET))


def posted_secret(body: bytes) -> str:
    return parse_qs(body.decode())["client_secret"][0]


def run_commands(graph, tmp_path):
    """gate and remove-domain against `graph`; their outputs and the bytes of the state folder."""
    spec = write_spec(tmp_path, graph=graph.source(), require=["licences", "domain_removed"])
    state = tmp_path / "state"
    gate = runner.invoke(app, ["gate", str(spec), "--state", str(state)])
    remove = runner.invoke(app, ["m365", "remove-domain", str(spec), "--state", str(state)])
    assert gate.exit_code == 1 and "LOCKED" in gate.output, gate.output
    assert remove.exit_code == 1 and remove.output.startswith("error: "), remove.output
    stored = b"".join(p.read_bytes() for p in state.rglob("*") if p.is_file())
    assert stored, "the locked decision is recorded"
    return gate.output + remove.output, stored


def assert_nowhere(secret: str, output: str, stored: bytes) -> None:
    for value in encodings(secret).values():
        assert value not in output
        assert value.encode() not in stored


@pytest.mark.parametrize("form", [*FORMS, "the posted form"])
def test_a_sign_in_error_echoing_the_secret_is_scrubbed(graph, tmp_path, monkeypatch, form):
    monkeypatch.setenv("GRAPH_CLIENT_SECRET", SECRET)  # not the one the server expects
    if form == "the posted form":
        graph.sign_in_echo = lambda body: f"Request body: {body.decode()}"
    else:
        graph.sign_in_echo = lambda body: f"Secret sent: {encodings(posted_secret(body))[form]}"
    output, stored = run_commands(graph, tmp_path)
    assert "AADSTS7000215" in output and "***" in output
    assert_nowhere(SECRET, output, stored)


@pytest.mark.parametrize("form", FORMS)
def test_a_graph_error_echoing_the_token_is_scrubbed(graph, tmp_path, form):
    graph.token_echo = lambda token: encodings(token)[form]
    output, stored = run_commands(graph, tmp_path)
    assert "Authorization_RequestDenied" in output and "Insufficient privileges for token ***." in output
    assert graph.tokens
    for token in graph.tokens:
        assert_nowhere(token, output, stored)
