"""The checkpointer thread writes the log back into the database file, beside the writer."""

from __future__ import annotations

import os
import time
from pathlib import Path

from rasd.series import REPORTS, SeriesKey
from rasd.store.sqlite import SQLiteStore

M0 = 27_222_000


def test_the_log_is_written_back_without_a_commit_waiting_for_it(tmp_path: Path) -> None:
    path = tmp_path / "logged.db"
    store = SQLiteStore(path, checkpoint_seconds=0.05)
    try:
        store.migrate()
        assert store.checkpointer is not None
        before = store.checkpointer.checkpoints
        size = os.path.getsize(path)
        # far below the writer's own 1 GB checkpoint: only the thread writes pages back
        store.add_counts(
            {(SeriesKey(f"s{i}", REPORTS, "EG"), M0 + j): 1 for i in range(200) for j in range(20)}
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
            store.checkpointer.checkpoints <= before or os.path.getsize(path) <= size
        ):
            time.sleep(0.05)
        assert store.checkpointer.checkpoints > before
        assert os.path.getsize(path) > size  # the counts' pages are in the database file now
        assert store.total(SeriesKey("s7", REPORTS, "EG"), M0, M0 + 20) == 20
    finally:
        store.close()
    assert not store.checkpointer.running


def test_an_in_memory_store_has_no_checkpointer() -> None:
    store = SQLiteStore(":memory:")
    try:
        assert store.checkpointer is None
    finally:
        store.close()
