"""Where a Rasd process is put together from its settings, once, for each role it plays."""

from rasd.assembly.roles import attach_engine, build_runtime, embedded
from rasd.assembly.signals import wire_signals

__all__ = ["attach_engine", "build_runtime", "embedded", "wire_signals"]
