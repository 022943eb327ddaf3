"""m365-exit: take a custom domain off Microsoft 365 without losing one email."""

__version__ = "0.1.0"

from pathlib import Path

# Email and runbook templates: the top-level templates/ folder, reached through
# the migrate/templates link in a checkout and copied into installed packages.
TEMPLATES = Path(__file__).resolve().parent / "templates"
