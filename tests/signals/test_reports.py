from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from rasd.series import NETWORK_REPORTS, REPORTS, WORLD, SeriesKey
from rasd.signals import reports
from rasd.signals.reports import (
    ReportColumns,
    ReportCounter,
    ReportRow,
    batch_rows,
    concat_columns,
    decode_batch,
)

T0_MS = 1_633_362_000_000  # 2021-10-04 15:40 UTC
M0 = T0_MS // 60_000


def _cols(
    reporters: list[int],
    networks: list[int] | None = None,
    services: list[int] | None = None,
    minutes: list[int] | None = None,
    places: list[int] | None = None,
) -> ReportColumns:
    n = len(reporters)
    return ReportColumns(
        ts_ms=np.array([T0_MS + 60_000 * m for m in (minutes or [0] * n)], np.int64),
        service=np.array(services or [0] * n, np.int32),
        problem=np.zeros(n, np.int16),
        place=np.array(places or [0] * n, np.int32),
        reporter=np.array(reporters, np.uint64),
        network=np.array(networks or list(range(1000, 1000 + n)), np.uint64),
        services=("facebook", "instagram"),
        problems=("app",),
        places=("US/Washington", "DE"),
    )


def test_counts_go_to_world_country_city_and_problem() -> None:
    result = ReportCounter().count(_cols([1, 2, 3], places=[0, 0, 1]))
    inc = result.increments
    assert inc[(SeriesKey("facebook", REPORTS, WORLD), M0)] == 3
    assert inc[(SeriesKey("facebook", REPORTS, "US"), M0)] == 2
    assert inc[(SeriesKey("facebook", REPORTS, "US/Washington"), M0)] == 2
    assert inc[(SeriesKey("facebook", REPORTS, "DE"), M0)] == 1
    assert inc[(SeriesKey("facebook", "problem:app", WORLD), M0)] == 3
    assert result.counted == 3


def test_first_report_counts_per_service_per_window() -> None:
    counter = ReportCounter(dedupe_minutes=15)
    first = counter.count(_cols([1, 1, 1], services=[0, 0, 1]))
    assert (first.counted, first.duplicates) == (2, 1)
    again = counter.count(_cols([1], minutes=[14]))
    assert again.counted == 0
    later = counter.count(_cols([1], minutes=[15]))
    assert later.counted == 1


def test_network_and_reporter_limits() -> None:
    counter = ReportCounter(network_limit=3, reporter_limit=100)
    flood = counter.count(_cols(list(range(10)), networks=[7] * 10))
    assert (flood.counted, flood.limited) == (3, 7)
    # the same network for another service has its own allowance
    other = counter.count(_cols([50, 51], networks=[7, 7], services=[1, 1]))
    assert other.counted == 2
    # the third report of one person within the hour does not count, whatever the service
    one_person = ReportCounter(network_limit=100, reporter_limit=2).count(
        _cols([9, 9, 9], services=[0, 1, 0], minutes=[0, 0, 16])
    )
    assert one_person.counted == 2


def test_raw_batch_round_trip_and_restart_memory() -> None:
    counter = ReportCounter()
    cols = _cols([1, 2, 2])
    result = counter.count(cols)
    assert result.batch is not None
    decoded, reason = decode_batch(result.batch)
    assert decoded.reporter.tolist() == cols.reporter.tolist()
    rows = batch_rows(result.batch)
    assert [r.counted for r in rows] == [True, True, False]
    assert rows[2].reason == "duplicate"
    assert rows[0].region == "US/Washington"
    # a new counter that remembers the stored rows does not count them again
    fresh = ReportCounter()
    assert fresh.remember_batches([result.batch], M0 + 5) == 2
    assert fresh.count(_cols([1, 3], minutes=[5, 5])).counted == 1


def test_batches_taken_together_count_as_they_would_alone() -> None:
    from rasd.signals.reports import concat_columns

    a = _cols([1, 2], places=[0, 1])
    b = ReportColumns(
        ts_ms=np.array([T0_MS, T0_MS], np.int64),
        service=np.array([0, 1], np.int32),
        problem=np.zeros(2, np.int16),
        place=np.array([0, 0], np.int32),
        reporter=np.array([3, 1], np.uint64),
        network=np.array([5000, 5001], np.uint64),
        services=("instagram", "facebook"),
        problems=("app",),
        places=("DE",),
    )
    merged = concat_columns([a, b])
    assert len(merged) == 4
    names = [merged.services[i] for i in merged.service]
    places = [merged.places[i] for i in merged.place]
    assert names == ["facebook", "facebook", "instagram", "facebook"]
    assert places == ["US/Washington", "DE", "DE", "DE"]
    together = ReportCounter().count(merged)
    alone = ReportCounter()
    first, second = alone.count(a), alone.count(b)
    # reporter 1 reports facebook in both: it counts once, together or alone
    assert together.counted == first.counted + second.counted == 3


def test_increments_agree_with_counting_each_report_alone() -> None:
    """Every counted report adds one to its world, country and city, and to its problem."""
    rng = np.random.default_rng(11)
    n = 3000
    places = ("*", "US", "US/Washington", "DE/Berlin", "EG", "EG/Cairo", "DE")
    services = ("facebook", "instagram", "whatsapp")
    problems = ("app", "login", "messages")
    cols = ReportColumns(
        ts_ms=T0_MS + rng.integers(0, 5 * 60_000, n).astype(np.int64),
        service=rng.integers(0, len(services), n).astype(np.int32),
        problem=rng.integers(0, len(problems), n).astype(np.int16),
        place=rng.integers(0, len(places), n).astype(np.int32),
        reporter=rng.integers(1, 2**63, n, dtype=np.uint64),
        network=rng.integers(1, 2**63, n, dtype=np.uint64),
        services=services,
        problems=problems,
        places=places,
    )
    result = ReportCounter().count(cols)
    _, reason = decode_batch(result.batch) if result.batch else (None, None)
    assert reason is not None
    want: dict[tuple[SeriesKey, int], int] = {}
    for i in np.flatnonzero(reason == 0).tolist():
        service, place = services[cols.service[i]], places[cols.place[i]]
        minute = int(cols.ts_ms[i]) // 60_000
        regions = [WORLD]
        if place != WORLD:
            regions.append(place.split("/")[0])
            if "/" in place:
                regions.append(place)
        for region in regions:
            key = (SeriesKey(service, REPORTS, region), minute)
            want[key] = want.get(key, 0) + 1
        key = (SeriesKey(service, "problem:" + problems[cols.problem[i]], WORLD), minute)
        want[key] = want.get(key, 0) + 1
    assert result.counted == n  # distinct reporters and networks: every report counts
    assert result.increments == want
    assert all(isinstance(key, SeriesKey) for key, _ in result.increments)


def test_the_earliest_report_of_a_person_counts_whatever_the_order_of_the_batch() -> None:
    later_first = replace(
        _cols([7, 7], networks=[1, 2]),
        ts_ms=np.array([T0_MS + 30_000, T0_MS + 10_000], np.int64),
    )
    result = ReportCounter().count(later_first)
    assert result.batch is not None
    _, reason = decode_batch(result.batch)
    assert reason.tolist() == [1, 0]  # the one at +10 s counts, the one at +30 s is a repeat


def _random_rows(
    rng: np.random.Generator,
    n: int,
    base: int,
    spread: int,
    reporters: int,
    networks: int,
    places: tuple[str, ...],
    labels: tuple[str, ...],
) -> list[ReportRow]:
    """`n` reports within `spread` ms of `base`, from that many reporters and networks."""
    return [
        ReportRow(
            ts_ms=base + int(rng.integers(-spread, spread)),
            service=("facebook", "whatsapp", "x")[int(rng.integers(0, 3))],
            problem=("app", "login")[int(rng.integers(0, 2))],
            region=places[int(rng.integers(0, len(places)))],
            reporter=f"r{int(rng.integers(0, reporters))}",
            network=int(rng.integers(0, networks)) * 0x9E3779B97F4A7C15 % 2**64,
            asn=labels[int(rng.integers(0, len(labels)))],
        )
        for _ in range(n)
    ]


def test_rows_counted_one_by_one_agree_with_their_columns() -> None:
    """The few-rows path gives the same stored batch, counts and windows as the columns the
    rows make: repeats, both limits, minutes out of order and windows turning over."""
    from rasd.signals.reports import columns_of

    rng = np.random.default_rng(21)
    places = ("US", "US/Washington", "DE/Berlin", "EG/Cairo", "*")
    labels = ("", "AS24835|EG|Vodafone Egypt", "AS8452|EG|TE Data")
    by_rows = ReportCounter(dedupe_minutes=5, network_limit=3, reporter_limit=4)
    by_columns = ReportCounter(dedupe_minutes=5, network_limit=3, reporter_limit=4)
    outcomes = set()
    for group in range(120):
        n = int(rng.integers(1, 40))
        base = T0_MS + group * 20_000  # three groups a minute: windows turn over on the way
        rows = _random_rows(rng, n, base, 70_000, 60, 12, places, labels if group % 3 else ("",))
        one_by_one = by_rows.count_rows(rows)
        columns = by_columns.count(columns_of(rows))
        assert one_by_one == columns, group
        assert one_by_one.batch is not None
        outcomes.update(decode_batch(one_by_one.batch)[1].tolist())
    assert outcomes == {0, 1, 2, 3}  # counted, repeats and both limits all came up
    assert by_rows.count_rows([]) == by_columns.count(columns_of([]))


def test_counts_per_network_where_one_is_known() -> None:
    cols = replace(
        _cols([1, 2, 3, 4], services=[0, 0, 1, 0]),
        asn=np.array([1, 1, 1, 0], np.int32),
        asns=("", "AS24835|EG|Vodafone Egypt"),
    )
    result = ReportCounter().count(cols)
    vodafone = "AS24835|EG|Vodafone Egypt"
    inc = result.increments
    assert inc[(SeriesKey("facebook", NETWORK_REPORTS, vodafone), M0)] == 2
    assert inc[(SeriesKey("instagram", NETWORK_REPORTS, vodafone), M0)] == 1
    assert [k for k in inc if k[0].signal == NETWORK_REPORTS and not k[0].region] == []
    assert result.batch is not None
    back, _ = decode_batch(result.batch)
    assert back.asn is not None and back.asns == cols.asns
    assert back.asn.tolist() == [1, 1, 1, 0]


def test_batches_with_and_without_networks_join() -> None:
    with_net = replace(_cols([1, 2]), asn=np.array([0, 0], np.int32), asns=("AS8452|EG|TE Data",))
    joined = concat_columns([_cols([3]), with_net])
    assert joined.asn is not None
    te_data = "AS8452|EG|TE Data"
    assert [joined.asns[i] for i in joined.asn.tolist()] == ["", te_data, te_data]
    assert concat_columns([_cols([3]), _cols([4])]).asn is None


def test_tallies_in_an_array_or_sorted_agree_with_counting_one_by_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(5)
    for n, services, names, span in (
        (1, 3, 4, 1),
        (40, 3, 7, 2),
        (5000, 20, 300, 1),
        (800, 9, 50, 3),
    ):
        svc = rng.integers(0, services, n)
        name = rng.integers(0, names, n)
        offset = rng.integers(0, span, n)
        triples = zip(svc.tolist(), name.tolist(), offset.tolist(), strict=True)
        want = sorted(Counter(triples).items())
        for dense in (0, 10**9):  # always sorted, always in an array
            monkeypatch.setattr(reports, "_DENSE_PER_CODE", dense)
            # in two parts, as a report's regions come
            parts = [(svc[: n // 2], name[: n // 2], offset[: n // 2])]
            parts.append((svc[n // 2 :], name[n // 2 :], offset[n // 2 :]))
            codes, offsets, counts = reports._tally(parts, services, names)
            columns = ((codes >> 24).tolist(), (codes & 0xFFFFFF).tolist(), offsets.tolist())
            found = zip(*columns, strict=True)
            assert list(zip(found, counts.tolist(), strict=True)) == want


def test_large_batches_count_as_their_rows_one_by_one() -> None:
    """Batches of hundreds to thousands of reports, most reporters and networks repeated many
    times within each: the arrays decide each report as the rows counted one by one do."""
    from rasd.signals.reports import columns_of

    rng = np.random.default_rng(29)
    places = ("US", "US/Washington", "DE/Berlin", "*")
    by_rows = ReportCounter(dedupe_minutes=5, network_limit=4, reporter_limit=6)
    by_columns = ReportCounter(dedupe_minutes=5, network_limit=4, reporter_limit=6)
    outcomes = set()
    for group in range(12):
        n = int(rng.integers(200, 3000))
        base = T0_MS + group * 45_000 + 30_000
        rows = _random_rows(rng, n, base, 60_000, n // 3, n // 8, places, ("",))
        one_by_one = by_rows.count_rows(rows)
        assert one_by_one == by_columns.count(columns_of(rows)), group
        assert one_by_one.batch is not None
        outcomes.update(decode_batch(one_by_one.batch)[1].tolist())
    assert outcomes == {0, 1, 2, 3}
