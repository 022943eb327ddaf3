"""Benchmark: read a large users export and render one wave of notices for it.

    .venv/bin/python bench/notify.py [--users 100000] [--cli-users 100000]

Writes an admin-center-style export of N licensed users (Danish and English,
every tenth with proxy addresses) beside a spec, then prints users a second
for each phase in this process, on one core: reading the export (the
roster), rendering the templates, building the messages, writing them into
an outbox. Then it runs the real `migrate notify --wave announce --out DIR`
on --cli-users of them and prints that rate, start-up included, which
includes everything the command does per recipient (so a cost that grows
with the roster shows there, not above) and the processes it renders with:
its CPU time is theirs too, and its memory is the largest process's peak
and the peak of all of them together (proportional set size, sampled).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from migrate import spec as spec_module  # noqa: E402
from migrate.notify import message, outbox, recipients, render, waves  # noqa: E402

DOMAIN = "nordlys-tekstil.dk"
HEADER = "Block credential,Display name,First name,Last name,Licenses,Preferred language,Proxy addresses,User principal name\r\n"


def users_csv(count: int) -> str:
    rows = [HEADER]
    for i in range(count):
        address = f"user{i:06d}@{DOMAIN}"
        proxies = f"SMTP:{address}+smtp:u{i}@nordlystekstil.onmicrosoft.com" if i % 10 == 0 else ""
        language = "en-GB" if i % 7 == 0 else "da-DK"
        rows.append(f"False,Bruger {i} Ærø,Bruger,Ærø {i},Microsoft 365 Business Basic,{language},{proxies},{address}\r\n")
    return "".join(rows)


def write_spec(folder: Path, users: int) -> Path:
    (folder / "users.csv").write_text(users_csv(users), encoding="utf-8", newline="")
    data = {
        "version": 1,
        "domain": DOMAIN,
        "cutover": "2027-01-15T07:00:00+01:00",
        "timezone": "Europe/Copenhagen",
        "mail": {"provider": "google-workspace", "verification": "abc123",
                 "dkim": [{"name": "google._domainkey", "type": "TXT", "value": "v=DKIM1; k=rsa; p=MIIB"}]},
        "dns": {"host": "cloudflare", "nameservers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"]},
        "notify": {"language": "da", "from": "Nordlys IT <it@nordlys-tekstil.dk>", "recipients": "users.csv",
                   "cancel_date": "2027-03-01", "data_deadline": "2027-02-22"},
    }
    path = folder / "migration.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def rate(count: int, wall: float, cpu: float | None = None) -> str:
    figures = f"{count / wall:,.0f} users/s ({count:,} in {wall:.2f}s"
    # CPU time as well: on a shared machine it moves less than the wall clock.
    return figures + (f"; {count / cpu:,.0f} users/s of CPU)" if cpu else ")")


def in_process(spec_path: Path, folder: Path, wave: str) -> None:
    spec = spec_module.load(spec_path)
    t0, c0 = time.perf_counter(), time.process_time()
    roster = recipients.roster(spec)
    people = roster.recipients
    print(f"{'roster parsing:':<20} {rate(len(people), time.perf_counter() - t0, time.process_time() - c0)}")

    # One recipient at a time through every phase, as the command does: holding
    # 100,000 messages at once would measure the memory, not the code.
    facts = waves.require(spec, wave)
    box = folder / "outbox"
    box.mkdir()
    phases = ("rendering", "building messages", "writing the outbox")
    wall, cpu = dict.fromkeys(phases, 0.0), dict.fromkeys(phases, 0.0)
    for index, person in enumerate(people, start=1):
        marks = [(time.perf_counter(), time.process_time())]
        content = render.render(facts, person, wave)
        marks.append((time.perf_counter(), time.process_time()))
        msg = message.build(spec, wave, person, content)
        marks.append((time.perf_counter(), time.process_time()))
        outbox.write(box, index, person.address, msg)
        marks.append((time.perf_counter(), time.process_time()))
        for phase, (start, end) in zip(phases, zip(marks, marks[1:])):
            wall[phase] += end[0] - start[0]
            cpu[phase] += end[1] - start[1]
    for phase in phases:
        print(f"{phase + ':':<20} {rate(len(people), wall[phase], cpu[phase])}")
    print(f"{'all three:':<20} {rate(len(people), sum(wall.values()), sum(cpu.values()))}")


def _tree(pid: int) -> Iterator[int]:
    """The process and its descendants (Linux /proc)."""
    yield pid
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            kids = children.read_text().split()
        except OSError:
            continue
        for kid in kids:
            yield from _tree(int(kid))


def _pss_kb(pid: int) -> int:
    """Memory a process uses, the pages it shares with others counted in proportion."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    return sum(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))


def cli(spec_path: Path, folder: Path, wave: str) -> None:
    count = sum(1 for _ in recipients.roster(spec_module.load(spec_path)).recipients)
    t0, c0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    # A file, not a pipe: a pipe nobody reads while the command runs could fill and stop it.
    with open(folder / "cli.stderr", "w+") as errors:
        command = subprocess.Popen([sys.executable, "-m", "migrate", "notify", str(spec_path), "--wave", wave, "--out", str(folder / "cli-outbox")],
                                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors)
        together = 0
        while command.poll() is None:
            together = max(together, sum(_pss_kb(pid) for pid in _tree(command.pid)))
            time.sleep(0.2)
        errors.seek(0)
        stderr = errors.read()
    seconds = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if command.returncode != 0:
        print(f"migrate notify failed ({command.returncode}): {stderr.strip().splitlines()[-1:]}")
        return
    cpu = usage.ru_utime + usage.ru_stime - c0.ru_utime - c0.ru_stime
    print(f"{'migrate notify (CLI):':<20} {rate(count, seconds, cpu)}, start-up included; "
          f"peak memory {usage.ru_maxrss / 1024:,.0f} MB in the largest process, {together / 1024:,.0f} MB in all together")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--cli-users", type=int, default=100_000, help="users for the end-to-end command (0: skip)")
    parser.add_argument("--wave", default=waves.ANNOUNCE, choices=waves.WAVES)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "lib").mkdir()
        in_process(write_spec(folder / "lib", args.users), folder / "lib", args.wave)
        if args.cli_users:
            (folder / "cli").mkdir()
            cli(write_spec(folder / "cli", args.cli_users), folder / "cli", args.wave)
    return 0


if __name__ == "__main__":
    sys.exit(main())
