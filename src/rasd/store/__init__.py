"""Storage: one Store protocol; SQLite for one process, PostgreSQL for the cluster."""

from rasd.store.base import Store
from rasd.store.counts import Increments, RawBatch, RawReport, StoredCounts
from rasd.store.factory import open_store

__all__ = ["Increments", "RawBatch", "RawReport", "Store", "StoredCounts", "open_store"]
