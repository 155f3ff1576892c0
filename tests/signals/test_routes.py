import random
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from rasd.catalog import default_catalog
from rasd.clock import minute_of
from rasd.series import ROUTES_ANNOUNCEMENTS, ROUTES_WITHDRAWALS, SeriesKey
from rasd.signals.routes import (
    RouteCounter,
    RouteEvidence,
    RouteState,
    RouteUpdate,
    services_of_owners,
    watched_prefixes,
)

T0 = datetime(2021, 10, 4, 15, 38, tzinfo=UTC)
M0 = minute_of(T0)
WATCHED = {"meta": [("129.134.30.0/24", True), ("157.240.0.0/16", False)]}


def _update(minute: int, peer: str, prefix: str, announced: bool, covers: str = "") -> RouteUpdate:
    at = T0 + timedelta(minutes=minute, seconds=5)
    origin = 32934 if announced else None
    covering = covers or prefix
    return RouteUpdate(at, "rrc21", peer, prefix, covering, "meta", announced, origin)


def _seeded(peers: int = 10) -> RouteState:
    state = RouteState(WATCHED)
    state.feed(_update(0, f"p{i}", p, True) for i in range(peers) for p, _ in WATCHED["meta"])
    return state


def test_the_name_servers_routes_decide_and_must_stay_gone() -> None:
    state = _seeded()
    assert state.evidence("meta", M0).share == 1.0
    # eight of ten peers lose the name servers' prefix; the aggregate stays
    state.feed(_update(1, f"p{i}", "129.134.30.0/24", False) for i in range(8))
    first = state.evidence("meta", M0 + 1)
    assert first.share == 0.2 and first.below and not first.lost  # one minute is not enough
    assert first.withdrawals == 8 and first.unseen_peers == 8 and first.usual_peers == 10
    assert first.withdrawn == ["129.134.30.0/24"]
    held = state.evidence("meta", M0 + 2)
    assert held.lost and held.below_since == M0 + 1 and held.withdrawals == 0
    assert held.origins == [32934]
    # the routes come back: no longer below
    state.feed(_update(3, f"p{i}", "129.134.30.0/24", True) for i in range(8))
    assert not state.evidence("meta", M0 + 3).below


def test_a_minute_is_read_as_it_was_even_when_later_ones_are_in() -> None:
    state = _seeded()
    state.feed(_update(4, f"p{i}", "129.134.30.0/24", False) for i in range(9))
    assert state.evidence("meta", M0 + 3).share == 1.0  # a replay runs ahead of the tick
    assert state.evidence("meta", M0 + 4).share == pytest.approx(0.1)


def _flapping(minutes: int, seed: int) -> list[list[RouteUpdate]]:
    """Minute by minute, peers that lose and regain the prefixes, announce again and change
    origin: every minute's updates of a day that keeps the state busy."""
    rng = random.Random(seed)
    out: list[list[RouteUpdate]] = []
    for minute in range(minutes):
        batch = []
        for i in range(12):
            for prefix, _ in WATCHED["meta"]:
                if minute == 0 or rng.random() < 0.3:
                    gone = minutes // 3 < minute < minutes // 2 and rng.random() < 0.8
                    update = _update(minute, f"p{i}", prefix, not gone)
                    if update.announced and rng.random() < 0.1:
                        update = msgspec.structs.replace(update, origin=64500 + minute % 3)
                    batch.append(update)
        out.append(batch)
    return out


@pytest.mark.parametrize("ahead", [1, 4, 12])
def test_every_minute_reads_the_same_however_far_ahead_it_was_fed(ahead: int) -> None:
    # a replay feeds minutes ahead of its tick, by as many as the store lets it: what the tick
    # reads must not depend on how far, or two replays of one day tell two stories
    minutes = _flapping(100, seed=ahead)
    step, behind = RouteState(WATCHED), RouteState(WATCHED)
    step_said: dict[int, RouteEvidence] = {}
    for minute, batch in enumerate(minutes):
        step.feed(batch)
        behind.feed(batch)
        if minute >= ahead:
            read = M0 + minute - ahead
            assert step_said[read] == behind.evidence("meta", read), read
        step_said[M0 + minute] = step.evidence("meta", M0 + minute)


def test_peers_never_heard_from_raise_no_alarm() -> None:
    state = RouteState(WATCHED)
    state.feed([_update(0, "p1", "129.134.30.0/24", False)])  # a withdrawal from a stranger
    ev = state.evidence("meta", M0)
    assert ev.share is None and not ev.below
    few = _seeded(peers=2)  # too few peers to go by
    few.feed(_update(1, f"p{i}", "129.134.30.0/24", False) for i in range(2))
    assert not few.evidence("meta", M0 + 1).below


def test_a_prefix_inside_counts_for_the_one_that_covers_it() -> None:
    state = RouteState(WATCHED)
    state.feed(_update(0, f"p{i}", "157.240.1.0/24", True, "157.240.0.0/16") for i in range(4))
    seen = {p.prefix: (p.seen, p.usual) for p in state.evidence("meta", M0).prefixes}
    assert seen == {"129.134.30.0/24": (0, 0), "157.240.0.0/16": (4, 4)}


def test_counts_go_to_every_service_of_the_owner() -> None:
    catalog = default_catalog()
    counter = RouteCounter(services_of_owners(catalog))
    counts = counter.count(
        [
            _update(0, "p1", "129.134.30.0/24", False),
            _update(0, "p2", "129.134.30.0/24", False),
            _update(1, "p1", "129.134.30.0/24", True),
        ]  # fmt: skip
    )
    assert counts[(SeriesKey("whatsapp", ROUTES_WITHDRAWALS), M0)] == 2
    assert counts[(SeriesKey("facebook", ROUTES_ANNOUNCEMENTS), M0 + 1)] == 1
    assert {k.service for k, _ in counts} == set(services_of_owners(catalog)["meta"])
    pairs = dict(watched_prefixes(catalog)["meta"])
    assert pairs["129.134.30.0/24"] is True and pairs["157.240.0.0/16"] is False
