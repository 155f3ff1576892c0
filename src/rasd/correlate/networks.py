"""Network outages: one network's reports rising for many services while others stay quiet.

A regional outage says that many unrelated services fail in one country at once. When the
reports' networks are known (`rasd.ingest.networks`), the rise can be told more precisely:
if one autonomous system holds most of the reports above the usual level, it is that
network that failed ("Vodafone Egypt, AS24835"), and the event is named after it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rasd.ingest.networks import Network, network_of_label
from rasd.store.base import Store
from rasd.store.queries import network_reports

# reports of one service per network label in [since, until)
Counts = Callable[[str, int, int], dict[str, int]]


@dataclass(frozen=True)
class NetworkRise:
    """Which network, if any, the rise of some services since a minute comes from.

    The usual level of each network is its rate over the `before` minutes ahead of the
    onset; its excess is what it had since, above that. One network is named when it holds
    `share` of the excess of all networks that rose, and at least `least` reports of it.
    """

    counts: Counts
    before: int = 60
    share: float = 0.6
    least: int = 20

    @classmethod
    def of_store(cls, store: Store) -> NetworkRise:
        return cls(lambda service, since, until: network_reports(store, service, since, until))

    def __call__(self, services: Sequence[str], start: int, until: int) -> Network | None:
        span = max(1, until - start)
        during: dict[str, int] = {}
        usual: dict[str, int] = {}
        for service in services:
            for label, n in self.counts(service, start, until).items():
                during[label] = during.get(label, 0) + n
            for label, n in self.counts(service, start - self.before, start).items():
                usual[label] = usual.get(label, 0) + n
        excess = {
            label: n - usual.get(label, 0) * span / self.before for label, n in during.items()
        }
        rising = {label: x for label, x in excess.items() if x > 0}
        if not rising:
            return None
        top = max(rising, key=lambda label: (rising[label], label))
        if rising[top] < self.least or rising[top] < self.share * sum(rising.values()):
            return None
        return network_of_label(top)
