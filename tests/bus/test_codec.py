from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from rasd.bus import codec
from rasd.signals.probes import ProbeResult
from rasd.signals.reports import ReportColumns, ReportRow, columns_of, key_hash

SERVICES = ("facebook", "instagram", "whatsapp", "github", "x")


def _columns(n: int = 500) -> ReportColumns:
    rng = np.random.default_rng(7)
    return ReportColumns(
        ts_ms=rng.integers(1_633_350_000_000, 1_633_350_600_000, n).astype(np.int64),
        service=rng.integers(0, len(SERVICES), n).astype(np.int32),
        problem=rng.integers(0, 3, n).astype(np.int16),
        place=rng.integers(0, 4, n).astype(np.int32),
        reporter=rng.integers(0, 2**63, n, dtype=np.uint64) * np.uint64(2) + np.uint64(1),
        network=rng.integers(0, 2**63, n, dtype=np.uint64),
        services=SERVICES,
        problems=("app", "login", "website"),
        places=("EG", "EG/Cairo", "FR", "*"),
    )


def _rows(cols: ReportColumns) -> list[tuple[object, ...]]:
    return sorted(
        zip(
            cols.ts_ms.tolist(),
            [cols.services[i] for i in cols.service.tolist()],
            [cols.problems[i] for i in cols.problem.tolist()],
            [cols.places[i] for i in cols.place.tolist()],
            cols.reporter.tolist(),
            cols.network.tolist(),
            strict=True,
        )
    )


def test_shard_is_stable_and_spreads() -> None:
    assert codec.shard_of("facebook", 16) == codec.shard_of("facebook", 16)
    # a fixed value: the same in every process and every release, or shards would move
    assert (
        codec.shard_of("facebook", 16)
        == int.from_bytes(
            __import__("hashlib").blake2b(b"facebook", digest_size=8).digest(), "little"
        )
        % 16
    )
    spread = {codec.shard_of(f"service-{i}", 8) for i in range(200)}
    assert spread == set(range(8))


def test_reports_round_trip_and_split_by_service() -> None:
    cols = _columns()
    back = codec.decode(codec.REPORTS, codec.encode(codec.REPORTS, cols))
    assert _rows(back) == _rows(cols)
    parts = codec.split(codec.REPORTS, cols, 4, "m")
    assert sum(len(p) for p in parts.values()) == len(cols)
    joined: list[tuple[object, ...]] = []
    for shard, part in parts.items():
        # each part names only its own services, and only the strings it uses
        assert {codec.shard_of(s, 4) for s in part.services} == {shard}
        assert len(set(part.places)) == len(part.places)
        assert part.service.max() < len(part.services)
        joined += _rows(codec.decode_reports(codec.encode_reports(part)))
    assert sorted(joined) == _rows(cols)


def test_a_single_report_travels_as_its_row_would_in_columns() -> None:
    row = ReportRow(1_633_350_000_000, "whatsapp", "messages", "EG/Cairo", "someone", 42)
    parts = codec.split(codec.REPORTS, [row], 4, "m")
    assert list(parts) == [codec.shard_of("whatsapp", 4)]
    (part,) = parts.values()
    assert _rows(part) == _rows(columns_of([row]))
    assert part.reporter.tolist() == [key_hash("someone")]


def test_probes_split_by_their_service() -> None:
    ts = datetime(2021, 10, 4, 15, 40, tzinfo=UTC)
    results = [
        ProbeResult(s, f"{s}:dns", "dns", f"{s}.com", "eu-west", ts, "servfail", rcode="SERVFAIL")
        for s in SERVICES
    ]
    parts = codec.split(codec.PROBES, results, 3, "p")
    assert sorted(r.service for part in parts.values() for r in part) == sorted(SERVICES)
    for shard, part in parts.items():
        assert codec.decode(codec.PROBES, codec.encode(codec.PROBES, part)) == part
        assert all(codec.shard_of(r.service, 3) == shard for r in part)


def test_posts_go_to_one_shard_by_message_id() -> None:
    from rasd.signals.posts import Post

    posts = [
        Post(id="1", text="فيسبوك واقع", created=datetime(2021, 10, 4, tzinfo=UTC), author="a")
    ]
    parts = codec.split(codec.POSTS, posts, 5, "batch-9")
    assert parts == {codec.shard_of("batch-9", 5): posts}
    assert codec.decode(codec.POSTS, codec.encode(codec.POSTS, posts)) == posts


def test_empty_payloads_publish_nothing() -> None:
    assert codec.split(codec.REPORTS, _columns(0), 4, "m") == {}
    assert codec.split(codec.POSTS, [], 4, "m") == {}


def test_marks_and_bad_bytes() -> None:
    assert codec.decode(codec.MARK, codec.encode(codec.MARK, 27_222_000)) == 27_222_000
    with pytest.raises(codec.CodecError):
        codec.decode(codec.REPORTS, b"\x01not msgpack of columns")
    with pytest.raises(codec.CodecError):
        codec.decode("nonsense", b"")
    with pytest.raises(codec.CodecError):
        codec.split("nonsense", [], 2, "m")


def _rows_with_networks(cols: ReportColumns) -> list[tuple[object, ...]]:
    assert cols.asn is not None
    return sorted(
        zip(
            cols.ts_ms.tolist(),
            [cols.services[i] for i in cols.service.tolist()],
            cols.reporter.tolist(),
            [cols.asns[i] for i in cols.asn.tolist()],
            strict=True,
        )
    )


def test_networks_travel_with_their_reports_to_each_shard() -> None:
    from dataclasses import replace

    labels = ("", "AS24835|EG|Vodafone Egypt", "AS8452|EG|TE Data")
    asn = np.random.default_rng(3).integers(0, 3, 200).astype(np.int32)
    cols = replace(_columns(200), asn=asn, asns=labels)
    back = codec.decode(codec.REPORTS, codec.encode(codec.REPORTS, cols))
    assert back.asns == labels and back.asn.tolist() == asn.tolist()
    parts = codec.split_reports(cols, 4).values()
    assert len(parts) > 1
    got = sorted(row for part in parts for row in _rows_with_networks(part))
    assert got == _rows_with_networks(cols)
