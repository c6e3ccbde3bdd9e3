"""Colletta: a self-hosted community messenger with shared money pots."""

__version__ = "0.1.0"
