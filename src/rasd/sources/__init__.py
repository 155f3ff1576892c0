"""Readers of outside feeds that run inside `rasd serve`: streams and pollers.

Each source reads one feed until stopped, reconnects with backoff, keeps a durable cursor
where its feed can resume, and reports its state for `/api/v1/sources`. Adding a feed is one
module with a `build(runtime)` function and one line in `registry.py`.
"""

from rasd.sources.backoff import Backoff
from rasd.sources.base import Source, SourceStatus
from rasd.sources.cursors import Cursors
from rasd.sources.manager import SourceSet

__all__ = ["Backoff", "Cursors", "Source", "SourceSet", "SourceStatus"]
