"""The package version, in one place (pyproject reads it; bump it with every behaviour change)."""

__version__ = "0.4.0"
