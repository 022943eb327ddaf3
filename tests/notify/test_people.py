"""An exit's people (`notify.people`): who is told once, and what their message names."""

from __future__ import annotations

from migrate import spec as spec_module
from migrate.notify import people, recipients, render, wave as wave_module, waves
from tests.helpers.notify import TENANT_CSV, write_tenant


def test_the_exit_roster_is_each_spec_roster_once_with_the_addresses_that_move(tmp_path):
    dk, com = (spec_module.load(p) for p in write_tenant(tmp_path))
    roster, files = people.roster([dk, com])
    assert files == [(tmp_path / "users.csv").resolve()]
    assert [(r.address, r.aliases, r.person) for r in roster.recipients] == [
        ("anne@nordlys-tekstil.dk", ("anne@nordlys-tekstil.com",), "0a1b-anne"),
        ("emma@nordlys-tekstil.com", (), "0a1b-emma"),
        ("jens@nordlys-tekstil.dk", (), "0a1b-jens"),
    ]
    assert {r.key for r in roster.recipients} == {r.key for spec in (dk, com) for r in recipients.load(spec)}
    assert people.home([dk, com], roster.recipients[1]) is com


def test_addresses_on_one_domain_keep_the_message_of_one_spec(tmp_path):
    # A second address on the same domain moves too, but the message says what it always said.
    csv = TENANT_CSV.replace("+smtp:anne@nordlys-tekstil.com", "+smtp:a.s@nordlys-tekstil.dk")
    (dk_path, _) = write_tenant(tmp_path)
    (tmp_path / "users.csv").write_text(csv, encoding="utf-8")
    told = wave_module.load(spec_module.load(dk_path), waves.ANNOUNCE)
    anne = told.roster.find("A.S@nordlys-tekstil.dk")
    assert anne.addresses == ("anne@nordlys-tekstil.dk", "a.s@nordlys-tekstil.dk")
    values = render.context(told.facts, anne, waves.ANNOUNCE)
    assert (values["domain"], values["domains"], values["moving"]) == ("nordlys-tekstil.dk", ("nordlys-tekstil.dk",), anne.address)
    assert "Du beholder din mailadresse, anne@nordlys-tekstil.dk." in render.render(told.facts, anne, waves.ANNOUNCE).text


def test_and_list_in_each_language():
    assert render.and_list(["a"], "en") == "a"
    assert render.and_list(["a", "b", "c"], "en") == "a, b and c"
    assert render.and_list(["a", "b"], "da") == "a og b"
