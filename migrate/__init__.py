"""m365-exit: take a custom domain off Microsoft 365 without losing one email."""

__version__ = "0.1.0"
