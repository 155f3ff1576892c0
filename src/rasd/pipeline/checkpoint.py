"""An engine's state kept across a restart or handed to a new leader, and an engine taught
the stored counts when it has no state to go on from."""

from __future__ import annotations

import io
import pickle

import numpy as np

from rasd.detect.bank import SeriesBank
from rasd.pipeline.engine import DetectionEngine, watched
from rasd.store.counts import CountStore


def warm_from_store(
    engine: DetectionEngine, store: CountStore, until_minute: int, days: int
) -> int:
    """Teaches the engine the stored counts of the `days` before `until_minute`; returns how
    many series it learnt. Series the engine watches only; minutes without counts are zeros."""
    since = until_minute - days * 1440
    keys = [k for k in store.series_keys() if watched(k) and k.service in engine.catalog]
    matrix = np.zeros((len(keys), until_minute - since), np.float64)
    for row, key in enumerate(keys):
        matrix[row] = store.read_counts(key, since, until_minute).values
    engine.warm(since, keys, matrix)
    return len(keys)


def dump_engine(engine: DetectionEngine) -> bytes:
    """What a new leader needs to go on: the bank's arrays, the incident tracker, the event
    correlator and the last minute ticked. The catalog is not saved but named: the loading
    engine puts its own in its place."""
    arrays = io.BytesIO()
    np.savez(arrays, **engine.bank.state())  # type: ignore[arg-type]
    out = io.BytesIO()
    _Pickler(out, engine.catalog).dump(
        (arrays.getvalue(), engine.tracker, engine.correlator, engine.last_minute)
    )
    return out.getvalue()


def load_engine(engine: DetectionEngine, blob: bytes) -> None:
    # written by dump_engine into our own database, never taken from a client
    arrays, tracker, correlator, last_minute = _Unpickler(io.BytesIO(blob), engine.catalog).load()
    with np.load(io.BytesIO(arrays)) as state:
        engine.bank = SeriesBank.from_state(dict(state))
    engine.tracker = tracker
    if getattr(correlator, "networks", None) is None:
        correlator.networks = getattr(engine.correlator, "networks", None)
    engine.correlator = correlator
    engine.last_minute = last_minute


_CATALOG = "catalog"


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, catalog: object) -> None:
        super().__init__(file)
        self._catalog = catalog

    def persistent_id(self, obj: object) -> str | None:
        return _CATALOG if obj is self._catalog else None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, catalog: object) -> None:
        super().__init__(file)
        self._catalog = catalog

    def persistent_load(self, pid: object) -> object:
        if pid != _CATALOG:
            raise pickle.UnpicklingError(f"unknown reference {pid!r}")
        return self._catalog
