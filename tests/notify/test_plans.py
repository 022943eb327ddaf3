"""Which Office a recipient's licences give them, read from the export's Licenses cell."""

from __future__ import annotations

import pytest

from migrate.notify import plans


@pytest.mark.parametrize(
    "cell,plan",
    [
        # Product names as the admin center writes them (Microsoft's licensing reference).
        ("Microsoft 365 Business Standard", plans.DESKTOP),
        ("Microsoft 365 Business Premium", plans.DESKTOP),
        ("Microsoft 365 Apps for business", plans.DESKTOP),
        ("Microsoft 365 Apps for enterprise", plans.DESKTOP),
        ("Office 365 E3", plans.DESKTOP),
        ("Microsoft 365 E5", plans.DESKTOP),
        ("Microsoft 365 Business Basic", plans.WEB),
        ("Office 365 E1", plans.WEB),
        ("Microsoft 365 F3", plans.WEB),
        ("Office 365 F3", plans.WEB),
        ("Exchange Online (Plan 1)", plans.WEB),
        ("Exchange Online (Plan 2)", plans.WEB),
        ("Exchange Online Kiosk", plans.WEB),
        # names before 2020, the EEA "(no Teams)" products, case and spacing as exported by hand
        ("Office 365 Business Premium", plans.DESKTOP),
        ("Office 365 Business Essentials", plans.WEB),
        ("Microsoft 365 Business Basic EEA (no Teams)", plans.WEB),
        ("Microsoft 365 E3 (no Teams)", plans.DESKTOP),
        ("microsoft 365  business STANDARD", plans.DESKTOP),
        # several licences: the desktop apps win, add-ons decide nothing
        ("Microsoft 365 Business Basic+Microsoft Teams Exploratory", plans.WEB),
        ("Microsoft 365 Business Basic+Microsoft 365 Apps for business", plans.DESKTOP),
        ("Enterprise Mobility + Security E3+Microsoft 365 Business Basic", plans.WEB),
        # what the table cannot vouch for: both sets of instructions
        ("Microsoft 365 Business Basic+Contoso Suite", plans.UNKNOWN),
        ("Contoso Suite", plans.UNKNOWN),
        ("Power BI Pro", plans.UNKNOWN),
        ("", plans.UNKNOWN),
    ],
)
def test_a_cell_gives_a_plan(cell, plan):
    assert plans.classify(plans.names(cell)) == plan


def test_names_split_on_the_joining_plus_only_and_drop_unlicensed():
    assert plans.names("Enterprise Mobility + Security E3+Power BI Pro") == ["Enterprise Mobility + Security E3", "Power BI Pro"]
    assert plans.names("Unlicensed") == [] and plans.names(" ") == []


def test_unknown_names_are_the_ones_the_table_lacks_as_written():
    names = plans.names("Microsoft 365 Business Basic+Contoso Suite+Microsoft Teams Exploratory")
    assert plans.unknown_names(names) == ["Contoso Suite"]
