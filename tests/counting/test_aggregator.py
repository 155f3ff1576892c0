"""Counting what the log hands over: requests taken together, each message counted once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest
from conftest import T0

from rasd.bus.base import new_message_id
from rasd.catalog import load_catalog
from rasd.clock import VirtualClock, minute_of
from rasd.counting.aggregator import Aggregator
from rasd.counting.counter import Counts
from rasd.errors import Unavailable
from rasd.ingest.places import Places
from rasd.ingest.reports import ReportIn, ReportValidator
from rasd.series import SeriesKey
from rasd.signals.reports import CountedReports, ReportRow, Reports
from rasd.store import Store
from rasd.store.counts import Increments
from rasd.store.sqlite import SQLiteStore

WORLD = SeriesKey("whatsapp", "reports", "*")


@pytest.fixture(scope="module")
def validator() -> ReportValidator:
    return ReportValidator(load_catalog(), Places.default(), VirtualClock(T0))


def _rows(validator: ReportValidator, *reporters: str) -> Reports:
    reports = [
        ReportIn(service="whatsapp", problem="messages", reporter=r, country="EG")
        for r in reporters
    ]
    if len(reports) == 1:
        return [validator.to_row(reports[0], client_ip="192.0.2.1", trusted=False)]
    return validator.to_columns(reports, client_ip="192.0.2.1", trusted=False)


def _disk_away(*args: object) -> bool:
    raise OSError("disk I/O error")


def _world(store: Store) -> int:
    m = minute_of(T0)
    return store.total(WORLD, m - 60, m + 60)


@pytest.mark.parametrize("redelivers", [False, True])
def test_only_ids_that_may_come_again_are_remembered(
    store: Store, validator: ReportValidator, redelivers: bool
) -> None:
    aggregator = Aggregator(store, VirtualClock(T0), log_redelivers=redelivers)
    fresh = [new_message_id() for _ in range(3)]
    aggregator.apply_together(
        [
            (_rows(validator, "a"), fresh[0]),
            (_rows(validator, "b", "c"), fresh[1]),
            (_rows(validator, "d"), "reports:k:chosen"),
        ]
    )
    aggregator.apply("reports", _rows(validator, "e"), fresh[2])
    assert _world(store) == 5
    remembered = store.applied_among([*fresh, "reports:k:chosen"])
    # the embedded log hands each message over once: only a client's own key can come again
    assert remembered == ({*fresh, "reports:k:chosen"} if redelivers else {"reports:k:chosen"})


def test_a_client_key_seen_before_counts_once(store: Store, validator: ReportValidator) -> None:
    aggregator = Aggregator(store, VirtualClock(T0), log_redelivers=False)
    aggregator.apply_together(
        [(_rows(validator, "a"), "reports:k:once"), (_rows(validator, "b"), new_message_id())]
    )
    aggregator.apply_together(
        [(_rows(validator, "c"), "reports:k:once"), (_rows(validator, "d"), new_message_id())]
    )
    aggregator.apply("reports", _rows(validator, "e"), "reports:k:once")
    assert _world(store) == 3


def test_a_group_waits_for_whoever_counts_without_holding_up_the_loop(
    store: Store, validator: ReportValidator
) -> None:
    aggregator = Aggregator(store, VirtualClock(T0), log_redelivers=False)
    counting, go = threading.Event(), threading.Event()
    heard: list[bool] = []

    def replay() -> None:  # another thread counting meanwhile, until the loop says go
        with aggregator._lock:
            counting.set()
            heard.append(go.wait(5))

    holder = threading.Thread(target=replay)
    holder.start()
    counting.wait(5)

    async def main() -> None:
        task = asyncio.create_task(
            aggregator.handle("reports", _rows(validator, "a"), new_message_id())
        )
        for _ in range(50):
            await asyncio.sleep(0)
        # the loop went on, and the report waits for the counters
        assert not task.done()
        go.set()
        await asyncio.wait_for(task, 10)

    asyncio.run(main())
    holder.join()
    assert heard == [True]  # a loop stuck on the lock could not have said it
    assert _world(store) == 1


def test_a_group_that_was_not_stored_is_forgotten_and_its_retry_counts(
    store: Store, validator: ReportValidator, monkeypatch: pytest.MonkeyPatch
) -> None:
    aggregator = Aggregator(store, VirtualClock(T0), log_redelivers=False)

    async def post(*reporters: str) -> list[BaseException | None]:
        async def one(reporter: str) -> None:
            await aggregator.handle("reports", _rows(validator, reporter), new_message_id())

        return await asyncio.gather(*(one(r) for r in reporters), return_exceptions=True)

    monkeypatch.setattr(store, "_write_reports", _disk_away)
    failed = asyncio.run(post("a", "b"))
    assert all(isinstance(e, Unavailable) for e in failed)
    monkeypatch.undo()
    assert asyncio.run(post("a", "b", "c")) == [None, None, None]
    assert _world(store) == 3
    assert aggregator.applied["counted"] == 3


def test_fed_batches_count_as_applied_ones_and_are_heard_once_stored(
    store: Store, validator: ReportValidator
) -> None:
    """Batches fed in a row are counted in order (a reporter seen in the first does not count
    again in the second) and stored in order; a listener hears each once it is stored."""
    aggregator = Aggregator(store, VirtualClock(T0), log_redelivers=False)
    heard: list[int] = []

    def hear(increments: Increments) -> None:
        heard.append(sum(n for (key, _), n in increments.items() if key == WORLD))

    aggregator.listen(hear)
    first = aggregator.feed("reports", _rows(validator, "a", "b"), new_message_id())
    second = aggregator.feed("reports", _rows(validator, "b", "c", "d"), new_message_id())
    second.result(timeout=10)
    assert first.done()
    assert heard == [2, 2]
    assert _world(store) == 4
    assert aggregator.applied == {"reports": 5, "counted": 4, "duplicates": 1, "limited": 0}


class _PostCounter:
    """Posts as the posts signal counts them: one a post, in the minute of T0."""

    def count(self, payload: Iterable[str]) -> Counts:
        return {(SeriesKey("whatsapp", "posts", "*"), minute_of(T0)): len(list(payload))}


def test_posts_are_fed_in_order_with_reports_and_once_per_message(
    store: Store, validator: ReportValidator
) -> None:
    aggregator = Aggregator(
        store, VirtualClock(T0), counters={"posts": _PostCounter()}, log_redelivers=False
    )
    heard: list[int] = []
    aggregator.listen(lambda increments: heard.append(sum(increments.values())))
    reports = aggregator.feed("reports", _rows(validator, "a"), new_message_id())
    posts = aggregator.feed("posts", ["down?", "down for me too"], "replay:1:posts")
    again = aggregator.feed("posts", ["down?", "down for me too"], "replay:1:posts")
    again.result(timeout=10)
    assert reports.done() and posts.done()  # stored in the order they were fed
    minute = minute_of(T0)
    assert store.total(SeriesKey("whatsapp", "posts", "*"), minute, minute + 1) == 2
    assert _world(store) == 1
    assert heard[:2] == [3, 2]  # world, country and problem of the report; then the posts
    with pytest.raises(ValueError, match="no counter"):
        aggregator.feed("probes", [], new_message_id())


def test_a_fed_batch_that_was_not_stored_fails_its_future_and_the_next_feed(
    store: Store, validator: ReportValidator, monkeypatch: pytest.MonkeyPatch
) -> None:
    aggregator = Aggregator(store, VirtualClock(T0), log_redelivers=False)

    monkeypatch.setattr(store, "_write_reports", _disk_away)
    lost = aggregator.feed("reports", _rows(validator, "a", "b"), new_message_id())
    with pytest.raises(OSError):
        lost.result(timeout=10)
    monkeypatch.undo()
    # the windows saw "a" and "b" before the write failed: they are rebuilt from the store,
    # and the caller hears of it
    with pytest.raises(Unavailable):
        aggregator.feed("reports", _rows(validator, "a"), new_message_id())
    aggregator.feed("reports", _rows(validator, "a", "b"), new_message_id()).result(timeout=10)
    assert _world(store) == 2


def test_after_a_fed_batch_was_not_stored_a_single_post_counts_against_rebuilt_windows(
    store: Store, validator: ReportValidator, monkeypatch: pytest.MonkeyPatch
) -> None:
    aggregator = Aggregator(store, VirtualClock(T0), log_redelivers=False)
    monkeypatch.setattr(store, "_write_reports", _disk_away)
    lost = aggregator.feed("reports", _rows(validator, "a"), new_message_id())
    with pytest.raises(OSError):
        lost.result(timeout=10)
    monkeypatch.undo()
    # "a" was never stored: its report through the server's path counts
    asyncio.run(aggregator.handle("reports", _rows(validator, "a"), new_message_id()))
    assert _world(store) == 1


def test_requests_on_the_next_turns_of_the_loop_join_the_group(
    store: Store, validator: ReportValidator
) -> None:
    """Requests keep joining while each turn of the event loop brings one; a request alone
    goes alone."""
    aggregator = Aggregator(store, VirtualClock(T0), log_redelivers=False)
    groups: list[int] = []
    count = aggregator._count

    def spy(parts: Sequence[Reports]) -> CountedReports:
        groups.append(sum(len(part) for part in parts))
        return count(parts)

    aggregator._count = spy  # type: ignore[method-assign]

    async def main() -> None:
        posted = []
        for reporter in "abc":  # one request a turn
            posted.append(
                asyncio.create_task(
                    aggregator.handle("reports", _rows(validator, reporter), new_message_id())
                )
            )
            await asyncio.sleep(0)
        await asyncio.gather(*posted)
        await aggregator.handle("reports", _rows(validator, "d"), new_message_id())

    asyncio.run(main())
    assert groups == [3, 1]
    assert _world(store) == 4


def test_the_next_group_is_counted_while_the_last_one_commits(
    tmp_path: Path, validator: ReportValidator
) -> None:
    """Groups without ids to claim let the counters go once their write is queued."""
    # a file, so that reading does not wait for the writer as one shared connection would
    store = SQLiteStore(tmp_path / "overlap.db")
    store.migrate()
    aggregator = Aggregator(store, VirtualClock(T0), log_redelivers=False)
    began, go = threading.Event(), threading.Event()

    def hold(conn: object) -> None:  # the writer is busy with something else
        began.set()
        go.wait(10)

    busy = store.submit(hold)
    began.wait(10)
    groups = [
        [(_rows(validator, "a"), new_message_id()), (_rows(validator, "b"), new_message_id())],
        [(_rows(validator, "c"), new_message_id()), (_rows(validator, "a"), new_message_id())],
    ]
    counted: list[int] = []
    count = aggregator.reports.count_rows  # single reports, a few at a time

    def spy(rows: Sequence[ReportRow]) -> CountedReports:
        result = count(rows)
        counted.append(result.counted)
        return result

    aggregator.reports.count_rows = spy  # type: ignore[method-assign]
    threads = [threading.Thread(target=aggregator.apply_together, args=(g,)) for g in groups]
    for n, thread in enumerate(threads, 1):
        thread.start()
        # each group is counted although the one before has not been stored
        for _ in range(1000):
            if len(counted) == n:
                break
            threading.Event().wait(0.01)
    assert counted == [2, 1]  # "a" of the second group is a repeat
    assert _world(store) == 0  # nothing committed yet
    assert aggregator.applied["reports"] == 0  # tallied once stored
    go.set()
    busy.result(10)
    for thread in threads:
        thread.join(10)
    assert aggregator.applied == {"reports": 4, "counted": 3, "duplicates": 1, "limited": 0}
    assert _world(store) == 3
    store.close()
