"""Signals: reports, posts and probes, each turned into counts per minute per series."""
