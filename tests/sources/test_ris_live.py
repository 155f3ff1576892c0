"""RIS Live against a local stand-in speaking its format: subscriptions by prefix, updates
into the route state and the log, malformed and cut frames skipped, a restart survived, and
the owner's routes going as evidence of an outage with a routing cause."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from rasd.assembly import embedded
from rasd.cli.options import settings_from
from rasd.clock import VirtualClock, minute_of
from rasd.correlate.hints import ROUTING
from rasd.locale.findings import said_event
from rasd.locale.phrases import CatalogNames
from rasd.probe.reach import Reach
from rasd.series import ROUTES_WITHDRAWALS, SeriesKey
from rasd.sources.backoff import Backoff
from rasd.sources.ris_live import Decoder, PrefixMatcher, RisLiveSource, subscribe_message

from .standin import RisLiveStandIn, ris_update, wait_for

T0 = datetime(2021, 10, 4, 15, 30, tzinfo=UTC)
NS = ["129.134.30.0/23", "129.134.30.0/24", "129.134.31.0/24", "185.89.218.0/23"]
PEERS = [f"192.0.2.{i}" for i in range(1, 11)]


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Any]:
    clock = VirtualClock(T0)
    runtime = embedded(
        settings_from(
            store_url=f"sqlite:///{tmp_path / 'r.db'}", offline=True, sources_enabled=False
        ),
        clock=clock,
    )
    yield runtime
    runtime.store.close()


def _source(rt: Any, url: str) -> RisLiveSource:
    meta = rt.catalog.owners["meta"]
    return RisLiveSource(rt, url, {"meta": list(meta.prefixes)}, ping_seconds=0.2,
                         silence_seconds=30, flush_seconds=0.05,
                         backoff=Backoff(base=0.05, cap=0.2, seed=1))  # fmt: skip


@asynccontextmanager
async def _running(rt: Any) -> AsyncIterator[tuple[RisLiveStandIn, RisLiveSource]]:
    """A stand-in and the source reading it, stopped and closed on the way out."""
    standin = await RisLiveStandIn().start()
    source = _source(rt, standin.url)
    stop = asyncio.Event()
    task = asyncio.create_task(source.run(stop))
    try:
        yield standin, source
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await standin.stop()


def _at(minute: int, second: float = 0.0) -> float:
    return (T0 + timedelta(minutes=minute, seconds=second)).timestamp()


def test_the_subscription_is_by_prefix_with_those_inside() -> None:
    message = json.loads(subscribe_message("129.134.30.0/23"))
    options = {"acknowledge": True, "includeRaw": False}
    assert message == {"type": "ris_subscribe", "data": {
        "type": "UPDATE", "prefix": "129.134.30.0/23", "moreSpecific": True,
        "lessSpecific": False, "socketOptions": options}}  # fmt: skip
    assert "path" not in message["data"]  # withdrawals carry none: a path filter misses them


def test_updates_are_tied_to_the_catalog_prefix_they_fall_under() -> None:
    watched = {"meta": ["129.134.30.0/23", "129.134.30.0/24", "2a03:2880::/32"]}
    decoder = Decoder(PrefixMatcher(watched))

    frame = json.dumps(ris_update(_at(0), "192.0.2.1", announce=["129.134.30.0/24",
                       "129.134.31.0/25", "198.51.100.0/24", "2a03:2880:f000::/48"]))  # fmt: skip
    updates = decoder.decode(frame)
    assert [(u.prefix, u.covers, u.announced, u.origin) for u in updates] == [
        ("129.134.30.0/24", "129.134.30.0/24", True, 32934),  # the longest that covers it
        ("129.134.31.0/25", "129.134.30.0/23", True, 32934),
        ("2a03:2880:f000::/48", "2a03:2880::/32", True, 32934),
    ]
    gone = decoder.decode(json.dumps(ris_update(_at(1), "192.0.2.1", withdraw=["129.134.30.0/24"])))
    assert [(u.covers, u.announced, u.origin, u.collector) for u in gone] == [
        ("129.134.30.0/24", False, None, "rrc21")
    ]
    for bad in ("not json", '{"type":"ris_message","data":{"timest', '{"data":{}}',
                '{"type":"ris_message","data":{"timestamp":"x","peer":1,"host":"h"}}'):  # fmt: skip
        assert decoder.decode(bad) == []
    assert decoder.malformed == 4
    assert decoder.decode('{"type":"ris_error","data":{"message":"slow consumer"}}') == []
    assert decoder.errors == ["slow consumer"]


async def test_it_reads_through_bad_frames_a_cut_line_and_a_restart(rt: Any) -> None:
    state = rt.route_state
    async with _running(rt) as (standin, source):
        prefixes = sorted(rt.catalog.owners["meta"].prefixes)
        await wait_for(lambda: standin.clients == 1 and len(standin.subscriptions) == 7)
        assert sorted(s["prefix"] for s in standin.subscriptions) == prefixes
        assert standin.paths[0].endswith("?client=rasd")
        await standin.send(
            *(ris_update(_at(0, i), peer, announce=NS) for i, peer in enumerate(PEERS)),
            ris_update(_at(0, 20), PEERS[0], announce=["203.0.113.0/24"]),  # not Meta's
            "not json at all",
            '{"type":"ris_message","data":{"timestamp":1633361',  # cut short
            {"type": "ris_error", "data": {"message": "Unknown message type"}},
        )
        await wait_for(lambda: state.evidence("meta", minute_of(T0)).usual_peers == 10)
        await wait_for(lambda: standin.pings >= 1)
        assert source.decoder.malformed == 2 and source.decoder.errors == ["Unknown message type"]

        await standin.restart()  # the feed goes away and comes back on the same port
        await wait_for(lambda: standin.clients == 1 and len(standin.subscriptions) == 14)
        await standin.send(ris_update(_at(1), PEERS[0], withdraw=NS), RisLiveStandIn.CUT)
        await wait_for(lambda: source.status().reconnects >= 2 and standin.clients == 1)
        await wait_for(lambda: len(standin.subscriptions) == 21)
        gone = (ris_update(_at(1, i), p, withdraw=NS) for i, p in enumerate(PEERS[1:8]))
        await standin.send(*gone)
        await wait_for(lambda: state.evidence("meta", minute_of(T0) + 1).share == 0.2)
    ev = state.evidence("meta", minute_of(T0) + 1)
    assert ev.below and ev.unseen_peers == 8 and ev.withdrawals == 8 * 4
    assert sorted(ev.withdrawn) == sorted(NS)
    snap = source.status().snapshot()
    assert snap["state"] in ("connected", "connecting")
    assert snap["detail"]["malformed"] == 2 and snap["detail"]["ris_errors"] == 1
    assert snap["detail"]["acknowledged"] == 21 and snap["detail"]["pongs"] >= 1
    assert snap["totals"]["counted"] == snap["totals"]["matched"] == 40 + 32
    assert "ConnectionClosed" in (snap["last_error"] or "")  # the line cut mid-frame
    assert float(snap["cursor"]) == pytest.approx(_at(1, 6))
    # the status says what the routes say now, owner by owner
    meta = snap["detail"]["owners"]["meta"]
    assert meta["share"] == 0.2 and meta["usual_peers"] == 10 and meta["unseen_peers"] == 8
    # each withdrawal was counted once, in the series of every Meta service
    key = SeriesKey("facebook", ROUTES_WITHDRAWALS)
    total = rt.store.total(key, minute_of(T0), minute_of(T0) + 2)
    assert total == 32


async def test_offline_it_never_leaves_the_machine(rt: Any) -> None:
    source = RisLiveSource(rt, "wss://ris.example/v1/ws/", {"meta": NS}, reach=Reach(True))
    stop = asyncio.Event()
    task = asyncio.create_task(source.run(stop))
    await wait_for(lambda: source.status().state == "offline")
    stop.set()
    await asyncio.wait_for(task, 5)
    assert source.decoder.messages == 0


async def test_a_withdrawal_opens_an_incident_with_a_routing_cause(rt: Any) -> None:
    engine = rt.detector()
    first = minute_of(T0)
    async with _running(rt) as (standin, source):
        await wait_for(lambda: len(standin.subscriptions) == 7)
        await standin.send(*(ris_update(_at(0, i), p, announce=NS) for i, p in enumerate(PEERS)))
        await wait_for(lambda: source.status().totals["counted"] == 40)
        engine.tick(first)
        assert rt.store.list_incidents() == []
        # the name servers' routes withdrawn by nine peers of ten, for minutes on end
        gone = (ris_update(_at(1, i), p, withdraw=NS) for i, p in enumerate(PEERS[:9]))
        await standin.send(*gone)
        await wait_for(lambda: source.status().totals["counted"] == 40 + 36)
    for m in range(1, 5):
        engine.tick(first + m)
    incidents = {i.service: i for i in rt.store.list_incidents()}
    assert {"facebook", "instagram", "whatsapp", "messenger"} <= set(incidents)
    reasons = incidents["facebook"].data["evidence"]["reasons"]
    assert "route_loss" in [r["code"] for r in reasons]
    (event,) = [e.data for e in rt.store.list_events() if e.owner == "meta"]
    (cause,) = event["cause_hints"]
    assert cause["code"] == ROUTING
    assert cause["first_seen"] == (T0 + timedelta(minutes=1)).isoformat()
    assert cause["evidence"]["asns"] == [32934]
    assert sorted(cause["evidence"]["prefixes"]) == sorted(NS)
    assert cause["evidence"]["unseen_peers"] == 9 and cause["evidence"]["usual_peers"] == 10
    # the event keeps its cause as a phrase; said in English it is the sentence shown
    shown = said_event(event, CatalogNames(rt.catalog))
    assert shown["cause"]["en"].startswith("Routing at Meta: AS32934 withdrew the prefixes of its")
    assert [e["kind"] for e in event["log"]].count("cause") == 1
