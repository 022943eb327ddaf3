"""What a recipient's licences give them to work with: the Office desktop apps, or Office on the web only.

The admin center's Active users export names each licence in its `Licenses`
column by product name, several joined with `+` ("Microsoft 365 Business
Basic+Microsoft Teams Exploratory"). The product names are those of Microsoft's
"Product names and service plan identifiers for licensing"
(https://learn.microsoft.com/en-us/entra/identity/users/licensing-service-plan-reference,
the "Product name" column, "used in management portals"). A product brings the
desktop apps when its service plans include Microsoft 365 Apps for enterprise
(OFFICESUBSCRIPTION) or for business (O365_BUSINESS); Microsoft's list of
plans and the Office they install is "Product IDs that are supported by the
Office Deployment Tool for Click-to-Run" (learn.microsoft.com, Microsoft365
admin installation). Business Basic: "Desktop versions of Office apps like
Excel, Word, and PowerPoint not included" (Partner Center catalog, product
CFQ7TTC0LH18). E1, the F plans and Exchange Online alone have Office for the
web and the mobile apps at most.

The classes decide what the emails tell a user: how to keep old mail (a .pst
export needs the desktop Outlook; Outlook on the web cannot export a
mailbox) and whether there is an Office to remove once the subscription ends.

A name this table does not know makes the plan UNKNOWN, and the emails then
give both instructions, each saying whom it is for: a desktop user told
only the web route would lose the .pst route to their old mail, and a web
user told to uninstall Office might remove an Office they bought themselves.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

DESKTOP = "desktop"  # Office desktop apps from the subscription (Business Standard, Premium, E3, E5, Apps for ...)
WEB = "web"  # Office on the web and mobile only (Business Basic, E1, F1, F3, Exchange Online)
UNKNOWN = "unknown"  # a licence name not in the table: both instructions
PLANS = (DESKTOP, WEB, UNKNOWN)

# Licences that decide nothing about Office (add-ons, security, Teams, Power Platform):
# a user holding only these has UNKNOWN Office.
_ADDON = "add-on"

# Product names as the portals write them, lower case, without the variants `base` strips.
_TABLE = {
    # Microsoft 365 Apps for business / enterprise (O365_BUSINESS, OFFICESUBSCRIPTION) in the product
    "microsoft 365 apps for business": DESKTOP,
    "microsoft 365 apps for enterprise": DESKTOP,
    "microsoft 365 business standard": DESKTOP,
    "microsoft 365 business premium": DESKTOP,
    "microsoft 365 e3": DESKTOP,
    "microsoft 365 e5": DESKTOP,
    "office 365 e3": DESKTOP,
    "office 365 e4": DESKTOP,
    "office 365 e5": DESKTOP,
    "office 365 enterprise e3": DESKTOP,
    "office 365 enterprise e4": DESKTOP,
    "office 365 enterprise e5": DESKTOP,
    "office 365 midsize": DESKTOP,
    # the same products under their names before April 2020
    "office 365 business": DESKTOP,
    "office 365 business premium": DESKTOP,
    "microsoft 365 business": DESKTOP,
    "office 365 proplus": DESKTOP,
    # Office for the web and mobile at most
    "microsoft 365 business basic": WEB,
    "office 365 business essentials": WEB,
    "office 365 e1": WEB,
    "office 365 enterprise e1": WEB,
    "microsoft 365 f1": WEB,
    "microsoft 365 f3": WEB,
    "office 365 f1": WEB,
    "office 365 f3": WEB,
    "exchange online": WEB,  # (Plan 1), (Plan 2): `base` drops the plan
    "exchange online kiosk": WEB,
    "exchange online essentials": WEB,
    # add-ons
    "microsoft teams exploratory": _ADDON,
    "microsoft teams essentials": _ADDON,
    "microsoft teams enterprise": _ADDON,
    "microsoft teams premium": _ADDON,
    "microsoft teams": _ADDON,
    "microsoft teams phone standard": _ADDON,
    "microsoft 365 audio conferencing": _ADDON,
    "microsoft 365 copilot": _ADDON,
    "copilot for microsoft 365": _ADDON,
    "microsoft defender for office 365": _ADDON,
    "microsoft defender for business": _ADDON,
    "microsoft defender for endpoint": _ADDON,
    "exchange online archiving": _ADDON,
    "exchange online protection": _ADDON,
    "microsoft entra id p1": _ADDON,
    "microsoft entra id p2": _ADDON,
    "azure active directory premium p1": _ADDON,
    "azure active directory premium p2": _ADDON,
    "enterprise mobility + security e3": _ADDON,
    "enterprise mobility + security e5": _ADDON,
    "microsoft intune plan 1": _ADDON,
    "power bi pro": _ADDON,
    "power bi": _ADDON,
    "power bi premium per user": _ADDON,
    "microsoft fabric": _ADDON,
    "microsoft power automate free": _ADDON,
    "microsoft power apps for developer": _ADDON,
    "visio plan 1": _ADDON,
    "visio plan 2": _ADDON,
    "project plan 1": _ADDON,
    "project plan 3": _ADDON,
    "project plan 5": _ADDON,
    "planner plan 1": _ADDON,
    "planner and project plan 3": _ADDON,
    "planner and project plan 5": _ADDON,
}

# Variants of one product that give the same Office: "(no Teams)", "EEA (no Teams)",
# "(Plan 1)", "- Prepaid Legacy", "Trial", "(Free)".
# The export joins names with a bare "+"; "Enterprise Mobility + Security E3" has one between spaces.
_JOIN = re.compile(r"(?<!\s)\+(?!\s)")
_VARIANT = re.compile(r"(?:\s*\([^()]*\)|\s+-\s+prepaid legacy|\s+eea|\s+trial)+$")


# An export repeats a handful of names on every row.
@functools.lru_cache(maxsize=512)
def base(name: str) -> str:
    """A product name compared as the table holds it: lower case, one space between words, variants dropped."""
    return _VARIANT.sub("", " ".join(name.split()).casefold())


def names(licenses: str) -> list[str]:
    """The product names in an export's `Licenses` cell ('Unlicensed' and empty: none)."""
    found = [" ".join(part.split()) for part in _JOIN.split(licenses)]
    return [name for name in found if name and name.casefold() != "unlicensed"]


def unknown_names(licenses: Iterable[str]) -> list[str]:
    """The names in `licenses` the table does not know, as written."""
    return [name for name in licenses if base(name) not in _TABLE]


def classify(licenses: Iterable[str]) -> str:
    """DESKTOP if any licence brings the desktop apps; UNKNOWN if any is unknown, or none says; else WEB."""
    kinds = {_TABLE.get(base(name), UNKNOWN) for name in licenses}
    if DESKTOP in kinds:
        return DESKTOP
    if UNKNOWN in kinds or WEB not in kinds:
        return UNKNOWN
    return WEB
