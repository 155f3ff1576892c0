"""HTTP: the JSON API, live updates, feeds and metrics."""
