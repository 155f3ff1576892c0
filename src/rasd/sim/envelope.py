"""The shape of an event in time: onset ramp, plateau, fatigue, recovery decay, relapses.

Levels are relative (1 = the event at full strength) and computed for many minutes at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def _rise(t: FloatArray, width: float) -> FloatArray:
    """0 before t = 0, 1 after t = width, a smooth half-cosine in between."""
    if width <= 0:
        return (t >= 0).astype(np.float64)
    x = np.clip(t / width, 0.0, 1.0)
    result: FloatArray = 0.5 - 0.5 * np.cos(np.pi * x)
    return result


@dataclass(frozen=True, slots=True)
class Relapse:
    """The service fails again after coming back: ramp up, hold, fade."""

    at: int  # epoch minute
    ramp: float
    hold: float
    decay: float
    level: float

    @property
    def end(self) -> int:
        return int(np.ceil(self.at + self.ramp + self.hold + self.decay))

    def levels(self, minutes: FloatArray) -> FloatArray:
        t = minutes - self.at
        up = _rise(t, self.ramp)
        down = 1.0 - _rise(t - self.ramp - self.hold, self.decay)
        result: FloatArray = self.level * up * down
        return result


@dataclass(frozen=True, slots=True)
class Envelope:
    """One service's event curve.

    After `peak` minutes at full level, reports settle towards `sustain` with time constant
    `fatigue` (people who already reported do not report again); from `recovery` they fade
    to nothing over `decay` minutes. Relapses are failures after the first recovery.
    """

    onset: int  # epoch minute of the first extra reports
    ramp: float
    peak: float
    sustain: float
    fatigue: float
    recovery: int  # epoch minute the service starts coming back
    decay: float
    relapses: tuple[Relapse, ...] = ()

    @property
    def end(self) -> int:
        """The first minute after which the event adds nothing."""
        last = int(np.ceil(max(self.recovery + self.decay, self.onset + self.ramp)))
        return max([last, *(r.end for r in self.relapses)])

    def levels(self, first_minute: int, n_minutes: int) -> FloatArray:
        minutes = np.arange(first_minute, first_minute + n_minutes, dtype=np.float64)
        t = minutes - self.onset
        level = _rise(t, self.ramp)
        after_peak = t - self.ramp - self.peak
        if self.sustain < 1.0:
            tired = self.sustain + (1.0 - self.sustain) * np.exp(
                -np.maximum(after_peak, 0.0) / max(self.fatigue, 1.0)
            )
            level = level * np.where(after_peak > 0, tired, 1.0)
        level = level * (1.0 - _rise(minutes - self.recovery, self.decay))
        level = np.where(minutes >= self.recovery + self.decay, 0.0, level)
        for relapse in self.relapses:
            level = np.maximum(level, relapse.levels(minutes))
        return level
