"""Problem reports in columns: the shape that the simulator produces and ingest consumes.

Columns, not objects, because the reference day alone is more than ten million reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class ReportColumns:
    """Reports as parallel arrays; string columns are indexes into the tables that follow.

    `place` indexes `places`, whose entries are region strings: a country (`EG`) or a city
    (`EG/Cairo`, as `rasd.ingest.places` names it). `reporter` is the 64-bit hash of the
    reporter key; `network` the 64-bit hash of the reporter's /24 (IPv4) or /48 (IPv6) network.
    """

    ts_ms: npt.NDArray[np.int64]
    service: npt.NDArray[np.int32]
    problem: npt.NDArray[np.int16]
    place: npt.NDArray[np.int32]
    reporter: npt.NDArray[np.uint64]
    network: npt.NDArray[np.uint64]
    services: tuple[str, ...]
    problems: tuple[str, ...]
    places: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.ts_ms.shape[0])

    def __post_init__(self) -> None:
        n = self.ts_ms.shape[0]
        for name in ("service", "problem", "place", "reporter", "network"):
            if getattr(self, name).shape[0] != n:
                raise ValueError(f"column {name} has another length than ts_ms")
