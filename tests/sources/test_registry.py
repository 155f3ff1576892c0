import sys
import types

from rasd.runtime import Runtime
from rasd.sources import SourceStatus
from rasd.sources.registry import build_sources


def test_each_builder_gives_the_sources_its_settings_ask_for(runtime: Runtime) -> None:
    class _One:
        kind = "posts"

        def __init__(self, name: str) -> None:
            self.name = name

        def status(self) -> SourceStatus:
            return SourceStatus(self.name, self.kind)

        async def run(self, stop: object) -> None:
            return None

    module = types.ModuleType("rasd_test_feed")
    module.build = lambda rt: [_One("a"), _One("b")] if rt.settings.offline else []  # type: ignore[attr-defined]
    sys.modules["rasd_test_feed"] = module
    try:
        names = [s.name for s in build_sources(runtime, ("rasd_test_feed",))]
    finally:
        del sys.modules["rasd_test_feed"]
    assert names == ["a", "b"]
