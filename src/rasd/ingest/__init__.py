"""Ingest: validation, dedupe, abuse limits and placing a report."""
