from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import numpy as np
import pytest

from rasd.catalog import default_catalog
from rasd.clock import minute_of
from rasd.errors import InvalidInput, MalformedBody
from rasd.series import SeriesKey
from rasd.signals.probes import (
    AUTHORITATIVE,
    OUTCOMES,
    ProbeBatch,
    ProbeCheck,
    ProbeCheckList,
    ProbeColumns,
    ProbeCounter,
    ProbeResult,
    ProbeState,
    checks_for_catalog,
    decode_batch,
    decode_check_list,
    encode,
    quorum_size,
)

T0 = datetime(2021, 10, 4, 15, 51, 10, tzinfo=UTC)
M0 = minute_of(T0)


def _result(
    vantage: str,
    outcome: str = "ok",
    *,
    kind: str = "dns",
    check: str | None = None,
    service: str = "facebook",
    ts: datetime = T0,
    offline: bool = False,
) -> ProbeResult:
    return ProbeResult(
        service=service,
        check=check or f"{service}:{kind}",
        kind=kind,
        target="facebook.com" if kind == "dns" else "https://www.facebook.com/",
        vantage=vantage,
        ts=ts,
        outcome=outcome,
        latency_ms=12.5,
        vantage_offline=offline,
    )


# --- checks from the catalog ---


def test_checks_for_the_real_catalog() -> None:
    catalog = default_catalog()
    checks = checks_for_catalog(catalog, resolvers=["1.1.1.1", "8.8.8.8"])
    facebook = [c for c in checks if c.service == "facebook"]
    dns = [c for c in facebook if c.kind == "dns" and c.target == "facebook.com"]
    assert sorted(str(c.resolver) for c in dns) == sorted(["1.1.1.1", "8.8.8.8", AUTHORITATIVE])
    assert any(c.kind == "http" and c.target == "https://www.facebook.com/" for c in facebook)
    ids = [c.id for c in checks]
    assert len(ids) == len(set(ids))  # a check's id is its identity on both sides
    assert {c.service for c in checks} == {s.id for s in catalog}


def test_without_resolvers_dns_goes_through_the_agents_own() -> None:
    catalog = default_catalog().subset(["whatsapp"])
    checks = checks_for_catalog(catalog)
    assert {c.resolver for c in checks if c.kind == "dns"} == {None, AUTHORITATIVE}


# --- the wire ---


def test_a_batch_goes_through_the_wire_unchanged() -> None:
    batch = ProbeBatch(id="b1", vantage="eu", results=[_result("eu", "servfail")], dropped=3)
    assert decode_batch(encode(batch)) == batch
    checks = ProbeCheckList(checks=checks_for_catalog(default_catalog().subset(["telegram"])))
    assert decode_check_list(encode(checks)) == checks


def test_the_wire_names_are_kept() -> None:
    wire = msgspec.json.decode(encode(ProbeBatch(id="b", vantage="eu", results=[_result("eu")])))
    assert set(wire) == {"id", "vantage", "results", "dropped"}
    assert set(wire["results"][0]) >= {"service", "check", "kind", "target", "vantage", "ts",
                                       "outcome", "latency_ms", "status", "rcode", "resolver",
                                       "cert_days_left", "detail"}  # fmt: skip


def test_bad_batches_are_refused_with_the_fields_named() -> None:
    with pytest.raises(MalformedBody):
        decode_batch(b"{not json")
    with pytest.raises(InvalidInput):
        decode_batch(b'{"id": "x", "vantage": "eu"}')
    bad = ProbeBatch(
        id="x",
        vantage="eu",
        results=[_result("eu", "melted"), _result("me"), _result("eu", kind="smtp")],
        dropped=-1,
    )
    with pytest.raises(InvalidInput) as caught:
        decode_batch(encode(bad))
    fields = {d["field"] for d in caught.value.details if isinstance(d, dict)}
    assert fields == {"dropped", "results[0].outcome", "results[1].vantage", "results[2].kind"}


def test_a_time_without_zone_is_refused() -> None:
    body = (
        encode(ProbeBatch(id="x", vantage="eu", results=[_result("eu")]))
        .replace(b"+00:00", b"")
        .replace(b"Z", b"")
    )
    with pytest.raises(InvalidInput):
        decode_batch(body)


# --- counting ---


def test_counts_per_minute_for_the_world_and_each_vantage_point() -> None:
    counts = ProbeCounter().count(
        [
            _result("eu", "servfail"),
            _result("me", "servfail"),
            _result("me", "ok", kind="http"),
            _result("me", "ok", ts=T0 + timedelta(minutes=1)),
        ]
    )

    def at(signal: str, region: str, minute: int = M0) -> int:
        return counts.get((SeriesKey("facebook", signal, region), minute), 0)

    assert (at("probes_total", "*"), at("probes_failed", "*")) == (3, 2)
    assert (at("probe_dns_failed", "*"), at("probe_http_failed", "*")) == (2, 0)
    assert (at("probes_total", "@me"), at("probes_failed", "@me")) == (2, 1)
    assert at("probe_http_total", "@me") == 1
    assert (at("probes_total", "*", M0 + 1), at("probes_failed", "*", M0 + 1)) == (1, 0)


def test_counts_come_in_the_order_their_series_are_first_met() -> None:
    results = [
        _result("me", "ok", ts=T0 + timedelta(minutes=1)),
        _result("eu", "servfail"),
        _result("me", "ok", kind="http"),
        _result("eu", "timeout", offline=True),
        _result("eu", "servfail", ts=T0 + timedelta(minutes=1)),
    ]
    counter = ProbeCounter()
    for _ in range(2):  # the series learned, then known
        counts = counter.count(results)
        one_by_one: dict[tuple[SeriesKey, int], int] = {}
        for result in results:
            for pair in ProbeCounter().count([result]):
                one_by_one[pair] = one_by_one.get(pair, 0) + 1
        assert list(counts.items()) == list(one_by_one.items())
    assert ProbeCounter().count([]) == {}


def test_results_of_an_offline_vantage_count_only_under_it() -> None:
    counts = ProbeCounter().count(
        [_result("eu", "timeout", offline=True), _result("me", "ok"), _result("us", "ok")]
    )

    def at(signal: str, region: str) -> int:
        return counts.get((SeriesKey("facebook", signal, region), M0), 0)

    assert (at("probes_total", "*"), at("probes_failed", "*")) == (2, 0)
    assert at("probe_dns_failed", "*") == 0
    assert (at("probes_total", "@eu"), at("probes_vantage_offline", "@eu")) == (1, 1)
    assert (at("probes_failed", "@eu"), at("probe_dns_failed", "@eu")) == (0, 0)
    assert at("probes_vantage_offline", "*") == 0


def test_an_offline_result_survives_the_wire() -> None:
    batch = ProbeBatch(id="b", vantage="eu", results=[_result("eu", "timeout", offline=True)])
    assert decode_batch(encode(batch)).results[0].vantage_offline is True
    # an agent from before canaries sends no such field: it is online
    old = b'{"id":"b","vantage":"eu","results":[{"service":"facebook","check":"c","kind":"dns",'
    old += b'"target":"facebook.com","vantage":"eu","ts":"2021-10-04T15:51:10Z","outcome":"ok"}]}'
    assert decode_batch(old).results[0].vantage_offline is False


# --- evidence ---


def test_an_offline_vantage_takes_no_part_in_the_vote() -> None:
    state = ProbeState()
    # eu's link is down: its failures say nothing; two healthy vantages keep the world up
    state.feed([_result("eu", "timeout", offline=True), _result("me"), _result("us")])
    ev = state.evidence("facebook", M0)
    assert (ev.failing_vantages, ev.healthy_vantages) == ([], ["me", "us"])
    assert ev.offline_vantages == ["eu"]
    assert (ev.quorum, ev.level) == (False, 0)
    assert ev.outcomes == {"dns": {"ok": 2}}
    # the service fails where the link is up: a quorum of the vantages that can tell
    later = T0 + timedelta(seconds=30)
    state.feed([_result("me", "servfail", ts=later), _result("us", "servfail", ts=later)])
    ev = state.evidence("facebook", M0)
    assert (ev.failing_vantages, ev.offline_vantages) == (["me", "us"], ["eu"])
    assert (ev.quorum, ev.level) == (True, 2)


def test_each_vantages_state_follows_its_newest_results() -> None:
    state = ProbeState()
    state.feed([_result("eu"), _result("me")])
    state.feed([_result("eu", "timeout", ts=T0 + timedelta(seconds=5), offline=True)])
    seen = {v.name: v.to_dict() for v in state.vantages()}
    assert (seen["eu"]["state"], seen["me"]["state"]) == ("offline", "online")
    assert (seen["eu"]["results"], seen["eu"]["offline_results"]) == (2, 1)
    assert seen["eu"]["last_offline_at"] == "2021-10-04T15:51:15Z"
    state.feed([_result("eu", ts=T0 + timedelta(seconds=9))])
    assert [v.state for v in state.vantages()] == ["online", "online"]
    # a late-delivered offline result from before does not turn it offline again
    state.feed([_result("eu", "timeout", ts=T0 + timedelta(seconds=7), offline=True)])
    assert state.vantages()[0].state == "online"


def test_one_vantage_point_failing_is_local() -> None:
    state = ProbeState()
    state.feed([_result("eu", "servfail"), _result("me"), _result("us")])
    ev = state.evidence("facebook", M0)
    assert (ev.failing_vantages, ev.healthy_vantages) == (["eu"], ["me", "us"])
    assert (ev.quorum, ev.level) == (False, 0)
    assert ev.outcomes == {"dns": {"ok": 2, "servfail": 1}}


def test_a_quorum_of_vantage_points_is_the_service() -> None:
    state = ProbeState()
    state.feed([_result(v, "servfail") for v in ("eu", "me", "us")] + [_result("asia")])
    ev = state.evidence("facebook", M0)
    assert ev.failing_vantages == ["eu", "me", "us"]
    assert (ev.quorum, ev.level) == (True, 2)
    assert ev.failing_kinds == {"eu": ["dns"], "me": ["dns"], "us": ["dns"]}
    assert ev.failing_targets == {"dns": ["facebook.com"]}


def test_one_bad_resolver_among_several_does_not_fail_a_vantage_point() -> None:
    state = ProbeState()
    state.feed(
        [
            _result("eu", "timeout", check="fb@9.9.9.9"),
            _result("eu", "ok", check="fb@1.1.1.1"),
            _result("me", "ok", check="fb@1.1.1.1"),
        ]
    )
    ev = state.evidence("facebook", M0)
    assert ev.failing_vantages == [] and ev.level == 0
    assert ev.outcomes == {"dns": {"ok": 2, "timeout": 1}}


def test_only_the_latest_result_in_the_window_counts() -> None:
    state = ProbeState(window_minutes=3)
    state.feed([_result("eu", "servfail"), _result("me", "servfail")])
    state.feed([_result("eu", "ok", ts=T0 + timedelta(minutes=1))])
    assert state.evidence("facebook", M0).quorum
    later = state.evidence("facebook", M0 + 1)
    assert later.failing_vantages == ["me"] and not later.quorum
    # past the window nothing is known, and forgetting frees it
    assert state.evidence("facebook", M0 + 10).vantages == []
    state.forget_before(M0 + 1)
    assert state.evidence("facebook", M0).vantages == []
    assert state.services() == ["facebook"]
    state.forget_before(M0 + 2)
    assert state.services() == []


def test_results_fed_out_of_time_order_still_give_the_newest_of_the_window() -> None:
    state = ProbeState(window_minutes=3, per_key=6)
    late = T0 + timedelta(seconds=40)
    # a late delivery: eu's newest result (ok, 15:51:50) came before an older one (servfail)
    state.feed([_result("eu", "ok", ts=late), _result("me", "servfail")])
    state.feed([_result("eu", "servfail", ts=T0)])
    assert state.evidence("facebook", M0).failing_vantages == ["me"]
    # and of two results with the same time, the one fed last
    state.feed([_result("me", "ok")])
    assert state.evidence("facebook", M0).failing_vantages == []
    # a result ahead of the minute asked about is not read yet
    state.feed([_result("eu", "timeout", ts=T0 + timedelta(minutes=2))])
    assert state.evidence("facebook", M0).failing_vantages == []
    assert state.evidence("facebook", M0 + 2).failing_vantages == ["eu"]


def test_evidence_read_alike_twice_is_two_evidences_of_their_own_minutes() -> None:
    state = ProbeState()
    state.feed([_result(v, "servfail") for v in ("eu", "me")])
    state.feed([_result(v, "servfail", ts=T0 + timedelta(minutes=1)) for v in ("eu", "me")])
    first, second = state.evidence("facebook", M0), state.evidence("facebook", M0 + 1)
    assert (first.minute, second.minute) == (M0, M0 + 1)
    assert first.to_dict() == {**second.to_dict(), "minute": M0}
    # whoever holds one may change it: the other does not change with it
    first.failing_vantages.append("us")
    first.outcomes["dns"]["ok"] = 9
    assert second.failing_vantages == ["eu", "me"] and second.outcomes == {"dns": {"servfail": 2}}
    assert state.evidence("facebook", M0 + 1).to_dict() == second.to_dict()


def test_readings_are_the_evidence_of_every_service_at_their_minute() -> None:
    state = ProbeState()
    state.feed([_result(v, "servfail") for v in ("eu", "me")])
    state.feed([_result("eu", service="google", kind="http")])
    state.feed([_result(v, "servfail", ts=T0 + timedelta(minutes=1)) for v in ("eu", "me")])
    for minute in (M0, M0 + 1, M0 + 1, M0 + 2):
        readings = state.readings(minute)
        assert list(readings) == state.services() == ["facebook", "google"]
        for service, evidence in readings.items():
            assert evidence.minute == minute
            assert evidence.to_dict() == state.evidence(service, minute).to_dict()


def test_a_single_vantage_point_cannot_tell_and_says_possible() -> None:
    state = ProbeState()
    state.feed([_result("eu", "http_5xx", kind="http")])
    ev = state.evidence("facebook", M0)
    assert (ev.quorum, ev.level) == (False, 1)


@pytest.mark.parametrize(("seen", "needed"), [(1, 2), (2, 2), (3, 2), (4, 2), (5, 3), (10, 5)])
def test_quorum_size(seen: int, needed: int) -> None:
    assert quorum_size(seen) == needed


# --- results in columns: the same counts, state and evidence as the objects they stand for ---


def _columns(results: list[ProbeResult]) -> ProbeColumns:
    """`results` as columns, with tables of their own."""
    checks: dict[tuple[Any, ...], int] = {}
    vantages: dict[str, int] = {}
    rcodes: dict[str, int] = {}
    for r in results:
        checks.setdefault((r.check, r.service, r.kind, r.target, r.resolver), len(checks))
        vantages.setdefault(r.vantage, len(vantages))
        if r.rcode is not None:
            rcodes.setdefault(r.rcode, len(rcodes))
    return ProbeColumns(
        np.array(
            [
                (r.ts - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
                for r in results
            ],
            np.int64,
        ),  # fmt: skip
        np.array(
            [checks[(r.check, r.service, r.kind, r.target, r.resolver)] for r in results], np.int32
        ),  # fmt: skip
        np.array([vantages[r.vantage] for r in results], np.int32),
        np.array([OUTCOMES.index(r.outcome) for r in results], np.int8),
        np.array([np.nan if r.latency_ms is None else r.latency_ms for r in results]),
        np.array([r.status or 0 for r in results], np.int16),
        np.array([-1 if r.rcode is None else rcodes[r.rcode] for r in results], np.int8),
        np.array([r.vantage_offline for r in results], np.bool_),
        [
            ProbeCheck(id=c, service=s, kind=k, target=t, resolver=res)
            for c, s, k, t, res in checks
        ],  # fmt: skip
        list(vantages),
        list(rcodes),
    )


def _rounds() -> list[list[ProbeResult]]:
    """Rounds of every sort: failures, offline vantages, late and repeated results, two
    minutes in one round, an empty one."""
    rng = random.Random(7)
    outcomes = ["ok"] * 12 + ["timeout", "servfail", "http_5xx", "connect_error"]
    keys = [(s, k, c) for s in ("facebook", "whatsapp", "x") for k, c in
            (("dns", "a"), ("dns", "b"), ("http", "c"), ("tcp", "d"))]  # fmt: skip
    rounds: list[list[ProbeResult]] = []
    for i in range(40):
        at = T0 + timedelta(minutes=i)
        results = []
        for vantage in ("eu", "us", "ap", "sa"):
            offline = vantage == "sa" and 10 <= i < 20
            when = at + timedelta(seconds=len(vantage) + rng.randrange(5))
            for service, kind, check in keys:
                name = f"{service}:{kind}:{check}"
                outcome = rng.choice(outcomes)
                r = _result(vantage, outcome, kind=kind, service=service, check=name, ts=when)
                r.vantage_offline = offline
                r.rcode = "SERVFAIL" if r.outcome == "servfail" else None
                r.status = 503 if r.outcome == "http_5xx" else None
                r.latency_ms = None if r.outcome == "timeout" else r.latency_ms
                results.append(r)
        rng.shuffle(results)
        if i % 9 == 4:  # a late result, and one fed twice
            results.append(msgspec.structs.replace(results[0], ts=at - timedelta(minutes=2)))
        if i % 11 == 6:  # the next minute's first results come along
            results += [msgspec.structs.replace(r, ts=r.ts + timedelta(minutes=1))
                        for r in results[:5]]  # fmt: skip
        rounds.append([] if i == 30 else results)
    return rounds


def test_columns_stand_for_their_results() -> None:
    for results in _rounds():
        assert _columns(results).results() == results
        assert list(_columns(results)) == results and len(_columns(results)) == len(results)


def test_results_in_columns_count_and_vote_as_their_objects() -> None:
    by_objects = (ProbeCounter(), ProbeState(per_key=3))
    by_columns = (ProbeCounter(), ProbeState(per_key=3))
    late, offline, levels = False, False, set()
    for i, results in enumerate(_rounds()):
        cols = _columns(results)
        counts = by_objects[0].count(results)
        by_objects[1].feed(results)
        if i % 7 == 3:  # fed as objects now and then: the columns' tables follow
            got = by_columns[0].count(results)
            by_columns[1].feed(results)
        else:
            got = by_columns[0].count(cols)
            by_columns[1].feed_columns(cols)
        assert list(got.items()) == list(counts.items())  # in the same order
        minute = M0 + i
        if i % 13 == 12:  # keys dropped behind the columns' back
            for _, state in (by_objects, by_columns):
                state.forget_before(minute)
        a, b = by_objects[1], by_columns[1]
        assert a._recent == b._recent and a._unordered == b._unordered
        for m in (minute - 1, minute):
            assert [(s, e.to_dict(), list(e.failing_kinds)) for s, e in a.readings(m).items()] == [
                (s, e.to_dict(), list(e.failing_kinds)) for s, e in b.readings(m).items()
            ]
        assert [v.to_dict() for v in a.vantages()] == [v.to_dict() for v in b.vantages()]
        late |= bool(b._unordered)
        offline |= any(e.offline_vantages for e in b.readings(minute).values())
        levels |= {e.level for e in b.readings(minute).values()}
    assert late and offline and {0, 2} <= levels  # the rounds had every sort
