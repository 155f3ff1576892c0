"""Where a Rasd process is put together from its settings, once, for each role it plays."""

from rasd.assembly.roles import api, build_runtime, detection_engine, embedded, worker
from rasd.assembly.signals import Counting, counting

__all__ = [
    "Counting",
    "api",
    "build_runtime",
    "counting",
    "detection_engine",
    "embedded",
    "worker",
]
