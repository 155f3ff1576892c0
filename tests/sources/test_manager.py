import asyncio

import pytest

from rasd.sources import SourceSet, SourceStatus


class _Flaky:
    """Breaks on its first runs, then reads until stopped."""

    kind = "posts"

    def __init__(self, name: str, breaks: int) -> None:
        self.name = name
        self.breaks = breaks
        self.runs = 0
        self._status = SourceStatus(name, self.kind)

    def status(self) -> SourceStatus:
        return self._status

    async def run(self, stop: asyncio.Event) -> None:
        self.runs += 1
        if self.runs <= self.breaks:
            raise RuntimeError(f"broken run {self.runs}")
        self._status.connected()
        await stop.wait()


async def test_a_broken_source_is_started_again_and_the_others_keep_running() -> None:
    broken, steady = _Flaky("broken", breaks=2), _Flaky("steady", breaks=0)
    sources = SourceSet([broken, steady], restart_seconds=0.01, seed=1)
    stop = asyncio.Event()
    task = asyncio.create_task(sources.run(stop))
    for _ in range(2000):
        if broken.runs >= 3 and steady.status().state == "connected":
            break
        await asyncio.sleep(0.01)
    assert broken.runs == 3 and steady.runs == 1
    assert broken.status().snapshot()["last_error"] == "RuntimeError: broken run 2"
    assert broken.status().state == "connected"
    stop.set()
    await asyncio.wait_for(task, timeout=10)
    assert [s["name"] for s in sources.statuses()] == ["broken", "steady"]


def test_names_are_unique() -> None:
    with pytest.raises(ValueError):
        SourceSet([_Flaky("a", 0), _Flaky("a", 0)])


async def test_an_empty_set_returns_at_once() -> None:
    await asyncio.wait_for(SourceSet().run(asyncio.Event()), timeout=1)
