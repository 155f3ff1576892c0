"""Spill-over: services whose reports rise because another service is down.

During the Meta outage of 4 October 2021 people flocked to Twitter and Telegram, and some
blamed Google or their carrier: those services saw reports too, but they were not down. Their
rise came later than the outage it followed, was smaller against their own usual level, and
their own probes kept answering.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SpilloverRule:
    min_delay: int = 3  # minutes after the event's start; a rise at the same time is no echo
    window: int = 240  # minutes after the event's start during which an echo is looked for
    ratio: float = 0.5  # at most this share of the event's peak ratio

    def applies(
        self, start: int, peak_ratio: float, event_start: int, event_ratio: float, failing: bool
    ) -> bool:
        """Whether a rise starting at `start` with `peak_ratio` is an echo of the event."""
        if failing:
            return False
        delay = start - event_start
        if not self.min_delay <= delay <= self.window:
            return False
        return peak_ratio <= self.ratio * event_ratio

    def still_applies(self, peak_ratio: float, event_ratio: float, failing: bool) -> bool:
        """Whether an echo stays one as both rises go on."""
        return not failing and peak_ratio <= self.ratio * event_ratio
