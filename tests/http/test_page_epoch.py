"""A write that pages show, made outside counting and detection, moves the pages' epoch."""

from __future__ import annotations

from rasd.http.page_epoch import touch
from rasd.runtime import Runtime


def test_a_touch_moves_the_epoch_by_one(runtime: Runtime) -> None:
    before = runtime.page_epoch.value
    touch(runtime)
    touch(runtime)
    assert runtime.page_epoch.value == before + 2
