"""Mail provider presets: the records a destination provider asks a domain to publish.

Values and how well each is sourced come from `research/m365.md` §4.1:
O = the provider's own documentation, S = consistent secondary sources,
? = partly unverified. Per-tenant values (DKIM keys, verification tokens, a
provider's domain id) never live here: a preset names the parameter it needs
and the spec supplies it (`mail.dkim`, `mail.verification`, `mail.dkim_id`).
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RecordTemplate:
    """One record a preset publishes; `{domain}` and `{<param>}` are filled in from the spec.

    `domain` is the domain without its trailing dot.
    """

    name: str
    rdtype: str
    value: str

    def params(self) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(self.name + self.value) if f} - {"domain"}


@dataclass(frozen=True)
class Preset:
    id: str
    display_name: str
    mx: tuple[tuple[int, str], ...]
    spf_include: str | None
    dkim: tuple[RecordTemplate, ...]
    verification: RecordTemplate | None
    sign_in_url: str
    help_url: str
    confidence: str
    # Which per-tenant values the preset cannot work without, and what to do to get them.
    needs: dict[str, str] = field(default_factory=dict)
    extra: tuple[RecordTemplate, ...] = ()

    def mx_records(self, domain: str) -> list[tuple[int, str]]:
        return [(prio, host.format(domain=domain.rstrip("."))) for prio, host in self.mx]


def _zoho(region: str, label: str) -> Preset:
    return Preset(
        id=f"zoho-{region.replace('.', '-')}",
        display_name=f"Zoho Mail ({label})",
        mx=((10, f"mx.zoho.{region}"), (20, f"mx2.zoho.{region}"), (50, f"mx3.zoho.{region}")),
        spf_include=f"zoho.{region}",
        dkim=(),
        verification=RecordTemplate("@", "TXT", "zoho-verification={verification}"),
        sign_in_url=f"https://mail.zoho.{region}",
        help_url=f"https://www.zoho.{region}/mail/help/adminconsole/configure-email-delivery.html",
        confidence="S",
        needs={
            "dkim": "the DKIM TXT record (selector and key) shown in Zoho Mail Admin Console > Domains > Email Authentication",
            "verification": "the zb######## code from Zoho's domain verification page (zoho-verification=zb...)",
        },
    )


PRESETS: dict[str, Preset] = {
    p.id: p
    for p in (
        Preset(
            id="google-workspace",
            display_name="Google Workspace (Gmail)",
            mx=((1, "smtp.google.com"),),
            spf_include="_spf.google.com",
            dkim=(),
            verification=RecordTemplate("@", "TXT", "google-site-verification={verification}"),
            sign_in_url="https://mail.google.com",
            help_url="https://support.google.com/a/answer/140034",
            confidence="O/S",
            needs={
                "dkim": "the google._domainkey TXT value from Admin console > Apps > Gmail > Authenticate email",
                "verification": "the google-site-verification token from the Workspace sign-up (43 characters)",
            },
        ),
        Preset(
            id="fastmail",
            display_name="Fastmail",
            mx=((10, "in1-smtp.messagingengine.com"), (20, "in2-smtp.messagingengine.com")),
            spf_include="spf.messagingengine.com",
            dkim=tuple(
                RecordTemplate(f"fm{i}._domainkey", "CNAME", f"fm{i}.{{domain}}.dkim.fmhosted.com") for i in (1, 2, 3)
            ),
            verification=None,
            sign_in_url="https://app.fastmail.com",
            help_url="https://www.fastmail.help/hc/en-us/articles/360060591153",
            confidence="O/S",
        ),
        Preset(
            id="proton",
            display_name="Proton Mail",
            mx=((10, "mail.protonmail.ch"), (20, "mailsec.protonmail.ch")),
            spf_include="_spf.protonmail.ch",
            dkim=tuple(
                RecordTemplate(f"{sel}._domainkey", "CNAME", f"{sel}.domainkey.{{dkim_id}}.domains.proton.ch")
                for sel in ("protonmail", "protonmail2", "protonmail3")
            ),
            verification=RecordTemplate("@", "TXT", "protonmail-verification={verification}"),
            sign_in_url="https://mail.proton.me",
            help_url="https://proton.me/support/custom-domain",
            confidence="O/S",
            needs={
                "dkim_id": "the domain id in Proton's DKIM CNAME targets (protonmail.domainkey.<id>.domains.proton.ch)",
                "verification": "the protonmail-verification token from Proton's custom-domain page",
            },
        ),
        _zoho("com", "US"),
        _zoho("eu", "EU"),
        _zoho("in", "India"),
        _zoho("com.au", "Australia"),
        _zoho("jp", "Japan"),
        Preset(
            id="mailbox-org",
            display_name="mailbox.org",
            mx=((10, "mxext1.mailbox.org"), (10, "mxext2.mailbox.org"), (20, "mxext3.mailbox.org")),
            spf_include="mailbox.org",
            dkim=tuple(
                RecordTemplate(f"MBO000{i}._domainkey", "CNAME", f"MBO000{i}._domainkey.mailbox.org") for i in (1, 2, 3, 4)
            ),
            verification=RecordTemplate("{verification}", "TXT", "v=mailbox.org"),
            sign_in_url="https://login.mailbox.org",
            help_url="https://kb.mailbox.org/en/private/custom-domains/",
            confidence="S",
            needs={"verification": "the hash label mailbox.org shows for its verification TXT record"},
        ),
        Preset(
            id="simply",
            display_name="Simply.com",
            mx=((10, "mx.simply.com"),),
            spf_include="spf.simply.com",
            dkim=(
                RecordTemplate("simplycom1._domainkey", "CNAME", "dkim1.simply.com"),
                RecordTemplate("simplycom2._domainkey", "CNAME", "dkim2.simply.com"),
            ),
            verification=None,
            sign_in_url="https://webmail.simply.com",
            help_url="https://www.simply.com/dk/support/faq/mail/136/",
            confidence="O/S",
            extra=(RecordTemplate("_autodiscover._tcp", "SRV", "0 0 443 maildiscover.simply.com"),),
        ),
        Preset(
            id="one-com",
            display_name="one.com",
            mx=((10, "{domain}.mx.one.com"),),
            spf_include="_spf.one.com",
            dkim=(),
            verification=None,
            sign_in_url="https://www.one.com/mail",
            help_url="https://help.one.com/hc/en-us/articles/17038200070545",
            confidence="O/S/?",
            needs={"dkim": "the DKIM CNAME records shown in the one.com control panel"},
        ),
    )
}

CUSTOM = "custom"


def ids() -> list[str]:
    return sorted([*PRESETS, CUSTOM])
