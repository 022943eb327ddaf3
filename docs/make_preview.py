"""Render the Danish announcement for one example user and screenshot it: docs/email-preview.png.

    .venv/bin/python docs/make_preview.py

Uses Debian's chromium in headless mode (`apt-get install -y chromium`).
Not part of the tests: the picture is documentation.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from migrate import spec as spec_module  # noqa: E402
from migrate.notify import recipients, render, waves  # noqa: E402


def main() -> int:
    spec = spec_module.load(ROOT / "examples" / "migration.yaml")
    # The example spec has no cancellation date yet; show one so the key-dates box is complete.
    notify = spec.notify.model_copy(update={"cancel_date": date(2027, 3, 1), "data_deadline": date(2027, 2, 22)})
    spec = spec.model_copy(update={"notify": notify})
    spec._path = ROOT / "examples" / "migration.yaml"
    anne = recipients.load(spec)[0]
    html = render.render(waves.require(spec, waves.ANNOUNCE), anne, waves.ANNOUNCE).html
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("chromium not found: apt-get install -y chromium", file=sys.stderr)
        return 1
    target = ROOT / "docs" / "email-preview.png"
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "announce.html"
        page.write_text(html, encoding="utf-8")
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1",
             f"--screenshot={target}", "--window-size=720,1070", page.as_uri()],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120,
        )
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
