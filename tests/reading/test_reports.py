"""The networks a service's reports come from, as the service page and the API both read them
(with a network file: tests/api/test_services.py)."""

from __future__ import annotations

from rasd.clock import minute_of
from rasd.reading.reports import networks
from rasd.runtime import Runtime


def test_without_a_network_file_there_is_nothing_to_show(runtime: Runtime) -> None:
    until = minute_of(runtime.clock.now()) + 1
    found = networks(runtime, "whatsapp", "ar", until - 24 * 60, until)
    assert found == {"data": False, "networks": [], "total": 0}
