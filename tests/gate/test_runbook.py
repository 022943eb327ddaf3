"""The cancel runbook in both languages, and the facts file's validation."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from migrate.errors import BadInput
from migrate.gate import facts as facts_module
from migrate.gate import runbook
from migrate.gate.evidence import LicenceEvidence
from migrate.gate.result import Verdict
from migrate.graph.models import Subscription
from tests.helpers.gate import NOW, load, write_spec

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
