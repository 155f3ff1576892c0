"""The per-minute tick: detection over every series, then correlation, then what it changed."""
