"""Run the demo into a temporary folder, draw its report and screenshot it: docs/report.png.

    .venv/bin/python docs/make_report.py

The demo needs the DNS lab (root, or `unshare -rn`); the picture is taken by
Debian's chromium in headless mode (`apt-get install -y chromium`). Not part
of the tests: the picture is documentation.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "report.png"


def migrate(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "migrate", *args], check=True, cwd=ROOT, stdout=subprocess.DEVNULL, timeout=300)


def main() -> int:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("chromium not found: apt-get install -y chromium", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as folder:
        demo = Path(folder) / "demo"
        migrate("demo", "--out", str(demo))
        page = demo / "report.html"
        migrate("report", str(demo / "migration.yaml"), "--state", str(demo / "state"), "--out", str(page))
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1",
             f"--user-data-dir={Path(folder) / 'profile'}", f"--screenshot={TARGET}", "--window-size=1280,1240", page.as_uri()],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120,
        )
    print(TARGET)
    return 0


if __name__ == "__main__":
    sys.exit(main())
