"""Which sources a process runs: one builder per feed module, each given the runtime.

A builder returns the sources its settings ask for (none when turned off); adding a feed is
one module with `build(runtime)` and one line here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from rasd.sources.base import Source

if TYPE_CHECKING:
    from rasd.runtime import Runtime

_BUILDERS: tuple[str, ...] = (
    # one line per feed module, each with `build(runtime) -> list[Source]`
    "rasd.sources.prober",
    "rasd.sources.jetstream",
    "rasd.sources.mastodon",
    "rasd.sources.status.poller",
    "rasd.sources.ris_live",
)


def build_sources(runtime: Runtime, builders: tuple[str, ...] = _BUILDERS) -> list[Source]:
    sources: list[Source] = []
    for path in builders:
        module = importlib.import_module(path)
        sources.extend(module.build(runtime))
    return sources
