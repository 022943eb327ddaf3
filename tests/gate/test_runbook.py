"""The cancel runbook in both languages, and the facts file's validation."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest

from migrate.errors import BadInput
from migrate.gate import facts as facts_module
from migrate.gate import runbook, sources
from migrate.gate.evidence import LicenceEvidence
from migrate.gate.result import Verdict
from migrate.graph.models import Subscription
from migrate.notify import dates, plans, recipients, render, waves
from tests.helpers.gate import CUTOVER, NOW, load, write_spec
from tests.helpers.notify import write_spec as notify_spec

VERDICT = Verdict(domain="nordlys-tekstil.dk", status="unlocked", generated_at=NOW, requirements={"dns": "pass", "licences": "pass"}, checks=())
LICENCES = LicenceEvidence(
    subscriptions=(
        Subscription(id="a1", sku_part_number="O365_BUSINESS_PREMIUM", total_licenses=18, status="Enabled"),
        Subscription(id="p1", sku_part_number="SPB", total_licenses=40, status="Enabled", owner_tenant_id="partner"),
        Subscription(id="t1", sku_part_number="TRIAL", total_licenses=25, status="Enabled", is_trial=True),
        Subscription(id="d1", sku_part_number="GONE", total_licenses=99, status="Deleted"),
    ),
    own_tenant_id="mine",
    product_keys=frozenset({"a1"}),
)


@pytest.mark.parametrize(
    "lang,phrases",
    [
        (
            "da",
            [
                "Fakturering > Dine produkter",
                "Annuller abonnement",
                "gebyr for opsigelse før tid",
                "Dynamics 365",
                "Intune",
                "90 dage",
                "180 dage",
                "begrænset funktionstilstand",
                "fjerne Office",
                "produktnøgle",
                "bed din partner",
            ],
        ),
        (
            "en",
            [
                "Billing > Your products",
                "Cancel subscription",
                "early termination fee",
                "Dynamics 365",
                "Intune",
                "90 days",
                "180 days",
                "reduced-functionality mode",
                "uninstall Office",
                "product key",
                "ask your partner",
            ],
        ),
    ],
)
def test_runbook_has_the_steps_warnings_and_dates(tmp_path, lang, phrases):
    spec = load(write_spec(tmp_path, language=lang))
    text = runbook.render(spec, VERDICT, LICENCES, NOW)
    for phrase in phrases:
        assert phrase in text, phrase
    # Dates from now (20 January 2027, Copenhagen): +30, +90 and +180 days, and the cutover.
    day = {"da": ("20. april 2027", "19. juli 2027", "19. februar 2027", "15. januar 2027"), "en": ("20 April 2027", "19 July 2027", "19 February 2027", "15 January 2027")}[lang]
    for value in day:
        assert value in text, value
    assert "O365_BUSINESS_PREMIUM (a1): 18" in text and "SPB (p1): 40" in text
    assert "GONE" not in text  # a deleted subscription is not cancelled again
    assert "{{" not in text and "}}" not in text


def test_runbook_language_follows_the_spec(tmp_path):
    spec = load(write_spec(tmp_path, language="en"))
    assert runbook.language(spec) == "en"
    with pytest.raises(BadInput):
        runbook.render(spec, VERDICT, LICENCES, NOW, lang="de")


FACTS_OK = {"version": 1, "as_of": datetime(2027, 1, 10, 11, tzinfo=timezone.utc), "subscriptions": [{"product": "M365 BS", "licences": 3, "partner": True}], "domain_removed": False}


def test_facts_become_evidence(tmp_path):
    facts = facts_module.parse(FACTS_OK, tmp_path / "facts.yaml")
    licences = facts.licences(tmp_path / "facts.yaml")
    (sub,) = licences.subscriptions
    assert sub.is_partner(None) and sub.total_licenses == 3 and sub.name == "M365 BS"
    assert facts.domain(tmp_path / "facts.yaml", "nordlys-tekstil.dk").exists


@pytest.mark.parametrize(
    "change,message",
    [
        ({"as_of": "2027-01-10T12:00:00"}, "as_of: needs a time zone offset"),
        ({"subscriptions": [{"product": "X", "licences": -1}]}, "subscriptions[0].licences"),
        ({"subscriptions": [{"product": "X", "licences": 3, "partner": "yes"}]}, "subscriptions[0].partner"),
        ({"subscriptions": [{"product": "X", "licences": 3, "status": "Gone"}]}, "subscriptions[0].status"),
        ({"version": 2}, "version"),
        ({"domain_removed": "no"}, "domain_removed"),
        ({"extra": 1}, "extra: unknown key"),
    ],
)
def test_bad_facts_name_the_file_and_key(tmp_path, change, message):
    with pytest.raises(BadInput) as exc:
        facts_module.parse({**FACTS_OK, **change}, tmp_path / "facts.yaml")
    text = str(exc.value)
    assert text.startswith(f"{tmp_path / 'facts.yaml'}: ") and message in text and "\n" not in text


def test_missing_key_is_reported_when_the_gate_needs_it(tmp_path):
    facts = facts_module.parse({"version": 1, "as_of": "2027-01-10T12:00:00+01:00"}, tmp_path / "f.yaml")
    with pytest.raises(BadInput, match="subscriptions: required key is missing"):
        facts.licences(tmp_path / "f.yaml")
    with pytest.raises(BadInput, match="domain_removed: required key is missing"):
        facts.domain(tmp_path / "f.yaml", "x.dk")


def test_missing_facts_file(tmp_path):
    with pytest.raises(BadInput, match="facts file not found"):
        facts_module.load(tmp_path / "nope.yaml")


@pytest.mark.parametrize("lang", ["da", "en"])
def test_runbook_lists_the_mailboxes_nobody_was_told_about(tmp_path, lang):
    spec = load(write_spec(tmp_path, language=lang))
    # The helper's export: Printer has no licence, and without a Proxy addresses column nobody can say it has no mailbox.
    found = recipients.mailboxes(spec)
    assert [(m.address, m.kind) for m in found] == [("printer@nordlys-tekstil.dk", recipients.SHARED_MAILBOX)]
    blocked = recipients.Mailbox(9, "peter@nordlys-tekstil.dk", "Peter \u202eHolm", recipients.BLOCKED_USER)
    text = runbook.render(spec, VERDICT, LICENCES, NOW, mailboxes=[*found, blocked])
    heading, shared, sign_in = {
        "da": ("## Postkasser, som ingen har fået besked om", "uden licens: en fælles- eller ressourcepostkasse", "login blokeret"),
        "en": ("## Mailboxes nobody was told about", "no licence: a shared or resource mailbox", "sign-in blocked"),
    }[lang]
    assert heading in text
    assert f"- printer@nordlys-tekstil.dk (Printer): {shared}\n" in text
    assert f"- peter@nordlys-tekstil.dk (Peter Holm): {sign_in}\n" in text  # the name from the export, inert
    assert "Nyt Mail" in text.split(heading)[1].split("##")[0]  # check they exist at the new provider
    none = runbook.render(spec, VERDICT, LICENCES, NOW, mailboxes=[])
    assert heading in none and ("(ingen i brugereksporten)" if lang == "da" else "(none in the users export)") in none
    assert heading not in runbook.render(spec, VERDICT, LICENCES, NOW, mailboxes=None)  # no export, no section


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_runbooks_data_dates_agree_with_each_other_and_with_the_emails(tmp_path, lang):
    # The notify helper's spec: cutover 15 January 2027, data deadline 22 February, cancellation 1 March.
    spec = load(notify_spec(tmp_path, cutover=CUTOVER, notify={"language": lang}))
    deadline = sources.promised_deadline(spec, tmp_path / "state")
    assert deadline.named == "2027-02-22"
    email = render.render(waves.require(spec, waves.DATA_DEADLINE), recipients.Recipient(
        "anne@nordlys-tekstil.dk", "Anne", "Anne", "S", lang, 2, plans.DESKTOP), waves.DATA_DEADLINE).text

    def stated(text: str) -> str:
        (value,) = re.findall(r"(?:senest|by): (.+?)\.\n" if text is not email else r"(?:senest|by) (.+?):\n", text)
        return value

    before, after = NOW, datetime(2027, 2, 23, 12, tzinfo=timezone.utc)  # before the deadline ends, and after
    early, late = (runbook.render(spec, VERDICT, LICENCES, now, deadline=deadline) for now in (before, after))
    # one deadline, written as the emails write it
    assert stated(early) == stated(late) == stated(email) == dates.moment(date(2027, 2, 22), lang)
    warning = "**Den frist er ikke nået endnu.**" if lang == "da" else "**That deadline has not passed yet.**"
    assert warning in early and warning not in late
    # deletion: from 30 days after today (the earliest any Microsoft page says), 90 as most say, all gone after 180
    today = after.astimezone(spec.tz)
    first, usual, last = (dates.day(today + timedelta(days=n), lang) for n in (30, 90, 180))
    if lang == "da":
        assert f"**fra {first}**" in late and f"efter 90 dage ({usual})" in late and f"**Senest {last}**" in late
    else:
        assert f"**from {first}**" in late and f"after 90 days ({usual})" in late and f"**By {last}**" in late
    assert late.index(first) < late.index(usual) < late.index(last)


def test_the_danish_runbook_says_opsige_and_names_no_zone(tmp_path):
    spec = load(write_spec(tmp_path, language="da"))
    text = runbook.render(spec, VERDICT, LICENCES, NOW, mailboxes=[])
    assert text.startswith("# Opsig Microsoft 365 for nordlys-tekstil.dk\n")
    # "Annuller abonnement" is the admin center's own button, and "Annullere Office 365 til virksomheder"
    # the title of Microsoft's Danish page, quoted as they read; the prose says "opsige"
    prose = re.sub(r'"[^"]*"', "", text.replace("**Annuller abonnement**", ""))
    assert not re.search(r"annull", prose, re.I) and "opsige" in prose
    assert not re.search(r"\(CES?T\)", text)
