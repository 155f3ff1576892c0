"""What the API and the pages both need of HTTP: JSON answers, bodies read within a limit, the
client's address, and caching (ETags, Cache-Control)."""
