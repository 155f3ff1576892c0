"""Evaluation: scoring detection against labelled scenarios and series."""
