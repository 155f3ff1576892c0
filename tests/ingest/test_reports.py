"""Checking reports and putting them in columns: what the memos must never change."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from conftest import T0

from rasd.catalog import load_catalog
from rasd.clock import VirtualClock
from rasd.errors import InvalidInput, MalformedBody
from rasd.ingest.places import Places
from rasd.ingest.reports import (
    _CLIENT_MEMO_SIZE,
    BatchParts,
    ReportIn,
    ReportValidator,
    decode_batch,
    network_of,
)
from rasd.signals.reports import (
    ReportColumns,
    ReportRow,
    Reports,
    as_columns,
    columns_of,
    columns_together,
    key_hash,
    key_hashes,
)


@pytest.fixture(scope="module")
def validator() -> ReportValidator:
    return ReportValidator(load_catalog(), Places.default(), VirtualClock(T0))


def _report(**fields: object) -> ReportIn:
    base: dict[str, object] = {
        "service": "whatsapp",
        "problem": "messages",
        "reporter": "r",
        "country": "EG",
    }
    return ReportIn(**{**base, **fields})  # type: ignore[arg-type]


def test_many_hashes_at_once_are_the_hashes_one_by_one() -> None:
    keys = ["", "a", "reporter-1", "فيسبوك", "x" * 200]
    assert key_hashes(keys).tolist() == [key_hash(k) for k in keys]


def test_networks_are_the_networks_of_the_addresses(validator: ReportValidator) -> None:
    addresses = ["10.1.2.3", "10.1.2.200", "10.1.3.1", "2001:db8:1:2::5", "2001:db8:1:3::5"]
    cols = validator.to_columns(
        [_report(reporter=f"r{i}", ip=a) for i, a in enumerate(addresses)],
        client_ip="192.0.2.1",
        trusted=True,
    )
    assert cols.network.tolist() == [key_hash(network_of(a)) for a in addresses]
    plain = validator.to_columns([_report()], client_ip="192.0.2.1", trusted=False)
    assert plain.network.tolist() == [key_hash("192.0.2.0/24")]


def test_a_network_seen_before_does_not_make_a_bad_address_good(
    validator: ReportValidator,
) -> None:
    validator.to_columns([_report(ip="10.9.8.7")], client_ip="", trusted=True)
    for bad in ("10.9.8", "10.9.8.0/24", "10.9.8.256"):
        with pytest.raises(InvalidInput) as refused:
            validator.to_columns([_report(ip=bad)], client_ip="", trusted=True)
        details = refused.value.details
        assert isinstance(details, list) and details[0]["field"] == "ip"


def test_a_remembered_place_or_service_answers_as_the_first_time(
    validator: ReportValidator,
) -> None:
    batch = [_report(reporter="a"), _report(reporter="b", service="nope"), _report(country="XX")]
    for _ in range(2):  # the second time every answer comes from the memos
        with pytest.raises(InvalidInput) as refused:
            validator.to_columns(batch, client_ip="", trusted=False)
        details = refused.value.details
        assert isinstance(details, list)
        assert [(d["field"], d["index"]) for d in details] == [("service", 1), ("country", 2)]
    cols = validator.to_columns(
        [_report(city="Cairo"), _report(reporter="q", city="Cairo")], client_ip="", trusted=False
    )
    assert [cols.places[p] for p in cols.place.tolist()] == [
        cols.places[cols.place[0]],
        cols.places[cols.place[0]],
    ]
    assert cols.places[cols.place[0]].startswith("EG/")


def _listed(cols: ReportColumns) -> list[tuple[object, ...]]:
    """Each report with its names, whatever order the string tables are in."""
    return [
        (t, cols.services[s], cols.problems[p], cols.places[q], r, n)
        for t, s, p, q, r, n in zip(
            cols.ts_ms.tolist(),
            cols.service.tolist(),
            cols.problem.tolist(),
            cols.place.tolist(),
            cols.reporter.tolist(),
            cols.network.tolist(),
            strict=True,
        )
    ]


def test_rows_become_the_columns_the_reports_make_at_once(validator: ReportValidator) -> None:
    reports = [
        _report(reporter="a"),
        _report(reporter="b", service="facebook", problem="login", city="Cairo"),
        _report(reporter="c", country=None, lat=52.37, lon=4.89),
    ]
    at_once = validator.to_columns(reports, client_ip="198.51.100.7", trusted=False)
    rows = [validator.to_row(r, client_ip="198.51.100.7", trusted=False) for r in reports]
    assert _listed(columns_of(rows)) == _listed(at_once)
    assert len(columns_of([])) == 0


def test_requests_taken_together_keep_their_order(validator: ReportValidator) -> None:
    def rows(reporter: str) -> list[ReportRow]:
        return [validator.to_row(_report(reporter=reporter), client_ip="", trusted=False)]

    batch = validator.to_columns(
        [_report(reporter="b1"), _report(reporter="b2", country="DE")], client_ip="", trusted=False
    )
    parts: list[Reports] = [rows("r1"), rows("r2"), batch, rows("r3")]
    together = _listed(columns_together(parts))
    assert together == [entry for part in parts for entry in _listed(as_columns(part))]
    reporters = [entry[4] for entry in together]
    assert reporters == key_hashes(["r1", "r2", "b1", "b2", "r3"]).tolist()


@pytest.mark.parametrize("client", ["192.0.2.1", "2001:db8::1", "testclient"])
def test_a_remembered_client_network_is_the_network_of_the_client(
    validator: ReportValidator, client: str
) -> None:
    for _ in range(2):  # the second time it comes from the memo
        row = validator.to_row(_report(), client_ip=client, trusted=False)
        assert row.network == key_hash(network_of(client))


def test_a_crowd_of_new_clients_keeps_few_networks_in_memory_and_each_its_own(
    validator: ReportValidator,
) -> None:
    clients = [f"{1 + i % 223}.{i // 223 % 256}.{i // 57_088}.7" for i in range(10_000)]
    for client in clients:
        row = validator.to_row(_report(), client_ip=client, trusted=False)
        assert row.network == key_hash(network_of(client))
        assert len(validator._client_networks) <= _CLIENT_MEMO_SIZE
    row = validator.to_row(_report(), client_ip=clients[-1], trusted=False)
    assert row.network == key_hash(network_of(clients[-1]))


def test_a_batch_of_too_many_is_refused_before_any_report_is_decoded() -> None:
    body = b"[" + b",".join([b'{"service": 1}'] * 11) + b"]"
    with pytest.raises(InvalidInput) as refused:
        BatchParts(body, "application/json", 10)
    assert _first(refused.value.details)["limit"] == 10


def test_a_batch_decoded_in_slices_is_the_batch_decoded_at_once() -> None:
    items = [
        {"service": "facebook", "problem": "app", "reporter": f"r{i}", "country": "US"}
        for i in range(25)
    ]
    body = orjson.dumps(items)
    batch = BatchParts(body, "application/json", 100)
    sliced = [r for start in range(0, len(batch), 7) for r in batch.decode(start, start + 7)]
    batch.check()
    assert sliced == decode_batch(body, "application/json", 100)
    assert [r.reporter for r in sliced] == [f"r{i}" for i in range(25)]


def test_what_is_wrong_in_a_batch_names_its_place_in_it() -> None:
    body = b'[{"service": "facebook", "problem": "app", "reporter": "a"}, {"service": 3}]'
    batch = BatchParts(body, "application/json", 10)
    batch.decode(0, 2)
    with pytest.raises(InvalidInput) as refused:
        batch.check()
    assert _first(refused.value.details)["index"] == 1
    with pytest.raises(MalformedBody):
        BatchParts(b"[{", "application/json", 10)


def _first(details: list[dict[str, Any]] | dict[str, Any]) -> dict[str, Any]:
    assert isinstance(details, list)
    return details[0]
