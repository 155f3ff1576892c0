"""Rasd: a real-time detector of outages of online services."""

__version__ = "0.1.0"
