"""Run every live source of a fresh embedded process, as `rasd serve` builds them with their
real defaults (online), and print as JSON what they say and what was logged.

Meant to be run in a network namespace by `test_every_source.py`:
`python network_away.py STORE_DIR SECONDS online|offline` (the `offline` setting).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import sys
from pathlib import Path
from typing import Any

from rasd.assembly import embedded
from rasd.settings import MastodonInstance, Settings
from rasd.sources.registry import _BUILDERS

SETTLED = {"offline", "disabled"}


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.levelname} {record.name}: {record.getMessage()}")


async def _watch(runtime: Any, seconds: float) -> list[dict[str, Any]]:
    stop = asyncio.Event()
    task = asyncio.create_task(runtime.sources.run(stop))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        await asyncio.sleep(0.25)
        statuses = runtime.sources.statuses()
        if statuses and all(s["state"] in SETTLED for s in statuses):
            break
    stop.set()
    await asyncio.wait_for(task, 30)
    return list(runtime.sources.statuses())


def main(store_dir: str, seconds: float, offline: bool) -> None:
    kept = _Kept()
    logging.getLogger().addHandler(kept)
    settings = Settings(
        store_url=f"sqlite:///{Path(store_dir) / 'away.db'}",
        offline=offline,
        # the one feed that is off until configured: one far server (a reserved name), as a user
        # would set one
        mastodon_instances=[MastodonInstance(url="https://mastodon.example", token="t")],
    )
    runtime = embedded(settings)
    try:
        built = {
            path: [source.name for source in importlib.import_module(path).build(runtime)]
            for path in _BUILDERS
        }
        statuses = asyncio.run(_watch(runtime, seconds))
    finally:
        runtime.store.close()
    json.dump({"built": built, "statuses": statuses, "logged": kept.records}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), sys.argv[3] == "offline")
