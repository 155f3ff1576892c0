"""Running every source of a process side by side, each restarted if it breaks."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasd.sources.backoff import Backoff
from rasd.sources.base import Source

_log = logging.getLogger("rasd.sources")


class SourceSet:
    def __init__(
        self,
        sources: list[Source] | None = None,
        *,
        restart_seconds: float = 1.0,
        seed: int | None = None,
    ) -> None:
        self._sources: dict[str, Source] = {}
        self._seed = seed
        self._restart_seconds = restart_seconds
        for source in sources or []:
            self.add(source)

    def add(self, source: Source) -> None:
        if source.name in self._sources:
            raise ValueError(f"two sources are named {source.name!r}")
        self._sources[source.name] = source

    def __len__(self) -> int:
        return len(self._sources)

    def __iter__(self) -> Any:
        return iter(list(self._sources.values()))

    def get(self, name: str) -> Source | None:
        return self._sources.get(name)

    def statuses(self) -> list[dict[str, Any]]:
        return [source.status().snapshot() for source in self._sources.values()]

    async def run(self, stop: asyncio.Event) -> None:
        """Every source in a task of its own until `stop`; one that breaks cannot stop the rest."""
        tasks = [
            asyncio.create_task(self._keep(source, stop), name=f"source:{source.name}")
            for source in self._sources.values()
        ]
        if tasks:
            await run_together(tasks)

    async def _keep(self, source: Source, stop: asyncio.Event) -> None:
        backoff = Backoff(base=self._restart_seconds, cap=300.0, seed=self._seed)
        while not stop.is_set():
            try:
                await source.run(stop)
                backoff.reset()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug in one source must not end the others
                _log.exception("source %s stopped on an error; it starts again", source.name)
                source.status().failed(f"{type(exc).__name__}: {exc}")
            if stop.is_set() or not await backoff.wait(stop):
                return


async def run_together(tasks: list[asyncio.Task[Any]]) -> None:
    """Until every task ends; when one fails, or the caller is cancelled, the rest are
    cancelled and waited for, so none outlives its owner."""
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
