"""The contract of a counter: items of one kind in, counts per (series, minute) out.

What a counter must do, every one of them (`tests/counting/test_counters.py` checks each one
registered there): nothing in, nothing out; every count a positive whole number, keyed by a
series and an epoch minute; the same items counted in pieces give the same counts as at once
(the log hands over batches of any size); two fresh counters given the same items agree. A
counter may keep state across calls (a cache of texts, state that detection reads) as long
as all of this holds. Reports have a richer counter of their own (dedupe, abuse limits,
raw batches kept): `rasd.signals.reports.ReportCounter`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from rasd.series import SeriesKey

Item = TypeVar("Item", contravariant=True)
# what one call counted: (series, epoch minute) -> how many
Counts = dict[tuple[SeriesKey, int], int]


class Counter(Protocol[Item]):
    def count(self, items: Iterable[Item]) -> Counts: ...
