"""Counting: what the log brings, as counts per minute per series, applied to the store once."""
