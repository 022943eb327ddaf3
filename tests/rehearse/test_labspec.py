"""The user's spec as the lab runs it: the same migration, its outside parts on loopback."""

from __future__ import annotations

import shutil

import yaml

from migrate import plan, spec as spec_module
from migrate.rehearse import labspec
from tests.helpers.examples import EXAMPLE, EXAMPLES

LAB = labspec.Lab(rfc2136_server="127.53.9.7", tsig_name="lab-update.nordlys-tekstil.dk.", root_hints=["127.53.9.1"],
                  resolvers=["127.53.9.11", "127.53.9.12"], smtp_port=2525,
                  old_nameservers=["ns1.bdm.microsoftonline.com.", "ns2.bdm.microsoftonline.com."])


def test_the_lab_stands_in_only_where_the_spec_reaches_outside(tmp_path):
    user = spec_module.load(EXAMPLE)
    written = labspec.raw(EXAMPLE)
    written["source"]["graph"] = {"tenant_id": "contoso", "client_id": "app"}
    data = labspec.data(written, user, LAB, tmp_path)
    lab = labspec.write(tmp_path, data, user)
    # the migration is the user's
    assert (lab.domain, lab.cutover, lab.timezone, lab.mail) == (user.domain, user.cutover, user.timezone, user.mail)
    assert lab.gate.min_soak == user.gate.min_soak and lab.gate.require == user.gate.require
    assert lab.dns.nameservers == user.dns.nameservers and lab.dns.records == user.dns.records
    assert lab.notify.from_ == user.notify.from_ and lab.notify.data_deadline == user.notify.data_deadline
    assert plan.build(lab).desired == plan.build(user).desired  # the same zone: paths were made absolute
    # the outside is the lab's
    assert lab.dns.host == "rfc2136" and lab.dns.rfc2136.server == "127.53.9.7"
    assert lab.dns.rfc2136.secret_env == labspec.SECRET_ENV and "secret" not in str(data["dns"]["rfc2136"]).replace("secret_env", "")
    assert lab.source.graph is None and lab.source.nameservers == LAB.old_nameservers
    assert [str(r) for r in lab.verify.resolvers] == LAB.resolvers and [str(h) for h in lab.verify.root_hints] == LAB.root_hints
    assert (lab.notify.smtp.host, lab.notify.smtp.port, lab.notify.smtp.starttls) == ("127.0.0.1", 2525, False)
    assert lab.resolve_path(lab.gate.facts) == (tmp_path / labspec.FACTS).resolve()
    assert lab.path == user.path  # messages about its keys name the file the user wrote
    assert lab.model_dump() == spec_module.load(tmp_path / "migration.yaml").model_dump()  # the record is what ran
    assert lab.resolve_path(lab.notify.recipients) == (EXAMPLES / "users.csv").resolve()
    assert written["source"]["graph"]  # the user's data is left as it was


def test_a_spec_without_notify_stays_without(tmp_path):
    shutil.copytree(EXAMPLES, tmp_path / "ex")
    written = labspec.raw(tmp_path / "ex" / "migration.yaml")
    written.pop("notify")
    (tmp_path / "ex" / "plain.yaml").write_text(yaml.safe_dump(written))
    user = spec_module.load(tmp_path / "ex" / "plain.yaml")
    lab = labspec.write(tmp_path, labspec.data(written, user, LAB, tmp_path), user)
    assert lab.notify is None
